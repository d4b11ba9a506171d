package auth

import (
	"context"
	"strings"
	"time"
)

// Attempt is one try at signing in, or signing up, through any API. The
// dialects build it from their own wire format and make one call,
// Service.SignIn, which owns every rule of a sign-in.
type Attempt struct {
	TenantID string
	// Capability is CapSignin (when empty), or CapSignup to create the
	// account first.
	Capability Capability
	// Login names the account as typed: a user name, or an email (see
	// LoginKind). Credentials that name the account themselves (guest,
	// resume) leave it empty.
	Login     string
	LoginKind LoginKind
	// Method is the method the client named, when the dialect reads it
	// apart from the credential: a method sessiond does not serve has no
	// Credential, and is refused by the gate. The credential's method
	// when empty.
	Method     Method
	Credential Credential
	// Problems are what the dialect found wrong with the request's fields
	// while decoding it, in its own field names. They are reported
	// (EInvalid, with Fields) after the gate, together with the core's.
	Problems map[string][]string
	Client   Client
	Origin   Origin
	Format   TokenFormat   // of the new session's secret; DefaultTokenFormat when zero
	Length   time.Duration // of the new session; the service's session length when 0
	// Second is the second factor offered, for a user who has one (see
	// secondStep); nil when the client offers none.
	Second *SecondFactor
}

// LoginKind says what Attempt.Login holds.
type LoginKind int

// Login kinds.
const (
	// LoginName is a user name.
	LoginName LoginKind = iota
	// LoginNameOrEmail is a user name or, when no user has that name, an
	// email.
	LoginNameOrEmail
	// LoginEmail is an email address, which must be well formed; it is
	// trimmed and lower-cased. A user signed up by email has it as both
	// name and email.
	LoginEmail
)

// SignedIn is a successful sign-in.
type SignedIn struct {
	Session *Session
	Token   string // the session's secret: the cookie, the auth token
	User    *User  // shared with other callers; never change it
	NewUser bool   // the sign-in created the user (sign-up, first guest sign-in)
}

// Credential is what an attempt proves the account with: Password,
// PasswordDigest, Guest, Resume. Only the core defines credentials; each
// new sign-in method is one more of them, never a new path in a dialect.
type Credential interface {
	// Method is the method the credential is, for the capability gate.
	Method() Method
	// check reports problems with the attempt's fields, by field.
	check(s *Service, a *attempt) map[string][]string
	// subjects returns the lockout subjects the attempt is counted under.
	subjects(a *attempt) (login, ip string)
	// prove establishes who is signing in: the user and, for a resumed
	// session, that session. When the credential proves no one it returns
	// ErrBadCredentials, after the same hashing work as when it does, and
	// a proof naming the user the login matched, if any.
	prove(ctx context.Context, s *Service, a *attempt) (*proof, error)
}

// proof is what a credential established.
type proof struct {
	user    *User
	newUser bool
	resumed *Session // the live session a Resume credential continues
	token   string   // its secret
}

// attempt is an Attempt being run: what the steps learn on the way.
type attempt struct {
	Attempt
	tenant  *Tenant // nil when the tenant does not exist
	method  Method
	hashKey string // the client, for the hash pool's fairness
}

// SignIn is the one entry of every sign-in and sign-up, whatever the API
// and the method. It runs, in this order and nowhere else:
//
//  1. the gate: the capability and the method must be served, allowed
//     together and not switched off for the tenant (ERestricted), and the
//     credential's fields well formed (EInvalid, with Fields);
//  2. the throttle: a locked login or client address is refused before
//     any password hash (ELocked, see LockedUntil);
//  3. the credential check, in the hash pool, fair between clients: an
//     unknown account costs the same work as a known one, and every
//     failure is ErrBadCredentials and counts towards the lockout. A full
//     pool is EUnavailable (see RetryAfter);
//  4. the user: a user who is not active gets ErrUserInactive, one for
//     whom the capability or method is switched off ERestricted; both
//     only once the credential has proved the account, so that neither
//     reveals an account to someone who cannot sign in to it;
//  5. the session: a new one (or, for Resume, the same one, now recording
//     the resuming client);
//  6. the record: exactly one EventSignIn, whatever the outcome, from
//     which the audit log and the metrics are made.
//
// A sign-up (CapSignup) creates the account in step 3, and answers
// EConflict when it exists.
func (s *Service) SignIn(ctx context.Context, in Attempt) (*SignedIn, error) {
	a := &attempt{Attempt: in}
	if a.Capability == "" {
		a.Capability = CapSignin
	}
	a.method = a.Method
	if a.Credential != nil && a.method == "" {
		a.method = a.Credential.Method()
	}
	if a.LoginKind == LoginEmail {
		a.Login = strings.ToLower(strings.TrimSpace(a.Login))
	}
	a.hashKey = ipSubject(a.Client.IP)
	ev := Event{Type: EventSignIn, TenantID: a.TenantID, IP: a.Client.IP, Origin: a.Origin, Method: a.method}
	if a.Capability == CapSignup {
		ev.Detail = "sign-up"
	}
	out, err := s.signIn(ctx, a, &ev)
	if out != nil {
		ev.Session = out.Session.ID
	}
	s.audit(ctx, ev)
	return out, err
}

// signIn runs the steps, noting the outcome and the user on ev.
func (s *Service) signIn(ctx context.Context, a *attempt, ev *Event) (*SignedIn, error) {
	ev.Outcome = OutcomeError
	out, outcome, err := s.steps(ctx, a, ev)
	ev.Outcome = outcome
	return out, err
}

// steps runs the steps of SignIn and names the outcome.
func (s *Service) steps(ctx context.Context, a *attempt, ev *Event) (*SignedIn, string, error) {
	// 1. The gate.
	if a.method == "" {
		return nil, OutcomeInvalid, Errorf(EInvalid, "no sign-in method")
	}
	t, err := s.Tenant(ctx, a.TenantID)
	switch ErrorCode(err) {
	case "":
		a.tenant = t
	case ENotFound:
		// Nobody signs in to a tenant that does not exist; the attempt
		// goes on as one for an unknown login, so it costs the same.
		t = &Tenant{}
	default:
		return nil, outcomeOf(err), err
	}
	if err := gate(t, a.Capability, a.method); err != nil {
		return nil, OutcomeRestricted, err
	}
	if a.Credential == nil || a.Credential.Method() != a.method {
		return nil, OutcomeInvalid, Errorf(EInvalid, "no %s credential", a.method)
	}
	bad := a.Credential.check(s, a)
	for k, v := range a.Problems {
		bad = addProblem(bad, k, v...)
	}
	if bad != nil {
		return nil, OutcomeInvalid, &Error{Code: EInvalid, Msg: "invalid " + string(a.method) + " sign-in", Fields: bad}
	}

	// 2. The throttle.
	login, ip := "", ""
	if s.lockoutOn() {
		login, ip = a.Credential.subjects(a)
		if err := s.admit(ctx, a.TenantID, login, ip); err != nil {
			if ErrorCode(err) != ELocked {
				return nil, outcomeOf(err), err
			}
			// Hammering a locked login is a failure of its address too.
			s.failed(ctx, a.TenantID, "", ip, "")
			return nil, OutcomeLocked, err
		}
	}

	// 3. The credential.
	p, err := a.Credential.prove(ctx, s, a)
	if p != nil && p.user != nil {
		ev.User = p.user.ID
	}
	if err != nil {
		switch ErrorCode(err) {
		case EUnauthorized:
			s.failed(ctx, a.TenantID, login, ip, ev.User)
			return nil, OutcomeFailure, ErrBadCredentials
		case EConflict:
			return nil, OutcomeConflict, err
		case EInactive:
			return nil, OutcomeInactive, err
		}
		return nil, outcomeOf(err), err
	}
	u := p.user

	// 4. The user.
	if u.State != StateActive {
		return nil, OutcomeInactive, inactiveError(u)
	}
	if err := userGate(t, u.ID, a.Capability, a.method); err != nil {
		return nil, OutcomeRestricted, err
	}
	// 4b. The second factor, for a user who has one (secondstep.go). Only
	// then does the login's count start again.
	if outcome, err := s.secondStep(ctx, a, u, login, ip, ev); err != nil {
		return nil, outcome, err
	}
	s.succeeded(ctx, login)

	// 5. The session.
	if p.resumed != nil {
		now := s.now().UTC()
		err := s.sessions.UpdateSessionClient(ctx, p.resumed.ID, now, a.Client)
		if ErrorCode(err) == ENotFound {
			return nil, OutcomeFailure, ErrBadCredentials // ended in between
		}
		if err != nil {
			return nil, outcomeOf(err), err
		}
		sess := *p.resumed
		sess.LastSeen, sess.IP, sess.UserAgent, sess.Device = now, a.Client.IP, a.Client.UserAgent, a.Client.Device
		return &SignedIn{Session: &sess, Token: p.token, User: u}, OutcomeSuccess, nil
	}
	sess, token, err := s.startSession(ctx, u, a.Origin, a.Client, a.Format, a.Length)
	if err != nil {
		return nil, outcomeOf(err), err
	}
	return &SignedIn{Session: sess, Token: token, User: u, NewUser: p.newUser}, OutcomeSuccess, nil
}

// outcomeOf names the outcome of an attempt that failed with err for a
// reason of the engines rather than of the attempt.
func outcomeOf(err error) string {
	if ErrorCode(err) == EUnavailable {
		return OutcomeUnavailable
	}
	return OutcomeError
}

// lookupLogin finds the user an attempt's login names.
func (s *Service) lookupLogin(ctx context.Context, tenantID, login string, kind LoginKind) (*User, error) {
	if login == "" || !ValidID(tenantID) {
		return nil, ErrUserNotFound
	}
	u, err := s.users.UserByName(ctx, tenantID, login)
	if ErrorCode(err) == ENotFound && kind != LoginName {
		u, err = s.users.UserByEmail(ctx, tenantID, login)
	}
	return u, err
}

// startSession creates a session for u, which a credential has proved.
func (s *Service) startSession(ctx context.Context, u *User, origin Origin, c Client, f TokenFormat, length time.Duration) (*Session, string, error) {
	if f.Bytes == 0 {
		f = DefaultTokenFormat
	}
	if length <= 0 {
		length = s.sessionLength
	}
	now := s.now().UTC()
	token := NewToken(f)
	sess := &Session{
		ID: NewID(), TokenHash: HashToken(token), UserID: u.ID, TenantID: u.TenantID, Origin: origin,
		CreatedAt: now, ExpiresAt: now.Add(length), LastSeen: now,
		IP: c.IP, UserAgent: c.UserAgent, Device: c.Device,
	}
	if err := s.makeRoom(ctx, u); err != nil { // sessioncap.go
		return nil, "", err
	}
	if err := s.sessions.CreateSession(ctx, sess); err != nil {
		return nil, "", err
	}
	return sess, token, nil
}
