package influxapi_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/sessiond/sessiond/internal/auth"
)

// errorBody decodes an InfluxDB error body.
func errorBody(t *testing.T, body string) (code, msg string) {
	t.Helper()
	var e struct{ Code, Message string }
	if err := json.Unmarshal([]byte(body), &e); err != nil {
		t.Fatalf("not an InfluxDB error: %q", body)
	}
	return e.Code, e.Message
}

// TestStrictJSON: text that is not UTF-8, a lone surrogate and a key
// named twice are refused with 400 invalid, never rewritten or resolved;
// nothing changes. Before the strict decoder, invalid bytes became
// U+FFFD (so every such password of one length was the same password)
// and the last of two keys won.
func TestStrictJSON(t *testing.T) {
	e := start(t, "")
	e.seed()
	tests := []struct {
		name string
		r    req
		msg  string // a part of the message
	}{
		{"password of invalid bytes", req{method: "POST", path: "/api/v2/users/" + userID + "/password", token: operToken, body: "{\"password\":\"\xff\xfe\xfd\xfcabcdefgh\"}"}, "UTF-8"},
		{"password with a lone surrogate", req{method: "POST", path: "/api/v2/users/" + userID + "/password", token: operToken, body: `{"password":"\udc00abcdefgh"}`}, "surrogate"},
		{"user name of invalid bytes", req{method: "POST", path: "/api/v2/users", token: operToken, body: "{\"name\":\"\xff\xfe\"}"}, "UTF-8"},
		{"user name with a lone surrogate", req{method: "POST", path: "/api/v2/users", token: operToken, body: `{"name":"\ud800"}`}, "surrogate"},
		{"user name twice", req{method: "POST", path: "/api/v2/users", token: operToken, body: `{"name":"x1","name":"x2"}`}, `"name" twice`},
		{"nested key twice", req{method: "POST", path: "/api/v2/tenants", token: operToken, body: `{"name":"t","rateLimits":{"signin":1,"signin":99}}`}, `"signin" twice`},
		{"a key in another case", req{method: "POST", path: "/api/v2/users", token: operToken, body: `{"name":"x1","Name":"x2"}`}, `unknown field "Name"`},
		{"tenant name of invalid bytes", req{method: "POST", path: "/api/v2/tenants", token: operToken, body: "{\"name\":\"t\xc0\"}"}, "UTF-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := e.do(tt.r)
			if resp.StatusCode != http.StatusBadRequest {
				t.Fatalf("got %d %s, want 400", resp.StatusCode, body)
			}
			code, msg := errorBody(t, body)
			if code != "invalid" || !strings.Contains(msg, tt.msg) {
				t.Fatalf("got %s %q, want invalid naming %q", code, msg, tt.msg)
			}
		})
	}
	// Nothing was changed: bob's password is his own, no user was made.
	e.signin(userName, userPass)
	users, err := e.app.Service().Users(context.Background(), auth.UserFilter{TenantID: auth.DefaultTenantID})
	if err != nil {
		t.Fatal(err)
	}
	if len(users) != 2 {
		for _, u := range users {
			t.Logf("user %q", u.Name)
		}
		t.Fatalf("%d users, want the 2 seeded", len(users))
	}
}

// TestBasicNotUTF8: Basic credentials that are not UTF-8 never reach a
// password check. At sign-in they answer InfluxDB's 401 (what InfluxDB
// answers for any Basic header it cannot use), byte for byte the wrong
// password's body; as the old password of a password change, 400.
func TestBasicNotUTF8(t *testing.T) {
	e := start(t, "")
	e.seed()
	_, wrong := e.do(req{method: "POST", path: "/api/v2/signin", basic: []string{userName, "wrong-password"}})
	for _, basic := range [][]string{{userName, "bob-pass\xffword"}, {"b\xffob", userPass}} {
		resp, body := e.do(req{method: "POST", path: "/api/v2/signin", basic: basic})
		if resp.StatusCode != http.StatusUnauthorized || body != wrong {
			t.Fatalf("signin %q: got %d %s, want 401 %s", basic, resp.StatusCode, body, wrong)
		}
	}
	cookie := e.signin(userName, userPass)
	resp, body := e.do(req{method: "PUT", path: "/api/v2/me/password", cookie: cookie, basic: []string{userName, "\xff" + userPass}, body: `{"password":"another-password"}`})
	if code, msg := errorBody(t, body); resp.StatusCode != http.StatusBadRequest || code != "invalid" || !strings.Contains(msg, "UTF-8") {
		t.Fatalf("password change with a non-UTF-8 old password: %d %s", resp.StatusCode, body)
	}
	e.signin(userName, userPass)
}
