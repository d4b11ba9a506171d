package ui_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sessiond/sessiond/internal/auth"
	"github.com/sessiond/sessiond/internal/config"
	"github.com/sessiond/sessiond/internal/ui"
)

const genericFailure = "Sign-in failed: the username or password is incorrect, or this account cannot sign in."

func TestSignInPage(t *testing.T) {
	e := newEnv(t)
	c := e.client()
	p := c.get("/ui/signin")
	if p.status != http.StatusOK {
		t.Fatalf("status %d, want 200", p.status)
	}
	for k, want := range map[string]string{
		"Cache-Control":          "no-store",
		"Content-Type":           "text/html; charset=utf-8",
		"X-Content-Type-Options": "nosniff",
		"X-Frame-Options":        "DENY",
		"Vary":                   "Cookie",
	} {
		if got := p.header.Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	if csp := p.header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "form-action 'self'") {
		t.Errorf("Content-Security-Policy = %q, want default-src 'none' and form-action 'self'", csp)
	}
	for _, want := range []string{
		`<html lang="en">`,
		`<meta name="viewport" content="width=device-width, initial-scale=1">`,
		`<label for="username">`, `id="username"`, `autocomplete="username"`,
		`<label for="password">`, `id="password"`, `type="password"`, `autocomplete="current-password"`,
		`<label for="tenant">`,
		`<form method="post" action="/ui/signin"`,
		`name="csrf" value="`,
		`<link rel="stylesheet" href="/ui/static/style.css">`,
	} {
		if !strings.Contains(p.body, want) {
			t.Errorf("sign-in page lacks %s", want)
		}
	}
	// The password form works without JavaScript; the only script is the
	// passkey button's, from the site itself (CSP script-src 'self').
	if n, m := strings.Count(p.body, "<script"), strings.Count(p.body, `<script src="/ui/static/passkey.js"></script>`); n != m || n > 1 {
		t.Error("sign-in page has a script other than the passkey button's")
	}
	k := setCookieOf(p, "sessiond_ui_signin")
	if k == nil {
		t.Fatal("no pre-session cookie set")
	}
	if !k.HttpOnly || k.Path != "/ui/" || k.SameSite != http.SameSiteLaxMode || k.Secure {
		t.Errorf("pre-session cookie = %+v, want HttpOnly, Path=/ui/, SameSite=Lax, not Secure over HTTP", k)
	}
}

func TestStaticAndMisses(t *testing.T) {
	e := newEnv(t)
	c := e.client()
	tests := []struct {
		name, path string
		status     int
		ctype      string
	}{
		{"stylesheet", "/ui/static/style.css", 200, "text/css; charset=utf-8"},
		{"unknown page", "/ui/nowhere", 404, "text/html; charset=utf-8"},
		{"unknown static", "/ui/static/nothing.css", 404, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := c.get(tt.path)
			if p.status != tt.status {
				t.Fatalf("status %d, want %d", p.status, tt.status)
			}
			if tt.ctype != "" && p.header.Get("Content-Type") != tt.ctype {
				t.Errorf("Content-Type %q, want %q", p.header.Get("Content-Type"), tt.ctype)
			}
			if p.header.Get("Cache-Control") != "no-store" {
				t.Errorf("Cache-Control %q, want no-store", p.header.Get("Cache-Control"))
			}
		})
	}
	e.user("someone", false) // a set-up server: /ui/ is the sign-in page (TestSetupPage covers a new one)
	if p := c.get("/ui/"); p.status != http.StatusSeeOther || p.location() != "/ui/signin" {
		t.Errorf("GET /ui/ signed out: %d to %q, want 303 to /ui/signin", p.status, p.location())
	}
	req, _ := http.NewRequest("DELETE", e.srv.URL+"/ui/sessions", nil)
	if p := c.do(req); p.status != http.StatusMethodNotAllowed {
		t.Errorf("DELETE /ui/sessions: %d, want 405", p.status)
	}
}

func TestSignIn(t *testing.T) {
	e := newEnv(t)
	u := e.user("alice", false)
	c := e.client()
	c.get("/ui/signin")
	p := c.post("/ui/signin", url.Values{"username": {"alice"}, "password": {goodPassword}})
	if p.status != http.StatusSeeOther || p.location() != "/ui/sessions" {
		t.Fatalf("status %d to %q, want 303 to /ui/sessions", p.status, p.location())
	}
	k := setCookieOf(p, uiCookie)
	if k == nil || k.Value == "" {
		t.Fatal("no session cookie set")
	}
	if !k.HttpOnly || k.Path != "/ui/" || k.SameSite != http.SameSiteLaxMode || k.Secure || k.MaxAge != 0 || !k.Expires.IsZero() {
		t.Errorf("session cookie = %+v, want HttpOnly, Path=/ui/, SameSite=Lax, no Secure over HTTP, not persistent", k)
	}
	if pre := setCookieOf(p, "sessiond_ui_signin"); pre == nil || pre.MaxAge >= 0 {
		t.Errorf("pre-session cookie not cleared after sign-in: %+v", pre)
	}
	list := e.sessions(u)
	if len(list) != 1 || list[0].Origin != auth.OriginUI {
		t.Fatalf("sessions after sign-in = %d, want one with origin ui", len(list))
	}
	page := c.mustGet("/ui/sessions")
	for _, want := range []string{"Signed in as <strong>alice</strong>", "This device", `action="/ui/signout"`} {
		if !strings.Contains(page.body, want) {
			t.Errorf("sessions page lacks %q", want)
		}
	}
	if strings.Contains(page.body, k.Value) {
		t.Error("the page shows the session token")
	}
	if p := c.get("/ui/signin"); p.status != http.StatusSeeOther || p.location() != "/ui/sessions" {
		t.Errorf("sign-in page when signed in: %d to %q, want 303 to /ui/sessions", p.status, p.location())
	}
	if p := c.get("/ui/"); p.status != http.StatusSeeOther || p.location() != "/ui/sessions" {
		t.Errorf("GET /ui/ signed in: %d to %q, want 303 to /ui/sessions", p.status, p.location())
	}
}

// TestSignInFailuresLookAlike: every way a sign-in can fail shows the
// same message with the same status and starts no session.
func TestSignInFailuresLookAlike(t *testing.T) {
	e := newEnv(t)
	e.user("alice", false)
	bob := e.user("bob", false)
	if _, err := e.svc.UpdateUser(context.Background(), auth.DefaultTenantID, bob.ID, auth.UserUpdate{State: ptr(auth.StateInactive)}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		form   url.Values
		status int
	}{
		{"wrong password", url.Values{"username": {"alice"}, "password": {"wrong password"}}, 401},
		{"unknown user", url.Values{"username": {"nobody"}, "password": {goodPassword}}, 401},
		{"disabled user, right password", url.Values{"username": {"bob"}, "password": {goodPassword}}, 401},
		{"unknown tenant", url.Values{"username": {"alice"}, "password": {goodPassword}, "tenant": {"nowhere"}}, 401},
		{"empty fields", url.Values{"username": {""}, "password": {""}}, 401},
		{"name in other case", url.Values{"username": {"ALICE"}, "password": {goodPassword}}, 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := e.client()
			c.get("/ui/signin")
			p := c.post("/ui/signin", tt.form)
			if p.status != tt.status {
				t.Fatalf("status %d, want %d", p.status, tt.status)
			}
			if got := errorText(p.body); got != genericFailure {
				t.Errorf("message %q, want %q", got, genericFailure)
			}
			if k := setCookieOf(p, uiCookie); k != nil {
				t.Errorf("a failed sign-in set a session cookie: %+v", k)
			}
			if !strings.Contains(p.body, `name="csrf" value="`) {
				t.Error("the form shown again has no CSRF token")
			}
		})
	}
	if n := len(e.sessions(bob)); n != 0 {
		t.Errorf("disabled user has %d sessions, want 0", n)
	}
}

// TestSignInThrottled: past the core's budget of attempts for a login
// (the same on every API), even the right password is refused with a
// page saying when to try again, until the lock ends; another login from
// the same address keeps its own budget.
func TestSignInThrottled(t *testing.T) {
	e := newEnv(t)
	e.user("alice", false)
	e.user("carol", false)
	cfg := config.Default()
	c := e.client()
	c.get("/ui/signin")
	for i := 1; i <= cfg.LockoutAccountLimit; i++ {
		p := c.post("/ui/signin", url.Values{"username": {"alice"}, "password": {"wrong password"}})
		if p.status != http.StatusUnauthorized {
			t.Fatalf("attempt %d: status %d, want 401", i, p.status)
		}
	}
	p := c.post("/ui/signin", url.Values{"username": {"alice"}, "password": {goodPassword}})
	if p.status != http.StatusTooManyRequests {
		t.Fatalf("attempt past the limit: status %d, want 429; message %q", p.status, errorText(p.body))
	}
	until := e.clock.Now().Add(cfg.LockoutWindow)
	want := "Too many sign-in attempts. Please wait " + strconv.Itoa(int(cfg.LockoutWindow/time.Minute)) +
		" minutes and try again (after " + until.Format("15:04") + " UTC)."
	if got := errorText(p.body); got != want {
		t.Errorf("message %q, want %q", got, want)
	}
	if ra, err := strconv.Atoi(p.header.Get("Retry-After")); err != nil || ra != int(cfg.LockoutWindow/time.Second) {
		t.Errorf("Retry-After %q, want %d", p.header.Get("Retry-After"), int(cfg.LockoutWindow/time.Second))
	}
	if k := setCookieOf(p, uiCookie); k != nil {
		t.Error("a throttled sign-in set a session cookie")
	}

	other := e.client()
	other.signIn("carol", goodPassword)

	e.clock.Advance(cfg.LockoutWindow + time.Second)
	c.get("/ui/signin")
	p = c.post("/ui/signin", url.Values{"username": {"alice"}, "password": {goodPassword}})
	if p.status != http.StatusSeeOther {
		t.Fatalf("after the lock: status %d, want 303; message %q", p.status, errorText(p.body))
	}
}

// TestSignInSuccessResetsBudget: a good sign-in forgets earlier failures.
func TestSignInSuccessResetsBudget(t *testing.T) {
	e := newEnv(t)
	e.user("alice", false)
	c := e.client()
	c.get("/ui/signin")
	for i := 0; i < 4; i++ {
		c.post("/ui/signin", url.Values{"username": {"alice"}, "password": {"wrong password"}})
	}
	c.signIn("alice", goodPassword)
	c.post("/ui/signout", nil)
	c.get("/ui/signin")
	for i := 0; i < 4; i++ {
		if p := c.post("/ui/signin", url.Values{"username": {"alice"}, "password": {"wrong password"}}); p.status != http.StatusUnauthorized {
			t.Fatalf("failure %d after a success: status %d, want 401", i+1, p.status)
		}
	}
}

func TestSignInTenant(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	acme, _, err := e.svc.CreateTenant(ctx, auth.NewTenant{Name: "acme", Settings: map[string]string{ui.SettingHost: "acme.example"}})
	if err != nil {
		t.Fatal(err)
	}
	globex, _, err := e.svc.CreateTenant(ctx, auth.NewTenant{Name: "globex"})
	if err != nil {
		t.Fatal(err)
	}
	def := e.user("dana", false)
	inAcme := e.userIn(acme.ID, "dana", false)
	inGlobex := e.userIn(globex.ID, "dana", false)

	tests := []struct {
		name   string
		host   string
		tenant string
		want   *auth.User
	}{
		{"no host, no field: default tenant", "", "", def},
		{"field names a tenant", "", "globex", inGlobex},
		{"field names a tenant by ID", "", globex.ID, inGlobex},
		{"field in other case", "", "GLOBEX", inGlobex},
		{"host names a tenant", "acme.example", "", inAcme},
		{"host wins over the field", "acme.example:8086", "globex", inAcme},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := e.client()
			c.host = tt.host
			page := c.get("/ui/signin")
			if tt.host != "" && !strings.Contains(page.body, "Sign in to acme") {
				t.Error("host-chosen tenant not named on the page")
			}
			if tt.host != "" && strings.Contains(page.body, `id="tenant"`) {
				t.Error("tenant field shown although the host chose the tenant")
			}
			before := len(e.sessions(tt.want))
			p := c.post("/ui/signin", url.Values{"username": {"dana"}, "password": {goodPassword}, "tenant": {tt.tenant}})
			if p.status != http.StatusSeeOther {
				t.Fatalf("status %d, want 303; message %q", p.status, errorText(p.body))
			}
			if got := len(e.sessions(tt.want)); got != before+1 {
				t.Errorf("sessions of the expected tenant's dana: %d, want %d", got, before+1)
			}
		})
	}
}

func TestSignOut(t *testing.T) {
	e := newEnv(t)
	u := e.user("alice", false)
	c := e.client()
	c.signIn("alice", goodPassword)
	token := c.cookie(uiCookie)
	p := c.post("/ui/signout", nil)
	if p.status != http.StatusSeeOther || p.location() != "/ui/signin?m=signedout" {
		t.Fatalf("status %d to %q, want 303 to /ui/signin?m=signedout", p.status, p.location())
	}
	if k := setCookieOf(p, uiCookie); k == nil || k.MaxAge >= 0 || k.Value != "" {
		t.Errorf("sign-out did not expire the cookie: %+v", k)
	}
	if n := len(e.sessions(u)); n != 0 {
		t.Errorf("sessions after sign-out: %d, want 0", n)
	}
	if got := flashText(c.mustGet("/ui/signin?m=signedout").body); got != "You have signed out." {
		t.Errorf("flash %q, want %q", got, "You have signed out.")
	}
	// Replaying the old cookie opens nothing.
	c.setCookie(uiCookie, token)
	if p := c.get("/ui/sessions"); p.status != http.StatusSeeOther || p.location() != "/ui/signin?m=ended" {
		t.Errorf("old cookie after sign-out: %d to %q, want 303 to /ui/signin?m=ended", p.status, p.location())
	}
}

func TestSignedOutPagesRedirect(t *testing.T) {
	e := newEnv(t)
	c := e.client()
	for _, path := range []string{"/ui/sessions", "/ui/password", "/ui/admin/users", "/ui/admin/users/0123456789abcdef"} {
		if p := c.get(path); p.status != http.StatusSeeOther || p.location() != "/ui/signin" {
			t.Errorf("GET %s signed out: %d to %q, want 303 to /ui/signin", path, p.status, p.location())
		}
	}
}

// TestAPISessionDoesNotOpenPages: an API session's token put in the UI
// cookie is not a UI session.
func TestAPISessionDoesNotOpenPages(t *testing.T) {
	e := newEnv(t)
	e.user("alice", false)
	key := e.apiSignIn("alice", goodPassword)
	c := e.client()
	c.setCookie(uiCookie, key)
	if p := c.get("/ui/sessions"); p.status != http.StatusSeeOther {
		t.Errorf("API token as UI cookie: status %d, want 303 to sign-in", p.status)
	}
	if e.apiMe(key) != http.StatusOK {
		t.Error("the API session stopped working")
	}
}

// TestCookieOverTLS: over HTTPS the cookie is Secure and carries the
// __Secure- prefix.
func TestCookieOverTLS(t *testing.T) {
	e := startEnv(t, true)
	e.user("alice", false)
	c := e.client()
	c.get("/ui/signin")
	p := c.post("/ui/signin", url.Values{"username": {"alice"}, "password": {goodPassword}})
	if p.status != http.StatusSeeOther {
		t.Fatalf("status %d, want 303; message %q", p.status, errorText(p.body))
	}
	k := setCookieOf(p, "__Secure-"+uiCookie)
	if k == nil || !k.Secure || !k.HttpOnly || k.Path != "/ui/" {
		t.Fatalf("session cookie over TLS = %+v, want __Secure-%s, Secure, HttpOnly, Path=/ui/", k, uiCookie)
	}
	c.mustGet("/ui/sessions")
}

func ptr[T any](v T) *T { return &v }
