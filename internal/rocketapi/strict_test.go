package rocketapi_test

import (
	"net/http"
	"strings"
	"testing"
)

// TestStrictInput: JSON that is not UTF-8, lone surrogates, a key named
// twice, and form or query fields that are not UTF-8 are refused with
// Rocket.Chat's 400 invalid-params, never rewritten or resolved: a login
// that names the password twice signs no one in whichever copy is right.
func TestStrictInput(t *testing.T) {
	e := start(t)
	bob := e.login(bobName, bobPass, firefoxUA)
	other := e.login(bobName, bobPass, chromeUA)
	tests := []struct {
		name string
		r    req
		msg  string
	}{
		{"password twice", req{method: "POST", path: "/api/v1/login", body: `{"user":"bob","password":"wrong","password":"` + bobPass + `"}`}, `"password" twice`},
		{"user twice", req{method: "POST", path: "/api/v1/login", body: `{"user":"carol","user":"bob","password":"` + bobPass + `"}`}, `"user" twice`},
		{"nested key twice", req{method: "POST", path: "/api/v1/login", body: `{"user":{"username":"carol","username":"bob"},"password":"` + bobPass + `"}`}, `"username" twice`},
		{"password of invalid bytes", req{method: "POST", path: "/api/v1/login", body: "{\"user\":\"bob\",\"password\":\"bob-\xffpassword\"}"}, "UTF-8"},
		{"password with a lone surrogate", req{method: "POST", path: "/api/v1/login", body: `{"user":"bob","password":"\ud800bob-password"}`}, "surrogate"},
		{"form field of invalid bytes", req{method: "POST", path: "/api/v1/login", ctype: "application/x-www-form-urlencoded", body: "user=bob&password=bob-%FFpassword"}, "UTF-8"},
		{"session ID twice", req{method: "POST", path: "/api/v1/sessions/logout.me", cred: &bob, body: `{"sessionId":"` + e.sessionOf(other) + `","sessionId":"` + e.sessionOf(bob) + `"}`}, `"sessionId" twice`},
		{"query of invalid bytes", req{method: "GET", path: "/api/v1/sessions/list?filter=%FF", cred: &bob}, "UTF-8"},
		{"sort key twice", req{method: "GET", path: "/api/v1/sessions/list" + query("sort", `{"loginAt":1,"loginAt":-1}`), cred: &bob}, "Invalid sort parameter"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.do(tt.r)
			wantStatus(t, r, http.StatusBadRequest)
			m := r.json(t)
			if m["success"] != false || !strings.Contains(m["error"].(string), tt.msg) {
				t.Fatalf("body %s, want Rocket.Chat's error naming %q", r.body, tt.msg)
			}
		})
	}
	// Both of bob's sessions are still there.
	wantStatus(t, e.get("/api/v1/me", &bob), http.StatusOK)
	wantStatus(t, e.get("/api/v1/me", &other), http.StatusOK)
}
