package tenantapi_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sessiond/sessiond/internal/config"
)

// TestLogoutRateLimit: 30 logouts an hour from one IP pass, the 31st
// answers 429 TOO_MANY_REQUESTS with Retry-After and the rate-limit
// headers, and the next window lets requests through again.
func TestLogoutRateLimit(t *testing.T) {
	e := start(t)
	ten := e.tenant("acme")
	tk := e.signup(ten, "user@example.com")
	logout := call{method: "GET", path: "/auth/logout", tenant: ten.Token, token: tk.AccessToken}
	for i := 1; i <= 30; i++ {
		resp, body := e.do(logout)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("logout %d: %d %s", i, resp.StatusCode, body)
		}
		if got, want := resp.Header.Get("X-RateLimit-Remaining"), strconv.Itoa(30-i); got != want {
			t.Fatalf("logout %d: X-RateLimit-Remaining %q, want %q", i, got, want)
		}
	}
	e.clock.Advance(10 * time.Minute)
	resp, body := e.do(logout)
	if resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("31st logout: %d %s, want 429", resp.StatusCode, body)
	}
	validate(t, "error", body)
	checkGolden(t, "logout-too-many-requests", render(resp, body))
	if got := resp.Header.Get("Retry-After"); got != "3000" {
		t.Fatalf("Retry-After %q, want 3000 (50 minutes)", got)
	}

	// Another endpoint, another tenant and another window each count apart.
	if st, code := e.code(call{method: "GET", path: "/auth/me", tenant: ten.Token, token: tk.AccessToken}); st != http.StatusOK {
		t.Fatalf("/auth/me while logout is limited: %d %s", st, code)
	}
	other := e.tenant("other")
	otk := e.signup(other, "user@example.com")
	if st, code := e.code(call{method: "GET", path: "/auth/logout", tenant: other.Token, token: otk.AccessToken}); st != http.StatusOK {
		t.Fatalf("logout in another tenant: %d %s", st, code)
	}
	e.clock.Advance(51 * time.Minute)
	logout.token = e.tokens(call{method: "POST", path: "/auth/refresh-token", tenant: ten.Token, body: `{"refreshToken":"` + tk.RefreshToken + `"}`}, http.StatusCreated).AccessToken
	if st, code := e.code(logout); st != http.StatusOK {
		t.Fatalf("logout in the next window: %d %s", st, code)
	}
}

// TestRateLimitSettings: the server's sign-in limit, and a tenant's
// override (0 turns a limit off).
func TestRateLimitSettings(t *testing.T) {
	e := start(t, func(c *config.Config) { c.TenantSigninLimit = 2 })
	ten := e.tenant("acme", `{"name":"acme","rateLimits":{"signup":3}}`)
	bad := call{method: "POST", path: "/auth/signin", tenant: ten.Token, body: `{"method":"password","email":"x@example.com","password":"wrong-password"}`}
	for i := 0; i < 2; i++ {
		if st, _ := e.code(bad); st != http.StatusUnauthorized {
			t.Fatalf("signin %d: %d, want 401", i, st)
		}
	}
	if st, code := e.code(bad); st != http.StatusTooManyRequests || code != "TOO_MANY_REQUESTS" {
		t.Fatalf("third signin: %d %s, want 429", st, code)
	}
	for i, want := range []int{http.StatusCreated, http.StatusCreated, http.StatusCreated, http.StatusTooManyRequests} {
		st, _ := e.code(call{method: "POST", path: "/auth/signup", tenant: ten.Token,
			body: `{"method":"password","email":"u` + strconv.Itoa(i) + `@example.com","password":"` + password + `"}`})
		if st != want {
			t.Fatalf("signup %d: %d, want %d", i, st, want)
		}
	}
	e.update(ten, `{"rateLimits":{"signin":0}}`)
	if st, _ := e.code(bad); st != http.StatusUnauthorized {
		t.Fatalf("signin with the limit off: %d, want 401", st)
	}
}

// TestTrustedProxy: X-Forwarded-For moves the client IP only when the
// peer is a trusted proxy.
func TestTrustedProxy(t *testing.T) {
	for _, tt := range []struct {
		name    string
		proxies string
		wantIP  string
	}{
		{"untrusted peer", "", "127.0.0.1"},
		{"trusted peer", "127.0.0.0/8", "203.0.113.7"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := start(t, func(c *config.Config) { c.TrustedProxies = tt.proxies })
			ten := e.tenant("acme")
			tk := e.tokens(call{method: "POST", path: "/auth/signup", tenant: ten.Token,
				headers: map[string]string{"X-Forwarded-For": "198.51.100.1, 203.0.113.7"},
				body:    `{"method":"password","email":"user@example.com","password":"` + password + `"}`}, http.StatusCreated)
			st, r := e.send(call{method: "GET", path: "/auth/sessions", tenant: ten.Token, token: tk.AccessToken})
			if st != http.StatusOK {
				t.Fatalf("sessions: %d", st)
			}
			if want := `"ip":"` + tt.wantIP + `"`; !strings.Contains(string(r.Data), want) {
				t.Fatalf("session %s lacks %s", r.Data, want)
			}
		})
	}
}
