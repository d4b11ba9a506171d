package auth

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"time"
)

// StepUp asks a signed-in user for a second factor before an operation
// (Rocket.Chat's routes marked twoFactorRequired). See Service.StepUp.
type StepUp struct {
	Session *Session
	User    *User
	// Code and Method are what the client sent (x-2fa-code, x-2fa-method).
	Code   string
	Method FactorMethod
	// PasswordFallback asks a user without a factor for their password's
	// SHA-256 instead (Rocket.Chat's Enforce_Password_Fallback).
	PasswordFallback bool
	// Remember is how long a good code spares the same session from the
	// same client further codes (RememberFor; 0: never).
	Remember time.Duration
	// NoRemember makes the route ask every time (disableRememberMe).
	NoRemember bool
	// Bypass is set for a token made to skip second factors (a personal
	// access token with bypassTwoFactor).
	Bypass bool
	// Client identifies the caller for the remember window (its address
	// and User-Agent) and the lockout.
	Client Client
	// Origin is the API, for the audit event.
	Origin Origin
}

// StepUp checks the second factor of a step-up, in Rocket.Chat's order:
// a bypassing token passes; so does a session remembered for this client
// (unless NoRemember), or a user registered within Remember; then the
// method is the one named (totp or email), else the user's first, else
// the password fallback; a user with none of them passes. Without a code
// it answers ESecondFactor with the Challenge (an email code is sent for
// the email method); a wrong code is the same error marked Invalid, and
// counts against the user's login like a failed sign-in (a locked login
// is ELocked before any check). A good code returns a proof for the
// operations that need a recent one, and starts the remember window.
// Every check that looked at a code is one EventSecondFactor.
func (s *Service) StepUp(ctx context.Context, in StepUp) (*Proven, error) {
	now := s.now()
	proven := &Proven{session: in.Session.ID, at: now}
	if in.Bypass {
		return proven, nil
	}
	remember := rememberKey(in.Session.ID, in.Client)
	if !in.NoRemember && in.Remember > 0 {
		if in.User.CreatedAt.Add(in.Remember).After(now) {
			return proven, nil
		}
		if s.limiter != nil {
			r, err := s.limiter.Peek(ctx, remember, 1)
			if err == nil && r.Count > 0 && r.Reset.After(now) {
				return proven, nil
			}
		}
	}
	fs, methods, err := s.userMethods(ctx, in.User)
	if err != nil {
		return nil, err
	}
	// Rocket.Chat's methods: totp and email; recovery codes go as totp.
	var rc []FactorMethod
	for _, m := range methods {
		if m == FactorMethodTOTP || m == FactorMethodEmail {
			rc = append(rc, m)
		}
	}
	method := FactorMethod("")
	switch {
	case in.Method == FactorMethodTOTP || in.Method == FactorMethodEmail:
		method = in.Method
	case len(rc) > 0:
		method = rc[0]
	case in.PasswordFallback && in.User.DigestHash != "":
		method = FactorMethodPassword
	default:
		return proven, nil
	}
	ch := &Challenge{Method: method, Methods: rc}
	if in.Code == "" {
		if err := s.offerEmailCode(ctx, in.User, fs, ch); err != nil {
			return nil, err
		}
		return nil, challengeError(ch)
	}
	ev := Event{Type: EventSecondFactor, TenantID: in.User.TenantID, User: in.User.ID, Session: in.Session.ID, IP: in.Client.IP, Origin: in.Origin, Method: Method(method)}
	login, ip := "", ""
	if s.lockoutOn() {
		login, ip = loginSubject(in.User.TenantID, in.User.Name), ipSubject(in.Client.IP)
		if err := s.admit(ctx, in.User.TenantID, login, ip); err != nil {
			ev.Outcome = outcomeOf(err)
			if ErrorCode(err) == ELocked {
				ev.Outcome = OutcomeLocked
			}
			s.audit(ctx, ev)
			return nil, err
		}
	}
	var ok bool
	if method == FactorMethodPassword {
		ok, _, err = s.hasher.verifyFor(ctx, ipSubject(in.Client.IP), in.User.DigestHash, stringsLower(in.Code))
	} else {
		_, ok, err = s.proveSecond(ctx, in.User, fs, &SecondFactor{Method: method, Code: in.Code})
	}
	if err != nil {
		ev.Outcome = outcomeOf(err)
		s.audit(ctx, ev)
		return nil, err
	}
	if !ok {
		s.failed(ctx, in.User.TenantID, login, ip, in.User.ID)
		ev.Outcome = OutcomeFailure
		s.audit(ctx, ev)
		ch.Invalid = true
		return nil, challengeError(ch)
	}
	s.succeeded(ctx, login)
	ev.Outcome = OutcomeSuccess
	s.audit(ctx, ev)
	if !in.NoRemember && in.Remember > 0 && s.limiter != nil {
		if _, err := s.limiter.Hit(ctx, remember, 1, in.Remember); err != nil {
			s.log.Warn("second factor not remembered", "err", err)
		}
	}
	return proven, nil
}

// rememberKey names a session's remember window for one client: its
// address and User-Agent, hashed (Rocket.Chat's twoFactorAuthorizedHash).
func rememberKey(sessionID string, c Client) string {
	sum := sha256.Sum256([]byte(c.UserAgent + "\x00" + c.IP))
	return "2fa-remember:" + sessionID + ":" + hex.EncodeToString(sum[:8])
}

func stringsLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// Proof is what a re-authentication offers: the password, or a second
// factor of the user.
type Proof struct {
	Password string
	Second   *SecondFactor
}

// Reauthenticate proves again that the owner of a session is at the
// keyboard, with the password or a second factor, and replaces the
// session with a new one (a new secret; the old one stops working) that
// counts as a recent proof for the re-authentication window. Attempts
// count against the user's login like sign-ins (ELocked before any
// hash); a wrong proof is ErrBadCredentials. One EventReauth each.
func (s *Service) Reauthenticate(ctx context.Context, token string, c Client, pr Proof) (*Session, string, error) {
	sess, u, err := s.Authenticate(ctx, token, CheckOptions{})
	if err != nil {
		return nil, "", err
	}
	ev := Event{Type: EventReauth, TenantID: u.TenantID, User: u.ID, Session: sess.ID, IP: c.IP, Origin: sess.Origin, Method: MethodPassword}
	if pr.Second != nil {
		ev.Method = Method(pr.Second.Method)
	}
	if pr.Password == "" && pr.Second.empty() {
		ev.Outcome = OutcomeInvalid
		s.audit(ctx, ev)
		return nil, "", &Error{Code: EInvalid, Msg: "a password or a code is required", Fields: map[string][]string{FieldPassword: {"is required"}}}
	}
	login, ip := "", ""
	if s.lockoutOn() {
		login, ip = loginSubject(u.TenantID, u.Name), ipSubject(c.IP)
		if err := s.admit(ctx, u.TenantID, login, ip); err != nil {
			ev.Outcome = outcomeOf(err)
			if ErrorCode(err) == ELocked {
				ev.Outcome = OutcomeLocked
			}
			s.audit(ctx, ev)
			return nil, "", err
		}
	}
	var ok bool
	if pr.Password != "" {
		if u.PasswordHash == "" {
			err = s.hasher.dummyFor(ctx, ipSubject(c.IP), pr.Password)
		} else {
			ok, _, err = s.hasher.verifyFor(ctx, ipSubject(c.IP), u.PasswordHash, pr.Password)
		}
	} else {
		var fs []*Factor
		if fs, _, err = s.userMethods(ctx, u); err == nil {
			_, ok, err = s.proveSecond(ctx, u, fs, pr.Second)
		}
	}
	if err != nil {
		ev.Outcome = outcomeOf(err)
		s.audit(ctx, ev)
		return nil, "", err
	}
	if !ok {
		s.failed(ctx, u.TenantID, login, ip, u.ID)
		ev.Outcome = OutcomeFailure
		s.audit(ctx, ev)
		return nil, "", ErrBadCredentials
	}
	s.succeeded(ctx, login)
	// A new session: its creation is the proof's time, and the secret
	// seen before the proof stops working.
	now := s.now().UTC()
	length := max(sess.ExpiresAt.Sub(now), s.sf.reauth)
	next, secret, err := s.startSession(ctx, u, sess.Origin, c, TokenFormat{}, length)
	if err != nil {
		return nil, "", err
	}
	if err := s.sessions.DeleteSession(ctx, sess.ID); err != nil && ErrorCode(err) != ENotFound {
		return nil, "", err
	}
	ev.Outcome, ev.Session, ev.Detail = OutcomeSuccess, next.ID, "replaces session "+sess.ID
	s.audit(ctx, ev)
	return next, secret, nil
}
