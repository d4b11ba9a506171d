package securitytest

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/sessiond/sessiond/internal/auth"
	"github.com/sessiond/sessiond/internal/config"
)

// Behind a trusted proxy every client is who the proxy says: each of
// twelve clients forwarded by one proxy gets its own lockout budget (5
// failures) and its own rate-limit budget, on all three APIs and the
// account pages, and the lockout list names the clients, never the proxy.
// Before the client address was resolved once in httpkit, only /auth
// honoured --trusted-proxies: one client's failures locked out everyone.
func TestProxyClientsHaveTheirOwnBudgets(t *testing.T) {
	const clients, failures, calls = 12, 5, 7 // a correct, the failures, a locked one
	e := start(t, options{tune: func(c *config.Config) {
		c.TrustedProxies = "127.0.0.1, ::1"
		c.LockoutIPLimit, c.LockoutAccountLimit = failures, 1000
		c.RocketRateLimit, c.TenantSigninLimit = calls, calls
	}})
	e.seed()
	ctx := context.Background()
	svc := e.app.Service()
	ten, tenToken, err := svc.CreateTenant(ctx, auth.NewTenant{Name: "acme", Policy: auth.PolicyUpdate{ClientHeaders: ptr(auth.ClientHeadersAccept)}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.CreateUser(ctx, auth.NewUser{TenantID: ten.ID, Name: "u@example.com", Email: "u@example.com", Password: bobPass}); err != nil {
		t.Fatal(err)
	}

	// Each API: a sign-in with the right or a wrong password from client
	// ip, and the statuses that mean "signed in", "wrong" and "locked".
	type api struct {
		name              string
		net               string // the clients' addresses: net + "." + i
		signin            func(t *testing.T, ip string, login, pw string) int
		ok, wrong, locked int
		rateLimited       int // the status past the rate limit (0: none checked)
		login             string
	}
	influx := func(t *testing.T, ip, login, pw string) int {
		return e.do(req{method: "POST", path: "/api/v2/signin", basic: []string{login, pw}, headers: map[string]string{"X-Forwarded-For": ip}}).StatusCode
	}
	rocket := func(t *testing.T, ip, login, pw string) int {
		body, _ := json.Marshal(map[string]string{"user": login, "password": pw})
		return e.do(req{method: "POST", path: "/api/v1/login", body: string(body), headers: map[string]string{"X-Forwarded-For": ip, "Content-Type": "application/json"}}).StatusCode
	}
	tenant := func(t *testing.T, ip, login, pw string) int {
		body, _ := json.Marshal(map[string]string{"method": "password", "email": login, "password": pw})
		return e.do(req{method: "POST", path: "/auth/signin", body: string(body), headers: map[string]string{
			"X-Forwarded-For": ip, "Content-Type": "application/json", "x-tenant-token": tenToken,
		}}).StatusCode
	}
	pages := func(t *testing.T, ip, login, pw string) int { return uiSignIn(t, e, ip, login, pw) }
	apis := []api{
		{name: "influxdb", net: "198.51.100", signin: influx, ok: 204, wrong: 401, locked: 401, login: bobName},
		{name: "rocketchat", net: "198.51.101", signin: rocket, ok: 200, wrong: 401, locked: 401, rateLimited: 429, login: bobName},
		{name: "tenant", net: "198.51.102", signin: tenant, ok: 201, wrong: 401, locked: 429, rateLimited: 429, login: "u@example.com"},
		{name: "ui", net: "198.51.103", signin: pages, ok: 303, wrong: 401, locked: 429, login: bobName},
	}
	for _, a := range apis {
		t.Run(a.name, func(t *testing.T) {
			for i := 1; i <= clients; i++ {
				ip := fmt.Sprintf("%s.%d", a.net, i)
				if s := a.signin(t, ip, a.login, bobPass); s != a.ok {
					t.Fatalf("client %d, right password: %d, want %d (locked or limited by another client)", i, s, a.ok)
				}
				for j := range failures {
					login := fmt.Sprintf("nobody-%s-%d-%d@example.com", a.name, i, j)
					if s := a.signin(t, ip, login, "wrong-password"); s != a.wrong {
						t.Fatalf("client %d, failure %d: %d, want %d", i, j+1, s, a.wrong)
					}
				}
				if s := a.signin(t, ip, a.login, bobPass); s != a.locked {
					t.Fatalf("client %d, right password after %d failures: %d, want %d (its own lock)", i, failures, s, a.locked)
				}
				if a.rateLimited != 0 {
					if s := a.signin(t, ip, a.login, bobPass); s != a.rateLimited {
						t.Fatalf("client %d, call %d: %d, want %d (its own rate limit)", i, calls+1, s, a.rateLimited)
					}
				}
			}
		})
	}

	var list struct {
		Lockouts []struct {
			Kind string `json:"kind"`
			IP   string `json:"ip"`
		} `json:"lockouts"`
	}
	if err := json.Unmarshal([]byte(e.do(req{method: "GET", path: "/api/v2/lockouts", token: operToken}).body), &list); err != nil {
		t.Fatal(err)
	}
	ips := map[string]bool{}
	for _, l := range list.Lockouts {
		if l.Kind == "ip" {
			ips[l.IP] = true
		}
	}
	if ips["127.0.0.1"] || ips["::1"] {
		t.Fatalf("the proxy's own address is counted: %v", ips)
	}
	if len(ips) != clients*len(apis) {
		t.Fatalf("%d client addresses in the lockout list, want %d: %v", len(ips), clients*len(apis), ips)
	}
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// uiSignIn signs in on the account pages as a browser behind the proxy
// at ip would: it loads the form, then posts it.
func uiSignIn(t *testing.T, e *env, ip, login, pw string) int {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := e.client()
	c.Jar = jar
	get, _ := http.NewRequest("GET", e.srv.URL+"/ui/signin", nil)
	get.Header.Set("X-Forwarded-For", ip)
	res, err := c.Do(get)
	if err != nil {
		t.Fatal(err)
	}
	var page strings.Builder
	buf := make([]byte, 4096)
	for {
		n, err := res.Body.Read(buf)
		page.Write(buf[:n])
		if err != nil {
			break
		}
	}
	res.Body.Close()
	m := csrfField.FindStringSubmatch(page.String())
	if m == nil {
		t.Fatalf("no csrf field on the sign-in page: %d", res.StatusCode)
	}
	form := url.Values{"username": {login}, "password": {pw}, "csrf": {m[1]}}
	post, _ := http.NewRequest("POST", e.srv.URL+"/ui/signin", strings.NewReader(form.Encode()))
	post.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	post.Header.Set("X-Forwarded-For", ip)
	post.Header.Set("Origin", e.srv.URL)
	res, err = c.Do(post)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

func ptr[T any](v T) *T { return &v }
