package auth_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/sessiond/sessiond/internal/auth"
)

// live reports whether token still authenticates.
func (e *env) live(t testing.TB, token string) bool {
	t.Helper()
	_, _, err := e.svc.Authenticate(context.Background(), token, auth.CheckOptions{})
	switch auth.ErrorCode(err) {
	case "":
		return true
	case auth.EUnauthorized:
		return false
	}
	t.Fatalf("authenticate: unexpected error %v", err)
	return false
}

func sessionIDs(list []*auth.Session) []string {
	ids := make([]string, len(list))
	for i, s := range list {
		ids[i] = s.ID
	}
	return ids
}

func TestSignOut(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	e.createUser(t, "alice", "correct horse")
	sess, token := e.signIn(t, "alice", "correct horse")
	_, other := e.signIn(t, "alice", "correct horse")

	got, err := e.svc.SignOut(ctx, token)
	must(t, "sign out", err)
	if got.ID != sess.ID {
		t.Fatalf("sign out ended session %q, want %q", got.ID, sess.ID)
	}
	if e.live(t, token) {
		t.Fatalf("the signed-out token still authenticates")
	}
	if !e.live(t, other) {
		t.Fatalf("signing out one session ended another of the same user")
	}
	if n := e.count(t); n != 1 {
		t.Fatalf("got %d sessions stored, want 1", n)
	}
	_, err = e.svc.SignOut(ctx, token)
	wantErr(t, "second sign out", err, auth.ErrUnauthenticated)
}

func TestSignOutWithoutALiveSession(t *testing.T) {
	tests := []struct {
		name  string
		token func(e *env, real string) string
	}{
		{name: "empty", token: func(*env, string) string { return "" }},
		{name: "garbage", token: func(*env, string) string { return "garbage" }},
		{name: "never issued", token: func(*env, string) string { return auth.NewToken(auth.InfluxTokenFormat) }},
		{name: "session ID instead of token", token: func(e *env, real string) string {
			s, err := e.sessions.SessionByTokenHash(context.Background(), auth.HashToken(real))
			if err != nil {
				return "lookup failed: " + err.Error()
			}
			return s.ID
		}},
		{name: "expired", token: func(e *env, real string) string { e.clock.Set(10 * time.Minute); return real }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			e.createUser(t, "alice", "correct horse")
			_, token := e.signIn(t, "alice", "correct horse")
			sess, err := e.svc.SignOut(context.Background(), tt.token(e, token))
			wantErr(t, "sign out", err, auth.ErrUnauthenticated)
			if sess != nil {
				t.Fatalf("got session %v, want none", sess)
			}
		})
	}
}

func TestUserSessions(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	alice := e.createUser(t, "alice", "correct horse")
	bob := e.createUser(t, "bob", "battery staple")

	var want []string // alice's live sessions, oldest first
	for i := range 3 {
		e.clock.Set(time.Duration(i) * time.Second)
		s, _ := e.signIn(t, "alice", "correct horse")
		want = append(want, s.ID)
	}
	short, _, _, err := signInWith(e.svc, ctx, signInReq{TenantID: auth.DefaultTenantID, Login: "alice", Password: "correct horse", Length: time.Minute})
	must(t, "short sign in", err)
	for range 2 {
		e.signIn(t, "bob", "battery staple")
	}
	e.clock.Set(2 * time.Minute) // the short session has ended

	got, err := e.svc.UserSessions(ctx, auth.DefaultTenantID, alice.ID)
	must(t, "alice's sessions", err)
	slices.Reverse(want) // newest first
	if ids := sessionIDs(got); !slices.Equal(ids, want) {
		t.Fatalf("alice's sessions: got %v, want %v (not the expired %s)", ids, want, short.ID)
	}
	for _, s := range got {
		if s.UserID != alice.ID || s.TenantID != auth.DefaultTenantID {
			t.Fatalf("alice's list holds %+v", s)
		}
	}
	got, err = e.svc.UserSessions(ctx, auth.DefaultTenantID, bob.ID)
	must(t, "bob's sessions", err)
	if len(got) != 2 {
		t.Fatalf("bob's sessions: got %d, want 2", len(got))
	}
	got, err = e.svc.UserSessions(ctx, auth.DefaultTenantID, auth.NewID())
	must(t, "unknown user's sessions", err)
	if len(got) != 0 {
		t.Fatalf("unknown user's sessions: got %d, want 0", len(got))
	}
}

func TestListSessions(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	e.createUser(t, "alice", "correct horse")
	for range 3 {
		e.signIn(t, "alice", "correct horse")
	}
	other, _, err := e.svc.CreateTenant(ctx, auth.NewTenant{Name: "acme"})
	must(t, "create tenant", err)
	ou := e.createUserWith(t, auth.NewUser{TenantID: other.ID, Name: "alice", Password: "acme password"})
	_, _, err = auth.StartSession(e.svc, ctx, ou, auth.OriginTenant, auth.Client{}, auth.TokenFormat{}, 0)
	must(t, "start session", err)

	tests := []struct {
		name   string
		filter auth.SessionFilter
		want   int
	}{
		{name: "all tenants", filter: auth.SessionFilter{}, want: 4},
		{name: "default tenant", filter: auth.SessionFilter{TenantID: auth.DefaultTenantID}, want: 3},
		{name: "other tenant", filter: auth.SessionFilter{TenantID: other.ID}, want: 1},
		{name: "limit", filter: auth.SessionFilter{Limit: 2}, want: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := e.svc.ListSessions(ctx, tt.filter)
			must(t, "list", err)
			if len(got) != tt.want {
				t.Fatalf("got %d sessions, want %d", len(got), tt.want)
			}
			for _, s := range got {
				if tt.filter.TenantID != "" && s.TenantID != tt.filter.TenantID {
					t.Fatalf("session of tenant %q in a list for %q", s.TenantID, tt.filter.TenantID)
				}
			}
		})
	}
}

func TestRevokeSession(t *testing.T) {
	tests := []struct {
		name    string
		tenant  func(e *env) string
		user    func(alice, bob *auth.User) string
		id      func(sess *auth.Session) string
		wantErr error
	}{
		{name: "own session", user: func(a, _ *auth.User) string { return a.ID }},
		{name: "any user (admin)", user: func(*auth.User, *auth.User) string { return "" }},
		{name: "another user's session", user: func(_, b *auth.User) string { return b.ID }, wantErr: auth.ErrSessionNotFound},
		{name: "another tenant", tenant: func(e *env) string {
			tn, _, err := e.svc.CreateTenant(context.Background(), auth.NewTenant{Name: "acme"})
			if err != nil {
				return "create tenant failed"
			}
			return tn.ID
		}, wantErr: auth.ErrSessionNotFound},
		{name: "unknown ID", id: func(*auth.Session) string { return auth.NewID() }, wantErr: auth.ErrSessionNotFound},
		{name: "malformed ID", id: func(*auth.Session) string { return "../../etc" }, wantErr: auth.ErrSessionNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			e := newEnv(t)
			alice := e.createUser(t, "alice", "correct horse")
			bob := e.createUser(t, "bob", "battery staple")
			sess, token := e.signIn(t, "alice", "correct horse")
			_, keep := e.signIn(t, "alice", "correct horse")
			tenant, user, id := auth.DefaultTenantID, "", sess.ID
			if tt.tenant != nil {
				tenant = tt.tenant(e)
			}
			if tt.user != nil {
				user = tt.user(alice, bob)
			}
			if tt.id != nil {
				id = tt.id(sess)
			}
			got, err := e.svc.RevokeSession(ctx, reach(tenant, user), id)
			if tt.wantErr != nil {
				wantErr(t, "revoke", err, tt.wantErr)
				wantCode(t, "revoke", err, auth.ENotFound)
				if !e.live(t, token) {
					t.Fatalf("a refused revoke ended the session")
				}
				return
			}
			must(t, "revoke", err)
			if got.ID != sess.ID {
				t.Fatalf("revoked %q, want %q", got.ID, sess.ID)
			}
			if e.live(t, token) {
				t.Fatalf("the revoked session still authenticates")
			}
			if !e.live(t, keep) {
				t.Fatalf("revoking one session ended another")
			}
			_, err = e.svc.RevokeSession(ctx, reach(tenant, user), id)
			wantErr(t, "second revoke", err, auth.ErrSessionNotFound)
		})
	}
}

func TestRevokeExpiredSession(t *testing.T) {
	e := newEnv(t)
	e.createUser(t, "alice", "correct horse")
	sess, _ := e.signIn(t, "alice", "correct horse")
	e.clock.Set(11 * time.Minute)
	_, err := e.svc.RevokeSession(context.Background(), reach(auth.DefaultTenantID, ""), sess.ID)
	wantErr(t, "revoke expired", err, auth.ErrSessionNotFound)
	_, err = e.svc.Session(context.Background(), auth.DefaultTenantID, sess.ID)
	wantErr(t, "get expired", err, auth.ErrSessionNotFound)
}

func TestRevokeUserSessions(t *testing.T) {
	tests := []struct {
		name      string
		keepIndex int // index of alice's session to keep; -1 for none
		wantEnded int
	}{
		{name: "all", keepIndex: -1, wantEnded: 3},
		{name: "all but the first", keepIndex: 0, wantEnded: 2},
		{name: "all but the middle", keepIndex: 1, wantEnded: 2},
		{name: "all but the last", keepIndex: 2, wantEnded: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			e := newEnv(t)
			alice := e.createUser(t, "alice", "correct horse")
			e.createUser(t, "bob", "battery staple")
			var ids, tokens []string
			for range 3 {
				s, tok := e.signIn(t, "alice", "correct horse")
				ids, tokens = append(ids, s.ID), append(tokens, tok)
			}
			_, bobToken := e.signIn(t, "bob", "battery staple")
			except := ""
			if tt.keepIndex >= 0 {
				except = ids[tt.keepIndex]
			}
			n, err := e.svc.RevokeUserSessions(ctx, auth.DefaultTenantID, alice.ID, except)
			must(t, "revoke user sessions", err)
			if n != tt.wantEnded {
				t.Fatalf("ended: got %d, want %d", n, tt.wantEnded)
			}
			for i, tok := range tokens {
				if got, want := e.live(t, tok), i == tt.keepIndex; got != want {
					t.Fatalf("alice's session %d: live %v, want %v", i, got, want)
				}
			}
			if !e.live(t, bobToken) {
				t.Fatalf("bob's session ended with alice's")
			}
			left, err := e.svc.UserSessions(ctx, auth.DefaultTenantID, alice.ID)
			must(t, "alice's sessions", err)
			if got, want := len(left), 3-tt.wantEnded; got != want {
				t.Fatalf("alice's sessions left: got %d, want %d", got, want)
			}
		})
	}
}

func TestUpdateUserToInactiveEndsSessions(t *testing.T) {
	tests := []struct {
		name      string
		state     auth.UserState
		wantEnded bool
	}{
		{name: "inactive", state: auth.StateInactive, wantEnded: true},
		{name: "suspended", state: auth.StateSuspended, wantEnded: true},
		{name: "terminated", state: auth.StateTerminated, wantEnded: true},
		{name: "active stays signed in", state: auth.StateActive},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			e := newEnv(t)
			alice := e.createUser(t, "alice", "correct horse")
			e.createUser(t, "bob", "battery staple")
			_, t1 := e.signIn(t, "alice", "correct horse")
			_, t2 := e.signIn(t, "alice", "correct horse")
			_, bobToken := e.signIn(t, "bob", "battery staple")

			state := tt.state
			u, err := e.svc.UpdateUser(ctx, auth.DefaultTenantID, alice.ID, auth.UserUpdate{State: &state})
			must(t, "update user", err)
			if u.State != tt.state {
				t.Fatalf("state: got %q, want %q", u.State, tt.state)
			}
			for i, tok := range []string{t1, t2} {
				if got := e.live(t, tok); got == tt.wantEnded {
					t.Fatalf("alice's session %d: live %v after becoming %s", i, got, tt.state)
				}
			}
			if !e.live(t, bobToken) {
				t.Fatalf("bob's session ended with alice's")
			}
			err = e.trySignIn("alice", "correct horse")
			if tt.wantEnded {
				wantErr(t, "sign in after deactivation", err, auth.ErrUserInactive)
			} else {
				must(t, "sign in", err)
			}
		})
	}
}

func TestUpdateUserInvalid(t *testing.T) {
	bad := auth.UserState("banished")
	empty := ""
	badEmail := "no-at-sign"
	tests := []struct {
		name string
		upd  auth.UserUpdate
		code string
	}{
		{name: "unknown state", upd: auth.UserUpdate{State: &bad}, code: auth.EInvalid},
		{name: "empty name", upd: auth.UserUpdate{Name: &empty}, code: auth.EInvalid},
		{name: "bad email", upd: auth.UserUpdate{Email: &badEmail}, code: auth.EInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			u := e.createUser(t, "alice", "correct horse")
			_, token := e.signIn(t, "alice", "correct horse")
			_, err := e.svc.UpdateUser(context.Background(), auth.DefaultTenantID, u.ID, tt.upd)
			wantCode(t, "update", err, tt.code)
			if !e.live(t, token) {
				t.Fatalf("a refused update ended the session")
			}
		})
	}
}

func TestSetPasswordEndsOtherSessions(t *testing.T) {
	tests := []struct {
		name      string
		endOthers bool
		keep      int // index of the session passed as keepSession; -1 for none
		wantLive  []bool
	}{
		{name: "end others, keep the second", endOthers: true, keep: 1, wantLive: []bool{false, true, false}},
		{name: "end all", endOthers: true, keep: -1, wantLive: []bool{false, false, false}},
		{name: "end none", endOthers: false, keep: 1, wantLive: []bool{true, true, true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			e := newEnv(t)
			alice := e.createUser(t, "alice", "correct horse")
			e.createUser(t, "bob", "battery staple")
			var ids, tokens []string
			for range 3 {
				s, tok := e.signIn(t, "alice", "correct horse")
				ids, tokens = append(ids, s.ID), append(tokens, tok)
			}
			_, bobToken := e.signIn(t, "bob", "battery staple")
			keep := ""
			if tt.keep >= 0 {
				keep = ids[tt.keep]
			}
			must(t, "set password", e.svc.SetPassword(ctx, auth.DefaultTenantID, alice.ID, "new password!", tt.endOthers, keep))
			for i, tok := range tokens {
				if got := e.live(t, tok); got != tt.wantLive[i] {
					t.Fatalf("session %d: live %v, want %v", i, got, tt.wantLive[i])
				}
			}
			if !e.live(t, bobToken) {
				t.Fatalf("bob's session ended")
			}
			wantErr(t, "sign in with the old password", e.trySignIn("alice", "correct horse"), auth.ErrBadCredentials)
			must(t, "sign in with the new password", e.trySignIn("alice", "new password!"))
		})
	}
}

func TestSetPasswordUnknownUser(t *testing.T) {
	e := newEnv(t)
	err := e.svc.SetPassword(context.Background(), auth.DefaultTenantID, auth.NewID(), "new password!", true, "")
	wantErr(t, "set password", err, auth.ErrUserNotFound)
}

func TestChangePassword(t *testing.T) {
	tests := []struct {
		name     string
		old, new string
		wantErr  error
		wantCode string
	}{
		{name: "right old password", old: "correct horse", new: "new password!"},
		{name: "wrong old password", old: "wrong horse!", new: "new password!", wantErr: auth.ErrWrongOldPassword, wantCode: auth.EForbidden},
		{name: "empty old password", old: "", new: "new password!", wantErr: auth.ErrWrongOldPassword, wantCode: auth.EForbidden},
		{name: "new password too short", old: "correct horse", new: "short", wantCode: auth.EPasswordRule},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			e := newEnv(t)
			alice := e.createUser(t, "alice", "correct horse")
			current, _ := e.signIn(t, "alice", "correct horse")
			_, otherToken := e.signIn(t, "alice", "correct horse")
			err := e.svc.ChangePassword(ctx, auth.DefaultTenantID, alice.ID, tt.old, tt.new, true, current.ID)
			if tt.wantErr != nil {
				wantErr(t, "change password", err, tt.wantErr)
			}
			if tt.wantCode != "" {
				wantCode(t, "change password", err, tt.wantCode)
				must(t, "sign in with the unchanged password", e.trySignIn("alice", "correct horse"))
				if !e.live(t, otherToken) {
					t.Fatalf("a refused change ended another session")
				}
				return
			}
			must(t, "change password", err)
			must(t, "sign in with the new password", e.trySignIn("alice", tt.new))
			wantErr(t, "sign in with the old password", e.trySignIn("alice", tt.old), auth.ErrBadCredentials)
			if e.live(t, otherToken) {
				t.Fatalf("the other session survived a change that ends others")
			}
		})
	}
}

func TestChangePasswordUserWithoutPassword(t *testing.T) {
	e := newEnv(t)
	u := e.createUser(t, "nopass", "")
	err := e.svc.ChangePassword(context.Background(), auth.DefaultTenantID, u.ID, "", "new password!", false, "")
	wantErr(t, "change password", err, auth.ErrWrongOldPassword)
}

func TestDeleteUser(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	alice := e.createUser(t, "alice", "correct horse")
	bob := e.createUser(t, "bob", "battery staple")
	_, s1 := e.signIn(t, "alice", "correct horse")
	_, s2 := e.signIn(t, "alice", "correct horse")
	_, bobSession := e.signIn(t, "bob", "battery staple")
	_, k1, err := e.svc.CreateToken(ctx, auth.NewAPIToken{TenantID: auth.DefaultTenantID, UserID: alice.ID})
	must(t, "token 1", err)
	_, k2, err := e.svc.CreateToken(ctx, auth.NewAPIToken{TenantID: auth.DefaultTenantID, UserID: alice.ID})
	must(t, "token 2", err)
	_, bobKey, err := e.svc.CreateToken(ctx, auth.NewAPIToken{TenantID: auth.DefaultTenantID, UserID: bob.ID})
	must(t, "bob's token", err)

	must(t, "delete user", e.svc.DeleteUser(ctx, auth.DefaultTenantID, alice.ID))

	for i, tok := range []string{s1, s2} {
		if e.live(t, tok) {
			t.Fatalf("session %d of the deleted user still authenticates", i)
		}
	}
	for _, key := range []string{k1, k2} {
		_, _, err := e.svc.AuthenticateToken(ctx, key)
		wantErr(t, "API token of the deleted user", err, auth.ErrUnauthenticated)
	}
	toks, err := e.svc.Tokens(ctx, auth.DefaultTenantID, alice.ID)
	must(t, "list tokens", err)
	if len(toks) != 0 {
		t.Fatalf("the deleted user still has %d tokens", len(toks))
	}
	if n := e.count(t); n != 1 {
		t.Fatalf("got %d sessions stored, want bob's 1", n)
	}
	if !e.live(t, bobSession) {
		t.Fatalf("bob's session ended")
	}
	if _, _, err := e.svc.AuthenticateToken(ctx, bobKey); err != nil {
		t.Fatalf("bob's token: %v", err)
	}
	_, err = e.svc.User(ctx, auth.DefaultTenantID, alice.ID)
	wantErr(t, "get deleted user", err, auth.ErrUserNotFound)
	wantErr(t, "sign in as deleted user", e.trySignIn("alice", "correct horse"), auth.ErrBadCredentials)
	wantErr(t, "delete again", e.svc.DeleteUser(ctx, auth.DefaultTenantID, alice.ID), auth.ErrUserNotFound)
	// The name is free again, and the new alice has none of the old one's sessions.
	again := e.createUser(t, "alice", "another password")
	list, err := e.svc.UserSessions(ctx, auth.DefaultTenantID, again.ID)
	must(t, "new alice's sessions", err)
	if len(list) != 0 {
		t.Fatalf("the new alice has %d sessions, want 0", len(list))
	}
}

func TestStartSession(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	u := e.createUser(t, "alice", "")
	sess, token, err := auth.StartSession(e.svc, ctx, u, auth.OriginUI, auth.Client{IP: "198.51.100.4", UserAgent: "ui"}, auth.InfluxTokenFormat, 30*time.Minute)
	must(t, "start session", err)
	if len(token) != 88 {
		t.Fatalf("token length: got %d, want 88", len(token))
	}
	if !sess.ExpiresAt.Equal(start.Add(30 * time.Minute)) {
		t.Fatalf("expires: got %v, want %v", sess.ExpiresAt, start.Add(30*time.Minute))
	}
	got, gotUser, err := e.svc.Authenticate(ctx, token, auth.CheckOptions{})
	must(t, "authenticate", err)
	if got.ID != sess.ID || gotUser.ID != u.ID || got.Origin != auth.OriginUI || got.IP != "198.51.100.4" {
		t.Fatalf("got session %+v of user %q", got, gotUser.ID)
	}
}
