package tenantapi_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/sessiond/sessiond/internal/oidc/oidctest"
)

// setProvider sets up an identity provider for a tenant through the
// management API, as an operator does.
func (e *env) setProvider(t tenant, method, body string) {
	e.t.Helper()
	resp, out := e.do(call{method: "PUT", path: "/api/v2/tenants/" + t.ID + "/providers/" + method, body: body, headers: map[string]string{"Authorization": "Token " + operator}})
	if resp.StatusCode != http.StatusOK {
		e.t.Fatalf("set up %s: %d %s", method, resp.StatusCode, out)
	}
}

// Social sign-in with the providers' ID tokens, verified against an
// issuer the test runs on loopback: a good token signs in (making the
// user the first time), and a token wrong in any one way is refused
// with INVALID_CREDENTIALS. Before, google, apple and facebook answered
// 403 RESTRICTED_CAPABILITY, so mobile tenants could not sign in at all.
func TestSocialSignIn(t *testing.T) {
	e := start(t)
	is := oidctest.New(t)
	ten := e.tenant("acme")
	e.setProvider(ten, "google", `{"clientIDs":["app-1","app-2"],"issuer":"`+is.URL()+`","keysURL":"`+is.KeysURL()+`"}`)
	now := e.clock.Now()
	claims := func(sub, email string, edit func(jwt.MapClaims)) jwt.MapClaims {
		c := is.Claims(sub, "app-2", email, now)
		if edit != nil {
			edit(c)
		}
		return c
	}
	signin := func(method, token, extra string) (int, reply) {
		return e.post(ten, "/auth/signin", `{"method":"`+method+`","token":"`+token+`"`+extra+`}`)
	}

	good := e.tokensOf(signin("google", is.Sign(t, claims("g-1", "Ann@Example.com", nil)), ""))
	if good.NewUser == nil || !*good.NewUser {
		t.Fatalf("first google sign-in: %+v", good)
	}
	if u := e.meUser(ten, good.AccessToken); u.Email != "ann@example.com" || !u.EmailVerified || u.Method != "google" {
		t.Fatalf("the google user: %+v", u)
	}
	again := e.tokensOf(signin("google", is.Sign(t, claims("g-1", "ann@example.com", nil)), ""))
	if *again.NewUser || again.UserID != good.UserID {
		t.Fatalf("second google sign-in: %+v", again)
	}

	// A password account is linked when the provider vouches for the email.
	alice := e.signup(ten, "alice@example.com")
	linked := e.tokensOf(signin("google", is.Sign(t, claims("g-alice", "alice@example.com", nil)), ""))
	if linked.UserID != alice.UserID || *linked.NewUser {
		t.Fatalf("linking alice: %+v, want user %s", linked, alice.UserID)
	}
	// Nonces: the raw one, or its SHA-256 in hex (Apple's and Firebase's habit).
	sum := sha256.Sum256([]byte("raw-nonce"))
	for _, n := range []string{"raw-nonce", hex.EncodeToString(sum[:])} {
		tok := is.Sign(t, claims("g-1", "", func(c jwt.MapClaims) { c["nonce"] = n }))
		if tk := e.tokensOf(signin("google", tok, `,"nonce":"raw-nonce"`)); tk.UserID != good.UserID {
			t.Fatalf("nonce %q: %+v", n, tk)
		}
	}

	bob := e.signup(ten, "bob@example.com")
	for _, c := range []struct {
		name  string
		token string
		extra string
	}{
		{"forged signature", is.SignUnpublished(t, claims("g-1", "", nil)), ""},
		{"another issuer", is.Sign(t, claims("g-1", "", func(c jwt.MapClaims) { c["iss"] = "https://accounts.google.com" })), ""},
		{"another app's audience", is.Sign(t, claims("g-1", "", func(c jwt.MapClaims) { c["aud"] = "someone-elses-app" })), ""},
		{"expired", is.Sign(t, claims("g-1", "", func(c jwt.MapClaims) { c["exp"] = now.Add(-time.Minute).Unix() })), ""},
		{"nonce missing from the token", is.Sign(t, claims("g-1", "", nil)), `,"nonce":"raw-nonce"`},
		{"another nonce", is.Sign(t, claims("g-1", "", func(c jwt.MapClaims) { c["nonce"] = "other" })), `,"nonce":"raw-nonce"`},
		{"unverified email of an existing account", is.Sign(t, claims("g-bob", "bob@example.com", func(c jwt.MapClaims) { c["email_verified"] = false })), ""},
		{"a key the issuer does not publish", is.SignWithKeyID(t, "rotated-out", claims("g-1", "", nil)), ""},
		{"not a JWT", "not-a-jwt", ""},
	} {
		st, r := signin("google", c.token, c.extra)
		wantError(t, c.name, st, r, http.StatusUnauthorized, "INVALID_CREDENTIALS")
	}
	// bob's account was not reached by the unverified email; a verified
	// one reaches it.
	if tk := e.tokensOf(signin("google", is.Sign(t, claims("g-bob", "bob@example.com", nil)), "")); tk.UserID != bob.UserID {
		t.Fatalf("bob with a verified email: %+v", tk)
	}
	// An unverified email with no account makes a user without it.
	tk := e.tokensOf(signin("google", is.Sign(t, claims("g-new", "new@example.com", func(c jwt.MapClaims) { c["email_verified"] = false })), ""))
	if u := e.meUser(ten, tk.AccessToken); u.Email != "" || !*tk.NewUser {
		t.Fatalf("a new user with an unverified email: %+v %+v", u, tk)
	}

	// An issuer whose keys cannot be fetched: 503, never a 401 that
	// would sign users out.
	down := oidctest.New(t)
	e.setProvider(ten, "apple", `{"clientIDs":["app-1"],"issuer":"`+down.URL()+`","keysURL":"`+down.KeysURL()+`"}`)
	down.SetDown(true)
	st, r := signin("apple", down.Sign(t, down.Claims("a-1", "app-1", "", now)), "")
	wantError(t, "issuer down", st, r, http.StatusServiceUnavailable, "SERVICE_UNAVAILABLE")
}

// Apple's tokens by discovery (no key URL set: the issuer's
// /.well-known/openid-configuration names it), with email_verified as a
// string; Facebook's Limited Login ID token; and an access token, which
// cannot be verified, refused as a validation error.
func TestAppleAndFacebook(t *testing.T) {
	e := start(t)
	is := oidctest.New(t)
	ten := e.tenant("acme")
	e.setProvider(ten, "apple", `{"clientIDs":["com.acme.ios"],"issuer":"`+is.URL()+`"}`)
	e.setProvider(ten, "facebook", `{"clientIDs":["1234567890"],"issuer":"`+is.URL()+`","keysURL":"`+is.KeysURL()+`"}`)
	now := e.clock.Now()
	ac := is.Claims("apple-sub", "com.acme.ios", "relay@privaterelay.appleid.com", now)
	ac["email_verified"] = "true"
	apple := e.tokensOf(e.post(ten, "/auth/signin", `{"method":"apple","token":"`+is.Sign(t, ac)+`"}`))
	if u := e.meUser(ten, apple.AccessToken); u.Method != "apple" || !u.EmailVerified || !*apple.NewUser {
		t.Fatalf("apple: %+v", u)
	}
	// An Apple token is no Google token: the tenant did not set up google.
	st, r := e.post(ten, "/auth/signin", `{"method":"google","token":"`+is.Sign(t, ac)+`"}`)
	wantError(t, "google not set up", st, r, http.StatusForbidden, "RESTRICTED_CAPABILITY")
	fb := is.Sign(t, is.Claims("fb-sub", "1234567890", "", now))
	if tk := e.tokensOf(e.post(ten, "/auth/signin", `{"method":"facebook","token":"`+fb+`","tokenType":"idToken"}`)); !*tk.NewUser {
		t.Fatalf("facebook: %+v", tk)
	}
	st, r = e.post(ten, "/auth/signin", `{"method":"facebook","token":"EAAB...","tokenType":"accessToken"}`)
	if st != http.StatusBadRequest || r.Error.Validation["tokenType"] == nil {
		t.Fatalf("a facebook access token: %d %+v", st, r.Error)
	}
	// The providers as the management API shows them.
	resp, body := e.do(call{method: "GET", path: "/api/v2/tenants/" + ten.ID + "/providers", headers: map[string]string{"Authorization": "Token " + operator}})
	var out struct {
		Providers []struct {
			Method    string
			Enabled   bool
			ClientIDs []string
			Issuers   []string
			KeysURL   string
		}
	}
	if resp.StatusCode != http.StatusOK || json.Unmarshal([]byte(body), &out) != nil || len(out.Providers) != 3 {
		t.Fatalf("providers: %d %s", resp.StatusCode, body)
	}
	if g := out.Providers[0]; g.Method != "google" || g.Enabled || g.Issuers[0] != "https://accounts.google.com" || g.KeysURL != "https://www.googleapis.com/oauth2/v3/certs" {
		t.Fatalf("google's defaults: %+v", g)
	}
	if a := out.Providers[1]; a.Method != "apple" || !a.Enabled || a.KeysURL != "" || a.Issuers[0] != is.URL() {
		t.Fatalf("apple by discovery: %+v", a)
	}
}
