package auth

import (
	"context"
	"fmt"
	"time"
)

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

// Reach says whose sessions a caller may see and end by ID: their own
// (TenantID and UserID); with Admin, every session of their tenant; as
// the Operator (who runs the whole server: the operator token, an admin
// of the default tenant), every session of every tenant. Each dialect
// says which its caller is; the core applies it.
type Reach struct {
	TenantID string
	UserID   string
	Admin    bool
	Operator bool
}

// covers reports whether r reaches sess.
func (r Reach) covers(sess *Session) bool {
	switch {
	case r.Operator:
		return true
	case r.Admin:
		return sess.TenantID == r.TenantID
	}
	return sess.TenantID == r.TenantID && sess.UserID == r.UserID && r.UserID != ""
}

// SessionFor returns one live session by its public ID, if by reaches it.
// ErrSessionNotFound otherwise: another's session looks absent.
func (s *Service) SessionFor(ctx context.Context, by Reach, id string) (*Session, error) {
	if !ValidID(id) {
		return nil, ErrSessionNotFound
	}
	sess, err := s.sessions.SessionByID(ctx, id)
	if err != nil {
		return nil, err
	}
	if !by.covers(sess) || s.ended(sess, s.now()) {
		return nil, ErrSessionNotFound
	}
	return sess, nil
}

// RevokeSession ends one session by its public ID, if by reaches it; its
// secret, and every token that names it, fail from then on.
// ErrSessionNotFound otherwise.
func (s *Service) RevokeSession(ctx context.Context, by Reach, id string) (*Session, error) {
	sess, err := s.SessionFor(ctx, by, id)
	if err != nil {
		return nil, err
	}
	if err := s.sessions.DeleteSession(ctx, id); err != nil {
		return nil, err
	}
	s.audit(ctx, Event{Type: EventSessionRevoke, TenantID: sess.TenantID, User: sess.UserID, Session: sess.ID})
	return sess, nil
}

// RotateSession replaces the live session of token with a new one of the
// same user, origin and lifetime for client c, and ends the old one, so
// that a secret seen before (a fixation, a change of password) stops
// working. ErrUnauthenticated when token has no live session.
func (s *Service) RotateSession(ctx context.Context, token string, c Client) (*Session, string, error) {
	old, u, err := s.Authenticate(ctx, token, CheckOptions{})
	if err != nil {
		return nil, "", err
	}
	// The new session ends when the old one would have.
	length := max(old.ExpiresAt.Sub(s.now()), time.Minute)
	sess, secret, err := s.startSession(ctx, u, old.Origin, c, TokenFormat{}, length)
	if err != nil {
		return nil, "", err
	}
	if err := s.sessions.DeleteSession(ctx, old.ID); err != nil && ErrorCode(err) != ENotFound {
		return nil, "", err
	}
	return sess, secret, nil
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
