package auth

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net"
	"net/url"
	"slices"
	"strings"
	"time"
)

// IDTokenVerifier checks identity providers' ID tokens (OpenID Connect
// JWTs). The core declares it; the server wires an implementation, so
// that the core holds no key handling of its own.
type IDTokenVerifier interface {
	// VerifyIDToken checks raw against provider p: its signature with the
	// provider's published keys (p.KeysURL, or the issuer's discovery
	// document when that is empty), its issuer (one of p.Issuers), that
	// its audience holds one of p.ClientIDs, and its expiry at the time
	// given. A token that fails any check is EUnauthorized, with a Msg
	// naming the check for the operator's log; keys that cannot be
	// fetched are EUnavailable.
	VerifyIDToken(ctx context.Context, p SocialProvider, raw string, now time.Time) (*IDClaims, error)
}

// IDClaims are what sessiond reads from a verified ID token.
type IDClaims struct {
	Issuer        string
	Subject       string
	Audience      []string
	Email         string
	EmailVerified bool
	Nonce         string
}

// SocialProvider is how a tenant's users sign in with one identity
// provider.
type SocialProvider struct {
	Method Method
	// Issuers are the values the tokens' iss may take: the provider's
	// (Google's has two spellings) unless the tenant set its own.
	Issuers []string
	// KeysURL is the provider's JWK Set; empty with a tenant's own issuer
	// means discovery (issuer + /.well-known/openid-configuration).
	KeysURL string
	// ClientIDs are the tenant's apps at the provider: a token's audience
	// must name one. None means the method is not set up.
	ClientIDs []string
}

// providerDefaults are the real providers' issuers and keys.
var providerDefaults = map[Method]SocialProvider{
	MethodGoogle:   {Issuers: []string{"https://accounts.google.com", "accounts.google.com"}, KeysURL: "https://www.googleapis.com/oauth2/v3/certs"},
	MethodApple:    {Issuers: []string{"https://appleid.apple.com"}, KeysURL: "https://appleid.apple.com/auth/keys"},
	MethodFacebook: {Issuers: []string{"https://www.facebook.com", "https://limited.facebook.com"}, KeysURL: "https://limited.facebook.com/.well-known/oauth/openid/jwks/"},
}

// socialMethods are the methods signed in with an identity provider.
var socialMethods = []Method{MethodGoogle, MethodApple, MethodFacebook}

// IsSocial reports whether m signs in with an identity provider's token.
func IsSocial(m Method) bool { return slices.Contains(socialMethods, m) }

// Settings keys of a tenant's providers: settingSocialPrefix + method +
// one of the suffixes.
const (
	settingSocialPrefix = "tenantapi.social."
	socialClientIDs     = ".clientIDs"
	socialIssuer        = ".issuer"
	socialKeysURL       = ".keysURL"
	maxClientIDs        = 16
)

// SocialProvider returns how the tenant's users sign in with m.
func (t *Tenant) SocialProvider(m Method) SocialProvider {
	p := providerDefaults[m]
	p.Method = m
	p.Issuers = slices.Clone(p.Issuers)
	k := settingSocialPrefix + string(m)
	p.ClientIDs = splitList(t.Settings[k+socialClientIDs])
	if iss := t.Settings[k+socialIssuer]; iss != "" {
		p.Issuers, p.KeysURL = []string{iss}, t.Settings[k+socialKeysURL]
	} else if u := t.Settings[k+socialKeysURL]; u != "" {
		p.KeysURL = u
	}
	return p
}

// socialReady reports whether the tenant set up m, when m is social.
func (t *Tenant) socialReady(m Method) bool {
	return !IsSocial(m) || t.Settings[settingSocialPrefix+string(m)+socialClientIDs] != ""
}

// SocialProviderUpdate sets up one provider for a tenant. Empty Issuer
// and KeysURL mean the provider's own; no ClientIDs switches the method
// off.
type SocialProviderUpdate struct {
	ClientIDs []string
	Issuer    string
	KeysURL   string
}

// SetSocialProvider sets up provider m for the tenant. Issuer and keys
// URLs must be https (http only on a loopback host, for tests). Returns
// ErrTenantNotFound or EInvalid.
func (s *Service) SetSocialProvider(ctx context.Context, tenantID string, m Method, u SocialProviderUpdate) (*Tenant, error) {
	if !IsSocial(m) {
		return nil, Errorf(EInvalid, "provider must be one of google, apple, facebook")
	}
	var bad []string
	if len(u.ClientIDs) > maxClientIDs {
		bad = append(bad, "at most 16 client IDs")
	}
	for _, id := range u.ClientIDs {
		if id == "" || len(id) > 256 || strings.ContainsAny(id, ", \x00\r\n\t") {
			bad = append(bad, "a client ID must be 1 to 256 characters without commas or spaces")
			break
		}
	}
	for name, v := range map[string]string{"issuer": u.Issuer, "keysURL": u.KeysURL} {
		if v != "" && !providerURL(v) {
			bad = append(bad, name+" must be an https URL (http only on a loopback host)")
		}
	}
	if len(bad) > 0 {
		slices.Sort(bad)
		return nil, Errorf(EInvalid, "%s", strings.Join(bad, "; "))
	}
	ids := slices.Clone(u.ClientIDs)
	slices.Sort(ids)
	k := settingSocialPrefix + string(m)
	set := map[string]string{
		k + socialClientIDs: strings.Join(slices.Compact(ids), listSeparator),
		k + socialIssuer:    u.Issuer,
		k + socialKeysURL:   u.KeysURL,
	}
	return s.updateTenant(ctx, tenantID, "", set)
}

// providerURL reports whether v may name an issuer or a key set.
func providerURL(v string) bool {
	pu, err := url.Parse(v)
	if err != nil || pu.Host == "" || pu.User != nil || pu.Fragment != "" || len(v) > 512 {
		return false
	}
	switch pu.Scheme {
	case "https":
		return true
	case "http":
		h := pu.Hostname()
		ip := net.ParseIP(h)
		return h == "localhost" || ip != nil && ip.IsLoopback()
	}
	return false
}

// IDToken proves an account by an identity provider's ID token: Google's,
// Apple's or Facebook's (Limited Login). The token is verified against
// the tenant's setup of the provider (SocialProvider); Nonce, when
// given, must be the token's nonce (or its SHA-256 in hex, as Apple and
// Firebase clients send it). The user is the one linked to the token's
// subject; else, when the provider says the email is verified, the user
// with that email, now linked; else a new user. An email the provider
// has not verified never reaches an existing account.
type IDToken struct {
	Provider Method
	Token    string
	Nonce    string
}

// Method implements Credential.
func (c IDToken) Method() Method { return c.Provider }

// maxIDToken is the longest ID token read.
const maxIDToken = 16 << 10

func (c IDToken) check(*Service, *attempt) map[string][]string {
	var bad map[string][]string
	switch {
	case c.Token == "":
		bad = addProblem(bad, FieldToken, "is required")
	case len(c.Token) > maxIDToken:
		bad = addProblem(bad, FieldToken, "is too long")
	}
	if len(c.Nonce) > 512 {
		bad = addProblem(bad, FieldNonce, "is too long")
	}
	return bad
}

// FieldNonce names an ID token's nonce in Error.Fields.
const FieldNonce = "nonce"

// subjects: an ID token names no login that could be guessed at; the
// address's failures count.
func (IDToken) subjects(a *attempt) (string, string) { return "", ipSubject(a.Client.IP) }

func (c IDToken) prove(ctx context.Context, s *Service, a *attempt) (*proof, error) {
	if a.tenant == nil {
		return nil, ErrBadCredentials
	}
	if s.idTokens == nil {
		return nil, Internal("social sign-in", errNoVerifier)
	}
	claims, err := s.idTokens.VerifyIDToken(ctx, a.tenant.SocialProvider(c.Provider), c.Token, s.now())
	if err != nil {
		if ErrorCode(err) == EUnauthorized {
			s.log.Info("ID token refused", "tenant", a.TenantID, "provider", c.Provider, "reason", ErrorMessage(err))
			return nil, ErrBadCredentials
		}
		return nil, err
	}
	if claims.Subject == "" {
		return nil, ErrBadCredentials
	}
	if c.Nonce != "" && claims.Nonce != c.Nonce && claims.Nonce != sha256Hex(c.Nonce) {
		s.log.Info("ID token refused", "tenant", a.TenantID, "provider", c.Provider, "reason", "nonce does not match")
		return nil, ErrBadCredentials
	}
	email := strings.ToLower(strings.TrimSpace(claims.Email))
	if !wellFormedEmail(email) {
		email = ""
	}
	return s.linkedUser(ctx, a, string(c.Provider), claims.Subject, email, claims.EmailVerified)
}

type errString string

func (e errString) Error() string { return string(e) }

const errNoVerifier = errString("no ID token verifier is configured")

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}
