package rocketapi_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sessiond/sessiond/internal/auth"
)

// callMethod runs a DDP method through method.call and returns its
// decoded result message.
func (e *env) callMethod(c *cred, method string, params ...any) map[string]any {
	e.t.Helper()
	msg, _ := json.Marshal(map[string]any{"msg": "method", "id": "7", "method": method, "params": params})
	body, _ := json.Marshal(map[string]string{"message": string(msg)})
	r := e.post("/api/v1/method.call/"+method, string(body), c)
	wantStatus(e.t, r, http.StatusOK)
	var out map[string]any
	if err := json.Unmarshal([]byte(r.json(e.t)["message"].(string)), &out); err != nil {
		e.t.Fatalf("method.call message: %v", err)
	}
	return out
}

// enableTOTP turns TOTP on for the user of c over REST, as Rocket.Chat's
// web client does (2fa:enable, then 2fa:validateTempToken), and returns
// the secret and the backup codes.
func (e *env) enableTOTP(c *cred) (string, []any) {
	e.t.Helper()
	res := e.callMethod(c, "2fa:enable")["result"].(map[string]any)
	secret := res["secret"].(string)
	if !strings.HasPrefix(res["url"].(string), "otpauth://totp/") {
		e.t.Fatalf("2fa:enable url %v", res["url"])
	}
	code, _ := auth.TOTPCode(secret, e.clock.Now())
	out := e.callMethod(c, "2fa:validateTempToken", code)
	if out["error"] != nil {
		e.t.Fatalf("2fa:validateTempToken: %v", out["error"])
	}
	return secret, out["result"].(map[string]any)["codes"].([]any)
}

func loginBody(user, pw string, extra ...string) string {
	m := map[string]string{"user": user, "password": pw}
	for i := 0; i+1 < len(extra); i += 2 {
		m[extra[i]] = extra[i+1]
	}
	b, _ := json.Marshal(m)
	return string(b)
}

// TestLoginWithTOTP reproduces issue 14: code and x-2fa-code were
// ignored at login, so a user with TOTP signed in with a password alone.
func TestLoginWithTOTP(t *testing.T) {
	e := start(t)
	bob := e.login(bobName, bobPass, chromeUA)
	secret, codes := e.enableTOTP(&bob)
	if len(codes) != auth.RecoveryCodeCount {
		t.Fatalf("%d backup codes, want %d", len(codes), auth.RecoveryCodeCount)
	}
	if r := e.get("/api/v1/me", &bob); r.status != http.StatusOK {
		t.Fatalf("the session that enabled TOTP was ended: %d", r.status)
	}
	e.clock.Advance(time.Minute)

	r := e.do(req{method: "POST", path: "/api/v1/login", body: loginBody(bobName, bobPass)})
	wantStatus(t, r, http.StatusUnauthorized)
	golden(t, "login_totp_required", r.body, nil)

	r = e.do(req{method: "POST", path: "/api/v1/login", body: loginBody(bobName, bobPass, "code", "000000")})
	wantStatus(t, r, http.StatusUnauthorized)
	golden(t, "login_totp_invalid", r.body, nil)

	code, _ := auth.TOTPCode(secret, e.clock.Now())
	r = e.do(req{method: "POST", path: "/api/v1/login", body: loginBody(bobName, bobPass, "code", code)})
	wantStatus(t, r, http.StatusOK)
	if me := r.json(t)["data"].(map[string]any)["me"].(map[string]any); me["services"].(map[string]any)["totp"].(map[string]any)["enabled"] != true {
		t.Fatalf("me.services %v: want totp enabled", me["services"])
	}
	// The code is good once.
	r = e.do(req{method: "POST", path: "/api/v1/login", body: loginBody(bobName, bobPass, "code", code)})
	wantStatus(t, r, http.StatusUnauthorized)
	// The header, with a backup code.
	r = e.do(req{method: "POST", path: "/api/v1/login", body: loginBody(bobName, bobPass), header: map[string]string{"x-2fa-code": codes[0].(string), "x-2fa-method": "totp"}})
	wantStatus(t, r, http.StatusOK)
	// Resume needs no code.
	tok := r.json(t)["data"].(map[string]any)["authToken"].(string)
	r = e.do(req{method: "POST", path: "/api/v1/login", body: `{"resume":"` + tok + `"}`})
	wantStatus(t, r, http.StatusOK)
}

// TestTwoFactorRequiredRoutes reproduces issue 14: the admin session
// routes never asked for a second factor (checklist 28-30), here with the
// password fallback and the remember window.
func TestTwoFactorRequiredRoutes(t *testing.T) {
	e := start(t)
	e.clock.Advance(time.Hour) // past "remember right after registration"
	root := e.login(adminName, adminPass, chromeUA)

	r := e.do(req{method: "GET", path: "/api/v1/sessions/list.all", cred: &root, ua: chromeUA})
	wantStatus(t, r, http.StatusBadRequest)
	golden(t, "list_all_totp_required", r.body, nil)

	wrong := map[string]string{"x-2fa-method": "password", "x-2fa-code": auth.Digest("nope")}
	r = e.do(req{method: "GET", path: "/api/v1/sessions/list.all", cred: &root, ua: chromeUA, header: wrong})
	wantStatus(t, r, http.StatusBadRequest)
	if r.json(t)["errorType"] != "totp-invalid" {
		t.Fatalf("wrong code: %s", r.body)
	}
	right := map[string]string{"x-2fa-method": "password", "x-2fa-code": auth.Digest(adminPass)}
	r = e.do(req{method: "GET", path: "/api/v1/sessions/list.all", cred: &root, ua: chromeUA, header: right})
	wantStatus(t, r, http.StatusOK)
	// Remembered for this token and client...
	r = e.do(req{method: "GET", path: "/api/v1/sessions/info.admin" + query("sessionId", e.sessionOf(root)), cred: &root, ua: chromeUA})
	wantStatus(t, r, http.StatusOK)
	// ...not for another client...
	r = e.do(req{method: "GET", path: "/api/v1/sessions/list.all", cred: &root, ua: firefoxUA})
	wantStatus(t, r, http.StatusBadRequest)
	// ...and not past the window.
	e.clock.Advance(31 * time.Minute)
	r = e.do(req{method: "GET", path: "/api/v1/sessions/list.all", cred: &root, ua: chromeUA})
	wantStatus(t, r, http.StatusBadRequest)

	// With TOTP, the method is totp and the password no longer serves.
	secret, _ := e.enableTOTP(&root)
	e.clock.Advance(time.Minute)
	r = e.do(req{method: "POST", path: "/api/v1/sessions/logout", body: `{"sessionId":"0123456789abcdef"}`, cred: &root, ua: firefoxUA})
	wantStatus(t, r, http.StatusBadRequest)
	if d := r.json(t)["details"].(map[string]any); d["method"] != "totp" || d["availableMethods"].([]any)[0] != "totp" {
		t.Fatalf("details %v: want totp", d)
	}
	r = e.do(req{method: "POST", path: "/api/v1/sessions/logout", body: `{"sessionId":"0123456789abcdef"}`, cred: &root, ua: firefoxUA, header: right})
	wantStatus(t, r, http.StatusBadRequest)
	code, _ := auth.TOTPCode(secret, e.clock.Now())
	r = e.do(req{method: "POST", path: "/api/v1/sessions/logout", body: `{"sessionId":"0123456789abcdef"}`, cred: &root, ua: firefoxUA, header: map[string]string{"x-2fa-method": "totp", "x-2fa-code": code}})
	wantStatus(t, r, http.StatusNotFound) // past the check: no such session
}

// TestPersonalAccessTokens reproduces issue 14: sessiond had none of
// Rocket.Chat's personal access tokens.
func TestPersonalAccessTokens(t *testing.T) {
	e := start(t)
	bob := e.login(bobName, bobPass, chromeUA)
	r := e.post("/api/v1/users.generatePersonalAccessToken", `{"tokenName":"bot","bypassTwoFactor":true}`, &bob)
	wantStatus(t, r, http.StatusOK)
	pat := cred{bobID, r.json(t)["token"].(string)}
	r = e.post("/api/v1/users.generatePersonalAccessToken", `{"tokenName":"bot"}`, &bob)
	wantStatus(t, r, http.StatusBadRequest)
	golden(t, "pat_exists", r.body, nil)
	r = e.post("/api/v1/users.generatePersonalAccessToken", `{}`, &bob)
	wantStatus(t, r, http.StatusBadRequest)

	r = e.get("/api/v1/me", &pat)
	wantStatus(t, r, http.StatusOK)
	if r.json(t)["_id"] != bobID {
		t.Fatalf("me with the token: %s", r.body)
	}
	if r := e.get("/api/v1/me", &cred{carolID, pat.token}); r.status != http.StatusUnauthorized {
		t.Fatalf("the token with another user's ID: %d", r.status)
	}
	r = e.get("/api/v1/users.getPersonalAccessTokens", &bob)
	wantStatus(t, r, http.StatusOK)
	toks := r.json(t)["tokens"].([]any)
	if len(toks) != 1 || toks[0].(map[string]any)["name"] != "bot" || toks[0].(map[string]any)["bypassTwoFactor"] != true || toks[0].(map[string]any)["lastTokenPart"] != pat.token[len(pat.token)-6:] {
		t.Fatalf("tokens %v", toks)
	}
	// A token survives logoutOtherClients; the other login does not.
	other := e.login(bobName, bobPass, firefoxUA)
	r = e.post("/api/v1/users.logoutOtherClients", ``, &bob)
	wantStatus(t, r, http.StatusOK)
	if got := r.json(t); got["token"] != bob.token || !isoStamp.MatchString(got["tokenExpires"].(string)) {
		t.Fatalf("logoutOtherClients: %s", r.body)
	}
	wantStatus(t, e.get("/api/v1/me", &other), http.StatusUnauthorized)
	wantStatus(t, e.get("/api/v1/me", &pat), http.StatusOK)
	wantStatus(t, e.get("/api/v1/me", &bob), http.StatusOK)

	// bypassTwoFactor spares the token the admin routes' check too.
	e.clock.Advance(time.Hour)
	r = e.post("/api/v1/users.regeneratePersonalAccessToken", `{"tokenName":"bot"}`, &pat)
	wantStatus(t, r, http.StatusOK)
	fresh := cred{bobID, r.json(t)["token"].(string)}
	wantStatus(t, e.get("/api/v1/me", &pat), http.StatusUnauthorized)
	r = e.post("/api/v1/users.removePersonalAccessToken", `{"tokenName":"bot"}`, &bob)
	wantStatus(t, r, http.StatusBadRequest) // bob's login token has no bypass: password fallback asked
	r = e.do(req{method: "POST", path: "/api/v1/users.removePersonalAccessToken", body: `{"tokenName":"bot"}`, cred: &bob, header: map[string]string{"x-2fa-method": "password", "x-2fa-code": auth.Digest(bobPass)}})
	wantStatus(t, r, http.StatusOK)
	wantStatus(t, e.get("/api/v1/me", &fresh), http.StatusUnauthorized)
	r = e.do(req{method: "POST", path: "/api/v1/users.removePersonalAccessToken", body: `{"tokenName":"bot"}`, cred: &bob, header: map[string]string{"x-2fa-method": "password", "x-2fa-code": auth.Digest(bobPass)}})
	wantStatus(t, r, http.StatusBadRequest)
}

// TestUsersLogout reproduces issue 14: users.removeOtherTokens and
// users.logout were missing. The first keeps personal access tokens, the
// second ends them with the logins.
func TestUsersLogout(t *testing.T) {
	e := start(t)
	bob := e.login(bobName, bobPass, chromeUA)
	r := e.post("/api/v1/users.generatePersonalAccessToken", `{"tokenName":"bot"}`, &bob)
	wantStatus(t, r, http.StatusOK)
	pat := cred{bobID, r.json(t)["token"].(string)}
	other := e.login(bobName, bobPass, firefoxUA)
	wantStatus(t, e.post("/api/v1/users.removeOtherTokens", ``, &bob), http.StatusOK)
	wantStatus(t, e.get("/api/v1/me", &other), http.StatusUnauthorized)
	wantStatus(t, e.get("/api/v1/me", &bob), http.StatusOK)
	wantStatus(t, e.get("/api/v1/me", &pat), http.StatusOK)

	carol := e.login(carolName, carolPass, chromeUA)
	r = e.post("/api/v1/users.logout", `{"userId":"`+bobID+`"}`, &carol)
	wantStatus(t, r, http.StatusForbidden)
	wantStatus(t, e.get("/api/v1/me", &pat), http.StatusOK)
	root := e.login(adminName, adminPass, chromeUA)
	r = e.post("/api/v1/users.logout", `{"userId":"`+bobID+`"}`, &root)
	wantStatus(t, r, http.StatusOK)
	if r.json(t)["message"] != "User "+bobID+" has been logged out!" {
		t.Fatalf("users.logout: %s", r.body)
	}
	wantStatus(t, e.get("/api/v1/me", &bob), http.StatusUnauthorized)
	wantStatus(t, e.get("/api/v1/me", &pat), http.StatusUnauthorized)
	wantStatus(t, e.post("/api/v1/users.logout", `{}`, &carol), http.StatusOK)
	wantStatus(t, e.get("/api/v1/me", &carol), http.StatusUnauthorized)
}

// TestDisableTOTP: 2fa:disable with a wrong code answers false and keeps
// TOTP; with a right one, login needs the password alone again.
func TestDisableTOTP(t *testing.T) {
	e := start(t)
	bob := e.login(bobName, bobPass, chromeUA)
	secret, _ := e.enableTOTP(&bob)
	e.clock.Advance(time.Minute)
	if res := e.callMethod(&bob, "2fa:disable", "000000")["result"]; res != false {
		t.Fatalf("2fa:disable with a wrong code: %v", res)
	}
	if res := e.callMethod(&bob, "2fa:checkCodesRemaining")["result"].(map[string]any); res["remaining"] != float64(auth.RecoveryCodeCount) {
		t.Fatalf("codes remaining %v", res)
	}
	code, _ := auth.TOTPCode(secret, e.clock.Now())
	if res := e.callMethod(&bob, "2fa:disable", code)["result"]; res != true {
		t.Fatalf("2fa:disable: %v", res)
	}
	e.login(bobName, bobPass, chromeUA)
	if out := e.callMethod(&bob, "nope"); out["error"].(map[string]any)["error"] != float64(404) {
		t.Fatalf("unknown method: %v", out)
	}
	r := e.post("/api/v1/users.2fa.enableEmail", ``, &bob)
	wantStatus(t, r, http.StatusBadRequest) // no courier configured on this server
}
