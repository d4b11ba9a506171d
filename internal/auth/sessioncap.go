package auth

import (
	"cmp"
	"context"
	"fmt"
	"slices"
)

// makeRoom keeps u within the cap on live sessions before one more
// starts: when u already holds the cap or more, it ends the least
// recently used (the oldest last use; the oldest start among equals)
// until one more fits, with an EventSessionEvict each, and drops the
// sessions of u that have ended on the way. The cheap count
// (CountUserSessions) decides whether the sessions are read at all, so a
// user under the cap costs one index read.
func (s *Service) makeRoom(ctx context.Context, u *User) error {
	if s.maxSessions <= 0 {
		return nil
	}
	n, err := s.sessions.CountUserSessions(ctx, u.TenantID, u.ID)
	if err != nil || n < s.maxSessions {
		return err
	}
	all, err := s.sessions.UserSessions(ctx, u.TenantID, u.ID)
	if err != nil {
		return err
	}
	now := s.now()
	var live []*Session
	for _, x := range all {
		if !s.ended(x, now) {
			live = append(live, x)
			continue
		}
		if err := s.sessions.DeleteSession(ctx, x.ID); err != nil && ErrorCode(err) != ENotFound {
			return err
		}
	}
	excess := len(live) - s.maxSessions + 1
	if excess <= 0 {
		return nil
	}
	slices.SortFunc(live, func(a, b *Session) int {
		return cmp.Or(a.LastSeen.Compare(b.LastSeen), a.CreatedAt.Compare(b.CreatedAt), cmp.Compare(a.ID, b.ID))
	})
	for _, x := range live[:excess] {
		err := s.sessions.DeleteSession(ctx, x.ID)
		if ErrorCode(err) == ENotFound {
			continue // ended meanwhile
		}
		if err != nil {
			return err
		}
		s.audit(ctx, Event{Type: EventSessionEvict, TenantID: x.TenantID, User: x.UserID, Session: x.ID, Origin: x.Origin,
			Detail: fmt.Sprintf("least recently used of %d live sessions; at most %d per user", len(live), s.maxSessions)})
	}
	return nil
}
