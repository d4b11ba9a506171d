package tenantapi_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// parts returns a JWT's header and claims, unverified.
func parts(t *testing.T, tok string) (map[string]any, map[string]any) {
	t.Helper()
	seg := strings.Split(tok, ".")
	if len(seg) != 3 {
		t.Fatalf("not a JWT: %q", tok)
	}
	var h, c map[string]any
	for i, v := range []*map[string]any{&h, &c} {
		b, err := base64.RawURLEncoding.DecodeString(seg[i])
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, v); err != nil {
			t.Fatal(err)
		}
	}
	return h, c
}

// tenantKey returns the tenant's signing key, read from its settings as
// an attacker who stole it would.
func (e *env) tenantKey(t tenant) (string, *rsa.PrivateKey) {
	e.t.Helper()
	ten, err := e.app.Service().Tenant(context.Background(), t.ID)
	if err != nil {
		e.t.Fatal(err)
	}
	kid := ten.Settings["tenantapi.signingKey"]
	der, err := base64.StdEncoding.DecodeString(ten.Settings["tenantapi.key."+kid])
	if err != nil {
		e.t.Fatal(err)
	}
	k, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		e.t.Fatal(err)
	}
	return kid, k.(*rsa.PrivateKey)
}

func sign(t *testing.T, m jwt.SigningMethod, header, claims map[string]any, key any) string {
	t.Helper()
	tok := jwt.NewWithClaims(m, jwt.MapClaims(claims))
	for k, v := range header {
		if k != "alg" {
			tok.Header[k] = v
		}
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func with(m map[string]any, k string, v any) map[string]any {
	out := map[string]any{}
	for a, b := range m {
		out[a] = b
	}
	if v == nil {
		delete(out, k)
	} else {
		out[k] = v
	}
	return out
}

// TestAccessTokenChecks presents forged, substituted and broken x-token
// values; each must be refused with a clear envelope error.
func TestAccessTokenChecks(t *testing.T) {
	e := start(t)
	ten := e.tenant("acme")
	other := e.tenant("other")
	tk := e.signup(ten, "user@example.com")
	h, c := parts(t, tk.AccessToken)
	kid, key := e.tenantKey(ten)
	if h["kid"] != kid || h["alg"] != "RS256" || h["typ"] != "at+jwt" {
		t.Fatalf("access token header %v", h)
	}
	for _, claim := range []string{"iss", "sub", "aud", "exp", "nbf", "iat", "jti", "tid", "sid"} {
		if _, ok := c[claim]; !ok {
			t.Fatalf("access token lacks claim %q: %v", claim, c)
		}
	}
	stranger, _ := rsa.GenerateKey(rand.Reader, 2048)
	pubDER, _ := x509.MarshalPKIXPublicKey(&key.PublicKey)
	none := func() string {
		hb, _ := json.Marshal(with(h, "alg", "none"))
		cb, _ := json.Marshal(c)
		return base64.RawURLEncoding.EncodeToString(hb) + "." + base64.RawURLEncoding.EncodeToString(cb) + "."
	}()
	now := float64(epoch.Unix())

	tests := []struct {
		name  string
		token string
		code  string
	}{
		{"valid", tk.AccessToken, ""},
		{"re-signed with the tenant key (control)", sign(t, jwt.SigningMethodRS256, h, c, key), ""},
		{"malformed", "not-a-jwt", "INVALID_USER_TOKEN"},
		{"three garbage parts", "a.b.c", "INVALID_USER_TOKEN"},
		{"truncated signature", tk.AccessToken[:len(tk.AccessToken)-4], "INVALID_USER_TOKEN"},
		{"signed by another key", sign(t, jwt.SigningMethodRS256, h, c, stranger), "INVALID_USER_TOKEN"},
		{"alg none", none, "INVALID_USER_TOKEN"},
		{"HS256 keyed with the public key", sign(t, jwt.SigningMethodHS256, h, c, pubDER), "INVALID_USER_TOKEN"},
		{"refresh token as access token", tk.RefreshToken, "INVALID_USER_TOKEN"},
		{"typ changed to refresh", sign(t, jwt.SigningMethodRS256, with(h, "typ", "refresh+jwt"), c, key), "INVALID_USER_TOKEN"},
		{"no typ", sign(t, jwt.SigningMethodRS256, with(h, "typ", nil), c, key), "INVALID_USER_TOKEN"},
		{"unknown kid", sign(t, jwt.SigningMethodRS256, with(h, "kid", "0000000000000bad"), c, key), "INVALID_USER_TOKEN"},
		{"wrong issuer", sign(t, jwt.SigningMethodRS256, h, with(c, "iss", "someone-else"), key), "INVALID_USER_TOKEN"},
		{"wrong audience", sign(t, jwt.SigningMethodRS256, h, with(c, "aud", []string{"tenant:" + other.ID}), key), "INVALID_USER_TOKEN"},
		{"no audience", sign(t, jwt.SigningMethodRS256, h, with(c, "aud", nil), key), "INVALID_USER_TOKEN"},
		{"other tenant in tid", sign(t, jwt.SigningMethodRS256, h, with(c, "tid", other.ID), key), "INVALID_USER_TOKEN"},
		{"no exp", sign(t, jwt.SigningMethodRS256, h, with(c, "exp", nil), key), "INVALID_USER_TOKEN"},
		{"not yet valid", sign(t, jwt.SigningMethodRS256, h, with(c, "nbf", now+3600), key), "INVALID_USER_TOKEN"},
		{"expired", sign(t, jwt.SigningMethodRS256, h, with(c, "exp", now-60), key), "USER_TOKEN_EXPIRED"},
		{"unknown session", sign(t, jwt.SigningMethodRS256, h, with(c, "sid", "0000000000000bad"), key), "INVALID_USER_TOKEN"},
		{"another user's subject", sign(t, jwt.SigningMethodRS256, h, with(c, "sub", "0000000000000bad"), key), "INVALID_USER_TOKEN"},
		{"token of another tenant", e.signup(other, "user@example.com").AccessToken, "INVALID_USER_TOKEN"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, code := e.code(call{method: "GET", path: "/auth/me", tenant: ten.Token, token: tt.token})
			want := http.StatusOK
			if tt.code != "" {
				want = http.StatusUnauthorized
			}
			if st != want || code != tt.code {
				t.Fatalf("got %d %q, want %d %q", st, code, want, tt.code)
			}
		})
	}
}

// TestTokenLifetimes: the access token expires after an hour (the refresh
// token then gets a new one), the refresh token after a day; refresh does
// not rotate.
func TestTokenLifetimes(t *testing.T) {
	e := start(t)
	ten := e.tenant("acme")
	tk := e.signup(ten, "user@example.com")
	refresh := call{method: "POST", path: "/auth/refresh-token", tenant: ten.Token, body: `{"refreshToken":"` + tk.RefreshToken + `"}`}

	e.clock.Advance(time.Hour + time.Minute)
	if st, code := e.code(call{method: "GET", path: "/auth/me", tenant: ten.Token, token: tk.AccessToken}); code != "USER_TOKEN_EXPIRED" {
		t.Fatalf("access token after 61m: %d %q, want USER_TOKEN_EXPIRED", st, code)
	}
	got := e.tokens(refresh, http.StatusCreated)
	if got.RefreshToken != tk.RefreshToken || got.RefreshTokenExpireAt != tk.RefreshTokenExpireAt {
		t.Fatalf("refresh rotated the refresh token: got %s until %s", got.RefreshToken, got.RefreshTokenExpireAt)
	}
	if got.NewUser != nil {
		t.Fatalf("refresh answered newUser")
	}
	if e.me(ten, got.AccessToken) != "logged_in" {
		t.Fatalf("the refreshed access token does not work")
	}
	// The old refresh token stays valid: a second refresh works too.
	e.tokens(refresh, http.StatusCreated)

	// An access token never outlives its session.
	e.clock.Advance(23*time.Hour - 30*time.Minute)
	late := e.tokens(refresh, http.StatusCreated)
	if late.AccessTokenExpireAt != tk.RefreshTokenExpireAt {
		t.Fatalf("access token expires %s, after its session (%s)", late.AccessTokenExpireAt, tk.RefreshTokenExpireAt)
	}
	e.clock.Advance(time.Hour)
	if st, code := e.code(refresh); st != http.StatusUnauthorized || code != "INVALID_REFRESH_TOKEN" {
		t.Fatalf("refresh after a day: %d %q, want 401 INVALID_REFRESH_TOKEN", st, code)
	}
}

// TestKeyRotation: after a rotation new tokens use the new key, old
// tokens keep working, the JWK Set shows both, and a key retired long ago
// is pruned at the next rotation.
func TestKeyRotation(t *testing.T) {
	e := start(t)
	ten := e.tenant("acme")
	old := e.signup(ten, "user@example.com")
	oldKid, _ := e.tenantKey(ten)
	rotate := func() {
		resp, body := e.do(call{method: "POST", path: "/api/v2/tenants/" + ten.ID + "/keys", headers: map[string]string{"Authorization": "Token " + operator}})
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("rotate: %d %s", resp.StatusCode, body)
		}
	}
	kids := func() []string {
		resp, body := e.do(call{method: "GET", path: "/auth/.well-known/jwks.json", tenant: ten.Token, bare: true})
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("jwks: %d %s", resp.StatusCode, body)
		}
		var set struct{ Keys []struct{ Kid string } }
		json.Unmarshal([]byte(body), &set)
		var out []string
		for _, k := range set.Keys {
			out = append(out, k.Kid)
		}
		return out
	}
	rotate()
	newKid, _ := e.tenantKey(ten)
	if newKid == oldKid {
		t.Fatal("rotation kept the signing key")
	}
	if e.me(ten, old.AccessToken) != "logged_in" {
		t.Fatal("a token of the rotated-out key stopped working")
	}
	fresh := e.signin(ten, "user@example.com")
	if h, _ := parts(t, fresh.AccessToken); h["kid"] != newKid {
		t.Fatalf("new token signed by %v, want %s", h["kid"], newKid)
	}
	if got := kids(); len(got) != 2 {
		t.Fatalf("jwks after one rotation: %v, want 2 keys", got)
	}
	e.clock.Advance(25 * time.Hour)
	if got := kids(); len(got) != 1 || got[0] != newKid {
		t.Fatalf("jwks after the old key retired: %v, want [%s]", got, newKid)
	}
	rotate()
	ten2, _ := e.app.Service().Tenant(context.Background(), ten.ID)
	if _, ok := ten2.Settings["tenantapi.key."+oldKid]; ok {
		t.Fatal("a retired key was not pruned at the next rotation")
	}
}
