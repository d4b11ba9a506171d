package tenantapi_test

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
	"github.com/sessiond/sessiond/internal/openapitest"
	"github.com/sessiond/sessiond/internal/server"
	"github.com/sessiond/sessiond/internal/server/servertest"
	"github.com/sessiond/sessiond/internal/tenantapi"
)

// cheap keeps argon2id fast in tests; production never goes below
// auth.DefaultArgon2.
var cheap = auth.Argon2Params{MemoryKiB: 64, Time: 1, Threads: 1}

// epoch is the reference's example time, so golden bodies read like it.
var epoch = time.Date(2025, 1, 15, 10, 30, 0, 0, time.UTC)

// requestID is sent as X-Request-Id, which the server keeps.
const requestID = "req-12345"

const (
	password = "securepassword123"
	operator = "operator-token-for-tenant-tests"
)

// clock is the settable time source shared by the server under test.
type clock = servertest.Clock

// env is one sessiond under test, served by httptest as an end-to-end
// test would run it.
type env struct {
	t       testing.TB
	app     *server.App
	srv     *httptest.Server
	clock   *clock
	dataDir string
}

func start(t testing.TB, tune ...func(*config.Config)) *env {
	t.Helper()
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	cfg.HTTPBindAddress = "127.0.0.1:0"
	cfg.PasswordHashCost = &cheap
	for _, f := range tune {
		f(&cfg)
	}
	clk := servertest.NewClock(epoch)
	app, err := server.Open(context.Background(), cfg, nil, clk.Now)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(openapitest.Wrap(t, app.Handler()))
	t.Cleanup(func() {
		srv.Close()
		app.Close()
	})
	e := &env{t: t, app: app, srv: srv, clock: clk, dataDir: cfg.DataDir}
	ctx := context.Background()
	svc := app.Service()
	admin, err := svc.CreateUser(ctx, auth.NewUser{TenantID: auth.DefaultTenantID, Name: "admin", Password: "admin-password", Admin: true})
	if err != nil {
		t.Fatal(err)
	}
	perms := []auth.Permission{{Action: "read", Type: "orgs"}, {Action: "write", Type: "orgs"}}
	if _, _, err := svc.CreateToken(ctx, auth.NewAPIToken{TenantID: auth.DefaultTenantID, UserID: admin.ID, Token: operator, Permissions: perms}); err != nil {
		t.Fatal(err)
	}
	return e
}

// tenant is one tenant of the API under test.
type tenant struct {
	ID    string
	Token string
}

// tenant creates a tenant through the management API, so the tests drive
// the operator's path too.
func (e *env) tenant(name string, body ...string) tenant {
	e.t.Helper()
	b := `{"name":"` + name + `"}`
	if len(body) > 0 {
		b = body[0]
	}
	resp, out := e.do(call{method: "POST", path: "/api/v2/tenants", body: b, headers: map[string]string{"Authorization": "Token " + operator}})
	if resp.StatusCode != http.StatusCreated {
		e.t.Fatalf("create tenant: %d %s", resp.StatusCode, out)
	}
	var t tenant
	if err := json.Unmarshal([]byte(out), &t); err != nil || t.Token == "" {
		e.t.Fatalf("create tenant: %v %s", err, out)
	}
	return t
}

// update changes a tenant's policy through the management API.
func (e *env) update(t tenant, body string) {
	e.t.Helper()
	resp, out := e.do(call{method: "PATCH", path: "/api/v2/tenants/" + t.ID, body: body, headers: map[string]string{"Authorization": "Token " + operator}})
	if resp.StatusCode != http.StatusOK {
		e.t.Fatalf("update tenant: %d %s", resp.StatusCode, out)
	}
}

// call is one request.
type call struct {
	method  string
	path    string
	body    string
	tenant  string // x-tenant-token
	token   string // x-token
	headers map[string]string
	bare    bool // no client headers
}

// device are the reference's client headers, as a phone would send them.
var device = map[string]string{
	"x-locale": "tr", "x-country": "TR", "x-device-id": "123456",
	"x-client-version": "1.0.0", "x-platform": "ios", "x-platform-version": "18.0.0",
}

func (e *env) do(c call) (*http.Response, string) {
	e.t.Helper()
	var body io.Reader
	if c.body != "" {
		body = strings.NewReader(c.body)
	}
	r, err := http.NewRequest(c.method, e.srv.URL+c.path, body)
	if err != nil {
		e.t.Fatal(err)
	}
	r.Header.Set("X-Request-Id", requestID)
	if c.body != "" {
		r.Header.Set("Content-Type", "application/json")
	}
	if !c.bare {
		for k, v := range device {
			r.Header.Set(k, v)
		}
	}
	if c.tenant != "" {
		r.Header.Set(tenantapi.TenantTokenHeader, c.tenant)
	}
	if c.token != "" {
		r.Header.Set(tenantapi.UserTokenHeader, c.token)
	}
	for k, v := range c.headers {
		r.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(r)
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

// reply is a decoded envelope.
type reply struct {
	Meta struct {
		RequestID string `json:"requestId"`
		Timestamp string `json:"timestamp"`
	} `json:"meta"`
	Data  json.RawMessage `json:"data"`
	Error *struct {
		Message    string              `json:"message"`
		Code       string              `json:"code"`
		Status     int                 `json:"status"`
		Validation map[string][]string `json:"validation"`
	} `json:"error"`
}

// send makes a call and decodes the envelope, failing on anything that is
// not one.
func (e *env) send(c call) (int, reply) {
	e.t.Helper()
	resp, body := e.do(c)
	var r reply
	if err := json.Unmarshal([]byte(body), &r); err != nil {
		e.t.Fatalf("%s %s: not an envelope: %d %q", c.method, c.path, resp.StatusCode, body)
	}
	if r.Meta.RequestID != requestID || r.Meta.Timestamp == "" {
		e.t.Fatalf("%s %s: bad meta in %s", c.method, c.path, body)
	}
	if r.Error != nil && r.Error.Status != resp.StatusCode {
		e.t.Fatalf("%s %s: error.status %d, HTTP %d", c.method, c.path, r.Error.Status, resp.StatusCode)
	}
	return resp.StatusCode, r
}

// code returns the status and error code of a call ("" on success).
func (e *env) code(c call) (int, string) {
	e.t.Helper()
	st, r := e.send(c)
	if r.Error != nil {
		return st, r.Error.Code
	}
	return st, ""
}

// tokens is the token pair of a sign-in.
type tokens struct {
	AccessToken          string `json:"accessToken"`
	AccessTokenExpireAt  string `json:"accessTokenExpireAt"`
	RefreshToken         string `json:"refreshToken"`
	RefreshTokenExpireAt string `json:"refreshTokenExpireAt"`
	UserID               string `json:"userId"`
	NewUser              *bool  `json:"newUser"`
}

func (e *env) tokens(c call, want int) tokens {
	e.t.Helper()
	st, r := e.send(c)
	if st != want || r.Error != nil {
		e.t.Fatalf("%s %s: got %d %+v, want %d", c.method, c.path, st, r.Error, want)
	}
	var tk tokens
	if err := json.Unmarshal(r.Data, &tk); err != nil {
		e.t.Fatal(err)
	}
	return tk
}

// signup signs a new user up in tenant t.
func (e *env) signup(t tenant, email string) tokens {
	e.t.Helper()
	return e.tokens(call{method: "POST", path: "/auth/signup", tenant: t.Token,
		body: `{"method":"password","email":"` + email + `","password":"` + password + `"}`}, http.StatusCreated)
}

// signin signs an existing user in.
func (e *env) signin(t tenant, email string) tokens {
	e.t.Helper()
	return e.tokens(call{method: "POST", path: "/auth/signin", tenant: t.Token,
		body: `{"method":"password","email":"` + email + `","password":"` + password + `"}`}, http.StatusCreated)
}

// me returns the status GET /auth/me reports.
func (e *env) me(t tenant, token string) string {
	e.t.Helper()
	st, r := e.send(call{method: "GET", path: "/auth/me", tenant: t.Token, token: token})
	if st != http.StatusOK {
		e.t.Fatalf("me: %d %+v", st, r.Error)
	}
	var m struct {
		User struct {
			Status string `json:"status"`
		} `json:"user"`
	}
	json.Unmarshal(r.Data, &m)
	return m.User.Status
}

// stored returns the user's stored status.
func (e *env) stored(t tenant, userID string) string {
	e.t.Helper()
	u, err := e.app.Service().User(context.Background(), t.ID, userID)
	if err != nil {
		e.t.Fatal(err)
	}
	return u.Status()
}

// sessionIDs lists the IDs GET /auth/sessions shows.
func (e *env) sessionIDs(t tenant, token string) []string {
	e.t.Helper()
	st, r := e.send(call{method: "GET", path: "/auth/sessions", tenant: t.Token, token: token})
	if st != http.StatusOK {
		e.t.Fatalf("sessions: %d %+v", st, r.Error)
	}
	var out struct {
		Sessions []struct {
			ID string `json:"id"`
		} `json:"sessions"`
	}
	json.Unmarshal(r.Data, &out)
	var ids []string
	for _, s := range out.Sessions {
		ids = append(ids, s.ID)
	}
	return ids
}
