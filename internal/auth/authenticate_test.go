package auth_test

import (
	"context"
	"testing"
	"time"

	"github.com/sessiond/sessiond/internal/auth"
)

// storedSession reads a session straight from the session store.
func (e *env) storedSession(t testing.TB, id string) *auth.Session {
	t.Helper()
	s, err := e.sessions.SessionByID(context.Background(), id)
	must(t, "session by ID", err)
	return s
}

func TestAuthenticateLiveSession(t *testing.T) {
	tests := []struct {
		name string
		at   time.Duration
	}{
		{name: "at once", at: 0},
		{name: "minute 5", at: 5 * time.Minute},
		{name: "just before expiry", at: 10*time.Minute - time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			u := e.createUser(t, "alice", "correct horse")
			sess, token := e.signIn(t, "alice", "correct horse")
			e.clock.Set(tt.at)
			got, gotUser, err := e.svc.Authenticate(context.Background(), token, auth.CheckOptions{})
			must(t, "authenticate", err)
			if got.ID != sess.ID || got.UserID != u.ID || got.TenantID != auth.DefaultTenantID {
				t.Fatalf("got session %+v, want ID %q of user %q", got, sess.ID, u.ID)
			}
			if gotUser.ID != u.ID || gotUser.Name != "alice" {
				t.Fatalf("got user %+v, want alice (%s)", gotUser, u.ID)
			}
		})
	}
}

func TestAuthenticateUnknownToken(t *testing.T) {
	tests := []struct {
		name  string
		token func(real string) string
	}{
		{name: "empty", token: func(string) string { return "" }},
		{name: "garbage", token: func(string) string { return "garbage" }},
		{name: "fresh token never issued", token: func(string) string { return auth.NewToken(auth.DefaultTokenFormat) }},
		{name: "real token with a character changed", token: func(real string) string {
			b := []byte(real)
			b[0] ^= 1
			return string(b)
		}},
		{name: "real token truncated", token: func(real string) string { return real[:len(real)-1] }},
		{name: "hash of the real token", token: func(real string) string { return auth.HashToken(real).String() }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			e.createUser(t, "alice", "correct horse")
			_, token := e.signIn(t, "alice", "correct horse")
			sess, u, err := e.svc.Authenticate(context.Background(), tt.token(token), auth.CheckOptions{Renew: true})
			wantErr(t, "authenticate", err, auth.ErrUnauthenticated)
			wantCode(t, "authenticate", err, auth.EUnauthorized)
			if sess != nil || u != nil {
				t.Fatalf("got session %v, user %v; want none", sess, u)
			}
		})
	}
}

// An expired session is refused and gone: the check that finds it expired
// removes it from the store, so the count of sessions drops.
func TestAuthenticateExpiredSessionIsRemoved(t *testing.T) {
	tests := []struct {
		name  string
		at    time.Duration
		renew bool
	}{
		{name: "exactly at expiry", at: 10 * time.Minute},
		{name: "a minute after expiry", at: 11 * time.Minute},
		{name: "a day after expiry, with Renew", at: 24 * time.Hour, renew: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			e := newEnv(t)
			e.createUser(t, "alice", "correct horse")
			sess, token := e.signIn(t, "alice", "correct horse")
			if n := e.count(t); n != 1 {
				t.Fatalf("before expiry: got %d sessions, want 1", n)
			}
			e.clock.Set(tt.at)
			_, _, err := e.svc.Authenticate(ctx, token, auth.CheckOptions{Renew: tt.renew})
			wantErr(t, "authenticate expired", err, auth.ErrUnauthenticated)
			if _, err := e.sessions.SessionByID(ctx, sess.ID); auth.ErrorCode(err) != auth.ENotFound {
				t.Fatalf("expired session still found by ID (err %v)", err)
			}
			if n := e.count(t); n != 0 {
				t.Fatalf("after the expired check: got %d sessions stored, want 0", n)
			}
			// Going back in time does not revive it.
			e.clock.Set(0)
			_, _, err = e.svc.Authenticate(ctx, token, auth.CheckOptions{})
			wantErr(t, "authenticate after the clock went back", err, auth.ErrUnauthenticated)
		})
	}
}

func TestAuthenticateRenewal(t *testing.T) {
	tests := []struct {
		name     string
		disabled bool
		renew    bool
		at       time.Duration
		wantExp  time.Duration
	}{
		{name: "minute 7 with Renew slides to minute 12", renew: true, at: 7 * time.Minute, wantExp: 12 * time.Minute},
		{name: "minute 9:59 with Renew slides to 14:59", renew: true, at: 9*time.Minute + 59*time.Second, wantExp: 14*time.Minute + 59*time.Second},
		{name: "minute 1 with Renew does not shorten", renew: true, at: time.Minute, wantExp: 10 * time.Minute},
		{name: "minute 5 with Renew leaves it at 10", renew: true, at: 5 * time.Minute, wantExp: 10 * time.Minute},
		{name: "minute 7 without Renew", renew: false, at: 7 * time.Minute, wantExp: 10 * time.Minute},
		{name: "minute 7 with Renew but renewal disabled", disabled: true, renew: true, at: 7 * time.Minute, wantExp: 10 * time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			e := newEnv(t, func(c *auth.Config) { c.SessionLength = 10 * time.Minute; c.RenewDisabled = tt.disabled })
			e.createUser(t, "alice", "correct horse")
			sess, token := e.signIn(t, "alice", "correct horse")
			e.clock.Set(tt.at)
			got, _, err := e.svc.Authenticate(ctx, token, auth.CheckOptions{Renew: tt.renew})
			must(t, "authenticate", err)
			want := start.Add(tt.wantExp)
			if !got.ExpiresAt.Equal(want) {
				t.Fatalf("returned expiry: got %v, want %v", got.ExpiresAt, want)
			}
			if stored := e.storedSession(t, sess.ID); !stored.ExpiresAt.Equal(want) {
				t.Fatalf("stored expiry: got %v, want %v", stored.ExpiresAt, want)
			}
			// The session lives until the expiry and no longer.
			e.clock.Set(tt.wantExp - time.Second)
			_, _, err = e.svc.Authenticate(ctx, token, auth.CheckOptions{})
			must(t, "authenticate a second before expiry", err)
			e.clock.Set(tt.wantExp)
			_, _, err = e.svc.Authenticate(ctx, token, auth.CheckOptions{})
			wantErr(t, "authenticate at expiry", err, auth.ErrUnauthenticated)
		})
	}
}

// A session in steady use keeps sliding; one left alone ends.
func TestAuthenticateRenewalChain(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	e.createUser(t, "alice", "correct horse")
	_, token := e.signIn(t, "alice", "correct horse")
	for _, minute := range []time.Duration{7, 11, 15, 19, 23} {
		e.clock.Set(minute * time.Minute)
		got, _, err := e.svc.Authenticate(ctx, token, auth.CheckOptions{Renew: true})
		must(t, "authenticate", err)
		if want := start.Add((minute + 5) * time.Minute); !got.ExpiresAt.Equal(want) {
			t.Fatalf("minute %d: expiry got %v, want %v", minute, got.ExpiresAt, want)
		}
	}
	e.clock.Set(28 * time.Minute)
	_, _, err := e.svc.Authenticate(ctx, token, auth.CheckOptions{Renew: true})
	wantErr(t, "authenticate after 5 idle minutes", err, auth.ErrUnauthenticated)
}

func TestAuthenticateUpdatesLastSeen(t *testing.T) {
	tests := []struct {
		name  string
		renew bool
	}{
		{name: "with Renew", renew: true},
		{name: "without Renew", renew: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, func(c *auth.Config) { c.SessionLength = time.Hour })
			e.createUser(t, "alice", "correct horse")
			sess, token := e.signIn(t, "alice", "correct horse")
			for _, at := range []time.Duration{2 * time.Minute, 10 * time.Minute} {
				e.clock.Set(at)
				got, _, err := e.svc.Authenticate(context.Background(), token, auth.CheckOptions{Renew: tt.renew})
				must(t, "authenticate", err)
				want := start.Add(at)
				if !got.LastSeen.Equal(want) {
					t.Fatalf("at %v: returned last seen %v, want %v", at, got.LastSeen, want)
				}
				if stored := e.storedSession(t, sess.ID); !stored.LastSeen.Equal(want) {
					t.Fatalf("at %v: stored last seen %v, want %v", at, stored.LastSeen, want)
				}
			}
		})
	}
}

// A user deactivated or deleted behind the service's back (another
// instance, an operator) is refused on the next check past the user cache.
func TestAuthenticateInactiveUser(t *testing.T) {
	deactivate := func(state auth.UserState) func(t *testing.T, e *env, u *auth.User) {
		return func(t *testing.T, e *env, u *auth.User) {
			t.Helper()
			cur, err := e.db.UserByID(context.Background(), u.TenantID, u.ID)
			must(t, "user by ID", err)
			cur.State = state
			must(t, "update user in store", e.db.UpdateUser(context.Background(), cur))
		}
	}
	remove := func(t *testing.T, e *env, u *auth.User) {
		t.Helper()
		must(t, "delete user in store", e.db.DeleteUser(context.Background(), u.TenantID, u.ID))
	}
	tests := []struct {
		name          string
		change        func(t *testing.T, e *env, u *auth.User)
		allowInactive bool
		wantSession   bool
		wantUser      bool
	}{
		{name: "inactive", change: deactivate(auth.StateInactive)},
		{name: "suspended", change: deactivate(auth.StateSuspended)},
		{name: "terminated", change: deactivate(auth.StateTerminated)},
		{name: "deleted", change: remove},
		{name: "inactive, AllowInactive", change: deactivate(auth.StateInactive), allowInactive: true, wantSession: true, wantUser: true},
		{name: "deleted, AllowInactive", change: remove, allowInactive: true, wantSession: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			e := newEnv(t)
			u := e.createUser(t, "alice", "correct horse")
			sess, token := e.signIn(t, "alice", "correct horse")
			_, _, err := e.svc.Authenticate(ctx, token, auth.CheckOptions{}) // warm the user cache
			must(t, "authenticate while active", err)

			tt.change(t, e, u)
			e.clock.Set(7 * time.Minute) // past the 2s user cache, and where Renew would slide the expiry
			gotSess, gotUser, err := e.svc.Authenticate(ctx, token, auth.CheckOptions{Renew: true, AllowInactive: tt.allowInactive})
			wantErr(t, "authenticate", err, auth.ErrUserInactive)
			wantCode(t, "authenticate", err, auth.EInactive)
			if tt.wantSession != (gotSess != nil) {
				t.Fatalf("session: got %v, want one: %v", gotSess, tt.wantSession)
			}
			if gotSess != nil && gotSess.ID != sess.ID {
				t.Fatalf("session: got ID %q, want %q", gotSess.ID, sess.ID)
			}
			if tt.wantUser != (gotUser != nil) {
				t.Fatalf("user: got %v, want one: %v", gotUser, tt.wantUser)
			}
			if gotUser != nil && (gotUser.ID != u.ID || gotUser.State == auth.StateActive) {
				t.Fatalf("user: got %+v, want the inactive %q", gotUser, u.ID)
			}
			if stored := e.storedSession(t, sess.ID); !stored.ExpiresAt.Equal(sess.ExpiresAt) {
				t.Fatalf("an inactive user's session was renewed: expiry %v, want %v", stored.ExpiresAt, sess.ExpiresAt)
			}
		})
	}
}

// Without a user cache a change in the store is seen on the very next check.
func TestAuthenticateWithoutUserCache(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, func(c *auth.Config) { c.UserCacheTTL = -1 })
	u := e.createUser(t, "alice", "correct horse")
	_, token := e.signIn(t, "alice", "correct horse")
	_, _, err := e.svc.Authenticate(ctx, token, auth.CheckOptions{})
	must(t, "authenticate while active", err)
	cur, err := e.db.UserByID(ctx, u.TenantID, u.ID)
	must(t, "user by ID", err)
	cur.State = auth.StateInactive
	must(t, "update user in store", e.db.UpdateUser(ctx, cur))
	_, _, err = e.svc.Authenticate(ctx, token, auth.CheckOptions{})
	wantErr(t, "authenticate", err, auth.ErrUserInactive)
}

// Changes made through the service take effect at once, cache or not.
func TestAuthenticateAfterServiceChanges(t *testing.T) {
	inactive := auth.StateInactive
	tests := []struct {
		name   string
		change func(ctx context.Context, e *env, u *auth.User) error
	}{
		{name: "UpdateUser to inactive", change: func(ctx context.Context, e *env, u *auth.User) error {
			_, err := e.svc.UpdateUser(ctx, u.TenantID, u.ID, auth.UserUpdate{State: &inactive})
			return err
		}},
		{name: "DeleteUser", change: func(ctx context.Context, e *env, u *auth.User) error {
			return e.svc.DeleteUser(ctx, u.TenantID, u.ID)
		}},
		{name: "SetPassword ending other sessions", change: func(ctx context.Context, e *env, u *auth.User) error {
			return e.svc.SetPassword(ctx, u.TenantID, u.ID, "new password!", true, "")
		}},
		{name: "RevokeUserSessions", change: func(ctx context.Context, e *env, u *auth.User) error {
			_, err := e.svc.RevokeUserSessions(ctx, u.TenantID, u.ID, "")
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			e := newEnv(t)
			u := e.createUser(t, "alice", "correct horse")
			_, token := e.signIn(t, "alice", "correct horse")
			_, _, err := e.svc.Authenticate(ctx, token, auth.CheckOptions{}) // warm the user cache
			must(t, "authenticate before", err)
			must(t, "change", tt.change(ctx, e, u))
			_, _, err = e.svc.Authenticate(ctx, token, auth.CheckOptions{Renew: true})
			wantErr(t, "authenticate after", err, auth.ErrUnauthenticated)
			if n := e.count(t); n != 0 {
				t.Fatalf("got %d sessions stored, want 0", n)
			}
		})
	}
}
