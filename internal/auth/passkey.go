package auth

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"
)

// MethodPasskey signs in with a passkey alone (Passkey credential).
const MethodPasskey Method = "passkey"

// PasskeyConfig names the WebAuthn relying party. When ID is empty, each
// ceremony uses the RelyingParty its caller gives (the account pages
// give the host and origin the browser reached), which suits a server
// with one name; set ID and Origins when the pages are reached under
// several names or behind a proxy that rewrites the host.
type PasskeyConfig struct {
	ID      string   // the relying party ID: a domain, e.g. "example.com"
	Name    string   // shown by authenticators ("sessiond" when empty)
	Origins []string // allowed origins, e.g. "https://login.example.com"
}

// RelyingParty is the WebAuthn relying party of one ceremony, as the
// caller sees it: the host's name and the origin the browser used.
type RelyingParty struct {
	ID     string
	Origin string
}

// PasskeyAssertion is a WebAuthn assertion: the state BeginPasskeyLogin
// returned and the browser's answer (the PublicKeyCredential as JSON).
type PasskeyAssertion struct {
	RP       RelyingParty
	State    string
	Response []byte
}

// passkeyStateTTL bounds a ceremony, from its options to its answer.
const passkeyStateTTL = 5 * time.Minute

// waUser is a user as go-webauthn sees one. Its handle is the tenant and
// user IDs (32 bytes), so a discoverable credential names its account.
type waUser struct {
	u     *User
	creds []webauthn.Credential
}

func (w waUser) WebAuthnID() []byte                         { return []byte(w.u.TenantID + w.u.ID) }
func (w waUser) WebAuthnName() string                       { return w.u.Name }
func (w waUser) WebAuthnDisplayName() string                { return w.u.Name }
func (w waUser) WebAuthnCredentials() []webauthn.Credential { return w.creds }

// waState is what a ceremony keeps between its two halves, sealed.
type waState struct {
	Kind    string               `json:"k"` // "register" or "login"
	Tenant  string               `json:"t"`
	User    string               `json:"u,omitempty"`
	Session webauthn.SessionData `json:"s"`
}

func (s *Service) webAuthn(rp RelyingParty) (*webauthn.WebAuthn, error) {
	cfg := &webauthn.Config{RPID: rp.ID, RPDisplayName: s.sf.passkeys.Name, RPOrigins: []string{rp.Origin}}
	if s.sf.passkeys.ID != "" {
		cfg.RPID, cfg.RPOrigins = s.sf.passkeys.ID, s.sf.passkeys.Origins
	}
	if cfg.RPDisplayName == "" {
		cfg.RPDisplayName = "sessiond"
	}
	w, err := webauthn.New(cfg)
	if err != nil {
		return nil, &Error{Code: EInvalid, Msg: "passkeys are not available at this address", Err: err}
	}
	return w, nil
}

// passkeys returns a user's passkey factors and their credentials.
func (s *Service) passkeys(ctx context.Context, u *User) ([]*Factor, []webauthn.Credential, error) {
	if !s.factorsOn() {
		return nil, nil, nil
	}
	all, err := s.sf.factors.UserFactors(ctx, u.TenantID, u.ID)
	if err != nil {
		return nil, nil, err
	}
	var fs []*Factor
	var creds []webauthn.Credential
	for _, f := range all {
		if f.Kind != FactorPasskey {
			continue
		}
		var c webauthn.Credential
		if err := json.Unmarshal(f.Secret, &c); err != nil {
			return nil, nil, Internal("passkey record", err)
		}
		fs, creds = append(fs, f), append(creds, c)
	}
	return fs, creds, nil
}

func (s *Service) sealState(st waState) (string, error) {
	b, err := json.Marshal(st)
	if err != nil {
		return "", Internal("webauthn state", err)
	}
	return s.sf.seal.sealString(sealWebAuthn, b, s.now().Add(passkeyStateTTL)), nil
}

// openState reads a ceremony's state and spends its challenge: each is
// good for one answer (with a Limiter; without one, until it expires).
func (s *Service) openState(ctx context.Context, text, kind string) (*waState, error) {
	plain, ok := s.sf.seal.openString(sealWebAuthn, text, s.now())
	var st waState
	if !ok || json.Unmarshal(plain, &st) != nil || st.Kind != kind {
		return nil, ErrBadCredentials
	}
	if s.limiter != nil {
		r, err := s.limiter.Hit(ctx, "webauthn-challenge:"+st.Session.Challenge, 1, passkeyStateTTL)
		if err != nil {
			return nil, err
		}
		if !r.Allowed {
			return nil, ErrBadCredentials
		}
	}
	return &st, nil
}

// BeginPasskeyRegistration starts adding a passkey for a user: the
// options for navigator.credentials.create (JSON) and the state to give
// back to FinishPasskeyRegistration. The passkey is discoverable, so it
// can sign in without a name.
func (s *Service) BeginPasskeyRegistration(ctx context.Context, u *User, rp RelyingParty) ([]byte, string, error) {
	if !s.factorsOn() {
		return nil, "", &Error{Code: ENotImplemented, Msg: "passkeys are not available"}
	}
	w, err := s.webAuthn(rp)
	if err != nil {
		return nil, "", err
	}
	_, creds, err := s.passkeys(ctx, u)
	if err != nil {
		return nil, "", err
	}
	creation, sd, err := w.BeginRegistration(waUser{u, creds},
		webauthn.WithResidentKeyRequirement(protocol.ResidentKeyRequirementRequired),
		webauthn.WithExclusions(webauthn.Credentials(creds).CredentialDescriptors()))
	if err != nil {
		return nil, "", Internal("webauthn begin registration", err)
	}
	opts, err := json.Marshal(creation)
	if err != nil {
		return nil, "", Internal("webauthn options", err)
	}
	state, err := s.sealState(waState{Kind: "register", Tenant: u.TenantID, User: u.ID, Session: *sd})
	return opts, state, err
}

// FinishPasskeyRegistration checks the browser's answer to a
// registration and keeps the passkey, named name, as a factor of the
// user. When it is the user's first factor, the user gets recovery codes,
// returned here. A bad or replayed answer is EInvalid.
func (s *Service) FinishPasskeyRegistration(ctx context.Context, u *User, rp RelyingParty, state string, response []byte, name string) (*Factor, []string, error) {
	st, err := s.openState(ctx, state, "register")
	if err != nil || st.Tenant != u.TenantID || st.User != u.ID {
		return nil, nil, &Error{Code: EInvalid, Msg: "the passkey registration has expired or was already used; please try again"}
	}
	name = strings.TrimSpace(name)
	if name == "" {
		name = "Passkey"
	}
	if len(name) > 64 || !utf8.ValidString(name) || strings.ContainsAny(name, "\x00\r\n") {
		return nil, nil, &Error{Code: EInvalid, Msg: "a passkey name is at most 64 bytes of text", Fields: map[string][]string{"name": {"is invalid"}}}
	}
	w, err := s.webAuthn(rp)
	if err != nil {
		return nil, nil, err
	}
	parsed, err := protocol.ParseCredentialCreationResponseBytes(response)
	if err != nil {
		return nil, nil, &Error{Code: EInvalid, Msg: "the browser's passkey answer could not be read", Err: err}
	}
	_, creds, err := s.passkeys(ctx, u)
	if err != nil {
		return nil, nil, err
	}
	cred, err := w.CreateCredential(waUser{u, creds}, st.Session, parsed)
	if err != nil {
		return nil, nil, &Error{Code: EInvalid, Msg: "the passkey could not be verified", Err: err}
	}
	rec, err := json.Marshal(cred)
	if err != nil {
		return nil, nil, Internal("passkey record", err)
	}
	first, err := s.HasSecondFactor(ctx, u)
	if err != nil {
		return nil, nil, err
	}
	now := s.now().UTC()
	f := &Factor{
		ID: NewID(), TenantID: u.TenantID, UserID: u.ID, Kind: FactorPasskey, Name: name, Secret: rec,
		CredentialID: cred.ID, Confirmed: true, LastStep: int64(cred.Authenticator.SignCount), CreatedAt: now,
	}
	if err := s.sf.factors.CreateFactor(ctx, f); err != nil {
		return nil, nil, err
	}
	s.userChanged(ctx, u.TenantID, u.ID) // the kinds cached with the user
	s.audit(ctx, Event{Type: EventFactorAdd, TenantID: u.TenantID, User: u.ID, Target: f.ID, Outcome: OutcomeSuccess, Detail: string(FactorPasskey)})
	if first {
		return f, nil, nil
	}
	codes, err := s.RegenerateRecoveryCodes(ctx, u.TenantID, u.ID)
	return f, codes, err
}

// RenamePasskey renames one of a user's passkeys. ErrFactorNotFound.
func (s *Service) RenamePasskey(ctx context.Context, u *User, id, name string) error {
	name = strings.TrimSpace(name)
	if name == "" || len(name) > 64 || !utf8.ValidString(name) || strings.ContainsAny(name, "\x00\r\n") {
		return &Error{Code: EInvalid, Msg: "a passkey name is 1 to 64 bytes of text", Fields: map[string][]string{"name": {"is invalid"}}}
	}
	fs, _, err := s.passkeys(ctx, u)
	if err != nil {
		return err
	}
	for _, f := range fs {
		if f.ID == id {
			f.Name = name
			return s.sf.factors.UpdateFactor(ctx, f)
		}
	}
	return ErrFactorNotFound
}

// BeginPasskeyLogin starts a passkey assertion: for a sign-in with a
// passkey alone when u is nil (any discoverable passkey of the tenant),
// else for u's passkeys as a second factor. It returns the options for
// navigator.credentials.get (JSON) and the state for the answer.
func (s *Service) BeginPasskeyLogin(ctx context.Context, tenantID string, u *User, rp RelyingParty) ([]byte, string, error) {
	w, err := s.webAuthn(rp)
	if err != nil {
		return nil, "", err
	}
	var (
		assertion *protocol.CredentialAssertion
		sd        *webauthn.SessionData
		st        = waState{Kind: "login", Tenant: tenantID}
	)
	if u == nil {
		assertion, sd, err = w.BeginDiscoverableLogin(webauthn.WithUserVerification(protocol.VerificationRequired))
	} else {
		var creds []webauthn.Credential
		if _, creds, err = s.passkeys(ctx, u); err != nil {
			return nil, "", err
		}
		if len(creds) == 0 {
			return nil, "", ErrFactorNotFound
		}
		st.User = u.ID
		assertion, sd, err = w.BeginLogin(waUser{u, creds})
	}
	if err != nil {
		return nil, "", Internal("webauthn begin login", err)
	}
	opts, err := json.Marshal(assertion)
	if err != nil {
		return nil, "", Internal("webauthn options", err)
	}
	st.Session = *sd
	state, err := s.sealState(st)
	return opts, state, err
}

// usePasskey checks a passkey assertion as u's second factor.
func (s *Service) usePasskey(ctx context.Context, u *User, _ []*Factor, pa *PasskeyAssertion) (bool, error) {
	st, err := s.openState(ctx, pa.State, "login")
	if ErrorCode(err) == EUnauthorized {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if st.Tenant != u.TenantID || st.User != u.ID {
		return false, nil
	}
	_, _, err = s.verifyAssertion(ctx, st, pa, func(tenantID, userID string) (*User, error) { return u, nil })
	if ErrorCode(err) == EUnauthorized {
		return false, nil
	}
	return err == nil, err
}

// verifyAssertion checks an assertion against the passkeys of the user
// its credential names (discoverable) or of st's user, and records the
// use. ErrBadCredentials for anything that does not verify.
func (s *Service) verifyAssertion(ctx context.Context, st *waState, pa *PasskeyAssertion, user func(tenantID, userID string) (*User, error)) (*User, *Factor, error) {
	w, err := s.webAuthn(pa.RP)
	if err != nil {
		return nil, nil, ErrBadCredentials
	}
	parsed, err := protocol.ParseCredentialRequestResponseBytes(pa.Response)
	if err != nil {
		return nil, nil, ErrBadCredentials
	}
	var (
		owner *User
		fs    []*Factor
	)
	handler := func(rawID, userHandle []byte) (webauthn.User, error) {
		if len(userHandle) != 32 || string(userHandle[:16]) != st.Tenant {
			return nil, ErrBadCredentials
		}
		if st.User != "" && string(userHandle[16:]) != st.User {
			return nil, ErrBadCredentials
		}
		u, err := user(st.Tenant, string(userHandle[16:]))
		if err != nil {
			return nil, err
		}
		var creds []webauthn.Credential
		if fs, creds, err = s.passkeys(ctx, u); err != nil {
			return nil, err
		}
		owner = u
		return waUser{u, creds}, nil
	}
	var cred *webauthn.Credential
	if st.User == "" {
		_, cred, err = w.ValidatePasskeyLogin(handler, st.Session, parsed)
	} else {
		var wu webauthn.User
		if wu, err = handler(nil, []byte(st.Tenant+st.User)); err == nil {
			cred, err = w.ValidateLogin(wu, st.Session, parsed)
		}
	}
	if err != nil {
		// A store that failed is the store's error; anything else (a bad
		// signature, origin, challenge, an unknown credential) proves no one.
		var e *Error
		if errors.As(err, &e) && (e.Code == EUnavailable || e.Code == EInternal) {
			return nil, nil, err
		}
		return nil, nil, ErrBadCredentials
	}
	if cred.Authenticator.CloneWarning {
		return nil, nil, ErrBadCredentials
	}
	for _, f := range fs {
		if !bytes.Equal(f.CredentialID, cred.ID) {
			continue
		}
		rec, err := json.Marshal(cred)
		if err != nil {
			return nil, nil, Internal("passkey record", err)
		}
		f.Secret, f.LastStep, f.LastUsed = rec, int64(cred.Authenticator.SignCount), s.now().UTC()
		if err := s.sf.factors.UpdateFactor(ctx, f); err != nil {
			return nil, nil, err
		}
		return owner, f, nil
	}
	return nil, nil, ErrBadCredentials
}

// PasskeyHandle returns the user handle of a user's passkeys, in hex, for
// tests and tools that look at what an authenticator holds.
func PasskeyHandle(u *User) string { return hex.EncodeToString([]byte(u.TenantID + u.ID)) }
