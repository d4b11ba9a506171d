package auth_test

import (
	"context"
	"testing"

	"github.com/sessiond/sessiond/internal/auth"
)

// Making a user anything but active, or deleting them, ends all of their
// sessions at once, and only theirs.
func TestUserStateChangeEndsAllSessions(t *testing.T) {
	for _, st := range []auth.UserState{auth.StateInactive, auth.StateSuspended, auth.StateTerminated, "deleted"} {
		t.Run(string(st), func(t *testing.T) {
			ctx := context.Background()
			rec := &recorder{}
			e := newEnv(t, func(c *auth.Config) { c.Audit = rec })
			u := e.createUser(t, "alice", "correct horse")
			e.createUser(t, "bob", "battery staple")
			_, a1 := e.signIn(t, "alice", "correct horse")
			_, a2 := e.signIn(t, "alice", "correct horse")
			_, b := e.signIn(t, "bob", "battery staple")
			if st == "deleted" {
				must(t, "delete", e.svc.DeleteUser(ctx, auth.DefaultTenantID, u.ID))
			} else {
				_, err := e.svc.UpdateUser(ctx, auth.DefaultTenantID, u.ID, auth.UserUpdate{State: &st})
				must(t, "update", err)
			}
			if e.live(t, a1) || e.live(t, a2) {
				t.Fatalf("a session of the %s user lives on", st)
			}
			if !e.live(t, b) {
				t.Fatal("another user's session ended")
			}
			if n := e.count(t); n != 1 {
				t.Fatalf("%d sessions stored, want 1", n)
			}
			want := auth.EventSessionRevokeAll
			if st == "deleted" {
				want = auth.EventUserDelete
			}
			if len(rec.of(want)) == 0 {
				t.Fatalf("no %s event", want)
			}
		})
	}
}
