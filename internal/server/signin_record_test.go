package server_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sessiond/sessiond/internal/auth"
	"github.com/sessiond/sessiond/internal/config"
	"github.com/sessiond/sessiond/internal/server/servertest"
)

// auditLine is the part of an audit log line this test reads.
type auditLine struct {
	Event   string `json:"event"`
	Outcome string `json:"outcome"`
	API     string `json:"api"`
	Method  string `json:"method"`
	Tenant  string `json:"tenant"`
	User    string `json:"user"`
	Session string `json:"session"`
	IP      string `json:"ip"`
}

// signInEvents reads every signin event of the audit log at path.
func signInEvents(t *testing.T, path string) []auditLine {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []auditLine
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var l auditLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("audit line %q: %v", sc.Text(), err)
		}
		if l.Event == auth.EventSignIn {
			out = append(out, l)
		}
	}
	return out
}

var signInMetric = regexp.MustCompile(`(?m)^sessiond_signins_total\{api="(\w+)",outcome="(\w+)"\} (\d+)$`)

// signInCounts scrapes sessiond_signins_total by api and outcome.
func signInCounts(t *testing.T, base string) map[[2]string]int {
	t.Helper()
	out := map[[2]string]int{}
	for _, m := range signInMetric.FindAllStringSubmatch(do(t, request{method: "GET", url: base + "/metrics"}).body, -1) {
		n, _ := strconv.Atoi(m[3])
		out[[2]string{m[1], m[2]}] = n
	}
	return out
}

// Every sign-in, whichever API and method and however it ends, passes
// through the core's one entry and leaves exactly one audit event and one
// increment of sessiond_signins_total, labelled alike. Before, guest and
// sign-up sessions left none, and four packages each kept their own copy
// of the outcome-to-metric switch.
func TestEverySignInRecordedOnce(t *testing.T) {
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	cfg.AuditLog = filepath.Join(t.TempDir(), "audit.jsonl")
	cfg.LockoutAccountLimit, cfg.LockoutIPLimit = 3, 1000
	cfg.RocketRateLimit = 0
	clk := servertest.NewClock(time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC))
	app, srv := servertest.Serve(t, cfg, clk.Now)
	base := srv.URL
	ctx := context.Background()
	svc := app.Service()
	setup(t, base)
	createUser(t, base, "bob", bobPass)
	carolID := createUser(t, base, "carol", bobPass)
	createUser(t, base, "dave", bobPass)
	createUser(t, base, "erin", bobPass)
	inactive := auth.StateInactive
	if _, err := svc.UpdateUser(ctx, auth.DefaultTenantID, carolID, auth.UserUpdate{State: &inactive}); err != nil {
		t.Fatal(err)
	}
	// dave may not sign in: through the InfluxDB dialect's user route.
	daveID := lookupID(t, base, "dave")
	a := do(t, request{method: "PATCH", url: base + "/api/v2/users/" + daveID, body: `{"restrictedCapabilities":["signin"]}`, headers: token(operToken)})
	want(t, "restrict dave", a, http.StatusOK)
	ten, tenToken, err := svc.CreateTenant(ctx, auth.NewTenant{Name: "acme", Policy: auth.PolicyUpdate{ClientHeaders: ptrTo(auth.ClientHeadersAccept)}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.CreateUser(ctx, auth.NewUser{TenantID: ten.ID, Name: "u@example.com", Email: "u@example.com", Password: tenantPW}); err != nil {
		t.Fatal(err)
	}
	for range 3 { // erin's login locks
		do(t, request{method: "POST", url: base + "/api/v2/signin", basic: []string{"erin", "wrong-password"}})
	}
	login := do(t, request{method: "POST", url: base + "/api/v1/login", body: `{"user":"bob","password":"` + bobPass + `"}`})
	want(t, "rocket login", login, http.StatusOK)
	resume := login.json(t)["data"].(map[string]any)["authToken"].(string)

	rocket := func(body string) request { return request{method: "POST", url: base + "/api/v1/login", body: body} }
	tenant := func(path, body string) request {
		return request{method: "POST", url: base + path, body: body, headers: map[string]string{"x-tenant-token": tenToken, "x-device-id": "phone-1"}}
	}
	tests := []struct {
		name                 string
		r                    *request // nil: the account pages
		ui                   []string // user, password for the account pages
		status               int
		api, outcome, method string
	}{
		{name: "influx, right password", r: &request{method: "POST", url: base + "/api/v2/signin", basic: []string{"bob", bobPass}}, status: 204, api: "influxdb", outcome: "success", method: "password"},
		{name: "influx, wrong password", r: &request{method: "POST", url: base + "/api/v2/signin", basic: []string{"bob", "wrong-password"}}, status: 401, api: "influxdb", outcome: "failure", method: "password"},
		{name: "influx, unknown user", r: &request{method: "POST", url: base + "/api/v2/signin", basic: []string{"nobody", "wrong-password"}}, status: 401, api: "influxdb", outcome: "failure", method: "password"},
		{name: "influx, empty password", r: &request{method: "POST", url: base + "/api/v2/signin", basic: []string{"bob", ""}}, status: 401, api: "influxdb", outcome: "invalid", method: "password"},
		{name: "influx, inactive user", r: &request{method: "POST", url: base + "/api/v2/signin", basic: []string{"carol", bobPass}}, status: 403, api: "influxdb", outcome: "inactive", method: "password"},
		{name: "influx, restricted user", r: &request{method: "POST", url: base + "/api/v2/signin", basic: []string{"dave", bobPass}}, status: 403, api: "influxdb", outcome: "restricted", method: "password"},
		{name: "influx, locked login", r: &request{method: "POST", url: base + "/api/v2/signin", basic: []string{"erin", bobPass}}, status: 401, api: "influxdb", outcome: "locked", method: "password"},
		{name: "rocket, password", r: ptrTo(rocket(`{"user":"bob","password":"` + bobPass + `"}`)), status: 200, api: "rocketchat", outcome: "success", method: "password"},
		{name: "rocket, digest", r: ptrTo(rocket(`{"user":"bob","password":{"digest":"` + auth.Digest(bobPass) + `","algorithm":"sha-256"}}`)), status: 200, api: "rocketchat", outcome: "success", method: "password"},
		{name: "rocket, resume", r: ptrTo(rocket(`{"resume":"` + resume + `"}`)), status: 200, api: "rocketchat", outcome: "success", method: "resume"},
		{name: "rocket, unknown resume", r: ptrTo(rocket(`{"resume":"no-such-token"}`)), status: 401, api: "rocketchat", outcome: "failure", method: "resume"},
		{name: "rocket, restricted user", r: ptrTo(rocket(`{"user":"dave","password":"` + bobPass + `"}`)), status: 403, api: "rocketchat", outcome: "restricted", method: "password"},
		{name: "tenant, password", r: ptrTo(tenant("/auth/signin", `{"method":"password","email":"u@example.com","password":"`+tenantPW+`"}`)), status: 201, api: "tenant", outcome: "success", method: "password"},
		{name: "tenant, guest", r: ptrTo(tenant("/auth/signin", `{"method":"guest"}`)), status: 201, api: "tenant", outcome: "success", method: "guest"},
		{name: "tenant, sign-up", r: ptrTo(tenant("/auth/signup", `{"method":"password","email":"new@example.com","password":"`+tenantPW+`"}`)), status: 201, api: "tenant", outcome: "success", method: "password"},
		{name: "tenant, sign-up of a taken email", r: ptrTo(tenant("/auth/signup", `{"method":"password","email":"u@example.com","password":"`+tenantPW+`"}`)), status: 409, api: "tenant", outcome: "conflict", method: "password"},
		{name: "tenant, a method not served", r: ptrTo(tenant("/auth/signin", `{"method":"google","token":"x"}`)), status: 403, api: "tenant", outcome: "restricted", method: "google"},
		{name: "tenant, bad email", r: ptrTo(tenant("/auth/signin", `{"method":"password","email":"not-an-email","password":"`+tenantPW+`"}`)), status: 400, api: "tenant", outcome: "invalid", method: "password"},
		{name: "account pages, right password", ui: []string{"bob", bobPass}, status: 303, api: "ui", outcome: "success", method: "password"},
		{name: "account pages, wrong password", ui: []string{"bob", "wrong-password"}, status: 401, api: "ui", outcome: "failure", method: "password"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			events := signInEvents(t, cfg.AuditLog)
			counts := signInCounts(t, base)
			sessions, err := svc.CountSessions(ctx)
			if err != nil {
				t.Fatal(err)
			}
			var status int
			if tt.r != nil {
				a := do(t, *tt.r)
				status = a.status
				if status != tt.status {
					t.Logf("body %s", a.body)
				}
			} else {
				status = pageSignIn(t, base, tt.ui[0], tt.ui[1])
			}
			if status != tt.status {
				t.Fatalf("status %d, want %d", status, tt.status)
			}
			after := signInEvents(t, cfg.AuditLog)
			if len(after) != len(events)+1 {
				t.Fatalf("%d sign-in events recorded, want exactly 1", len(after)-len(events))
			}
			ev := after[len(after)-1]
			if ev.API != tt.api || ev.Outcome != tt.outcome || ev.Method != tt.method {
				t.Fatalf("event %+v, want api %s, outcome %s, method %s", ev, tt.api, tt.outcome, tt.method)
			}
			if tt.outcome == "success" && ev.Session == "" {
				t.Fatalf("a successful sign-in's event names no session: %+v", ev)
			}
			// Only a success holds a session: no refused sign-in (a
			// restricted user's included) starts one to revoke it after.
			// A resume continues its session.
			made := 0
			if tt.outcome == "success" && tt.method != "resume" {
				made = 1
			}
			if n, err := svc.CountSessions(ctx); err != nil || n != sessions+made {
				t.Fatalf("%d sessions after, %d before (%v); want %d more", n, sessions, err, made)
			}
			now := signInCounts(t, base)
			for k, n := range now {
				d := n - counts[k]
				switch {
				case k == [2]string{tt.api, tt.outcome} && d != 1:
					t.Fatalf("sessiond_signins_total%v rose by %d, want 1", k, d)
				case k != [2]string{tt.api, tt.outcome} && d != 0:
					t.Fatalf("sessiond_signins_total%v rose by %d, want 0", k, d)
				}
			}
			if _, ok := now[[2]string{tt.api, tt.outcome}]; !ok {
				t.Fatalf("no sessiond_signins_total{api=%q,outcome=%q}", tt.api, tt.outcome)
			}
		})
	}
}

// lookupID finds a default-tenant user's ID by name through the API.
func lookupID(t *testing.T, base, name string) string {
	t.Helper()
	a := do(t, request{method: "GET", url: base + "/api/v2/users?name=" + name, headers: token(operToken)})
	want(t, "find "+name, a, http.StatusOK)
	var out struct {
		Users []struct {
			ID string `json:"id"`
		} `json:"users"`
	}
	if err := json.Unmarshal([]byte(a.body), &out); err != nil || len(out.Users) != 1 {
		t.Fatalf("find %s: %v %s", name, err, a.body)
	}
	return out.Users[0].ID
}

var csrfInput = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// pageSignIn posts the account pages' sign-in form as a browser would and
// returns the status.
func pageSignIn(t *testing.T, base, user, password string) int {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := c.Get(base + "/ui/signin")
	if err != nil {
		t.Fatal(err)
	}
	var page strings.Builder
	sc := bufio.NewScanner(res.Body)
	for sc.Scan() {
		page.WriteString(sc.Text())
	}
	res.Body.Close()
	m := csrfInput.FindStringSubmatch(page.String())
	if m == nil {
		t.Fatal("no csrf field on the sign-in page")
	}
	res, err = c.PostForm(base+"/ui/signin", url.Values{"username": {user}, "password": {password}, "csrf": {m[1]}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

func ptrTo[T any](v T) *T { return &v }
