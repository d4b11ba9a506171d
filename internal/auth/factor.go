package auth

import (
	"context"
	"errors"
	"slices"
	"time"
)

// FactorKind is the kind of a second factor a user holds.
type FactorKind string

// Factor kinds.
const (
	FactorTOTP    FactorKind = "totp"    // an authenticator app (RFC 6238)
	FactorEmail   FactorKind = "email"   // a code sent to the user's address
	FactorPasskey FactorKind = "passkey" // a WebAuthn credential
)

// FactorMethod names a way to prove a second factor, as a client names
// it: the kinds, and recovery codes.
type FactorMethod string

// Second-factor methods.
const (
	FactorMethodTOTP     FactorMethod = "totp"
	FactorMethodEmail    FactorMethod = "email"
	FactorMethodPasskey  FactorMethod = "passkey"
	FactorMethodRecovery FactorMethod = "recovery"
	// FactorMethodPassword is Rocket.Chat's fallback on routes that ask
	// for a second factor of a user who has none: the password's SHA-256
	// in hex. It is never a second factor at sign-in.
	FactorMethodPassword FactorMethod = "password"
)

// Factor is one second factor of a user.
type Factor struct {
	ID       string
	TenantID string
	UserID   string
	Kind     FactorKind
	Name     string // a passkey's name, as its owner gave it
	// Secret is the TOTP secret sealed with the factor key, or a passkey's
	// credential record (public key, flags; JSON). Nil for email.
	Secret []byte
	// CredentialID is a passkey's WebAuthn credential ID; nil otherwise.
	CredentialID []byte
	// Confirmed is set once the factor has been proved (a TOTP code
	// typed at enrolment); only confirmed factors are asked for.
	Confirmed bool
	// LastStep is the last TOTP time step accepted (a code is good once),
	// or a passkey's signature counter.
	LastStep int64
	// Code is the keyed hash of the email code sent last, valid until
	// CodeExpires; nil when none is pending.
	Code        []byte
	CodeExpires time.Time
	CreatedAt   time.Time
	LastUsed    time.Time
}

// ErrFactorNotFound is returned for a factor that does not exist.
var ErrFactorNotFound = &Error{Code: ENotFound, Msg: "second factor not found"}

// ESecondFactor: the first factor was right and a second one is needed,
// or the second one given is wrong. ChallengeOf tells which, and how
// the user can prove it.
const ESecondFactor = "second_factor"

// EReauth: the operation needs a recent proof that the owner is at the
// keyboard (a password or a second factor within the re-authentication
// window), and the caller has none.
const EReauth = "reauth_required"

// ErrReauth is the EReauth error.
var ErrReauth = &Error{Code: EReauth, Msg: "this needs you to prove who you are again"}

// OutcomeSecondFactor ends a sign-in whose first factor was right but
// which gave no second factor for a user who has one.
const OutcomeSecondFactor = "second_factor"

// Second-factor events.
const (
	EventSecondFactor  = "second_factor"  // a second factor checked outside sign-in (Rocket.Chat's twoFactorRequired routes)
	EventReauth        = "reauth"         // a re-authentication on the account pages
	EventFactorAdd     = "factor.add"     // Detail: the kind
	EventFactorRemove  = "factor.remove"  // Detail: the kind
	EventRecoveryCodes = "recovery_codes" // a new set of recovery codes
	EventPersonalToken = "personal_token" // Detail: created, regenerated, removed
)

// Challenge is what an ESecondFactor error tells the dialect, so it can
// answer in its API's own shape.
type Challenge struct {
	// Invalid is set when a second factor was given and was wrong;
	// otherwise none was given.
	Invalid bool
	// Method is the method asked for: the one the client named when the
	// user has it, else the user's first.
	Method FactorMethod
	// Methods are the user's methods: the kinds of their confirmed
	// factors, and recovery while codes are left.
	Methods []FactorMethod
	// CodeSent is set when an email code was sent for this challenge;
	// CodeExpires is when the pending email code ends.
	CodeSent    bool
	CodeExpires time.Time
	// Ticket stands for the proved first factor for a few minutes
	// (Ticket credential), so that a second step need not send the
	// password again. Empty outside sign-in.
	Ticket string
}

func (c *Challenge) Error() string {
	if c.Invalid {
		return "second factor invalid (" + string(c.Method) + ")"
	}
	return "second factor required (" + string(c.Method) + ")"
}

// Has reports whether the user has method m.
func (c *Challenge) Has(m FactorMethod) bool { return slices.Contains(c.Methods, m) }

// ChallengeOf returns the challenge of an ESecondFactor error.
func ChallengeOf(err error) (*Challenge, bool) {
	var c *Challenge
	if ErrorCode(err) == ESecondFactor && errors.As(err, &c) {
		return c, true
	}
	return nil, false
}

func challengeError(c *Challenge) error {
	msg := "a second factor is required"
	if c.Invalid {
		msg = "the second factor is wrong"
	}
	return &Error{Code: ESecondFactor, Msg: msg, Err: c}
}

// SecondFactor is the second factor an attempt offers.
type SecondFactor struct {
	// Method is the method the client named; empty: a code of any method
	// the user has (TOTP, then a recovery code, then email).
	Method FactorMethod
	Code   string
	// Passkey is a WebAuthn assertion, for FactorMethodPasskey.
	Passkey *PasskeyAssertion
}

func (f *SecondFactor) empty() bool {
	return f == nil || f.Code == "" && f.Passkey == nil
}

// CodeSender sends a user a one-time code (the email second factor). The
// courier satisfies it; a nil CodeSender means email codes cannot be sent.
type CodeSender interface {
	// SendCode delivers m. It should queue rather than block on a mail
	// server; an error means the code was not sent.
	SendCode(ctx context.Context, m CodeMessage) error
}

// CodeMessage is one code to deliver.
type CodeMessage struct {
	TenantID string
	UserID   string
	To       string // the user's email address
	Name     string // the user's name
	Code     string
	Purpose  string // "second-factor"
	Expires  time.Time
}

// SecondFactorConfig configures second factors, recovery codes, personal
// access tokens and re-authentication.
type SecondFactorConfig struct {
	Factors        FactorStore
	RecoveryCodes  RecoveryCodeStore
	PersonalTokens PersonalTokenStore
	// Key (32 bytes) seals TOTP secrets at rest, and the short-lived
	// tickets and passkey ceremonies. Without it TOTP enrolment is
	// refused (ENotImplemented) and tickets use a key of this process
	// alone.
	Key []byte
	// Issuer names this server in authenticator apps ("sessiond" when empty).
	Issuer string
	// Courier sends email codes (none: the email method cannot be enabled).
	Courier CodeSender
	// EmailCodeTTL is how long an email code lasts (1 hour when 0, as
	// Rocket.Chat's Accounts_TwoFactorAuthentication_By_Email_Code_Expiration).
	EmailCodeTTL time.Duration
	// ReauthWindow is how long a proof lasts for the operations that need
	// a recent one (5 minutes when 0).
	ReauthWindow time.Duration
	// Passkeys names the WebAuthn relying party (see PasskeyConfig).
	Passkeys PasskeyConfig
}

// DefaultReauthWindow is how long a sign-in or re-authentication counts
// as a recent proof.
const DefaultReauthWindow = 5 * time.Minute

// TicketTTL is how long a sign-in ticket (first factor proved, second
// awaited) lasts.
const TicketTTL = 5 * time.Minute

// ReauthWindow returns how long a proof counts as recent.
func (s *Service) ReauthWindow() time.Duration { return s.sf.reauth }

// factorsOn reports whether second factors are configured.
func (s *Service) factorsOn() bool { return s.sf.factors != nil }

// userMethods reads the confirmed factors of u and returns them with the
// methods they give, in the order a challenge lists them.
func (s *Service) userMethods(ctx context.Context, u *User) ([]*Factor, []FactorMethod, error) {
	if !s.factorsOn() {
		return nil, nil, nil
	}
	all, err := s.sf.factors.UserFactors(ctx, u.TenantID, u.ID)
	if err != nil {
		return nil, nil, err
	}
	var fs []*Factor
	var ms []FactorMethod
	for _, f := range all {
		if !f.Confirmed {
			continue
		}
		fs = append(fs, f)
		if m := FactorMethod(f.Kind); !slices.Contains(ms, m) {
			ms = append(ms, m)
		}
	}
	slices.SortStableFunc(ms, func(a, b FactorMethod) int { return methodRank(a) - methodRank(b) })
	if len(fs) > 0 && s.sf.recovery != nil {
		n, err := s.sf.recovery.RecoveryCodesLeft(ctx, u.TenantID, u.ID)
		if err != nil {
			return nil, nil, err
		}
		if n > 0 {
			ms = append(ms, FactorMethodRecovery)
		}
	}
	return fs, ms, nil
}

// methodRank orders methods as Rocket.Chat tries them: TOTP, then email;
// passkeys after.
func methodRank(m FactorMethod) int {
	switch m {
	case FactorMethodTOTP:
		return 0
	case FactorMethodEmail:
		return 1
	case FactorMethodPasskey:
		return 2
	}
	return 3
}

// Factors returns a user's factors, confirmed or pending, oldest first.
func (s *Service) Factors(ctx context.Context, tenantID, userID string) ([]*Factor, error) {
	if !s.factorsOn() {
		return nil, nil
	}
	return s.sf.factors.UserFactors(ctx, tenantID, userID)
}

// FactorKinds is a set of factor kinds.
type FactorKinds uint8

// factorKindBit is kind's member of FactorKinds (0 for a kind it does not
// know).
func factorKindBit(k FactorKind) FactorKinds {
	switch k {
	case FactorTOTP:
		return 1
	case FactorEmail:
		return 2
	case FactorPasskey:
		return 4
	}
	return 0
}

// Has reports whether k is in the set.
func (ks FactorKinds) Has(k FactorKind) bool {
	b := factorKindBit(k)
	return b != 0 && ks&b == b
}

// ConfirmedFactorKinds returns the kinds of u's confirmed factors, for an
// answer that shows them. It reads through the session check's user
// cache: the kinds are kept with the user, dropped with it by every
// change to the user's factors (here and, through the change feed, on
// every instance), and never older than the cache TTL. A sign-in's
// challenge reads the factors themselves.
func (s *Service) ConfirmedFactorKinds(ctx context.Context, u *User) (FactorKinds, error) {
	if !s.factorsOn() {
		return 0, nil
	}
	e, ok := s.usersByID.get(u.ID, s.now())
	if ok && e.u.TenantID == u.TenantID {
		if v := e.factors.Load(); v&factorKindsRead != 0 {
			return FactorKinds(v), nil
		}
	} else {
		e = nil
	}
	fs, err := s.sf.factors.UserFactors(ctx, u.TenantID, u.ID)
	if err != nil {
		return 0, err
	}
	var ks FactorKinds
	for _, f := range fs {
		if f.Confirmed {
			ks |= factorKindBit(f.Kind)
		}
	}
	// A change to the factors made after the read above dropped e from
	// the cache, so what is stored here is never seen again from there.
	if e != nil {
		e.factors.Store(uint32(ks) | factorKindsRead)
	}
	return ks, nil
}

// HasSecondFactor reports whether the user has a confirmed factor.
func (s *Service) HasSecondFactor(ctx context.Context, u *User) (bool, error) {
	fs, _, err := s.userMethods(ctx, u)
	return len(fs) > 0, err
}

// Proven is a recent proof that the owner of a session is at the
// keyboard. Only the core makes one: a sign-in or re-authentication
// within the window (Recent), or a second factor checked just now
// (StepUp).
type Proven struct {
	session string
	at      time.Time
}

// Recent returns the proof a session carries: its sign-in (or
// re-authentication, which starts a new session) within the
// re-authentication window. Nil when it is older.
func (s *Service) Recent(sess *Session) *Proven {
	if sess == nil || s.now().Sub(sess.CreatedAt) > s.sf.reauth {
		return nil
	}
	return &Proven{session: sess.ID, at: sess.CreatedAt}
}

// check refuses a missing or stale proof, or one made for another session.
func (p *Proven) check(s *Service, sess *Session) error {
	if p == nil || sess == nil || p.session != sess.ID || s.now().Sub(p.at) > s.sf.reauth {
		return ErrReauth
	}
	return nil
}

// RemoveFactor removes one of the session user's factors. It needs a
// recent proof (EReauth). Removing the last factor also removes the
// recovery codes. Returns ErrFactorNotFound.
func (s *Service) RemoveFactor(ctx context.Context, sess *Session, proof *Proven, id string) error {
	if err := proof.check(s, sess); err != nil {
		return err
	}
	if !s.factorsOn() {
		return ErrFactorNotFound
	}
	fs, err := s.sf.factors.UserFactors(ctx, sess.TenantID, sess.UserID)
	if err != nil {
		return err
	}
	var f *Factor
	left := 0
	for _, x := range fs {
		if x.ID == id {
			f = x
		} else if x.Confirmed {
			left++
		}
	}
	if f == nil {
		return ErrFactorNotFound
	}
	if err := s.sf.factors.DeleteFactor(ctx, sess.TenantID, id); err != nil {
		return err
	}
	s.userChanged(ctx, sess.TenantID, sess.UserID) // the kinds cached with the user
	if left == 0 && s.sf.recovery != nil {
		if err := s.sf.recovery.SetRecoveryCodes(ctx, sess.TenantID, sess.UserID, nil, s.now().UTC()); err != nil {
			return err
		}
	}
	s.audit(ctx, Event{Type: EventFactorRemove, TenantID: sess.TenantID, User: sess.UserID, Session: sess.ID, Target: id, Outcome: OutcomeSuccess, Detail: string(f.Kind)})
	return nil
}

// RemoveFactors removes every factor of one kind of the session user
// (Rocket.Chat's "disable TOTP", "disable email"), with RemoveFactor's
// rules. It returns how many it removed.
func (s *Service) RemoveFactors(ctx context.Context, sess *Session, proof *Proven, kind FactorKind) (int, error) {
	if err := proof.check(s, sess); err != nil {
		return 0, err
	}
	fs, err := s.Factors(ctx, sess.TenantID, sess.UserID)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, f := range fs {
		if f.Kind != kind {
			continue
		}
		if err := s.RemoveFactor(ctx, sess, proof, f.ID); err != nil && ErrorCode(err) != ENotFound {
			return n, err
		}
		n++
	}
	return n, nil
}

// EndOtherSessions ends every session of the session's user but that
// one, and needs a recent proof (EReauth). It returns how many ended.
func (s *Service) EndOtherSessions(ctx context.Context, sess *Session, proof *Proven) (int, error) {
	if err := proof.check(s, sess); err != nil {
		return 0, err
	}
	return s.RevokeUserSessions(ctx, sess.TenantID, sess.UserID, sess.ID)
}

// deleteUserFactors forgets a deleted user's factors, codes and tokens.
func (s *Service) deleteUserFactors(ctx context.Context, tenantID, userID string) error {
	if s.sf.factors != nil {
		if err := s.sf.factors.DeleteUserFactors(ctx, tenantID, userID); err != nil {
			return err
		}
	}
	if s.sf.ptokens != nil {
		ts, err := s.sf.ptokens.UserPersonalTokens(ctx, tenantID, userID)
		if err != nil {
			return err
		}
		for _, t := range ts {
			if err := s.sf.ptokens.DeletePersonalToken(ctx, tenantID, t.ID); err != nil && ErrorCode(err) != ENotFound {
				return err
			}
		}
	}
	return nil
}

// ResetSecondFactors removes every factor and recovery code of a user,
// for an administrator helping someone who lost them all (the caller
// checks that it is one; the actor is on ctx). It returns how many
// factors went. ErrUserNotFound.
func (s *Service) ResetSecondFactors(ctx context.Context, tenantID, userID string) (int, error) {
	if _, err := s.users.UserByID(ctx, tenantID, userID); err != nil {
		return 0, err
	}
	fs, err := s.Factors(ctx, tenantID, userID)
	if err != nil || len(fs) == 0 {
		return 0, err
	}
	if err := s.sf.factors.DeleteUserFactors(ctx, tenantID, userID); err != nil {
		return 0, err
	}
	s.userChanged(ctx, tenantID, userID) // the kinds cached with the user
	s.audit(ctx, Event{Type: EventFactorRemove, TenantID: tenantID, User: userID, Outcome: OutcomeSuccess, Detail: "every factor, reset by an administrator"})
	return len(fs), nil
}
