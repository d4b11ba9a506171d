package rocketapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
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

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

// cheap keeps argon2id fast in tests; production never goes below
// auth.DefaultArgon2.
var cheap = auth.Argon2Params{MemoryKiB: 64, Time: 1, Threads: 1}

// epoch is the fixed start of every test clock, so golden bodies can hold
// real timestamps.
var epoch = time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)

const (
	adminID   = "0a1b2c3d4e5f6789"
	adminName = "root"
	adminPass = "root-password"
	bobID     = "00000000000000b0"
	bobName   = "bob"
	bobEmail  = "bob@example.com"
	bobPass   = "bob-password"
	carolID   = "00000000000000c0"
	carolName = "carol"
	carolPass = "carol-password"

	// host is the Host every test request is sent to.
	host = "chat.example.com"

	firefoxUA = "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:126.0) Gecko/20100101 Firefox/126.0"
	chromeUA  = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/125.0.0.0 Safari/537.36"
	mobileUA  = "RC Mobile; ios 17.5; v4.49.0 (58123)"
)

// clock is the settable time source shared by the server under test.
type clock = servertest.Clock

// env is one sessiond under test with three users: root (admin), bob and
// carol.
type env struct {
	t     testing.TB
	app   *server.App
	srv   *httptest.Server
	clock *clock
}

// start opens a server on a fresh data directory. The rate limiter is off
// unless tune turns it on.
func start(t testing.TB, tune ...func(*config.Config)) *env {
	t.Helper()
	dir := func(c *config.Config) { c.DataDir = t.TempDir() }
	e := attach(t, servertest.NewClock(epoch), append([]func(*config.Config){dir}, tune...)...)
	for _, u := range []auth.NewUser{
		{ID: adminID, Name: adminName, Password: adminPass, Admin: true},
		{ID: bobID, Name: bobName, Email: bobEmail, Password: bobPass},
		{ID: carolID, Name: carolName, Password: carolPass},
	} {
		u.TenantID = auth.DefaultTenantID
		if _, err := e.app.Service().CreateUser(context.Background(), u); err != nil {
			t.Fatal(err)
		}
	}
	return e
}

// attach opens another server on clk, with no users of its own: given the
// data directory of a running one, it is a second instance of it.
func attach(t testing.TB, clk *clock, tune ...func(*config.Config)) *env {
	t.Helper()
	cfg := config.Default()
	cfg.PasswordHashCost = &cheap
	cfg.RocketRateLimit = 0
	for _, f := range tune {
		f(&cfg)
	}
	app, err := server.Open(context.Background(), cfg, nil, clk.Now)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(openapitest.Wrap(t, app.Handler()))
	t.Cleanup(func() {
		srv.Close()
		app.Close()
	})
	return &env{t: t, app: app, srv: srv, clock: clk}
}

// reply is one HTTP answer.
type reply struct {
	status int
	header http.Header
	body   []byte
}

// json decodes the body into a generic value.
func (r reply) json(t testing.TB) map[string]any {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal(r.body, &v); err != nil {
		t.Fatalf("body %q is not a JSON object: %v", r.body, err)
	}
	return v
}

// req describes one request.
type req struct {
	method string
	path   string
	body   string
	ctype  string // application/json when a body is set and this is empty
	cred   *cred
	ua     string
	header map[string]string
}

// cred is a Rocket.Chat login: X-User-Id and X-Auth-Token.
type cred struct {
	userID, token string
}

func (e *env) do(r req) reply {
	e.t.Helper()
	var body io.Reader
	if r.body != "" {
		body = strings.NewReader(r.body)
	}
	hr, err := http.NewRequest(r.method, e.srv.URL+r.path, body)
	if err != nil {
		e.t.Fatal(err)
	}
	hr.Host = host
	if r.body != "" {
		ct := r.ctype
		if ct == "" {
			ct = "application/json"
		}
		hr.Header.Set("Content-Type", ct)
	}
	hr.Header.Set("User-Agent", r.ua)
	if r.cred != nil {
		hr.Header.Set("X-User-Id", r.cred.userID)
		hr.Header.Set("X-Auth-Token", r.cred.token)
	}
	for k, v := range r.header {
		hr.Header.Set(k, v)
	}
	resp, err := e.srv.Client().Do(hr)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return reply{resp.StatusCode, resp.Header, b}
}

func (e *env) get(path string, c *cred) reply { return e.do(req{method: "GET", path: path, cred: c}) }

func (e *env) post(path, body string, c *cred) reply {
	return e.do(req{method: "POST", path: path, body: body, cred: c})
}

// login signs in with a JSON body from a client with User-Agent ua and
// returns the credentials.
func (e *env) login(user, pw, ua string) cred {
	e.t.Helper()
	return e.loginFrom(user, pw, ua, "")
}

// loginFrom is login from the client address ip, given in
// X-Forwarded-For (which counts only with --trusted-proxies); "" sends
// none.
func (e *env) loginFrom(user, pw, ua, ip string) cred {
	e.t.Helper()
	b, _ := json.Marshal(map[string]string{"user": user, "password": pw})
	var hdr map[string]string
	if ip != "" {
		hdr = map[string]string{"X-Forwarded-For": ip}
	}
	r := e.do(req{method: "POST", path: "/api/v1/login", body: string(b), ua: ua, header: hdr})
	if r.status != http.StatusOK {
		e.t.Fatalf("login %s: status %d, body %s", user, r.status, r.body)
	}
	var out struct {
		Data struct {
			UserID    string `json:"userId"`
			AuthToken string `json:"authToken"`
		} `json:"data"`
	}
	if err := json.Unmarshal(r.body, &out); err != nil {
		e.t.Fatal(err)
	}
	return cred{out.Data.UserID, out.Data.AuthToken}
}

// sessionOf returns the core session ID behind a token.
func (e *env) sessionOf(c cred) string {
	e.t.Helper()
	s, _, err := e.app.Service().Authenticate(context.Background(), c.token, auth.CheckOptions{})
	if err != nil {
		e.t.Fatalf("token of %s: %v", c.userID, err)
	}
	return s.ID
}

func query(kv ...string) string {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Add(kv[i], kv[i+1])
	}
	return "?" + v.Encode()
}

func wantStatus(t testing.TB, r reply, want int) {
	t.Helper()
	if r.status != want {
		t.Fatalf("status = %d, want %d; body %s", r.status, want, r.body)
	}
}

var isoStamp = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$`)

// golden compares a body with testdata/<name>.json after replacing each
// key of subst (session IDs, tokens) with its value. With -update it
// rewrites the file instead.
func golden(t testing.TB, name string, body []byte, subst map[string]string) {
	t.Helper()
	s := string(body)
	for from, to := range subst {
		if from != "" {
			s = strings.ReplaceAll(s, from, to)
		}
	}
	var pretty bytes.Buffer
	if err := json.Indent(&pretty, []byte(s), "", "  "); err != nil {
		t.Fatalf("%s: body is not JSON: %v\n%s", name, err, body)
	}
	pretty.WriteByte('\n')
	path := filepath.Join("testdata", name+".json")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, pretty.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%s: %v (run with -update to create it)", name, err)
	}
	if got := pretty.String(); got != string(want) {
		t.Errorf("%s: body differs from %s\ngot:\n%s\nwant:\n%s", name, path, got, want)
	}
}
