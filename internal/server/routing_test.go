package server_test

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
)

// noRedirect is a client that shows a redirect instead of following it.
var noRedirect = &http.Client{Timeout: client.Timeout, CheckRedirect: func(*http.Request, []*http.Request) error {
	return http.ErrUseLastResponse
}}

// TestPathsServeMuxWouldRedirect: a path ServeMux would clean ("..",
// ".", "//") or send on to its trailing slash is answered by the dialect
// its prefix names, in that dialect's format, as a path it does not
// serve: never net/http's redirect with an HTML body.
func TestPathsServeMuxWouldRedirect(t *testing.T) {
	app, _, _ := serve(t, nil)
	tests := []struct {
		name, path  string
		status      int
		contentType string
		body        string // a part of the body
	}{
		{"InfluxDB, dot-dot", "/api/v2/users/../users", 401, "application/json; charset=utf-8", `{"code":"unauthorized","message":"unauthorized access"}`},
		{"InfluxDB, double slash", "/api/v2//me", 401, "application/json; charset=utf-8", `{"code":"unauthorized"`},
		{"InfluxDB, into another dialect", "/api/v2/../v1/me", 401, "application/json; charset=utf-8", `{"code":"unauthorized"`},
		{"Rocket.Chat, double slash", "/api/v1//me", 404, "application/json", `"error":"API endpoint does not exist"`},
		{"Rocket.Chat, no trailing slash", "/api/v1", 404, "application/json", `"error":"API endpoint does not exist"`},
		{"tenant API, dot", "/auth/./me", 404, "application/json; charset=utf-8", `"code":"NOT_FOUND"`},
		{"tenant API, no trailing slash", "/auth", 404, "application/json; charset=utf-8", `"code":"NOT_FOUND"`},
		{"account pages, dot-dot", "/ui/../ui/signin", 404, "text/html; charset=utf-8", "<title>Not Found"},
		{"root, double slash", "//health", 404, "application/json; charset=utf-8", `{"code":"not found","message":"path not found"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, _ := http.NewRequest("GET", app.URL()+tt.path, nil)
			resp, err := noRedirect.Do(r)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tt.status || resp.Header.Get("Location") != "" {
				t.Fatalf("got %d (Location %q) %q, want %d", resp.StatusCode, resp.Header.Get("Location"), b, tt.status)
			}
			if got := resp.Header.Get("Content-Type"); got != tt.contentType || !strings.Contains(string(b), tt.body) {
				t.Fatalf("got %s %q, want %s holding %q", got, b, tt.contentType, tt.body)
			}
		})
	}
	// The account pages' bare prefix still leads a browser to them (to
	// the set-up page while the server has no user).
	r, _ := http.NewRequest("GET", app.URL()+"/ui", nil)
	resp, err := noRedirect.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || loc != "/ui/signin" && loc != "/ui/setup" {
		t.Fatalf("GET /ui: %d to %q, want 303 to the account pages", resp.StatusCode, loc)
	}
}

// TestWrongMethods: a known path asked with a method it does not serve
// is 405 with Allow in every dialect, whatever the credentials (the
// InfluxDB dialect answered 401 on /api/v2/signin, the account pages
// had no Allow).
func TestWrongMethods(t *testing.T) {
	app, _, _ := serve(t, nil)
	tests := []struct {
		method, path, allow string
		body                string // a part of the body
	}{
		{"PUT", "/api/v2/signin", "POST", `{"code":"method not allowed","message":"allow: POST"}`},
		{"GET", "/api/v2/signout", "POST", `"method not allowed"`},
		{"DELETE", "/api/v2/me", "GET, HEAD", `"method not allowed"`},
		{"POST", "/api/v1/me", "GET, HEAD", `"Method not allowed"`},
		{"DELETE", "/auth/me", "GET, HEAD", `"METHOD_NOT_ALLOWED"`},
		{"POST", "/ui/sessions", "GET, HEAD", "<title>Method Not Allowed"},
		{"PUT", "/ui/signin", "GET, HEAD, POST", "<title>Method Not Allowed"},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			a := do(t, request{method: tt.method, url: app.URL() + tt.path})
			if a.status != http.StatusMethodNotAllowed || a.header.Get("Allow") != tt.allow || !strings.Contains(a.body, tt.body) {
				t.Fatalf("got %d Allow %q %q, want 405 Allow %q holding %q", a.status, a.header.Get("Allow"), a.body, tt.allow, tt.body)
			}
		})
	}
}

// TestUnknownQueryOnChanges: a route that changes or deletes refuses a
// query parameter it does not read with 400 in its dialect's format, and
// does nothing; a route that reads some still takes those.
func TestUnknownQueryOnChanges(t *testing.T) {
	app, _, _ := serve(t, nil)
	base := app.URL()
	setup(t, base)
	createUser(t, base, "bob", bobPass)
	cookie := influxSignin(t, base, "bob", bobPass)
	rc := rocketLogin(t, base, "bob", bobPass)
	ten := createTenant(t, base, "shop")
	access := tenantAuth(t, base, "/auth/signup", ten, "ann@example.com")
	tests := []struct {
		name string
		r    request
		body string // a part of the body
	}{
		{"InfluxDB revoke all", request{method: "DELETE", url: base + "/api/v2/sessions?allTenant=true", headers: token(operToken)}, `"unknown query parameter \"allTenant\""`},
		{"InfluxDB sign-out", request{method: "POST", url: base + "/api/v2/signout?everywhere=1", cookie: cookie}, `"code": "invalid"`},
		{"InfluxDB malformed query", request{method: "DELETE", url: base + "/api/v2/sessions?userID%zz=1", headers: token(operToken)}, `"code": "invalid"`},
		{"Rocket.Chat logout", request{method: "POST", url: base + "/api/v1/logout?all=1", headers: rc.headers()}, `[invalid-params]`},
		{"tenant API revoke others", request{method: "DELETE", url: base + "/auth/sessions?all=true", headers: ten.headers(access)}, `"code":"BAD_REQUEST"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := do(t, tt.r)
			if a.status != http.StatusBadRequest || !strings.Contains(a.body, tt.body) {
				t.Fatalf("got %d %s, want 400 holding %s", a.status, a.body, tt.body)
			}
		})
	}
	want(t, "influx session", influxMe(t, base, cookie), http.StatusOK)
	want(t, "rocket session", rocketMe(t, base, rc), http.StatusOK)
	want(t, "tenant session", tenantMe(t, base, ten, access), http.StatusOK)
	// The account pages' forms read no query either.
	c := newBrowser(t, base)
	c.signIn(t, "bob", bobPass)
	p := c.post(t, "/ui/sessions/others/signout?x=1")
	if p.status != http.StatusBadRequest {
		t.Fatalf("account pages: %d %s, want 400", p.status, p.body)
	}
	want(t, "influx session after the page's refused form", influxMe(t, base, cookie), http.StatusOK)
	// A parameter the route reads is taken.
	want(t, "keepCurrent", do(t, request{method: "DELETE", url: base + "/api/v2/users/" + sessionUser(t, base, cookie) + "/sessions?keepCurrent=true", cookie: cookie}), http.StatusNoContent)
	want(t, "the caller's own session kept", influxMe(t, base, cookie), http.StatusOK)
	want(t, "rocket session ended", rocketMe(t, base, rc), http.StatusUnauthorized)
}

// sessionUser returns the ID of the user an InfluxDB cookie signs in.
func sessionUser(t *testing.T, base string, c *http.Cookie) string {
	t.Helper()
	id, _ := influxMe(t, base, c).json(t)["id"].(string)
	return id
}

// browser is a client of the account pages: cookies, no redirects
// followed, and the CSRF token of the last page.
type browser struct {
	base string
	c    *http.Client
	csrf string
}

func newBrowser(t *testing.T, base string) *browser {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	return &browser{base: base, c: &http.Client{Jar: jar, Timeout: client.Timeout, CheckRedirect: noRedirect.CheckRedirect}}
}

func (b *browser) read(t *testing.T, res *http.Response, err error) answer {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if m := csrfInput.FindStringSubmatch(string(body)); m != nil {
		b.csrf = m[1]
	}
	return answer{status: res.StatusCode, body: string(body), header: res.Header}
}

func (b *browser) get(t *testing.T, path string) answer {
	t.Helper()
	res, err := b.c.Get(b.base + path)
	return b.read(t, res, err)
}

// post sends a form with the last page's CSRF token.
func (b *browser) post(t *testing.T, path string, kv ...string) answer {
	t.Helper()
	form := url.Values{"csrf": {b.csrf}}
	for i := 0; i+1 < len(kv); i += 2 {
		form.Set(kv[i], kv[i+1])
	}
	res, err := b.c.PostForm(b.base+path, form)
	return b.read(t, res, err)
}

// signIn signs in on the account pages and loads the sessions page.
func (b *browser) signIn(t *testing.T, user, password string) {
	t.Helper()
	b.get(t, "/ui/signin")
	if a := b.post(t, "/ui/signin", "username", user, "password", password); a.status != http.StatusSeeOther {
		t.Fatalf("account pages sign-in: %d", a.status)
	}
	if a := b.get(t, "/ui/sessions"); a.status != http.StatusOK {
		t.Fatalf("sessions page: %d", a.status)
	}
}
