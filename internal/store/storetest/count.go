package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/sessiond/sessiond/internal/auth"
)

// countUserSessions is the contract of CountUserSessions: one user's
// sessions, no one else's, following creates and deletes; never fewer
// than the live ones, whatever it does with expired ones.
func countUserSessions(t *testing.T, s auth.SessionStore, now func() time.Time) {
	ctx := context.Background()
	count := func(tenant, user string) int {
		t.Helper()
		n, err := s.CountUserSessions(ctx, tenant, user)
		must(t, "count user sessions", err)
		return n
	}
	var mine []*auth.Session
	for range 3 {
		x := NewSession("t1", "u1", time.Hour)
		mine = append(mine, x)
		must(t, "create", s.CreateSession(ctx, x))
	}
	must(t, "other user", s.CreateSession(ctx, NewSession("t1", "u2", time.Hour)))
	must(t, "other tenant", s.CreateSession(ctx, NewSession("t2", "u1", time.Hour)))
	for _, tt := range []struct {
		tenant, user string
		want         int
	}{{"t1", "u1", 3}, {"t1", "u2", 1}, {"t2", "u1", 1}, {"t9", "nobody", 0}} {
		if got := count(tt.tenant, tt.user); got != tt.want {
			t.Fatalf("count of %s/%s: %d, want %d", tt.tenant, tt.user, got, tt.want)
		}
	}
	must(t, "delete", s.DeleteSession(ctx, mine[0].ID))
	if got := count("t1", "u1"); got != 2 {
		t.Fatalf("after a delete: %d, want 2", got)
	}
	if _, err := s.DeleteUserSessions(ctx, "t1", "u1", mine[2].ID); err != nil {
		t.Fatal(err)
	}
	if got := count("t1", "u1"); got != 1 {
		t.Fatalf("after ending all but one: %d, want 1", got)
	}
	// An expired session may still be counted, a live one always is.
	must(t, "expired", s.CreateSession(ctx, NewSession("t1", "u3", 30*time.Second))) // over at now() = base+1m
	must(t, "live", s.CreateSession(ctx, NewSession("t1", "u3", time.Hour)))
	live, err := s.UserSessions(ctx, "t1", "u3")
	must(t, "user sessions", err)
	if got := count("t1", "u3"); got < len(live) || got > 2 || len(live) != 1 {
		t.Fatalf("with one expired and one live session at %v: count %d, %d live", now(), got, len(live))
	}
}

// countFollowsChanges: CountSessions follows creates, deletes and the
// ending of a user's sessions.
func countFollowsChanges(t *testing.T, s auth.SessionStore) {
	ctx := context.Background()
	count := func() int {
		t.Helper()
		n, err := s.CountSessions(ctx)
		must(t, "count", err)
		return n
	}
	var xs []*auth.Session
	for i := range 5 {
		x := NewSession("t1", []string{"u1", "u2"}[i%2], time.Hour)
		xs = append(xs, x)
		must(t, "create", s.CreateSession(ctx, x))
	}
	if got := count(); got != 5 {
		t.Fatalf("after 5 creates: %d", got)
	}
	must(t, "touch", s.TouchSession(ctx, xs[1].ID, base.Add(time.Minute), base.Add(2*time.Hour)))
	must(t, "delete", s.DeleteSession(ctx, xs[0].ID))
	wantCode(t, "delete again", s.DeleteSession(ctx, xs[0].ID), auth.ENotFound)
	if got := count(); got != 4 {
		t.Fatalf("after a touch, a delete and a repeated delete: %d, want 4", got)
	}
	if n, err := s.DeleteUserSessions(ctx, "t1", "u1", ""); err != nil || n != 2 {
		t.Fatalf("end u1's sessions: %d %v, want 2", n, err)
	}
	if got := count(); got != 2 {
		t.Fatalf("after ending u1's sessions: %d, want 2", got)
	}
	if x := NewSession("t1", "u2", time.Hour); s.CreateSession(ctx, x) == nil {
		x2 := *x
		x2.ID = auth.NewID()
		wantCode(t, "conflicting create", s.CreateSession(ctx, &x2), auth.EConflict) // the same token hash
	}
	if got := count(); got != 3 {
		t.Fatalf("after a create and a refused one: %d, want 3", got)
	}
}
