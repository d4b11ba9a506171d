package ui_test

import (
	"context"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sessiond/sessiond/internal/auth"
	"github.com/sessiond/sessiond/internal/config"
	"github.com/sessiond/sessiond/internal/openapitest"
	"github.com/sessiond/sessiond/internal/server"
	"github.com/sessiond/sessiond/internal/server/servertest"
)

const (
	uiCookie     = "sessiond_ui"
	influxCookie = "influxdb-oss-session"
	goodPassword = "correct horse battery"
	apiUA        = "influxdb-client-go/2.14.0 (linux; amd64)"
)

// clock is a settable test clock; it starts at a fixed instant so pages
// and screenshots come out the same on every run.
type clock = servertest.Clock

func newClock() *clock {
	return servertest.NewClock(time.Date(2026, 11, 2, 9, 30, 0, 0, time.UTC))
}

// env is a whole sessiond, built as `sessiond serve` builds it, behind an
// httptest server.
type env struct {
	t     *testing.T
	app   *server.App
	svc   *auth.Service
	srv   *httptest.Server
	clock *clock
}

func newEnv(t *testing.T) *env { return startEnv(t, false) }

func startEnv(t *testing.T, tls bool) *env {
	t.Helper()
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	clk := newClock()
	app, err := server.Open(context.Background(), cfg, nil, clk.Now)
	if err != nil {
		t.Fatalf("server.Open: %v", err)
	}
	t.Cleanup(func() { app.Close() })
	var srv *httptest.Server
	if tls {
		srv = httptest.NewTLSServer(openapitest.Wrap(t, app.Handler()))
	} else {
		srv = httptest.NewServer(openapitest.Wrap(t, app.Handler()))
	}
	t.Cleanup(srv.Close)
	return &env{t: t, app: app, svc: app.Service(), srv: srv, clock: clk}
}

// user creates an active user of the default tenant with goodPassword.
func (e *env) user(name string, admin bool) *auth.User {
	e.t.Helper()
	return e.userIn(auth.DefaultTenantID, name, admin)
}

func (e *env) userIn(tenantID, name string, admin bool) *auth.User {
	e.t.Helper()
	u, err := e.svc.CreateUser(context.Background(), auth.NewUser{TenantID: tenantID, Name: name, Password: goodPassword, Admin: admin})
	if err != nil {
		e.t.Fatalf("CreateUser %s: %v", name, err)
	}
	return u
}

// apiSignIn signs in through the InfluxDB API as a client program would
// and returns the session cookie's value.
func (e *env) apiSignIn(name, password string) string {
	e.t.Helper()
	req, _ := http.NewRequest("POST", e.srv.URL+"/api/v2/signin", nil)
	req.SetBasicAuth(name, password)
	req.Header.Set("User-Agent", apiUA)
	res, err := e.srv.Client().Do(req)
	if err != nil {
		e.t.Fatalf("API sign-in: %v", err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusNoContent {
		e.t.Fatalf("API sign-in: status %d, want 204", res.StatusCode)
	}
	for _, c := range res.Cookies() {
		if c.Name == influxCookie {
			return c.Value
		}
	}
	e.t.Fatal("API sign-in set no session cookie")
	return ""
}

// apiMe calls GET /api/v2/me with an API session cookie and returns the
// status: 200 while the session lives, 401 once it has ended.
func (e *env) apiMe(key string) int {
	e.t.Helper()
	req, _ := http.NewRequest("GET", e.srv.URL+"/api/v2/me", nil)
	req.AddCookie(&http.Cookie{Name: influxCookie, Value: key})
	res, err := e.srv.Client().Do(req)
	if err != nil {
		e.t.Fatalf("GET /api/v2/me: %v", err)
	}
	res.Body.Close()
	return res.StatusCode
}

// sessions returns the live sessions of u.
func (e *env) sessions(u *auth.User) []*auth.Session {
	e.t.Helper()
	list, err := e.svc.UserSessions(context.Background(), u.TenantID, u.ID)
	if err != nil {
		e.t.Fatalf("UserSessions: %v", err)
	}
	return list
}

// client is one browser without JavaScript: a cookie jar, no automatic
// redirects, and the CSRF token of the last page it loaded.
type client struct {
	e    *env
	hc   *http.Client
	jar  http.CookieJar
	csrf string
	host string // Host header to send, when not the server's
}

func (e *env) client() *client {
	jar, _ := cookiejar.New(nil)
	hc := e.srv.Client()
	hc = &http.Client{Transport: hc.Transport, Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}
	return &client{e: e, hc: hc, jar: jar}
}

// page is one response, its body read.
type page struct {
	status int
	header http.Header
	body   string
	res    *http.Response
}

func (p *page) location() string { return p.header.Get("Location") }

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func (c *client) do(req *http.Request) *page {
	c.e.t.Helper()
	if c.host != "" {
		req.Host = c.host
	}
	res, err := c.hc.Do(req)
	if err != nil {
		c.e.t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	p := &page{status: res.StatusCode, header: res.Header, body: string(b), res: res}
	if m := csrfRE.FindStringSubmatch(p.body); m != nil {
		c.csrf = m[1]
	}
	return p
}

func (c *client) get(path string) *page {
	c.e.t.Helper()
	req, _ := http.NewRequest("GET", c.e.srv.URL+path, nil)
	return c.do(req)
}

// post sends a form. The last page's CSRF token is added unless form
// already has a csrf field.
func (c *client) post(path string, form url.Values) *page {
	c.e.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	if _, ok := form["csrf"]; !ok {
		form.Set("csrf", c.csrf)
	}
	return c.postRaw(path, form)
}

// postRaw sends form exactly as given.
func (c *client) postRaw(path string, form url.Values) *page {
	c.e.t.Helper()
	req, _ := http.NewRequest("POST", c.e.srv.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return c.do(req)
}

// signIn loads the sign-in page and signs in; it fails the test unless
// the sign-in succeeds, and leaves the client on the sessions page.
func (c *client) signIn(name, password string) *page {
	c.e.t.Helper()
	c.get("/ui/signin")
	p := c.post("/ui/signin", url.Values{"username": {name}, "password": {password}})
	if p.status != http.StatusSeeOther || p.location() != "/ui/sessions" {
		c.e.t.Fatalf("sign-in as %s: status %d to %q, want 303 to /ui/sessions; body:\n%s", name, p.status, p.location(), p.body)
	}
	return c.mustGet("/ui/sessions")
}

// mustGet loads a page and fails the test unless it answers 200.
func (c *client) mustGet(path string) *page {
	c.e.t.Helper()
	p := c.get(path)
	if p.status != http.StatusOK {
		c.e.t.Fatalf("GET %s: status %d, want 200; body:\n%s", path, p.status, p.body)
	}
	return p
}

// cookie returns the value of the client's cookie name, or "".
func (c *client) cookie(name string) string {
	u, _ := url.Parse(c.e.srv.URL + "/ui/")
	for _, k := range c.jar.Cookies(u) {
		if k.Name == name {
			return k.Value
		}
	}
	return ""
}

// setCookie puts a cookie in the jar as if the server had set it.
func (c *client) setCookie(name, value string) {
	u, _ := url.Parse(c.e.srv.URL + "/ui/")
	c.jar.SetCookies(u, []*http.Cookie{{Name: name, Value: value, Path: "/ui/"}})
}

// setCookieOf returns the Set-Cookie of name in p, or nil.
func setCookieOf(p *page, name string) *http.Cookie {
	for _, k := range p.res.Cookies() {
		if k.Name == name {
			return k
		}
	}
	return nil
}

// errorText returns the text of the page's error message, or "".
func errorText(body string) string {
	m := regexp.MustCompile(`<p class="error" role="alert" id="form-error">([^<]*)</p>`).FindStringSubmatch(body)
	if m == nil {
		return ""
	}
	return html.UnescapeString(m[1])
}

// flashText returns the text of the page's confirmation, or "".
func flashText(body string) string {
	m := regexp.MustCompile(`<p class="flash" role="status">([^<]*)</p>`).FindStringSubmatch(body)
	if m == nil {
		return ""
	}
	return html.UnescapeString(m[1])
}
