package rocketapi_test

import (
	"encoding/json"
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
		// The DDP message inside method.call's message is JSON too, read
		// by the same decoder: encoding/json ran the last method named
		// and turned the escape into U+FFFD.
		{"method.call method twice", req{method: "POST", path: "/api/v1/method.call/2fa:enable", cred: &bob, body: `{"message":"{\"msg\":\"method\",\"id\":\"7\",\"method\":\"2fa:checkCodesRemaining\",\"method\":\"2fa:enable\"}"}`}, `field "message" names "method" twice`},
		{"method.call code with a lone surrogate", req{method: "POST", path: "/api/v1/method.call/2fa:validateTempToken", cred: &bob, body: `{"message":"{\"msg\":\"method\",\"id\":\"7\",\"method\":\"2fa:validateTempToken\",\"params\":[\"\\ud800\"]}"}`}, "surrogate"},
		{"method.call param key twice", req{method: "POST", path: "/api/v1/method.call/2fa:validateTempToken", cred: &bob, body: `{"message":"{\"msg\":\"method\",\"id\":\"7\",\"method\":\"2fa:validateTempToken\",\"params\":[{\"a\":1,\"a\":2}]}"}`}, `"a" twice`},
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

// TestMethodCallMessage: method.call's DDP message, read by the strict
// decoder, still takes what Meteor takes (members sessiond does not read,
// such as randomSeed; a null id or params) and answers what is not a
// method call with 400, never a 500.
func TestMethodCallMessage(t *testing.T) {
	e := start(t)
	bob := e.login(bobName, bobPass, firefoxUA)
	tests := []struct {
		name, message string
		status        int
		msg           string // in the error of a 400
	}{
		{"randomSeed", `{"msg":"method","id":"7","method":"2fa:checkCodesRemaining","params":[],"randomSeed":"c0ffee"}`, http.StatusOK, ""},
		{"null id and params", `{"msg":"method","id":null,"method":"2fa:checkCodesRemaining","params":null}`, http.StatusOK, ""},
		{"not a method message", `{"msg":"sub","id":"7","method":"2fa:checkCodesRemaining"}`, http.StatusBadRequest, "Invalid method call"},
		{"id of another type", `{"msg":"method","id":7,"method":"2fa:checkCodesRemaining"}`, http.StatusBadRequest, "Invalid method call"},
		{"params not a list", `{"msg":"method","id":"7","method":"2fa:checkCodesRemaining","params":"x"}`, http.StatusBadRequest, "Invalid method call"},
		{"not an object", `["method"]`, http.StatusBadRequest, `field "message" must be a JSON object`},
		{"trailing data", `{"msg":"method","id":"7","method":"2fa:checkCodesRemaining"}{}`, http.StatusBadRequest, `field "message" must hold a single JSON object`},
		{"not JSON", `{"msg":`, http.StatusBadRequest, `field "message" is not valid JSON`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body, _ := json.Marshal(map[string]string{"message": tt.message})
			r := e.post("/api/v1/method.call/2fa:checkCodesRemaining", string(body), &bob)
			wantStatus(t, r, tt.status)
			m := r.json(t)
			if tt.status != http.StatusOK {
				if m["success"] != false || !strings.Contains(m["error"].(string), tt.msg) {
					t.Fatalf("body %s, want Rocket.Chat's error naming %q", r.body, tt.msg)
				}
				return
			}
			var out map[string]any
			if err := json.Unmarshal([]byte(m["message"].(string)), &out); err != nil || out["msg"] != "result" {
				t.Fatalf("message %v (%v), want a DDP result", m["message"], err)
			}
		})
	}
}
