package auth_test

import (
	"context"
	"testing"
	"time"

	"github.com/sessiond/sessiond/internal/auth"
)

// AuthenticateSession is the session check by public ID, for a dialect that
// has verified its own credential (a signed JWT) naming the session.
func TestAuthenticateSession(t *testing.T) {
	type ids struct{ tenant, user, id string }
	tests := []struct {
		name    string
		prepare func(t *testing.T, e *env, own ids) ids
		wantErr error
	}{
		{name: "own session", prepare: func(_ *testing.T, _ *env, own ids) ids { return own }},
		{name: "any user", prepare: func(_ *testing.T, _ *env, own ids) ids { own.user = ""; return own }},
		{name: "empty ID", prepare: func(_ *testing.T, _ *env, own ids) ids { own.id = ""; return own }, wantErr: auth.ErrUnauthenticated},
		{name: "unknown ID", prepare: func(_ *testing.T, _ *env, own ids) ids { own.id = auth.NewID(); return own }, wantErr: auth.ErrUnauthenticated},
		{name: "another user", prepare: func(t *testing.T, e *env, own ids) ids {
			own.user = e.createUser(t, "bob", "battery staple").ID
			return own
		}, wantErr: auth.ErrUnauthenticated},
		{name: "another tenant", prepare: func(t *testing.T, e *env, own ids) ids {
			tn, _, err := e.svc.CreateTenant(context.Background(), auth.NewTenant{Name: "acme"})
			must(t, "create tenant", err)
			own.tenant = tn.ID
			return own
		}, wantErr: auth.ErrUnauthenticated},
		{name: "revoked", prepare: func(t *testing.T, e *env, own ids) ids {
			_, err := e.svc.RevokeSession(context.Background(), reach(own.tenant, ""), own.id)
			must(t, "revoke", err)
			return own
		}, wantErr: auth.ErrUnauthenticated},
		{name: "user inactive", prepare: func(t *testing.T, e *env, own ids) ids {
			u, err := e.db.UserByID(context.Background(), own.tenant, own.user)
			must(t, "user by ID", err)
			u.State = auth.StateInactive
			must(t, "update user in store", e.db.UpdateUser(context.Background(), u))
			e.clock.Advance(3 * time.Second) // past the user cache
			return own
		}, wantErr: auth.ErrUserInactive},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			e := newEnv(t)
			u := e.createUser(t, "alice", "correct horse")
			sess, _ := e.signIn(t, "alice", "correct horse")
			_, _, err := e.svc.AuthenticateSession(ctx, auth.DefaultTenantID, u.ID, sess.ID, auth.CheckOptions{}) // warm the cache
			must(t, "authenticate before", err)
			in := tt.prepare(t, e, ids{tenant: auth.DefaultTenantID, user: u.ID, id: sess.ID})
			got, gotUser, err := e.svc.AuthenticateSession(ctx, in.tenant, in.user, in.id, auth.CheckOptions{Renew: true})
			if tt.wantErr != nil {
				wantErr(t, "authenticate session", err, tt.wantErr)
				if got != nil || gotUser != nil {
					t.Fatalf("got session %v, user %v; want none", got, gotUser)
				}
				return
			}
			must(t, "authenticate session", err)
			if got.ID != sess.ID || gotUser.ID != u.ID {
				t.Fatalf("got session %q of %q, want %q of %q", got.ID, gotUser.ID, sess.ID, u.ID)
			}
		})
	}
}

func TestAuthenticateSessionAllowInactive(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, func(c *auth.Config) { c.UserCacheTTL = -1 })
	u := e.createUser(t, "alice", "correct horse")
	sess, _ := e.signIn(t, "alice", "correct horse")
	cur, err := e.db.UserByID(ctx, u.TenantID, u.ID)
	must(t, "user by ID", err)
	cur.State = auth.StateSuspended
	must(t, "update user in store", e.db.UpdateUser(ctx, cur))
	got, gotUser, err := e.svc.AuthenticateSession(ctx, auth.DefaultTenantID, u.ID, sess.ID, auth.CheckOptions{AllowInactive: true})
	wantErr(t, "authenticate session", err, auth.ErrUserInactive)
	if got == nil || got.ID != sess.ID || gotUser == nil || gotUser.State != auth.StateSuspended {
		t.Fatalf("got session %v and user %v, want the session and the suspended user", got, gotUser)
	}
}

func TestAuthenticateSessionRenewal(t *testing.T) {
	tests := []struct {
		name    string
		renew   bool
		at      time.Duration
		wantExp time.Duration
	}{
		{name: "minute 7 with Renew slides to 12", renew: true, at: 7 * time.Minute, wantExp: 12 * time.Minute},
		{name: "minute 1 with Renew does not shorten", renew: true, at: time.Minute, wantExp: 10 * time.Minute},
		{name: "minute 7 without Renew", at: 7 * time.Minute, wantExp: 10 * time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			u := e.createUser(t, "alice", "correct horse")
			sess, _ := e.signIn(t, "alice", "correct horse")
			e.clock.Set(tt.at)
			_, _, err := e.svc.AuthenticateSession(context.Background(), auth.DefaultTenantID, u.ID, sess.ID, auth.CheckOptions{Renew: tt.renew})
			must(t, "authenticate session", err)
			if got, want := e.storedSession(t, sess.ID).ExpiresAt, start.Add(tt.wantExp); !got.Equal(want) {
				t.Fatalf("stored expiry: got %v, want %v", got, want)
			}
		})
	}
}

// As with Authenticate, the check that finds a session expired removes it.
func TestAuthenticateSessionExpiredIsRemoved(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	u := e.createUser(t, "alice", "correct horse")
	sess, _ := e.signIn(t, "alice", "correct horse")
	e.clock.Set(10 * time.Minute)
	_, _, err := e.svc.AuthenticateSession(ctx, auth.DefaultTenantID, u.ID, sess.ID, auth.CheckOptions{Renew: true})
	wantErr(t, "authenticate expired session", err, auth.ErrUnauthenticated)
	if n := e.count(t); n != 0 {
		t.Fatalf("after the expired check: got %d sessions stored, want 0", n)
	}
}
