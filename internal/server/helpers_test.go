package server_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

const (
	adminPass = "admin-password"
	operToken = "operator-token-for-multi-instance-tests"
	bobPass   = "bob-password"
	tenantPW  = "securepassword123"
)

// device are the tenant API's client headers, as a phone sends them.
var device = map[string]string{
	"x-locale": "tr", "x-country": "TR", "x-device-id": "123456",
	"x-client-version": "1.0.0", "x-platform": "ios", "x-platform-version": "18.0.0",
}

var client = &http.Client{Timeout: 10 * time.Second}

// answer is one HTTP response, read whole.
type answer struct {
	status  int
	body    string
	header  http.Header
	cookies []*http.Cookie
	took    time.Duration
}

func (a answer) json(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(a.body), &m); err != nil {
		t.Fatalf("not JSON (%d): %q", a.status, a.body)
	}
	return m
}

// request is one call.
type request struct {
	method, url, body string
	headers           map[string]string
	basic             []string // user, password
	cookie            *http.Cookie
}

func do(t testing.TB, r request) answer {
	t.Helper()
	var body io.Reader
	if r.body != "" {
		body = strings.NewReader(r.body)
	}
	hr, err := http.NewRequest(r.method, r.url, body)
	if err != nil {
		t.Fatal(err)
	}
	if r.body != "" {
		hr.Header.Set("Content-Type", "application/json")
	}
	for k, v := range r.headers {
		hr.Header.Set(k, v)
	}
	if len(r.basic) == 2 {
		hr.SetBasicAuth(r.basic[0], r.basic[1])
	}
	if r.cookie != nil {
		hr.AddCookie(r.cookie)
	}
	start := time.Now()
	resp, err := client.Do(hr)
	if err != nil {
		t.Fatalf("%s %s: %v", r.method, r.url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: %v", r.method, r.url, err)
	}
	return answer{status: resp.StatusCode, body: string(b), header: resp.Header, cookies: resp.Cookies(), took: time.Since(start)}
}

func want(t testing.TB, what string, a answer, status int) {
	t.Helper()
	if a.status != status {
		t.Fatalf("%s: got %d %s, want %d", what, a.status, a.body, status)
	}
}

func token(tok string) map[string]string { return map[string]string{"Authorization": "Token " + tok} }

// setup onboards the first user and the operator token through base.
func setup(t testing.TB, base string) {
	t.Helper()
	a := do(t, request{method: "POST", url: base + "/api/v2/setup",
		body: `{"username":"admin","password":"` + adminPass + `","org":"acme","bucket":"b","token":"` + operToken + `"}`})
	want(t, "setup", a, http.StatusCreated)
}

// createUser makes a user with a password through base and returns its ID.
func createUser(t testing.TB, base, name, password string) string {
	t.Helper()
	a := do(t, request{method: "POST", url: base + "/api/v2/users", body: `{"name":"` + name + `"}`, headers: token(operToken)})
	want(t, "create user", a, http.StatusCreated)
	id, _ := a.json(t)["id"].(string)
	a = do(t, request{method: "POST", url: base + "/api/v2/users/" + id + "/password", body: `{"password":"` + password + `"}`, headers: token(operToken)})
	want(t, "set password", a, http.StatusNoContent)
	return id
}

// influxSignin signs in through the InfluxDB dialect and returns the
// session cookie.
func influxSignin(t testing.TB, base, user, password string) *http.Cookie {
	t.Helper()
	a := do(t, request{method: "POST", url: base + "/api/v2/signin", basic: []string{user, password}})
	want(t, "influx signin", a, http.StatusNoContent)
	for _, c := range a.cookies {
		if c.Name == "influxdb-oss-session" {
			return &http.Cookie{Name: c.Name, Value: c.Value}
		}
	}
	t.Fatal("no session cookie")
	return nil
}

func influxMe(t testing.TB, base string, c *http.Cookie) answer {
	t.Helper()
	return do(t, request{method: "GET", url: base + "/api/v2/me", cookie: c})
}

// rocket is a Rocket.Chat login.
type rocket struct{ userID, token string }

func (r rocket) headers() map[string]string {
	return map[string]string{"X-User-Id": r.userID, "X-Auth-Token": r.token}
}

func rocketLogin(t testing.TB, base, user, password string) rocket {
	t.Helper()
	a := do(t, request{method: "POST", url: base + "/api/v1/login", body: `{"user":"` + user + `","password":"` + password + `"}`})
	want(t, "rocket login", a, http.StatusOK)
	data, _ := a.json(t)["data"].(map[string]any)
	r := rocket{}
	r.userID, _ = data["userId"].(string)
	r.token, _ = data["authToken"].(string)
	if r.userID == "" || r.token == "" {
		t.Fatalf("rocket login: %s", a.body)
	}
	return r
}

func rocketMe(t testing.TB, base string, r rocket) answer {
	t.Helper()
	return do(t, request{method: "GET", url: base + "/api/v1/me", headers: r.headers()})
}

// tenant is a tenant of the /auth API.
type tenant struct{ id, token string }

func createTenant(t testing.TB, base, name string) tenant {
	t.Helper()
	a := do(t, request{method: "POST", url: base + "/api/v2/tenants", body: `{"name":"` + name + `"}`, headers: token(operToken)})
	want(t, "create tenant", a, http.StatusCreated)
	m := a.json(t)
	x := tenant{}
	x.id, _ = m["id"].(string)
	x.token, _ = m["token"].(string)
	if x.id == "" || x.token == "" {
		t.Fatalf("create tenant: %s", a.body)
	}
	return x
}

func (x tenant) headers(accessToken string) map[string]string {
	h := map[string]string{"x-tenant-token": x.token}
	for k, v := range device {
		h[k] = v
	}
	if accessToken != "" {
		h["x-token"] = accessToken
	}
	return h
}

// tenantAuth signs up (path /auth/signup) or in (/auth/signin) and
// returns the access token.
func tenantAuth(t testing.TB, base, path string, x tenant, email string) string {
	t.Helper()
	a := do(t, request{method: "POST", url: base + path, headers: x.headers(""),
		body: `{"method":"password","email":"` + email + `","password":"` + tenantPW + `"}`})
	want(t, "tenant "+path, a, http.StatusCreated)
	data, _ := a.json(t)["data"].(map[string]any)
	tok, _ := data["accessToken"].(string)
	if tok == "" {
		t.Fatalf("%s: no access token in %s", path, a.body)
	}
	return tok
}

func tenantMe(t testing.TB, base string, x tenant, accessToken string) answer {
	t.Helper()
	return do(t, request{method: "GET", url: base + "/auth/me", headers: x.headers(accessToken)})
}
