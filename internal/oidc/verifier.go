// Package oidc verifies identity providers' ID tokens for social
// sign-in: it implements auth.IDTokenVerifier over github.com/coreos/go-oidc,
// which checks the signature (with go-jose, against the provider's
// published JWK Set, fetched and cached by go-oidc's RemoteKeySet), the
// algorithm and the expiry. This package adds what sessiond's tenants
// configure: the issuers, the audiences, the key set URL (or discovery),
// and a bound on how often a key set is fetched, so that tokens naming
// unknown keys cannot make sessiond hammer a provider.
package oidc

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"github.com/sessiond/sessiond/internal/auth"
)

// Options tune a Verifier.
type Options struct {
	// Client makes the requests for key sets and discovery documents
	// (one with a 10 s timeout when nil).
	Client *http.Client
	// MinRefresh is the shortest time between two fetches of one key set
	// (30 s when 0): a token naming a key that is not in the cached set
	// makes go-oidc fetch the set again, at most this often.
	MinRefresh time.Duration
	// Now is the clock of the refresh bound (time.Now when nil).
	Now    func() time.Time
	Logger *slog.Logger
}

// Verifier is an auth.IDTokenVerifier. It is safe for concurrent use.
type Verifier struct {
	opt  Options
	mu   sync.Mutex
	sets map[string]*keySet // by key set URL
	// discovered maps an issuer to its key set URL.
	discovered map[string]string
}

var _ auth.IDTokenVerifier = (*Verifier)(nil)

// maxCached bounds the key sets and discovery documents kept.
const maxCached = 1024

// New returns a Verifier.
func New(opt Options) *Verifier {
	if opt.Client == nil {
		opt.Client = &http.Client{Timeout: 10 * time.Second}
	}
	if opt.MinRefresh <= 0 {
		opt.MinRefresh = 30 * time.Second
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	return &Verifier{opt: opt, sets: map[string]*keySet{}, discovered: map[string]string{}}
}

// refused is the EUnauthorized error for a token that fails a check.
func refused(format string, args ...any) error {
	return &auth.Error{Code: auth.EUnauthorized, Msg: fmt.Sprintf(format, args...)}
}

// VerifyIDToken implements auth.IDTokenVerifier.
func (v *Verifier) VerifyIDToken(ctx context.Context, p auth.SocialProvider, raw string, now time.Time) (*auth.IDClaims, error) {
	if len(p.Issuers) == 0 || len(p.ClientIDs) == 0 {
		return nil, refused("%s is not set up", p.Method)
	}
	keysURL := p.KeysURL
	if keysURL == "" {
		u, err := v.discover(ctx, p.Issuers[0])
		if err != nil {
			return nil, err
		}
		keysURL = u
	}
	ks := v.keySet(keysURL)
	verifier := gooidc.NewVerifier(p.Issuers[0], ks, &gooidc.Config{
		SkipClientIDCheck: true, // checked below against every client ID of the tenant
		SkipIssuerCheck:   true, // checked below against every spelling of the issuer
		Now:               func() time.Time { return now },
		SupportedSigningAlgs: []string{
			gooidc.RS256, gooidc.RS384, gooidc.RS512, gooidc.ES256, gooidc.ES384, gooidc.ES512, gooidc.PS256,
		},
	})
	tok, err := verifier.Verify(ctx, raw)
	if err != nil {
		var expired *gooidc.TokenExpiredError
		switch {
		case errors.As(err, &expired):
			return nil, refused("the token expired at %s", expired.Expiry.UTC().Format(time.RFC3339))
		case ks.unavailable():
			return nil, auth.Unavailable("fetch the provider's keys", err)
		}
		return nil, refused("%v", err)
	}
	if !slices.Contains(p.Issuers, tok.Issuer) {
		return nil, refused("issuer %q is not %s's", tok.Issuer, p.Method)
	}
	if !slices.ContainsFunc(tok.Audience, func(a string) bool { return slices.Contains(p.ClientIDs, a) }) {
		return nil, refused("audience %q names none of the tenant's client IDs", tok.Audience)
	}
	var extra struct {
		Email         string `json:"email"`
		EmailVerified any    `json:"email_verified"`
		AZP           string `json:"azp"`
	}
	if err := tok.Claims(&extra); err != nil {
		return nil, refused("claims: %v", err)
	}
	if len(tok.Audience) > 1 && extra.AZP != "" && !slices.Contains(p.ClientIDs, extra.AZP) {
		return nil, refused("authorized party %q is none of the tenant's client IDs", extra.AZP)
	}
	return &auth.IDClaims{
		Issuer: tok.Issuer, Subject: tok.Subject, Audience: tok.Audience, Nonce: tok.Nonce,
		Email: extra.Email, EmailVerified: truthy(extra.EmailVerified),
	}, nil
}

// truthy reads email_verified, which Apple sends as a string.
func truthy(v any) bool {
	switch x := v.(type) {
	case bool:
		return x
	case string:
		b, _ := strconv.ParseBool(x)
		return b
	}
	return false
}

// discover returns the key set URL of an issuer's discovery document,
// which go-oidc fetches and checks (its issuer must be the one asked).
func (v *Verifier) discover(ctx context.Context, issuer string) (string, error) {
	v.mu.Lock()
	u, ok := v.discovered[issuer]
	v.mu.Unlock()
	if ok {
		return u, nil
	}
	prov, err := gooidc.NewProvider(gooidc.ClientContext(ctx, v.opt.Client), issuer)
	if err != nil {
		return "", auth.Unavailable("discover "+issuer, err)
	}
	var doc struct {
		JWKSURI string `json:"jwks_uri"`
	}
	if err := prov.Claims(&doc); err != nil || doc.JWKSURI == "" {
		return "", auth.Unavailable("discover "+issuer, fmt.Errorf("no jwks_uri (%v)", err))
	}
	v.mu.Lock()
	if len(v.discovered) >= maxCached {
		clear(v.discovered)
	}
	v.discovered[issuer] = doc.JWKSURI
	v.mu.Unlock()
	return doc.JWKSURI, nil
}

// keySet returns the cached key set of url, made on first use.
func (v *Verifier) keySet(url string) *keySet {
	v.mu.Lock()
	defer v.mu.Unlock()
	if ks, ok := v.sets[url]; ok {
		return ks
	}
	if len(v.sets) >= maxCached {
		clear(v.sets)
	}
	ks := &keySet{minRefresh: v.opt.MinRefresh, now: v.opt.Now}
	client := &http.Client{Timeout: v.opt.Client.Timeout, Transport: &fetcher{set: ks, base: transport(v.opt.Client)}}
	ks.RemoteKeySet = gooidc.NewRemoteKeySet(gooidc.ClientContext(context.Background(), client), url)
	v.sets[url] = ks
	return ks
}

func transport(c *http.Client) http.RoundTripper {
	if c.Transport != nil {
		return c.Transport
	}
	return http.DefaultTransport
}

// keySet is go-oidc's RemoteKeySet with a record of its fetches.
type keySet struct {
	*gooidc.RemoteKeySet
	minRefresh time.Duration
	now        func() time.Time
	mu         sync.Mutex
	last       time.Time // of the latest fetch let through
	failed     bool      // the latest fetch failed
}

// unavailable reports whether the latest fetch of the set failed.
func (ks *keySet) unavailable() bool {
	ks.mu.Lock()
	defer ks.mu.Unlock()
	return ks.failed
}

// admit reports whether a fetch may go out now, and counts it.
func (ks *keySet) admit() bool {
	ks.mu.Lock()
	defer ks.mu.Unlock()
	now := ks.now()
	wait := ks.minRefresh
	if ks.failed {
		wait /= 10 // a provider that was down is asked again sooner
	}
	if !ks.last.IsZero() && now.Sub(ks.last) < wait {
		return false
	}
	ks.last = now
	return true
}

func (ks *keySet) done(ok bool) {
	ks.mu.Lock()
	ks.failed = !ok
	ks.mu.Unlock()
}

// fetcher is the transport of a key set's fetches: it lets one through
// at most every minRefresh (a tenth of it after a failed one), and
// records whether it worked.
type fetcher struct {
	set  *keySet
	base http.RoundTripper
}

var errTooSoon = errors.New("the key set was fetched moments ago; the token's key is not in it")

func (f *fetcher) RoundTrip(r *http.Request) (*http.Response, error) {
	if !f.set.admit() {
		return nil, errTooSoon
	}
	resp, err := f.base.RoundTrip(r)
	if err != nil {
		f.set.done(false)
		return nil, err
	}
	f.set.done(resp.StatusCode == http.StatusOK)
	return resp, nil
}
