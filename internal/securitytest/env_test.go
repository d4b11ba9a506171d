package securitytest

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/sessiond/sessiond/internal/auth"
	"github.com/sessiond/sessiond/internal/config"
	"github.com/sessiond/sessiond/internal/influxapi"
	"github.com/sessiond/sessiond/internal/openapitest"
	"github.com/sessiond/sessiond/internal/server"
	"github.com/sessiond/sessiond/internal/server/servertest"
)

// cheap keeps argon2id fast; TestD35Timing uses a realistic cost.
var cheap = auth.Argon2Params{MemoryKiB: 64, Time: 1, Threads: 1}

// clock is the settable time source shared by the server under test.
type clock = servertest.Clock

// logBuffer collects the server's logs.
type logBuffer = servertest.LogBuffer

// env is one sessiond under test.
type env struct {
	t     testing.TB
	app   *server.App
	srv   *httptest.Server
	clock *clock
	cfg   config.Config
	logs  *logBuffer
}

const (
	adminID   = "0a1b2c3d4e5f6789"
	adminName = "admin"
	adminPass = "admin-password"
	bobID     = "00000000000000b0"
	bobName   = "bob"
	bobPass   = "bob-password"
	carolID   = "00000000000000c0"
	carolName = "carol"
	carolPass = "carol-password"
	operToken = "operator-token-for-tests"
	cookieKey = influxapi.CookieName
)

type options struct {
	dir  string
	tls  bool
	cost *auth.Argon2Params
	tune func(*config.Config)
	clk  *clock
}

// start opens a server with a debug-level JSON log captured in e.logs.
func start(t testing.TB, o options) *env {
	t.Helper()
	cfg := config.Default()
	cfg.DataDir = o.dir
	if cfg.DataDir == "" {
		cfg.DataDir = t.TempDir()
	}
	cfg.PasswordHashCost = &cheap
	if o.cost != nil {
		cfg.PasswordHashCost = o.cost
	}
	if o.tune != nil {
		o.tune(&cfg)
	}
	clk := o.clk
	if clk == nil {
		clk = servertest.NewClock(time.Now().UTC().Truncate(time.Second))
	}
	logs := &logBuffer{}
	log := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	app, err := server.Open(context.Background(), cfg, log, clk.Now)
	if err != nil {
		t.Fatal(err)
	}
	var srv *httptest.Server
	if o.tls {
		srv = httptest.NewTLSServer(openapitest.Wrap(t, app.Handler()))
	} else {
		srv = httptest.NewServer(openapitest.Wrap(t, app.Handler()))
	}
	t.Cleanup(func() {
		srv.Close()
		app.Close()
	})
	return &env{t: t, app: app, srv: srv, clock: clk, cfg: cfg, logs: logs}
}

// seed makes an admin with an operator token, and bob and carol.
func (e *env) seed() {
	e.t.Helper()
	ctx := context.Background()
	svc := e.app.Service()
	for _, u := range []auth.NewUser{
		{TenantID: auth.DefaultTenantID, ID: adminID, Name: adminName, Password: adminPass, Admin: true},
		{TenantID: auth.DefaultTenantID, ID: bobID, Name: bobName, Password: bobPass},
		{TenantID: auth.DefaultTenantID, ID: carolID, Name: carolName, Password: carolPass},
	} {
		if _, err := svc.CreateUser(ctx, u); err != nil {
			e.t.Fatal(err)
		}
	}
	var ps []auth.Permission
	for _, typ := range []string{"authorizations", "users", "orgs"} {
		ps = append(ps, auth.Permission{Action: "read", Type: typ}, auth.Permission{Action: "write", Type: typ})
	}
	if _, _, err := svc.CreateToken(ctx, auth.NewAPIToken{TenantID: auth.DefaultTenantID, UserID: adminID, Token: operToken, Permissions: ps}); err != nil {
		e.t.Fatal(err)
	}
}

// req is one HTTP request.
type req struct {
	method  string
	path    string
	body    string
	headers map[string]string
	basic   []string
	cookie  string
	token   string
}

// resp is an answer, read whole.
type resp struct {
	*http.Response
	body string
}

func (e *env) client() *http.Client {
	if e.srv.TLS != nil {
		return e.srv.Client()
	}
	return &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func (e *env) do(r req) resp {
	e.t.Helper()
	var body io.Reader
	if r.body != "" {
		body = strings.NewReader(r.body)
	}
	hr, err := http.NewRequest(r.method, e.srv.URL+r.path, body)
	if err != nil {
		e.t.Fatal(err)
	}
	for k, v := range r.headers {
		hr.Header.Set(k, v)
	}
	if r.basic != nil {
		hr.SetBasicAuth(r.basic[0], r.basic[1])
	}
	if r.cookie != "" {
		hr.Header.Set("Cookie", cookieKey+"="+r.cookie)
	}
	if r.token != "" {
		hr.Header.Set("Authorization", "Token "+r.token)
	}
	res, err := e.client().Do(hr)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return resp{res, string(b)}
}

func (e *env) status(r req) int {
	e.t.Helper()
	return e.do(r).StatusCode
}

// signinResp signs in and returns the whole answer.
func (e *env) signinResp(user, pass string) resp {
	e.t.Helper()
	return e.do(req{method: "POST", path: "/api/v2/signin", basic: []string{user, pass}})
}

// signin signs in and returns the session cookie's value.
func (e *env) signin(user, pass string) string {
	e.t.Helper()
	r := e.signinResp(user, pass)
	if r.StatusCode != http.StatusNoContent {
		e.t.Fatalf("signin %s: %d %s", user, r.StatusCode, r.body)
	}
	for _, c := range r.Cookies() {
		if c.Name == cookieKey {
			return c.Value
		}
	}
	e.t.Fatal("signin set no session cookie")
	return ""
}

// live reports whether a session cookie still authenticates.
func (e *env) live(key string) bool {
	e.t.Helper()
	switch s := e.status(req{method: "GET", path: "/api/v2/me", cookie: key}); s {
	case http.StatusOK:
		return true
	case http.StatusUnauthorized, http.StatusForbidden:
		return false
	default:
		e.t.Fatalf("GET /me: unexpected %d", s)
		return false
	}
}
