package rocketapi_test

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sessiond/sessiond/internal/auth"
	"github.com/sessiond/sessiond/internal/config"
)

func sha(pw string) string {
	s := sha256.Sum256([]byte(pw))
	return hex.EncodeToString(s[:])
}

func TestLoginForms(t *testing.T) {
	e := start(t)
	tests := []struct {
		name   string
		body   string
		ctype  string
		wantID string
	}{
		{"user as name", `{"user":"bob","password":"bob-password"}`, "", bobID},
		{"user as email", `{"user":"bob@example.com","password":"bob-password"}`, "", bobID},
		{"username", `{"username":"bob","password":"bob-password"}`, "", bobID},
		{"email", `{"email":"bob@example.com","password":"bob-password"}`, "", bobID},
		{"user object", `{"user":{"username":"carol"},"password":"carol-password"}`, "", carolID},
		{"form", "user=bob&password=bob-password", "application/x-www-form-urlencoded", bobID},
		{"form with charset", "username=carol&password=carol-password", "application/x-www-form-urlencoded; charset=UTF-8", carolID},
		{"JSON sent as a form", `{"user":"bob","password":"bob-password"}`, "application/x-www-form-urlencoded", bobID},
		{"multipart", "--XyZ\r\nContent-Disposition: form-data; name=\"user\"\r\n\r\nbob\r\n--XyZ\r\nContent-Disposition: form-data; name=\"password\"\r\n\r\nbob-password\r\n--XyZ--\r\n", "multipart/form-data; boundary=XyZ", bobID},
		{"2FA code ignored", `{"user":"bob","password":"bob-password","code":"123456"}`, "", bobID},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do(req{method: "POST", path: "/api/v1/login", body: tc.body, ctype: tc.ctype})
			wantStatus(t, r, http.StatusOK)
			v := r.json(t)
			data, _ := v["data"].(map[string]any)
			if v["status"] != "success" || v["success"] != true || data == nil {
				t.Fatalf("body = %s", r.body)
			}
			if data["userId"] != tc.wantID {
				t.Errorf("userId = %v, want %s", data["userId"], tc.wantID)
			}
			if tok, _ := data["authToken"].(string); len(tok) != 43 {
				t.Errorf("authToken %q: want 43 characters", tok)
			}
			me, _ := data["me"].(map[string]any)
			if me["_id"] != tc.wantID || me["success"] != nil {
				t.Errorf("me = %v", me)
			}
			for _, h := range []string{"Cache-Control", "Pragma"} {
				if r.header.Get(h) == "" {
					t.Errorf("header %s missing", h)
				}
			}
		})
	}
}

func TestLoginSuccessBody(t *testing.T) {
	e := start(t)
	r := e.do(req{method: "POST", path: "/api/v1/login", body: `{"user":"bob","password":"bob-password"}`})
	wantStatus(t, r, http.StatusOK)
	tok := r.json(t)["data"].(map[string]any)["authToken"].(string)
	golden(t, "login_success", r.body, map[string]string{tok: "<token>"})
}

func TestLoginFailures(t *testing.T) {
	e := start(t)
	if _, err := e.app.Service().UpdateUser(t.Context(), auth.DefaultTenantID, carolID, auth.UserUpdate{State: ptr(auth.StateInactive)}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		body   string
		ctype  string
		status int
		golden string
	}{
		{"unknown user", `{"user":"nobody","password":"whatever-pass"}`, "", 401, "login_failed"},
		{"wrong password", `{"user":"bob","password":"not-bobs-password"}`, "", 401, "login_failed"},
		{"unknown email", `{"email":"nobody@example.com","password":"whatever-pass"}`, "", 401, "login_failed"},
		{"form, wrong password", "user=bob&password=nope", "application/x-www-form-urlencoded", 401, "login_failed"},
		{"empty password", `{"user":"bob","password":""}`, "", 401, "login_failed"},
		{"inactive user, right password", `{"user":"carol","password":"carol-password"}`, "", 401, "login_inactive"},
		{"inactive user, wrong password", `{"user":"carol","password":"wrong-password"}`, "", 401, "login_failed"},
		{"hashed, wrong password", `{"user":"bob","password":{"hashed":"` + sha("not-bobs-password") + `"}}`, "", 401, "login_failed"},
		{"no password", `{"user":"bob"}`, "", 401, "login_unrecognized"},
		{"empty body", ``, "", 401, "login_unrecognized"},
		{"no identity", `{"password":"bob-password"}`, "", 401, "login_match_failed"},
		{"password of the wrong type", `{"user":"bob","password":12}`, "", 401, "login_match_failed"},
		{"hashed of the wrong type", `{"user":"bob","password":{"hashed":5}}`, "", 401, "login_match_failed"},
		{"digest with another algorithm", `{"user":"bob","password":{"digest":"abc","algorithm":"md5"}}`, "", 401, "login_match_failed"},
		{"resume of the wrong type", `{"resume":42}`, "", 401, "login_match_failed"},
		{"unknown resume token", `{"resume":"no-such-token-no-such-token-no-such-token00"}`, "", 401, "login_resume_failed"},
		{"bad JSON", `{"user":"bob",`, "", 400, "login_bad_json"},
		{"JSON array", `["bob"]`, "", 400, "login_not_object"},
		{"trailing data", `{"user":"bob","password":"bob-password"} {}`, "", 400, "login_trailing"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do(req{method: "POST", path: "/api/v1/login", body: tc.body, ctype: tc.ctype})
			wantStatus(t, r, tc.status)
			golden(t, tc.golden, r.body, nil)
		})
	}
}

func ptr[T any](v T) *T { return &v }

func TestLoginBodyTooLarge(t *testing.T) {
	e := start(t, func(c *config.Config) { c.MaxBodyBytes = 1024 })
	r := e.post("/api/v1/login", `{"user":"bob","password":"`+strings.Repeat("x", 2000)+`"}`, nil)
	wantStatus(t, r, http.StatusRequestEntityTooLarge)
	if v := r.json(t); v["success"] != false || v["errorType"] != "error-request-too-large" {
		t.Errorf("body = %s", r.body)
	}
	big := "--XyZ\r\nContent-Disposition: form-data; name=\"user\"\r\n\r\n" + strings.Repeat("b", 4000) + "\r\n--XyZ--\r\n"
	r = e.do(req{method: "POST", path: "/api/v1/login", body: big, ctype: "multipart/form-data; boundary=XyZ"})
	wantStatus(t, r, http.StatusRequestEntityTooLarge)
}

// TestLoginHashed: {hashed: sha256hex} works from the moment a password
// is set (the core keeps a verifier of the digest beside every password
// hash), in every spelling, on another instance of the same data and
// after a restart, and follows a password change at once.
func TestLoginHashed(t *testing.T) {
	dir := t.TempDir()
	e := start(t, func(c *config.Config) { c.DataDir = dir })
	hashed := func(e *env, pw string) reply {
		return e.post("/api/v1/login", `{"user":"bob","password":{"hashed":"`+sha(pw)+`"}}`, nil)
	}
	for name, body := range map[string]string{
		"hashed":                `{"user":"bob","password":{"hashed":"` + sha(bobPass) + `"}}`,
		"hashed upper case":     `{"username":"bob","password":{"hashed":"` + strings.ToUpper(sha(bobPass)) + `"}}`,
		"meteor digest":         `{"user":{"email":"bob@example.com"},"password":{"digest":"` + sha(bobPass) + `","algorithm":"sha-256"}}`,
		"form password[hashed]": "user=bob&password%5Bhashed%5D=" + sha(bobPass),
	} {
		t.Run(name, func(t *testing.T) {
			ct := ""
			if !strings.HasPrefix(body, "{") {
				ct = "application/x-www-form-urlencoded"
			}
			r := e.do(req{method: "POST", path: "/api/v1/login", body: body, ctype: ct})
			wantStatus(t, r, http.StatusOK)
			if r.json(t)["data"].(map[string]any)["userId"] != bobID {
				t.Errorf("body = %s", r.body)
			}
		})
	}
	wantStatus(t, hashed(e, "another-password"), http.StatusUnauthorized)

	// Another instance over the same data, which has never seen bob sign
	// in, takes it too (as one restarted would).
	other := attach(t, e.clock, func(c *config.Config) { c.DataDir = dir })
	wantStatus(t, hashed(other, bobPass), http.StatusOK)

	// A password set through the management API: the old digest fails
	// and the new one works at once, on both instances.
	if err := e.app.Service().SetPassword(t.Context(), auth.DefaultTenantID, bobID, "bobs-new-password", false, ""); err != nil {
		t.Fatal(err)
	}
	for _, x := range []*env{e, other} {
		wantStatus(t, hashed(x, bobPass), http.StatusUnauthorized)
		wantStatus(t, hashed(x, "bobs-new-password"), http.StatusOK)
	}
}

// TestLoginResume: {resume} answers with the same token and session, as
// Meteor does; it does not extend the token's life. It is a login all the
// same: the session now records the resuming client (its address, through
// the trusted proxy, and its User-Agent) and the time of the resume.
func TestLoginResume(t *testing.T) {
	const firstIP, secondIP = "198.51.100.7", "203.0.113.9"
	e := start(t, func(c *config.Config) { c.TrustedProxies = "127.0.0.1, ::1" })
	c := e.loginFrom(bobName, bobPass, firefoxUA, firstIP)
	e.clock.Advance(time.Hour)
	r := e.do(req{method: "POST", path: "/api/v1/login", body: `{"resume":"` + c.token + `"}`, ua: chromeUA, header: map[string]string{"X-Forwarded-For": secondIP}})
	wantStatus(t, r, http.StatusOK)
	data := r.json(t)["data"].(map[string]any)
	if data["authToken"] != c.token || data["userId"] != bobID {
		t.Fatalf("resume data = %v", data)
	}
	list, err := e.app.Service().UserSessions(t.Context(), auth.DefaultTenantID, bobID)
	if err != nil || len(list) != 1 {
		t.Fatalf("sessions after resume: %d, %v", len(list), err)
	}
	s := list[0]
	if want := epoch.Add(90 * 24 * time.Hour); !s.ExpiresAt.Equal(want) {
		t.Errorf("expiry = %v, want %v (unchanged)", s.ExpiresAt, want)
	}
	if s.IP != secondIP || s.UserAgent != chromeUA {
		t.Errorf("session client = %s %q, want the resuming %s %q", s.IP, s.UserAgent, secondIP, chromeUA)
	}
	if want := epoch.Add(time.Hour); !s.LastSeen.Equal(want) || !s.CreatedAt.Equal(epoch) {
		t.Errorf("session created %v, last seen %v; want created at the login %v, last seen at the resume %v", s.CreatedAt, s.LastSeen, epoch, want)
	}
	wantStatus(t, e.get("/api/v1/me", &c), http.StatusOK)
}

// TestLoginExpiration: a login lasts rocketchat-login-expiration, without
// sliding: use does not extend it, and the token fails at its end for
// REST calls and resume alike.
func TestLoginExpiration(t *testing.T) {
	for _, tc := range []struct {
		name   string
		length time.Duration
	}{
		{"default 90 days", 0},
		{"configured 2h", 2 * time.Hour},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := start(t, func(c *config.Config) {
				if tc.length > 0 {
					c.RocketLoginExpiration = tc.length
				}
			})
			want := tc.length
			if want == 0 {
				want = 90 * 24 * time.Hour
			}
			c := e.login(bobName, bobPass, "")
			e.clock.Advance(want - time.Minute)
			wantStatus(t, e.get("/api/v1/me", &c), http.StatusOK)
			e.clock.Advance(time.Minute)
			wantStatus(t, e.get("/api/v1/me", &c), http.StatusUnauthorized)
			r := e.post("/api/v1/login", `{"resume":"`+c.token+`"}`, nil)
			wantStatus(t, r, http.StatusUnauthorized)
		})
	}
}

func TestMe(t *testing.T) {
	e := start(t)
	c := e.login(bobEmail, bobPass, "")
	r := e.get("/api/v1/me", &c)
	wantStatus(t, r, http.StatusOK)
	golden(t, "me", r.body, nil)
	if strings.Contains(string(r.body), "argon2") || strings.Contains(string(r.body), c.token) {
		t.Error("me leaks a secret")
	}
	a := e.login(adminName, adminPass, "")
	r = e.get("/api/v1/me", &a)
	wantStatus(t, r, http.StatusOK)
	roles := r.json(t)["roles"].([]any)
	if len(roles) != 2 || roles[1] != "admin" {
		t.Errorf("admin roles = %v", roles)
	}
}

// TestAuthRequired: every authenticated route answers the same 401 for
// missing, partial or wrong credentials.
func TestAuthRequired(t *testing.T) {
	e := start(t)
	bob := e.login(bobName, bobPass, "")
	carol := e.login(carolName, carolPass, "")
	creds := []struct {
		name string
		c    *cred
		hdr  map[string]string
	}{
		{"no headers", nil, nil},
		{"token only", nil, map[string]string{"X-Auth-Token": bob.token}},
		{"user only", nil, map[string]string{"X-User-Id": bobID}},
		{"wrong token", &cred{bobID, otherFirst(bob.token)}, nil},
		{"another user's token", &cred{bobID, carol.token}, nil},
		{"unknown user", &cred{"0000000000000999", bob.token}, nil},
	}
	routes := []struct{ method, path string }{
		{"GET", "/api/v1/me"}, {"GET", "/api/v1/logout"}, {"POST", "/api/v1/logout"},
		{"GET", "/api/v1/sessions/list"}, {"GET", "/api/v1/sessions/info?sessionId=x"},
		{"POST", "/api/v1/sessions/logout.me"}, {"GET", "/api/v1/sessions/list.all"},
		{"GET", "/api/v1/sessions/info.admin?sessionId=x"}, {"POST", "/api/v1/sessions/logout"},
	}
	for _, cr := range creds {
		for _, rt := range routes {
			t.Run(cr.name+" "+rt.method+" "+rt.path, func(t *testing.T) {
				body := ""
				if rt.method == "POST" {
					body = `{"sessionId":"x"}`
				}
				r := e.do(req{method: rt.method, path: rt.path, body: body, cred: cr.c, header: cr.hdr})
				wantStatus(t, r, http.StatusUnauthorized)
				golden(t, "unauthorized", r.body, nil)
			})
		}
	}
	// Nothing above ended a session.
	wantStatus(t, e.get("/api/v1/me", &bob), http.StatusOK)
	wantStatus(t, e.get("/api/v1/me", &carol), http.StatusOK)
}

// otherFirst is tok with its first character changed (a fixed "x" would
// leave the one token in 64 that starts with x unchanged).
func otherFirst(tok string) string {
	if tok[0] == 'x' {
		return "y" + tok[1:]
	}
	return "x" + tok[1:]
}

// TestLogout: GET and POST end the current token only, with the
// documented body, and the token fails at once.
func TestLogout(t *testing.T) {
	for _, method := range []string{"GET", "POST"} {
		t.Run(method, func(t *testing.T) {
			e := start(t)
			first := e.login(bobName, bobPass, "")
			second := e.login(bobName, bobPass, "")
			r := e.do(req{method: method, path: "/api/v1/logout", cred: &first})
			wantStatus(t, r, http.StatusOK)
			golden(t, "logout", r.body, nil)
			wantStatus(t, e.get("/api/v1/me", &first), http.StatusUnauthorized)
			wantStatus(t, e.do(req{method: method, path: "/api/v1/logout", cred: &first}), http.StatusUnauthorized)
			wantStatus(t, e.get("/api/v1/me", &second), http.StatusOK)
		})
	}
}

func TestUnknownRoutes(t *testing.T) {
	e := start(t)
	r := e.get("/api/v1/channels.list", nil)
	wantStatus(t, r, http.StatusNotFound)
	golden(t, "not_found", r.body, nil)
	r = e.get("/api/v1/login", nil)
	wantStatus(t, r, http.StatusMethodNotAllowed)
	if r.header.Get("Allow") != "POST" {
		t.Errorf("Allow = %q", r.header.Get("Allow"))
	}
	golden(t, "method_not_allowed", r.body, nil)
}
