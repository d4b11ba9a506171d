package securitytest

import (
	"net/http"
	"strings"
	"testing"

	"github.com/sessiond/sessiond/internal/config"
)

// setPassword is an admin setting bob's password.
func (e *env) setPassword(pw string) resp {
	e.t.Helper()
	return e.do(req{method: "POST", path: "/api/v2/users/" + bobID + "/password", token: operToken, body: `{"password":` + jsonString(pw) + `}`})
}

func jsonString(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`)
	return `"` + r.Replace(s) + `"`
}

// Point 25: under the minimum (8) is refused; 64 characters are accepted
// (up to 72 bytes by default, InfluxDB's maximum; --password-max-length
// raises it).
func TestD25PasswordLength(t *testing.T) {
	e := start(t, options{})
	e.seed()
	if r := e.setPassword("seven77"); r.StatusCode != http.StatusBadRequest {
		t.Fatalf("7 bytes: %d", r.StatusCode)
	}
	pw64 := strings.Repeat("sixty-four bytes", 4)
	if r := e.setPassword(pw64); r.StatusCode != http.StatusNoContent {
		t.Fatalf("64 bytes: %d %s", r.StatusCode, r.body)
	}
	e.signin(bobName, pw64)
	raised := start(t, options{tune: func(c *config.Config) { c.PasswordMinLength = 15 }})
	if r := raised.do(req{method: "POST", path: "/api/v2/setup", body: `{"username":"root","password":"fourteen bytes","org":"o","bucket":"b"}`}); r.StatusCode < 400 {
		t.Fatalf("14 bytes under a 15 minimum: %d", r.StatusCode)
	}
	if r := raised.do(req{method: "POST", path: "/api/v2/setup", body: `{"username":"root","password":"fifteen bytes!!","org":"o","bucket":"b"}`}); r.StatusCode != http.StatusCreated {
		t.Fatalf("15 bytes at a 15 minimum: %d %s", r.StatusCode, r.body)
	}
}

// Point 26: no composition rules: a long lower-case passphrase is fine.
func TestD26NoCompositionRules(t *testing.T) {
	e := start(t, options{})
	e.seed()
	if r := e.setPassword("purple monkey dishwasher"); r.StatusCode != http.StatusNoContent {
		t.Fatalf("passphrase: %d %s", r.StatusCode, r.body)
	}
}

// Point 27: common passwords are refused at creation and change, with a
// message saying why.
func TestD27CommonPasswordsRefused(t *testing.T) {
	e := start(t, options{})
	e.seed()
	for _, pw := range []string{"password", "12345678", "qwertyuiop", "iloveyou", "Password1"} {
		r := e.setPassword(pw)
		if r.StatusCode != http.StatusBadRequest || !strings.Contains(r.body, "common") {
			t.Fatalf("set %q: %d %s", pw, r.StatusCode, r.body)
		}
	}
	bob := e.signin(bobName, bobPass)
	r := e.do(req{method: "PUT", path: "/api/v2/me/password", cookie: bob, basic: []string{"x", bobPass}, body: `{"password":"football"}`})
	if r.StatusCode != http.StatusBadRequest || !strings.Contains(r.body, "common") {
		t.Fatalf("change to a common password: %d %s", r.StatusCode, r.body)
	}
	r = e.do(req{method: "POST", path: "/api/v2/setup", body: `{"username":"x","password":"baseball","org":"o","bucket":"b"}`})
	if r.StatusCode < 400 {
		t.Fatalf("setup: %d", r.StatusCode)
	}
}

// Point 28: the password is verified exactly as set: no truncation (even
// past bcrypt's 72 bytes), no case folding, no Unicode normalisation;
// spaces and Unicode work.
func TestD28NoTruncationOrNormalisation(t *testing.T) {
	e := start(t, options{tune: func(c *config.Config) { c.PasswordMaxLength = 256 }})
	e.seed()
	long := strings.Repeat("a long passphrase ", 6) // 108 bytes
	cases := []struct{ set, try string }{
		{long, long + "x"},
		{long, long[:72]},
		{"Mixed Case Pass", "mixed case pass"},
		{"crème brûlée ☕", "cre\u0300me bru\u0302le\u0301e ☕"},
		{" spaces around ", "spaces around"},
	}
	for _, c := range cases {
		if r := e.setPassword(c.set); r.StatusCode != http.StatusNoContent {
			t.Fatalf("set %q: %d %s", c.set, r.StatusCode, r.body)
		}
		e.signin(bobName, c.set)
		if s := e.signinResp(bobName, c.try).StatusCode; s != http.StatusUnauthorized {
			t.Fatalf("%q accepted for %q: %d", c.try, c.set, s)
		}
	}
}
