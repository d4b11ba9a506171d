package influxapi_test

import (
	"context"
	"encoding/json"
	"io"
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

// cheap keeps argon2id fast in tests; production never goes below
// auth.DefaultArgon2.
var cheap = auth.Argon2Params{MemoryKiB: 64, Time: 1, Threads: 1}

// clock is the settable time source shared by the server under test.
type clock = servertest.Clock

// env is one sessiond under test, served by httptest.
type env struct {
	t     testing.TB
	app   *server.App
	srv   *httptest.Server
	clock *clock
	cfg   config.Config
}

const (
	adminID    = "0a1b2c3d4e5f6789"
	adminName  = "admin"
	adminPass  = "admin-password"
	userID     = "00000000000000b0"
	userName   = "bob"
	userPass   = "bob-password"
	operToken  = "operator-token-for-tests"
	unknownID  = "0000000000000999"
	sessionKey = influxapi.CookieName
)

// start opens a server on a fresh data directory (or dir, when set).
func start(t testing.TB, dir string, tune ...func(*config.Config)) *env {
	t.Helper()
	cfg := config.Default()
	cfg.DataDir = dir
	if dir == "" {
		cfg.DataDir = t.TempDir()
	}
	cfg.PasswordHashCost = &cheap
	for _, f := range tune {
		f(&cfg)
	}
	clk := servertest.NewClock(time.Now().UTC().Truncate(time.Second))
	app, err := server.Open(context.Background(), cfg, nil, clk.Now)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(openapitest.Wrap(t, app.Handler()))
	t.Cleanup(func() {
		srv.Close()
		app.Close()
	})
	return &env{t: t, app: app, srv: srv, clock: clk, cfg: cfg}
}

// seed creates an admin with an operator token and an ordinary user, with
// fixed IDs so bodies can be compared byte for byte.
func (e *env) seed() {
	e.t.Helper()
	ctx := context.Background()
	svc := e.app.Service()
	if _, err := svc.CreateUser(ctx, auth.NewUser{TenantID: auth.DefaultTenantID, ID: adminID, Name: adminName, Password: adminPass, Admin: true}); err != nil {
		e.t.Fatal(err)
	}
	if _, err := svc.CreateUser(ctx, auth.NewUser{TenantID: auth.DefaultTenantID, ID: userID, Name: userName, Password: userPass}); err != nil {
		e.t.Fatal(err)
	}
	if _, _, err := svc.CreateToken(ctx, auth.NewAPIToken{TenantID: auth.DefaultTenantID, UserID: adminID, Token: operToken, Permissions: operatorPermissionsForTest()}); err != nil {
		e.t.Fatal(err)
	}
}

// tenant creates a tenant of the tenant auth API.
func (e *env) tenant(name string) *auth.Tenant {
	e.t.Helper()
	t, _, err := e.app.Service().CreateTenant(context.Background(), auth.NewTenant{Name: name})
	if err != nil {
		e.t.Fatal(err)
	}
	return t
}

func operatorPermissionsForTest() []auth.Permission {
	var ps []auth.Permission
	for _, t := range []string{"authorizations", "users", "orgs"} {
		ps = append(ps, auth.Permission{Action: "read", Type: t}, auth.Permission{Action: "write", Type: t})
	}
	return ps
}

// req describes one HTTP request.
type req struct {
	method  string
	path    string
	body    string
	headers map[string]string
	basic   []string // user, password
	cookie  string
	token   string
}

// getJSON is GET r.path (r's method is ignored), which must answer 200
// with a JSON body, decoded into a T.
func getJSON[T any](t testing.TB, e *env, r req) T {
	t.Helper()
	r.method = "GET"
	resp, body := e.do(r)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %s", r.path, resp.StatusCode, body)
	}
	var v T
	if err := json.Unmarshal([]byte(body), &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func (e *env) do(r req) (*http.Response, string) {
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
		hr.Header.Set("Cookie", sessionKey+"="+r.cookie)
	}
	if r.token != "" {
		hr.Header.Set("Authorization", "Token "+r.token)
	}
	resp, err := http.DefaultClient.Do(hr)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return resp, string(b)
}

// signin signs in and returns the session cookie's value.
func (e *env) signin(user, pass string) string {
	e.t.Helper()
	resp, body := e.do(req{method: "POST", path: "/api/v2/signin", basic: []string{user, pass}})
	if resp.StatusCode != http.StatusNoContent {
		e.t.Fatalf("signin %s: %d %s", user, resp.StatusCode, body)
	}
	for _, c := range resp.Cookies() {
		if c.Name == sessionKey {
			return c.Value
		}
	}
	e.t.Fatal("signin set no session cookie")
	return ""
}

func (e *env) status(r req) int {
	e.t.Helper()
	resp, _ := e.do(r)
	return resp.StatusCode
}
