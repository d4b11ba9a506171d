package tenantapi_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"github.com/sessiond/sessiond/internal/store/sqlitestore"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// The tests below present each token once before the change under test,
// so that it is in the handler's cache of verified tokens (issue 7), and
// check that the cache never answers for what a full check would refuse.

// meCode is the status and error code of GET /auth/me with token.
func (e *env) meCode(t tenant, token string) (int, string) {
	e.t.Helper()
	return e.code(call{method: "GET", path: "/auth/me", tenant: t.Token, token: token})
}

// TestCachedTokenRevoked: revoking the session of a cached token refuses
// the token on the very next request, without the clock moving.
func TestCachedTokenRevoked(t *testing.T) {
	e := start(t)
	ten := e.tenant("acme")
	tk := e.signup(ten, "user@example.com")
	other := e.signin(ten, "user@example.com")
	for range 2 {
		e.me(ten, tk.AccessToken)
		e.me(ten, other.AccessToken)
	}
	// Revoke the other session from this one, then this one itself.
	_, c := parts(t, other.AccessToken)
	if st, code := e.code(call{method: "DELETE", path: "/auth/sessions/" + c["sid"].(string), tenant: ten.Token, token: tk.AccessToken}); st != http.StatusOK {
		t.Fatalf("revoke the other session: %d %q", st, code)
	}
	if st, code := e.meCode(ten, other.AccessToken); st != http.StatusUnauthorized || code != "INVALID_USER_TOKEN" {
		t.Fatalf("cached token of a revoked session: %d %q, want 401 INVALID_USER_TOKEN", st, code)
	}
	e.me(ten, tk.AccessToken)
	_, c = parts(t, tk.AccessToken)
	if st, code := e.code(call{method: "DELETE", path: "/auth/sessions/" + c["sid"].(string), tenant: ten.Token, token: tk.AccessToken}); st != http.StatusOK {
		t.Fatalf("revoke the current session: %d %q", st, code)
	}
	if st, code := e.meCode(ten, tk.AccessToken); st != http.StatusUnauthorized || code != "INVALID_USER_TOKEN" {
		t.Fatalf("cached token after revoking its own session: %d %q, want 401 INVALID_USER_TOKEN", st, code)
	}
	// The refresh token of the revoked session is refused too.
	refresh := call{method: "POST", path: "/auth/refresh-token", tenant: ten.Token, body: `{"refreshToken":"` + tk.RefreshToken + `"}`}
	if st, code := e.code(refresh); st != http.StatusUnauthorized || code != "INVALID_REFRESH_TOKEN" {
		t.Fatalf("refresh token of a revoked session: %d %q, want 401 INVALID_REFRESH_TOKEN", st, code)
	}
}

// TestCachedTokenSuspended: suspending the user of a cached token refuses
// it at once.
func TestCachedTokenSuspended(t *testing.T) {
	e := start(t)
	ten := e.tenant("acme")
	tk := e.signup(ten, "user@example.com")
	e.me(ten, tk.AccessToken)
	if st, code := e.code(call{method: "POST", path: "/auth/terminate", tenant: ten.Token, token: tk.AccessToken, body: `{"reason":"bye","strategy":"soft"}`}); st != http.StatusCreated {
		t.Fatalf("terminate: %d %q", st, code)
	}
	if st, code := e.meCode(ten, tk.AccessToken); st != http.StatusForbidden || code != "USER_SUSPENDED" {
		t.Fatalf("cached token of a suspended user: %d %q, want 403 USER_SUSPENDED", st, code)
	}
}

// TestCachedTokenExpiry: a cached token stops at its exp by the service
// clock, with the same 10 s leeway as without the cache.
func TestCachedTokenExpiry(t *testing.T) {
	e := start(t)
	ten := e.tenant("acme")
	tk := e.signup(ten, "user@example.com")
	_, c := parts(t, tk.AccessToken)
	exp := time.Unix(int64(c["exp"].(float64)), 0)
	e.me(ten, tk.AccessToken)
	e.me(ten, tk.AccessToken)
	e.clock.Advance(exp.Sub(e.clock.Now()) - time.Second)
	if e.me(ten, tk.AccessToken) != "logged_in" {
		t.Fatal("token a second before its exp")
	}
	e.clock.Advance(2 * time.Second) // exp + 1 s: inside the leeway
	if e.me(ten, tk.AccessToken) != "logged_in" {
		t.Fatal("token inside the leeway")
	}
	e.clock.Advance(10 * time.Second) // exp + 11 s
	if st, code := e.meCode(ten, tk.AccessToken); st != http.StatusUnauthorized || code != "USER_TOKEN_EXPIRED" {
		t.Fatalf("cached token after exp and leeway: %d %q, want 401 USER_TOKEN_EXPIRED", st, code)
	}
}

// TestCachedTokenRetiredKey: a token whose key retires before the token
// expires stops when the key retires, and stays refused once the key is
// pruned; a key removed by hand stops its tokens within the tenant cache's
// 2 s.
func TestCachedTokenRetiredKey(t *testing.T) {
	e := start(t)
	ten := e.tenant("acme")
	tk := e.signup(ten, "user@example.com")
	oldKid, key := e.tenantKey(ten)
	h, c := parts(t, tk.AccessToken)
	// An access token that outlives the key: a day, like the session.
	long := sign(t, jwt.SigningMethodRS256, h, with(c, "exp", float64(epoch.Add(20*time.Hour).Unix())), key)
	refresh := call{method: "POST", path: "/auth/refresh-token", tenant: ten.Token, body: `{"refreshToken":"` + tk.RefreshToken + `"}`}
	e.me(ten, long)
	e.tokens(refresh, http.StatusCreated)

	// With a 1 h refresh lifetime the old key retires 1 h 70 s after the
	// rotation, long before the day-long tokens it signed expire.
	e.update(ten, `{"refreshTokenTTL":"1h"}`)
	rotate := func() {
		resp, body := e.do(call{method: "POST", path: "/api/v2/tenants/" + ten.ID + "/keys", headers: map[string]string{"Authorization": "Token " + operator}})
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("rotate: %d %s", resp.StatusCode, body)
		}
	}
	rotate()
	if e.me(ten, long) != "logged_in" {
		t.Fatal("a token of the rotated-out key stopped before the key retired")
	}
	e.tokens(refresh, http.StatusCreated)

	e.clock.Advance(time.Hour + 71*time.Second)
	if st, code := e.meCode(ten, long); st != http.StatusUnauthorized || code != "INVALID_USER_TOKEN" {
		t.Fatalf("cached token of a retired key: %d %q, want 401 INVALID_USER_TOKEN", st, code)
	}
	if st, code := e.code(refresh); st != http.StatusUnauthorized || code != "INVALID_REFRESH_TOKEN" {
		t.Fatalf("cached refresh token of a retired key: %d %q, want 401 INVALID_REFRESH_TOKEN", st, code)
	}
	rotate() // prunes the retired key
	ten2, _ := e.app.Service().Tenant(context.Background(), ten.ID)
	if _, ok := ten2.Settings["tenantapi.key."+oldKid]; ok {
		t.Fatal("the retired key was not pruned")
	}
	if st, code := e.meCode(ten, long); st != http.StatusUnauthorized || code != "INVALID_USER_TOKEN" {
		t.Fatalf("token of a pruned key: %d %q, want 401 INVALID_USER_TOKEN", st, code)
	}

	// A key that an operator removes by hand, before it retires.
	fresh := e.signin(ten, "user@example.com")
	kid, _ := e.tenantKey(ten)
	rotate()
	e.me(ten, fresh.AccessToken)
	// By hand means in the database, behind the server's back: the
	// instance sees it once its tenant cache lets go (2s).
	db, err := sqlitestore.Open(context.Background(), e.dataDir, e.clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	stored, err := db.TenantByID(context.Background(), ten.ID)
	if err != nil {
		t.Fatal(err)
	}
	delete(stored.Settings, "tenantapi.key."+kid)
	delete(stored.Settings, "tenantapi.key."+kid+".retireAt")
	if err := db.UpdateTenant(context.Background(), stored); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(2 * time.Second)
	if st, code := e.meCode(ten, fresh.AccessToken); st != http.StatusUnauthorized || code != "INVALID_USER_TOKEN" {
		t.Fatalf("cached token of a removed key: %d %q, want 401 INVALID_USER_TOKEN", st, code)
	}
}

// TestCachedTokenForged: once a token is cached, a token with the same
// claims and another signature, a modified one, or the same token in
// another kind or tenant is checked in full and refused.
func TestCachedTokenForged(t *testing.T) {
	e := start(t)
	ten := e.tenant("acme")
	other := e.tenant("other")
	tk := e.signup(ten, "user@example.com")
	e.me(ten, tk.AccessToken)
	e.me(ten, tk.AccessToken)
	e.tokens(call{method: "POST", path: "/auth/refresh-token", tenant: ten.Token, body: `{"refreshToken":"` + tk.RefreshToken + `"}`}, http.StatusCreated)

	h, c := parts(t, tk.AccessToken)
	stranger, _ := rsa.GenerateKey(rand.Reader, 2048)
	seg := strings.Split(tk.AccessToken, ".")
	flip := func(s string, i int) string {
		b := []byte(s)
		if b[i] == 'A' {
			b[i] = 'B'
		} else {
			b[i] = 'A'
		}
		return string(b)
	}
	tests := []struct {
		name  string
		tn    tenant
		token string
		code  string
	}{
		{"same claims, another key's signature", ten, sign(t, jwt.SigningMethodRS256, h, c, stranger), "INVALID_USER_TOKEN"},
		{"one signature byte changed", ten, seg[0] + "." + seg[1] + "." + flip(seg[2], len(seg[2])/2), "INVALID_USER_TOKEN"},
		{"first signature byte changed", ten, seg[0] + "." + seg[1] + "." + flip(seg[2], 0), "INVALID_USER_TOKEN"},
		{"signature cut", ten, seg[0] + "." + seg[1] + "." + seg[2][:len(seg[2])-8], "INVALID_USER_TOKEN"},
		{"claims changed, signature kept", ten, seg[0] + "." + flip(seg[1], len(seg[1])/2) + "." + seg[2], "INVALID_USER_TOKEN"},
		{"no signature", ten, seg[0] + "." + seg[1] + ".", "INVALID_USER_TOKEN"},
		{"cached refresh token as access token", ten, tk.RefreshToken, "INVALID_USER_TOKEN"},
		{"cached token in another tenant", other, tk.AccessToken, "INVALID_USER_TOKEN"},
		{"the genuine token still works", ten, tk.AccessToken, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for range 2 {
				st, code := e.meCode(tt.tn, tt.token)
				want := http.StatusOK
				if tt.code != "" {
					want = http.StatusUnauthorized
				}
				if st != want || code != tt.code {
					t.Fatalf("got %d %q, want %d %q", st, code, want, tt.code)
				}
			}
		})
	}
	// The cached access token is no refresh token either.
	if st, code := e.code(call{method: "POST", path: "/auth/refresh-token", tenant: ten.Token, body: `{"refreshToken":"` + tk.AccessToken + `"}`}); st != http.StatusUnauthorized || code != "INVALID_REFRESH_TOKEN" {
		t.Fatalf("cached access token as refresh token: %d %q, want 401 INVALID_REFRESH_TOKEN", st, code)
	}
}
