package rocketapi_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/sessiond/sessiond/internal/auth"
	"github.com/sessiond/sessiond/internal/config"
)

// totpHeader is a step-up's x-2fa-code and x-2fa-method for a TOTP code.
func totpHeader(code string) map[string]string {
	return map[string]string{"x-2fa-method": "totp", "x-2fa-code": code}
}

// otherCode returns a six-digit code that is not c.
func otherCode(c string) string {
	if c == "000000" {
		return "000001"
	}
	return "000000"
}

// totpAt returns the TOTP code of secret at the test clock's now plus d.
func (e *env) totpAt(secret string, d time.Duration) string {
	e.t.Helper()
	code, err := auth.TOTPCode(secret, e.clock.Now().Add(d))
	if err != nil {
		e.t.Fatal(err)
	}
	return code
}

// TestStepUpGuessesLockTheLogin: wrong codes sent with x-2fa-code to a
// twoFactorRequired route count against the user's login like failed
// sign-ins: past the limit the right code is refused (429), the route
// does nothing, and the login itself is locked.
func TestStepUpGuessesLockTheLogin(t *testing.T) {
	e := start(t, func(c *config.Config) { c.LockoutAccountLimit = 3 })
	bob := e.login(bobName, bobPass, chromeUA)
	secret, _ := e.enableTOTP(&bob)
	e.clock.Advance(time.Hour) // past "remember right after registration"
	generate := func(h map[string]string) reply {
		return e.do(req{method: "POST", path: "/api/v1/users.generatePersonalAccessToken", body: `{"tokenName":"bot"}`, cred: &bob, ua: chromeUA, header: h})
	}
	right := e.totpAt(secret, 0)
	wrong := otherCode(right)
	for i := 1; i <= 3; i++ {
		r := generate(totpHeader(wrong))
		wantStatus(t, r, http.StatusBadRequest)
		if r.json(t)["errorType"] != "totp-invalid" {
			t.Fatalf("wrong code %d: %s", i, r.body)
		}
	}
	// The three failures are the login's, as three wrong passwords would be.
	ls, err := e.app.Service().Lockouts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var got *auth.Lockout
	for i := range ls {
		if ls[i].Key == auth.LoginLockoutKey(auth.DefaultTenantID, bobName) {
			got = &ls[i]
		}
	}
	if got == nil || got.Failures != 3 || !got.Locked || got.UserID != bobID {
		t.Fatalf("lockout of bob's login after three wrong codes: %+v, want 3 failures, locked", got)
	}
	r := generate(totpHeader(right))
	wantStatus(t, r, http.StatusTooManyRequests)
	r = e.get("/api/v1/users.getPersonalAccessTokens", &bob)
	wantStatus(t, r, http.StatusOK)
	if n := len(r.json(t)["tokens"].([]any)); n != 0 {
		t.Fatalf("%d tokens made past the lockout", n)
	}
	r = e.do(req{method: "POST", path: "/api/v1/login", body: loginBody(bobName, bobPass, "code", e.totpAt(secret, 30*time.Second))})
	wantStatus(t, r, http.StatusUnauthorized)
	if r.json(t)["error"] != "Unauthorized" {
		t.Fatalf("login of the locked account with the right password and code: %s", r.body)
	}
}

// TestResetTOTP: users.resetTOTP asks for a code every time (never
// remembered), refuses another user's TOTP, and with the caller's code
// removes their TOTP, so the password alone signs in again.
func TestResetTOTP(t *testing.T) {
	e := start(t)
	bob := e.login(bobName, bobPass, chromeUA)
	secret, _ := e.enableTOTP(&bob)
	e.clock.Advance(time.Minute)
	reset := func(body string, h map[string]string) reply {
		return e.do(req{method: "POST", path: "/api/v1/users.resetTOTP", body: body, cred: &bob, ua: chromeUA, header: h})
	}
	r := reset(`{}`, nil)
	wantStatus(t, r, http.StatusBadRequest)
	if r.json(t)["errorType"] != "totp-required" {
		t.Fatalf("no code: %s", r.body)
	}
	r = reset(`{}`, totpHeader(otherCode(e.totpAt(secret, 0))))
	wantStatus(t, r, http.StatusBadRequest)
	if r.json(t)["errorType"] != "totp-invalid" {
		t.Fatalf("wrong code: %s", r.body)
	}
	r = reset(`{"userId":"`+carolID+`"}`, totpHeader(e.totpAt(secret, 0)))
	wantStatus(t, r, http.StatusBadRequest)
	if r.json(t)["errorType"] != "error-not-allowed" {
		t.Fatalf("another user's TOTP: %s", r.body)
	}
	wantStatus(t, e.do(req{method: "POST", path: "/api/v1/login", body: loginBody(bobName, bobPass)}), http.StatusUnauthorized)

	// The good code just given is not remembered: the route asks again.
	e.clock.Advance(30 * time.Second)
	r = reset(`{"userId":"`+bobID+`"}`, nil)
	wantStatus(t, r, http.StatusBadRequest)
	if r.json(t)["errorType"] != "totp-required" {
		t.Fatalf("a second reset without a code: %s", r.body)
	}
	r = reset(`{"userId":"`+bobID+`"}`, totpHeader(e.totpAt(secret, 0)))
	wantStatus(t, r, http.StatusOK)
	wantStatus(t, e.do(req{method: "POST", path: "/api/v1/login", body: loginBody(bobName, bobPass)}), http.StatusOK)
}

// TestRegenerateCodes: method.call 2fa:regenerateCodes with a wrong code
// answers false and changes nothing; with the right one it returns new
// backup codes, and the old ones stop working. A user without TOTP gets
// invalid-totp.
func TestRegenerateCodes(t *testing.T) {
	e := start(t)
	bob := e.login(bobName, bobPass, chromeUA)
	secret, old := e.enableTOTP(&bob)
	e.clock.Advance(time.Minute)
	if res := e.callMethod(&bob, "2fa:regenerateCodes", otherCode(e.totpAt(secret, 0)))["result"]; res != false {
		t.Fatalf("2fa:regenerateCodes with a wrong code: %v", res)
	}
	login := func(code string) reply {
		return e.do(req{method: "POST", path: "/api/v1/login", body: loginBody(bobName, bobPass), header: totpHeader(code)})
	}
	wantStatus(t, login(old[0].(string)), http.StatusOK) // the old set still stands

	out := e.callMethod(&bob, "2fa:regenerateCodes", e.totpAt(secret, 0))
	res, ok := out["result"].(map[string]any)
	if !ok {
		t.Fatalf("2fa:regenerateCodes: %v", out)
	}
	fresh := res["codes"].([]any)
	if len(fresh) != auth.RecoveryCodeCount {
		t.Fatalf("%d new codes, want %d", len(fresh), auth.RecoveryCodeCount)
	}
	for _, c := range fresh {
		for _, o := range old {
			if c == o {
				t.Fatalf("new code %v was in the old set", c)
			}
		}
	}
	wantStatus(t, login(old[1].(string)), http.StatusUnauthorized)
	wantStatus(t, login(fresh[0].(string)), http.StatusOK)
	if res := e.callMethod(&bob, "2fa:checkCodesRemaining")["result"].(map[string]any); res["remaining"] != float64(auth.RecoveryCodeCount-1) {
		t.Fatalf("codes remaining %v, want %d", res, auth.RecoveryCodeCount-1)
	}

	carol := e.login(carolName, carolPass, chromeUA)
	out = e.callMethod(&carol, "2fa:regenerateCodes", "123456")
	if errv, _ := out["error"].(map[string]any); errv == nil || errv["error"] != "invalid-totp" {
		t.Fatalf("2fa:regenerateCodes without TOTP: %v", out)
	}
}
