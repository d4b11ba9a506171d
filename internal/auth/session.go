package auth

import (
	"context"
	"fmt"
	"time"
)

// SignInRequest is one attempt to sign in with a login and password.
type SignInRequest struct {
	TenantID string
	Login    string // user name, or email when ByEmail is set and no user has that name
	Password string
	ByEmail  bool
	Origin   Origin
	Client   Client
	Format   TokenFormat   // DefaultTokenFormat when zero
	Length   time.Duration // the service's session length when 0
}

// SignIn checks a login and password and, when they match an active user,
// starts a session. It returns the session, its secret token and the user.
// Unknown users, wrong passwords and users without a password all return
// ErrBadCredentials after the same hashing work. A right password for a user
// who is not active returns ErrUserInactive. With a Limiter configured,
// attempts past the lockout policy return an ELocked error (see
// LockedUntil), after the same hashing work too, even for a right password.
func (s *Service) SignIn(ctx context.Context, req SignInRequest) (*Session, string, *User, error) {
	return s.signIn(ctx, req, func(ctx context.Context, u *User) error { return s.VerifyPassword(ctx, u, req.Password) })
}

// CredentialCheck verifies, for a known user, a credential other than the
// plain password (such as Rocket.Chat's {digest} login). It returns nil on
// a match and ErrBadCredentials on a mismatch, after the same hashing work
// either way.
type CredentialCheck func(ctx context.Context, u *User) error

// SignInWith is SignIn with check in place of the password comparison, for
// a dialect whose clients send another credential. Everything else is
// SignIn's: the lockout, the dummy hash for unknown users and locked
// attempts (req.Password is what the dummy hashes: pass the credential
// sent), the audit event and the new session.
func (s *Service) SignInWith(ctx context.Context, req SignInRequest, check CredentialCheck) (*Session, string, *User, error) {
	return s.signIn(ctx, req, check)
}

func (s *Service) signIn(ctx context.Context, req SignInRequest, check CredentialCheck) (*Session, string, *User, error) {
	u, err := s.lookupLogin(ctx, req.TenantID, req.Login, req.ByEmail)
	if err != nil && ErrorCode(err) != ENotFound {
		return nil, "", nil, err
	}
	if err != nil {
		u = nil
	}
	ev := Event{Type: EventSignIn, TenantID: req.TenantID, IP: req.Client.IP, Origin: req.Origin}
	if u != nil {
		ev.User = u.ID
	}
	var subject, ipSub string
	if s.lockoutOn() {
		subject, ipSub = accountSubject(req.TenantID, u, req.Login), ipSubject(req.Client.IP)
		if err := s.admit(ctx, req.TenantID, subject, ipSub); err != nil {
			// The same hashing work as any other attempt, so that a lock
			// cannot be told apart by time.
			if herr := s.hasher.VerifyDummy(ctx, req.Password); herr != nil {
				return nil, "", nil, herr
			}
			if ErrorCode(err) == ELocked {
				// Hammering a locked account is a failure of its address too.
				s.failed(ctx, req.TenantID, "", ipSub)
				ev.Outcome = OutcomeLocked
				s.audit(ctx, ev)
			}
			return nil, "", nil, err
		}
	}
	if u == nil {
		if err := s.hasher.VerifyDummy(ctx, req.Password); err != nil {
			return nil, "", nil, err
		}
		s.failed(ctx, req.TenantID, subject, ipSub)
		ev.Outcome, ev.Detail = OutcomeFailure, "unknown login"
		s.audit(ctx, ev)
		return nil, "", nil, ErrBadCredentials
	}
	if err := check(ctx, u); err != nil {
		if ErrorCode(err) == EUnauthorized {
			s.failed(ctx, req.TenantID, subject, ipSub)
			ev.Outcome = OutcomeFailure
			s.audit(ctx, ev)
		}
		return nil, "", nil, err
	}
	s.succeeded(ctx, subject)
	if u.State != StateActive {
		ev.Outcome = OutcomeInactive
		s.audit(ctx, ev)
		return nil, "", nil, ErrUserInactive
	}
	sess, token, err := s.StartSession(ctx, u, req.Origin, req.Client, req.Format, req.Length)
	if err != nil {
		return nil, "", nil, err
	}
	ev.Outcome, ev.Session = OutcomeSuccess, sess.ID
	s.audit(ctx, ev)
	return sess, token, u, nil
}

func (s *Service) lookupLogin(ctx context.Context, tenantID, login string, byEmail bool) (*User, error) {
	if login == "" {
		return nil, ErrUserNotFound
	}
	u, err := s.users.UserByName(ctx, tenantID, login)
	if ErrorCode(err) == ENotFound && byEmail {
		u, err = s.users.UserByEmail(ctx, tenantID, login)
	}
	return u, err
}

// VerifyPassword checks pw against u's hash and upgrades an old hash after a
// match. It returns ErrBadCredentials on a mismatch or when u has no password.
func (s *Service) VerifyPassword(ctx context.Context, u *User, pw string) error {
	ok, rehash, err := s.hasher.Verify(ctx, u.PasswordHash, pw)
	if err != nil {
		return err
	}
	if !ok {
		return ErrBadCredentials
	}
	if rehash {
		s.upgradeHash(ctx, u, pw)
	}
	return nil
}

// upgradeHash replaces a bcrypt or weaker hash after a good sign-in. A
// failure only delays the upgrade to the next sign-in.
func (s *Service) upgradeHash(ctx context.Context, u *User, pw string) {
	h, err := s.hasher.Hash(ctx, pw)
	if err != nil {
		return
	}
	cur, err := s.users.UserByID(ctx, u.TenantID, u.ID)
	if err != nil || cur.PasswordHash != u.PasswordHash {
		return
	}
	cur.PasswordHash = h
	cur.UpdatedAt = s.now().UTC()
	if err := s.users.UpdateUser(ctx, cur); err != nil {
		s.log.Warn("password hash upgrade failed", "user", u.ID, "err", err)
		return
	}
	u.PasswordHash = h
	s.forget(u.ID)
}

// StartSession creates a session for u without checking a password (the
// caller has authenticated the user some other way, such as a resume token).
func (s *Service) StartSession(ctx context.Context, u *User, origin Origin, c Client, f TokenFormat, length time.Duration) (*Session, string, error) {
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
	if err := s.sessions.CreateSession(ctx, sess); err != nil {
		return nil, "", err
	}
	return sess, token, nil
}

// CheckOptions tune Authenticate for a dialect.
type CheckOptions struct {
	// Renew slides the expiry to at least now + RenewWindow (unless the
	// service has renewal disabled).
	Renew bool
	// AllowInactive returns the session and user of an inactive user
	// together with ErrUserInactive, so a dialect can tell the cases apart.
	AllowInactive bool
}

// Authenticate finds the live session of a secret token. It returns
// ErrUnauthenticated for an unknown, expired or revoked token (an expired
// one is deleted), and ErrUserInactive when the user is gone or not active.
// The returned user may be shared with other callers and must not be changed.
func (s *Service) Authenticate(ctx context.Context, token string, opt CheckOptions) (*Session, *User, error) {
	if token == "" {
		return nil, nil, ErrUnauthenticated
	}
	sess, err := s.sessions.SessionByTokenHash(ctx, HashToken(token))
	if ErrorCode(err) == ENotFound {
		return nil, nil, ErrUnauthenticated
	}
	if err != nil {
		return nil, nil, err
	}
	return s.check(ctx, sess, opt)
}

// check is the part of a session check that follows the lookup: the
// session must not have ended (an ended one is deleted), its user must
// exist and be active, and its activity is recorded.
func (s *Service) check(ctx context.Context, sess *Session, opt CheckOptions) (*Session, *User, error) {
	now := s.now()
	if s.ended(sess, now) {
		if err := s.sessions.DeleteSession(ctx, sess.ID); err != nil && ErrorCode(err) != ENotFound {
			return nil, nil, err
		}
		return nil, nil, ErrUnauthenticated
	}
	u, err := s.cachedUser(ctx, sess.TenantID, sess.UserID)
	if ErrorCode(err) == ENotFound {
		if opt.AllowInactive {
			return sess, nil, ErrUserInactive
		}
		return nil, nil, ErrUserInactive
	}
	if err != nil {
		return nil, nil, err
	}
	if u.State != StateActive {
		if opt.AllowInactive {
			return sess, u, ErrUserInactive
		}
		return nil, nil, ErrUserInactive
	}
	if err := s.touch(ctx, sess, now, opt.Renew); err != nil {
		return nil, nil, err
	}
	return sess, u, nil
}

// ended reports whether a session is over at now: past its expiry, or
// unused for longer than the idle timeout.
func (s *Service) ended(sess *Session, now time.Time) bool {
	return sess.Expired(now) || s.idle > 0 && now.Sub(sess.LastSeen) >= s.idle
}

// touch records activity: the last-seen time at most once a minute (more
// often under a short idle timeout), and the renewed expiry when it moves
// by a second or more. Renewal never passes the absolute timeout.
func (s *Service) touch(ctx context.Context, sess *Session, now time.Time, renew bool) error {
	exp := sess.ExpiresAt
	if renew && !s.renewDisabled {
		want := now.Add(RenewWindow)
		if s.absolute > 0 {
			want = minTime(want, sess.CreatedAt.Add(s.absolute))
		}
		if want.Sub(exp) >= time.Second {
			exp = want
		}
	}
	res := lastSeenResolution
	if s.idle > 0 {
		res = min(res, s.idle/4)
	}
	if exp.Equal(sess.ExpiresAt) && now.Sub(sess.LastSeen) < res {
		return nil
	}
	err := s.sessions.TouchSession(ctx, sess.ID, now.UTC(), exp.UTC())
	if ErrorCode(err) == ENotFound {
		return ErrUnauthenticated // revoked between the lookup and now
	}
	if err != nil {
		return err
	}
	sess.LastSeen, sess.ExpiresAt = now.UTC(), exp.UTC()
	return nil
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

// SignOut ends the session of a secret token. ErrUnauthenticated if there
// is no live session for it.
func (s *Service) SignOut(ctx context.Context, token string) (*Session, error) {
	if token == "" {
		return nil, ErrUnauthenticated
	}
	sess, err := s.sessions.SessionByTokenHash(ctx, HashToken(token))
	if ErrorCode(err) == ENotFound {
		return nil, ErrUnauthenticated
	}
	if err != nil {
		return nil, err
	}
	err = s.sessions.DeleteSession(ctx, sess.ID)
	if ErrorCode(err) == ENotFound || err == nil && s.ended(sess, s.now()) {
		return nil, ErrUnauthenticated
	}
	if err == nil {
		s.audit(ctx, Event{Type: EventSignOut, TenantID: sess.TenantID, User: sess.UserID, Session: sess.ID, Origin: sess.Origin})
	}
	return sess, err
}

// Session returns one session by its public ID, in the tenant.
// ErrSessionNotFound if it does not exist, has expired or is another tenant's.
func (s *Service) Session(ctx context.Context, tenantID, id string) (*Session, error) {
	sess, err := s.sessions.SessionByID(ctx, id)
	if err != nil {
		return nil, err
	}
	if sess.TenantID != tenantID || s.ended(sess, s.now()) {
		return nil, ErrSessionNotFound
	}
	return sess, nil
}

// UserSessions lists the live sessions of one user, newest first.
func (s *Service) UserSessions(ctx context.Context, tenantID, userID string) ([]*Session, error) {
	all, err := s.sessions.UserSessions(ctx, tenantID, userID)
	if err != nil {
		return nil, err
	}
	now := s.now()
	live := all[:0]
	for _, x := range all {
		if !s.ended(x, now) {
			live = append(live, x)
		}
	}
	return live, nil
}

// ListSessions lists live sessions of a tenant (all tenants when empty).
func (s *Service) ListSessions(ctx context.Context, f SessionFilter) ([]*Session, error) {
	all, err := s.sessions.ListSessions(ctx, f)
	if err != nil {
		return nil, err
	}
	now := s.now()
	live := all[:0]
	for _, x := range all {
		if !s.ended(x, now) {
			live = append(live, x)
		}
	}
	return live, nil
}

// RevokeSession ends one session of the tenant by its public ID. When
// userID is set the session must be that user's. ErrSessionNotFound
// otherwise.
func (s *Service) RevokeSession(ctx context.Context, tenantID, userID, id string) (*Session, error) {
	sess, err := s.Session(ctx, tenantID, id)
	if err != nil {
		return nil, err
	}
	if userID != "" && sess.UserID != userID {
		return nil, ErrSessionNotFound
	}
	if err := s.sessions.DeleteSession(ctx, id); err != nil {
		return nil, err
	}
	s.audit(ctx, Event{Type: EventSessionRevoke, TenantID: tenantID, User: sess.UserID, Session: sess.ID})
	return sess, nil
}

// RevokeUserSessions ends every session of a user except the one with ID
// except (none when empty), and returns how many ended.
func (s *Service) RevokeUserSessions(ctx context.Context, tenantID, userID, except string) (int, error) {
	n, err := s.sessions.DeleteUserSessions(ctx, tenantID, userID, except)
	if err == nil {
		ev := Event{Type: EventSessionRevokeAll, TenantID: tenantID, User: userID, Detail: fmt.Sprintf("%d sessions ended", n)}
		if except != "" {
			ev.Detail += ", all but " + except
		}
		s.audit(ctx, ev)
	}
	return n, err
}

// revokeAllBatch is how many sessions RevokeAllSessions reads at a time.
const revokeAllBatch = 500

// RevokeAllSessions ends every session of a tenant, or of every tenant
// when tenantID is empty, and returns how many ended. Sessions started
// while it runs may survive it.
func (s *Service) RevokeAllSessions(ctx context.Context, tenantID string) (int, error) {
	n, after := 0, ""
	for {
		batch, err := s.sessions.ListSessions(ctx, SessionFilter{TenantID: tenantID, After: after, Limit: revokeAllBatch})
		if err != nil {
			return n, err
		}
		for _, x := range batch {
			err := s.sessions.DeleteSession(ctx, x.ID)
			if err != nil && ErrorCode(err) != ENotFound {
				return n, err
			}
			if err == nil {
				n++
			}
			after = x.ID
		}
		if len(batch) < revokeAllBatch {
			break
		}
	}
	scope := "tenant " + tenantID
	if tenantID == "" {
		scope = "every tenant"
	}
	s.audit(ctx, Event{Type: EventSessionRevokeAll, TenantID: tenantID, Detail: fmt.Sprintf("%d sessions ended in %s", n, scope)})
	return n, nil
}

// CountSessions returns how many sessions are stored.
func (s *Service) CountSessions(ctx context.Context) (int, error) {
	return s.sessions.CountSessions(ctx)
}
