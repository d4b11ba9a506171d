package securitytest

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

type sessionList struct {
	Sessions []struct {
		ID, UserID, IP, UserAgent string
		Current                   bool
		CreatedAt, LastSeenAt     string
	}
}

func (e *env) sessions(r req) sessionList {
	e.t.Helper()
	res := e.do(r)
	var l sessionList
	if res.StatusCode != 200 || json.Unmarshal([]byte(res.body), &l) != nil {
		e.t.Fatalf("list sessions: %d %s", res.StatusCode, res.body)
	}
	return l
}

// Point 15: a user's list shows their live sessions with times, address
// and user agent, marks the current one, and leaves out ended ones.
func TestD15SessionList(t *testing.T) {
	e := start(t, options{})
	e.seed()
	a := e.signin(bobName, bobPass)
	b := e.signin(bobName, bobPass)
	ended := e.signin(bobName, bobPass)
	e.status(req{method: "POST", path: "/api/v2/signout", cookie: ended})
	l := e.sessions(req{method: "GET", path: "/api/v2/sessions", cookie: a})
	if len(l.Sessions) != 2 {
		t.Fatalf("got %d sessions, want 2", len(l.Sessions))
	}
	current := 0
	for _, s := range l.Sessions {
		if s.IP == "" || s.UserAgent == "" || s.CreatedAt == "" || s.LastSeenAt == "" || s.UserID != bobID {
			t.Fatalf("session lacks a field: %+v", s)
		}
		if s.Current {
			current++
		}
	}
	if current != 1 {
		t.Fatalf("%d sessions marked current", current)
	}
	_ = b
}

// Point 16: nobody sees another user's sessions.
func TestD16NoOtherUsersSessions(t *testing.T) {
	e := start(t, options{})
	e.seed()
	bob := e.signin(bobName, bobPass)
	e.signin(carolName, carolPass)
	for _, s := range e.sessions(req{method: "GET", path: "/api/v2/sessions", cookie: bob}).Sessions {
		if s.UserID != bobID {
			t.Fatal("bob sees carol's session")
		}
	}
	if s := e.status(req{method: "GET", path: "/api/v2/sessions?userID=" + carolID, cookie: bob}); s == http.StatusOK {
		t.Fatal("bob may list carol's sessions")
	}
}

// Point 17: revoking one's own session by ID ends it at once and leaves
// the caller's.
func TestD17RevokeOwnSession(t *testing.T) {
	e := start(t, options{})
	e.seed()
	mine := e.signin(bobName, bobPass)
	other := e.signin(bobName, bobPass)
	var otherID string
	for _, s := range e.sessions(req{method: "GET", path: "/api/v2/sessions", cookie: mine}).Sessions {
		if !s.Current {
			otherID = s.ID
		}
	}
	if s := e.status(req{method: "DELETE", path: "/api/v2/sessions/" + otherID, cookie: mine}); s != http.StatusNoContent {
		t.Fatalf("revoke: %d", s)
	}
	if e.live(other) || !e.live(mine) {
		t.Fatal("wrong session ended")
	}
}

// Point 18: another user's session ID answers as a missing one (404) and
// that session lives on.
func TestD18RevokeOthersSessionIs404(t *testing.T) {
	e := start(t, options{})
	e.seed()
	bob := e.signin(bobName, bobPass)
	carol := e.signin(carolName, carolPass)
	carolsID := e.sessions(req{method: "GET", path: "/api/v2/sessions", cookie: carol}).Sessions[0].ID
	got := e.do(req{method: "DELETE", path: "/api/v2/sessions/" + carolsID, cookie: bob})
	missing := e.do(req{method: "DELETE", path: "/api/v2/sessions/0000000000000999", cookie: bob})
	if got.StatusCode != http.StatusNotFound || got.body != missing.body {
		t.Fatalf("other's session: %d %s; missing: %d %s", got.StatusCode, got.body, missing.StatusCode, missing.body)
	}
	if !e.live(carol) {
		t.Fatal("carol's session ended")
	}
}

// Point 20: a password change ends the user's other sessions and keeps
// the one that made it.
func TestD20PasswordChangeEndsOthers(t *testing.T) {
	e := start(t, options{})
	e.seed()
	mine := e.signin(bobName, bobPass)
	other := e.signin(bobName, bobPass)
	if s := e.status(req{method: "PUT", path: "/api/v2/me/password", cookie: mine, basic: []string{"x", bobPass}, body: `{"password":"a brand new passphrase"}`}); s != http.StatusNoContent {
		t.Fatalf("change: %d", s)
	}
	if e.live(other) || !e.live(mine) {
		t.Fatal("a password change must end the other sessions only")
	}
	// An admin reset (no old password) ends every session of the user.
	if s := e.status(req{method: "POST", path: "/api/v2/users/" + bobID + "/password", token: operToken, body: `{"password":"an admin-set passphrase"}`}); s != http.StatusNoContent {
		t.Fatalf("reset: %d", s)
	}
	if e.live(mine) {
		t.Fatal("an admin reset left a session")
	}
}

// Point 21: a change with a wrong current password is refused and no
// session is touched.
func TestD21WrongCurrentPassword(t *testing.T) {
	e := start(t, options{})
	e.seed()
	mine := e.signin(bobName, bobPass)
	other := e.signin(bobName, bobPass)
	if s := e.status(req{method: "PUT", path: "/api/v2/me/password", cookie: mine, basic: []string{"x", "not-my-password"}, body: `{"password":"a brand new passphrase"}`}); s != http.StatusForbidden {
		t.Fatalf("change with a wrong password: %d", s)
	}
	if !e.live(other) || !e.live(mine) {
		t.Fatal("a refused change ended a session")
	}
	e.signin(bobName, bobPass) // the old password still works
}

// Point 22: an admin lists and ends all sessions of a user, or of
// everyone, effective at once.
func TestD22AdminRevokes(t *testing.T) {
	e := start(t, options{})
	e.seed()
	b1, b2 := e.signin(bobName, bobPass), e.signin(bobName, bobPass)
	carol := e.signin(carolName, carolPass)
	if n := len(e.sessions(req{method: "GET", path: "/api/v2/sessions?userID=" + bobID, token: operToken}).Sessions); n != 2 {
		t.Fatalf("admin sees %d of bob's sessions", n)
	}
	if s := e.status(req{method: "DELETE", path: "/api/v2/users/" + bobID + "/sessions", token: operToken}); s != http.StatusNoContent {
		t.Fatalf("revoke user: %d", s)
	}
	if e.live(b1) || e.live(b2) || !e.live(carol) {
		t.Fatal("revoking bob's sessions")
	}
	admin := e.signin(adminName, adminPass)
	if s := e.status(req{method: "DELETE", path: "/api/v2/sessions", cookie: admin}); s != http.StatusNoContent {
		t.Fatalf("revoke all: %d", s)
	}
	if e.live(carol) || e.live(admin) {
		t.Fatal("revoke all left a session")
	}
}

// Point 23: disabling or deleting a user ends their sessions at once; a
// disabled user's sign-in does not create a session.
func TestD23DisableAndDeleteEndSessions(t *testing.T) {
	e := start(t, options{})
	e.seed()
	bob := e.signin(bobName, bobPass)
	carol := e.signin(carolName, carolPass)
	if s := e.status(req{method: "PATCH", path: "/api/v2/users/" + bobID, token: operToken, body: `{"status":"inactive"}`}); s != 200 {
		t.Fatalf("disable: %d", s)
	}
	if e.live(bob) {
		t.Fatal("a disabled user's session works")
	}
	r := e.signinResp(bobName, bobPass)
	if r.StatusCode == http.StatusNoContent || len(r.Cookies()) != 0 {
		t.Fatalf("a disabled user signed in: %d", r.StatusCode)
	}
	if s := e.status(req{method: "DELETE", path: "/api/v2/users/" + carolID, token: operToken}); s != http.StatusNoContent {
		t.Fatalf("delete: %d", s)
	}
	if e.live(carol) {
		t.Fatal("a deleted user's session works")
	}
}

// Point 24: a non-admin is refused on every admin route.
func TestD24NonAdminRefused(t *testing.T) {
	e := start(t, options{})
	e.seed()
	bob := e.signin(bobName, bobPass)
	for _, r := range []req{
		{method: "POST", path: "/api/v2/users", body: `{"name":"eve"}`},
		{method: "DELETE", path: "/api/v2/users/" + carolID},
		{method: "PATCH", path: "/api/v2/users/" + carolID, body: `{"status":"inactive"}`},
		{method: "POST", path: "/api/v2/users/" + carolID + "/password", body: `{"password":"taken over pass"}`},
		{method: "DELETE", path: "/api/v2/users/" + carolID + "/sessions"},
		{method: "GET", path: "/api/v2/sessions?userID=" + carolID},
		{method: "DELETE", path: "/api/v2/sessions"},
		{method: "GET", path: "/api/v2/lockouts"},
		{method: "DELETE", path: "/api/v2/lockouts"},
		{method: "DELETE", path: "/api/v2/lockouts/ip:127.0.0.1"},
		{method: "GET", path: "/api/v2/tenants"},
	} {
		r.cookie = bob
		res := e.do(r)
		if res.StatusCode < 400 || !strings.Contains(res.body, "unauthorized") && res.StatusCode != http.StatusForbidden {
			t.Fatalf("%s %s as bob: %d %s", r.method, r.path, res.StatusCode, res.body)
		}
	}
}

// Point 19: "sign out everywhere else" keeps the current session and ends
// every other one.
func TestD19RevokeAllOthers(t *testing.T) {
	e := start(t, options{})
	e.seed()
	mine := e.signin(bobName, bobPass)
	o1, o2 := e.signin(bobName, bobPass), e.signin(bobName, bobPass)
	carol := e.signin(carolName, carolPass)
	if s := e.status(req{method: "DELETE", path: "/api/v2/users/" + bobID + "/sessions?keepCurrent=true", cookie: mine}); s != http.StatusNoContent {
		t.Fatalf("revoke others: %d", s)
	}
	if !e.live(mine) || e.live(o1) || e.live(o2) || !e.live(carol) {
		t.Fatal("keepCurrent must end bob's other sessions only")
	}
}
