package auth

import "context"

// AuthenticateSession is Authenticate for a dialect that identifies a
// session by its public ID inside a credential it has verified itself (the
// tenant API's signed JWT), so that the session's secret never leaves the
// server. It returns ErrUnauthenticated for an unknown, expired or revoked
// session and for one of another tenant or user (userID is checked when
// set), and ErrUserInactive when the user is gone or not active (with the
// session and user when opt.AllowInactive is set). The returned user may be
// shared with other callers and must not be changed.
func (s *Service) AuthenticateSession(ctx context.Context, tenantID, userID, id string, opt CheckOptions) (*Session, *User, error) {
	if id == "" {
		return nil, nil, ErrUnauthenticated
	}
	sess, err := s.sessions.SessionByID(ctx, id)
	if ErrorCode(err) == ENotFound {
		return nil, nil, ErrUnauthenticated
	}
	if err != nil {
		return nil, nil, err
	}
	if sess.TenantID != tenantID || userID != "" && sess.UserID != userID {
		return nil, nil, ErrUnauthenticated
	}
	return s.check(ctx, sess, opt)
}
