package ui_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestSessionsPage: the page lists the user's sessions from every API,
// this one first, with device, IP, sign-in time and last seen.
func TestSessionsPage(t *testing.T) {
	e := newEnv(t)
	alice := e.user("alice", false)
	e.user("mallory", false)
	e.apiSignIn("alice", goodPassword)
	e.clock.Advance(8 * time.Minute)
	e.apiSignIn("mallory", goodPassword) // someone else's: never listed
	c := e.client()
	page := c.signIn("alice", goodPassword)

	if got := strings.Count(page.body, `<li class="session`); got != 2 {
		t.Fatalf("sessions listed: %d, want 2", got)
	}
	for _, want := range []string{
		"Signed in on 2 devices",
		"InfluxDB API", "influxdb-client-go 2.14.0",
		"Account pages", "This device",
		"<dd>127.0.0.1</dd>",
		`<time datetime="2026-11-02T09:30:00Z">2 Nov 2026, 09:30 UTC</time>`, // the API sign-in
		"8 minutes ago", // its last activity, seen from 09:38
		"Sign out everywhere else",
	} {
		if !strings.Contains(page.body, want) {
			t.Errorf("sessions page lacks %q", want)
		}
	}
	if i, j := strings.Index(page.body, "This device"), strings.Index(page.body, "InfluxDB API"); i < 0 || j < 0 || i > j {
		t.Error("this device is not listed first")
	}
	for _, s := range e.sessions(alice) {
		if s.Origin == "influxdb" && !strings.Contains(page.body, `action="/ui/sessions/`+s.ID+`/signout"`) {
			t.Errorf("no sign-out form for the API session %s", s.ID)
		}
	}
}

// TestSignOutOneSession: "Sign out" on the API client's session ends it:
// its token is refused at once, and this session lives on.
func TestSignOutOneSession(t *testing.T) {
	e := newEnv(t)
	alice := e.user("alice", false)
	key := e.apiSignIn("alice", goodPassword)
	c := e.client()
	c.signIn("alice", goodPassword)
	var apiID string
	for _, s := range e.sessions(alice) {
		if s.Origin == "influxdb" {
			apiID = s.ID
		}
	}
	p := c.post("/ui/sessions/"+apiID+"/signout", nil)
	if p.status != http.StatusSeeOther || p.location() != "/ui/sessions?m=session" {
		t.Fatalf("status %d to %q, want 303 to /ui/sessions?m=session", p.status, p.location())
	}
	if got := e.apiMe(key); got != http.StatusUnauthorized {
		t.Errorf("API token after sign-out: %d, want 401", got)
	}
	page := c.mustGet(p.location())
	if got := flashText(page.body); got != "That session has been signed out." {
		t.Errorf("flash %q", got)
	}
	if n := strings.Count(page.body, `<li class="session`); n != 1 {
		t.Errorf("sessions listed after sign-out: %d, want 1", n)
	}
	// Again: it has gone already.
	if p := c.post("/ui/sessions/"+apiID+"/signout", nil); p.location() != "/ui/sessions?m=gone" {
		t.Errorf("second sign-out of the same session: to %q, want /ui/sessions?m=gone", p.location())
	}
}

// TestSignOutOthersSession: a session ID of another user is treated as
// gone and that session is unaffected.
func TestSignOutOthersSession(t *testing.T) {
	e := newEnv(t)
	e.user("alice", false)
	bob := e.user("bob", false)
	key := e.apiSignIn("bob", goodPassword)
	c := e.client()
	c.signIn("alice", goodPassword)
	bobs := e.sessions(bob)[0].ID
	for _, id := range []string{bobs, "not-an-id", "0123456789abcdef"} {
		p := c.post("/ui/sessions/"+id+"/signout", nil)
		if p.status != http.StatusSeeOther || p.location() != "/ui/sessions?m=gone" {
			t.Errorf("sign-out of %q: %d to %q, want 303 to /ui/sessions?m=gone", id, p.status, p.location())
		}
	}
	if e.apiMe(key) != http.StatusOK {
		t.Error("bob's session was ended by alice")
	}
}

// TestSignOutThisSessionByID: the current session's own row signs out.
func TestSignOutThisSessionByID(t *testing.T) {
	e := newEnv(t)
	alice := e.user("alice", false)
	c := e.client()
	c.signIn("alice", goodPassword)
	p := c.post("/ui/sessions/"+e.sessions(alice)[0].ID+"/signout", nil)
	if p.location() != "/ui/signin?m=signedout" {
		t.Errorf("to %q, want /ui/signin?m=signedout", p.location())
	}
	if n := len(e.sessions(alice)); n != 0 {
		t.Errorf("sessions: %d, want 0", n)
	}
}

func TestSignOutEverywhereElse(t *testing.T) {
	e := newEnv(t)
	alice := e.user("alice", false)
	k1 := e.apiSignIn("alice", goodPassword)
	k2 := e.apiSignIn("alice", goodPassword)
	other := e.client()
	other.signIn("alice", goodPassword)
	c := e.client()
	c.signIn("alice", goodPassword)
	p := c.post("/ui/sessions/others/signout", nil)
	if p.status != http.StatusSeeOther || p.location() != "/ui/sessions?m=others&n=3" {
		t.Fatalf("status %d to %q, want 303 to /ui/sessions?m=others&n=3", p.status, p.location())
	}
	page := c.mustGet(p.location())
	if got := flashText(page.body); got != "Signed out 3 sessions." {
		t.Errorf("flash %q, want %q", got, "Signed out 3 sessions.")
	}
	if !strings.Contains(page.body, "You are not signed in anywhere else.") {
		t.Error("page does not say there are no other sessions")
	}
	for i, k := range []string{k1, k2} {
		if got := e.apiMe(k); got != http.StatusUnauthorized {
			t.Errorf("API session %d: %d, want 401", i+1, got)
		}
	}
	if p := other.get("/ui/sessions"); p.status != http.StatusSeeOther {
		t.Errorf("other browser: %d, want 303 to sign-in", p.status)
	}
	if n := len(e.sessions(alice)); n != 1 {
		t.Errorf("sessions left: %d, want 1", n)
	}
}

// TestCSRF: every signed-in form refuses a POST without the session's
// token, with another session's token, or from another site; nothing
// changes.
func TestCSRF(t *testing.T) {
	e := newEnv(t)
	alice := e.user("alice", true)
	bob := e.user("bob", false)
	key := e.apiSignIn("bob", goodPassword)
	c := e.client()
	c.signIn("alice", goodPassword)
	good := c.csrf
	otherBrowser := e.client()
	otherBrowser.signIn("alice", goodPassword)
	foreign := otherBrowser.csrf
	if foreign == good {
		t.Fatal("two sessions have the same CSRF token")
	}
	bobSession := e.sessions(bob)[0].ID

	routes := []struct {
		path string
		form url.Values
	}{
		{"/ui/signout", nil},
		{"/ui/sessions/others/signout", nil},
		{"/ui/sessions/" + e.sessions(alice)[0].ID + "/signout", nil},
		{"/ui/password", url.Values{"current": {goodPassword}, "new": {"another long password"}, "confirm": {"another long password"}}},
		{"/ui/admin/users/" + bob.ID + "/state", url.Values{"state": {"inactive"}}},
		{"/ui/admin/users/" + bob.ID + "/sessions/signout", nil},
		{"/ui/admin/users/" + bob.ID + "/sessions/" + bobSession + "/signout", nil},
	}
	tokens := []struct {
		name  string
		token *string // nil: no field at all
		site  string  // Sec-Fetch-Site
	}{
		{"no token", nil, ""},
		{"empty token", ptr(""), ""},
		{"another session's token", &foreign, ""},
		{"a made-up token", ptr("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"), ""},
		{"right token from another site", &good, "cross-site"},
	}
	for _, r := range routes {
		for _, tk := range tokens {
			t.Run(r.path+"/"+tk.name, func(t *testing.T) {
				form := url.Values{}
				for k, v := range r.form {
					form[k] = v
				}
				if tk.token != nil {
					form.Set("csrf", *tk.token)
				}
				req, _ := http.NewRequest("POST", e.srv.URL+r.path, strings.NewReader(form.Encode()))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				if tk.site != "" {
					req.Header.Set("Sec-Fetch-Site", tk.site)
				}
				p := c.do(req)
				if p.status != http.StatusForbidden {
					t.Fatalf("status %d, want 403", p.status)
				}
			})
		}
	}
	if n := len(e.sessions(alice)); n != 2 {
		t.Errorf("alice's sessions: %d, want 2", n)
	}
	if e.apiMe(key) != http.StatusOK {
		t.Error("bob's session ended")
	}
	if u, _ := e.svc.User(t.Context(), bob.TenantID, bob.ID); u.State != "active" {
		t.Errorf("bob is %s, want active", u.State)
	}
	e.client().signIn("alice", goodPassword) // the password did not change
}

// TestSignInCSRF: the sign-in form needs the token bound to the browser's
// pre-session cookie.
func TestSignInCSRF(t *testing.T) {
	e := newEnv(t)
	alice := e.user("alice", false)
	attacker := e.client()
	attacker.get("/ui/signin")
	stolen := attacker.csrf

	tests := []struct {
		name  string
		setup func(c *client) url.Values
	}{
		{"no pre-session cookie", func(c *client) url.Values { return url.Values{"csrf": {stolen}} }},
		{"token of another browser", func(c *client) url.Values { c.get("/ui/signin"); return url.Values{"csrf": {stolen}} }},
		{"no token", func(c *client) url.Values { c.get("/ui/signin"); return url.Values{} }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := e.client()
			form := tt.setup(c)
			form.Set("username", "alice")
			form.Set("password", goodPassword)
			p := c.postRaw("/ui/signin", form)
			if p.status != http.StatusForbidden {
				t.Fatalf("status %d, want 403", p.status)
			}
			if !strings.Contains(errorText(p.body), "expired") {
				t.Errorf("message %q does not say the form expired", errorText(p.body))
			}
			// The page it shows works.
			if p := c.post("/ui/signin", url.Values{"username": {"alice"}, "password": {goodPassword}}); p.status != http.StatusSeeOther {
				t.Errorf("retry from the page shown: status %d, want 303", p.status)
			}
		})
	}
	if n := len(e.sessions(alice)); n != 3 {
		t.Errorf("sessions: %d, want 3 (one per retry)", n)
	}
}
