package influxapi_test

import (
	"flag"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files")

// goldenHeaders are the response headers a golden file records.
var goldenHeaders = []string{"Allow", "Content-Type", "Set-Cookie", "X-Platform-Error-Code", "X-Influxdb-Build", "Cache-Control"}

var (
	cookieValue = regexp.MustCompile(`influxdb-oss-session=[A-Za-z0-9_\-]{86}==`)
	expires     = regexp.MustCompile(`Expires=[A-Z][a-z]{2}, \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d GMT`)
	timestamp   = regexp.MustCompile(`"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z"`)
	hexID       = regexp.MustCompile(`\b[0-9a-f]{16}\b`)
	b64Token    = regexp.MustCompile(`"[A-Za-z0-9_\-]{86}=="`)
)

// render writes a response as a golden file shows it. Values that change
// from run to run (fresh IDs, tokens, times) are replaced by placeholders;
// fixed test IDs are kept.
func render(resp *http.Response, body string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "HTTP %d\n", resp.StatusCode)
	hs := append([]string(nil), goldenHeaders...)
	sort.Strings(hs)
	for _, h := range hs {
		for _, v := range resp.Header.Values(h) {
			v = cookieValue.ReplaceAllString(v, "influxdb-oss-session=<key>")
			v = expires.ReplaceAllString(v, "Expires=<expires>")
			fmt.Fprintf(&b, "%s: %s\n", h, v)
		}
	}
	b.WriteString("\n")
	body = timestamp.ReplaceAllString(body, `"<time>"`)
	body = b64Token.ReplaceAllString(body, `"<token>"`)
	body = hexID.ReplaceAllStringFunc(body, func(s string) string {
		if strings.HasPrefix(s, "000000000000") || s == adminID {
			return s // the tests' fixed IDs
		}
		return "<id>"
	})
	b.WriteString(body)
	return b.String()
}

func checkGolden(t *testing.T, name string, got string) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name+".golden")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from %s\n--- got ---\n%s\n--- want ---\n%s", name, path, got, want)
	}
}

// TestGolden checks every documented response of the dialect, byte for
// byte, against testdata/golden.
func TestGolden(t *testing.T) {
	e := start(t, "")
	if s := e.status(req{method: "GET", path: "/api/v2/setup"}); s != 200 {
		t.Fatalf("setup allowed: %d", s)
	}
	resp, body := e.do(req{method: "GET", path: "/api/v2/setup"})
	checkGolden(t, "setup_allowed", render(resp, body))
	resp, body = e.do(req{method: "POST", path: "/api/v2/setup", body: `{"username":"admin0","password":"","org":"acme"}`})
	checkGolden(t, "setup_missing_bucket", render(resp, body))
	resp, body = e.do(req{method: "POST", path: "/api/v2/setup", body: `{"username":"root","password":"short","org":"acme","bucket":"b"}`})
	checkGolden(t, "setup_bad_password", render(resp, body))
	resp, body = e.do(req{method: "POST", path: "/api/v2/setup", body: `{"username":"root","password":"root-password","org":"acme","bucket":"b","retentionPeriodSeconds":3600}`})
	checkGolden(t, "setup_created", render(resp, body))
	resp, body = e.do(req{method: "POST", path: "/api/v2/setup", body: `{"username":"x","password":"xxxxxxxxxx","org":"o","bucket":"b"}`})
	checkGolden(t, "setup_again", render(resp, body))
	resp, body = e.do(req{method: "GET", path: "/api/v2/setup"})
	checkGolden(t, "setup_not_allowed", render(resp, body))

	e.seed()
	inactive := "00000000000000c0"
	e.app.Service().CreateUser(t.Context(), newUser(inactive, "carol", "carol-password", "inactive"))
	bob := e.signin(userName, userPass)
	long := strings.Repeat("p", 73)

	cases := []struct {
		name string
		r    req
	}{
		{"signin_ok", req{method: "POST", path: "/api/v2/signin", basic: []string{userName, userPass}}},
		{"signin_wrong_password", req{method: "POST", path: "/api/v2/signin", basic: []string{userName, "wrong-password"}}},
		{"signin_unknown_user", req{method: "POST", path: "/api/v2/signin", basic: []string{"nobody", "wrong-password"}}},
		{"signin_no_header", req{method: "POST", path: "/api/v2/signin"}},
		{"signin_token_scheme", req{method: "POST", path: "/api/v2/signin", token: operToken}},
		{"signin_malformed_basic", req{method: "POST", path: "/api/v2/signin", headers: map[string]string{"Authorization": "Basic !!!not-base64"}}},
		{"signin_basic_no_colon", req{method: "POST", path: "/api/v2/signin", headers: map[string]string{"Authorization": "Basic Ym9i"}}},
		{"signin_inactive", req{method: "POST", path: "/api/v2/signin", basic: []string{"carol", "carol-password"}}},
		{"signin_inactive_wrong_password", req{method: "POST", path: "/api/v2/signin", basic: []string{"carol", "nope-nope-nope"}}},
		{"signin_wrong_method", req{method: "GET", path: "/api/v2/signin"}},
		{"signin_wrong_method_authed", req{method: "GET", path: "/api/v2/signin", token: operToken}},
		{"me_cookie", req{method: "GET", path: "/api/v2/me", cookie: bob}},
		{"me_token", req{method: "GET", path: "/api/v2/me", token: operToken}},
		{"me_token_wins_over_cookie", req{method: "GET", path: "/api/v2/me", token: operToken, cookie: bob}},
		{"me_no_credentials", req{method: "GET", path: "/api/v2/me"}},
		{"me_garbage_cookie", req{method: "GET", path: "/api/v2/me", cookie: "garbage"}},
		{"me_unknown_token", req{method: "GET", path: "/api/v2/me", token: "nope"}},
		{"me_password_wrong_old", req{method: "PUT", path: "/api/v2/me/password", cookie: bob, basic: []string{"x", "not-the-password"}, body: `{"password":"new-password-1"}`}},
		{"me_password_too_short", req{method: "PUT", path: "/api/v2/me/password", cookie: bob, basic: []string{"x", userPass}, body: `{"password":"1234567"}`}},
		{"me_password_too_long", req{method: "PUT", path: "/api/v2/me/password", cookie: bob, basic: []string{"x", userPass}, body: `{"password":"` + long + `"}`}},
		{"me_password_no_basic", req{method: "PUT", path: "/api/v2/me/password", cookie: bob, body: `{"password":"new-password-1"}`}},
		{"me_password_bad_json", req{method: "PUT", path: "/api/v2/me/password", cookie: bob, basic: []string{"x", userPass}, body: `{"password":`}},
		{"users_create_by_non_admin", req{method: "POST", path: "/api/v2/users", cookie: bob, body: `{"name":"u1"}`}},
		{"users_create", req{method: "POST", path: "/api/v2/users", token: operToken, body: `{"name":"u1","id":"00000000000000d0"}`}},
		{"users_create_conflict", req{method: "POST", path: "/api/v2/users", token: operToken, body: `{"name":"u1"}`}},
		{"users_create_unknown_field", req{method: "POST", path: "/api/v2/users", token: operToken, body: `{"name":"u2","colour":"red"}`}},
		{"users_create_wrong_type", req{method: "POST", path: "/api/v2/users", token: operToken, body: `{"name":42}`}},
		{"users_create_bad_json", req{method: "POST", path: "/api/v2/users", token: operToken, body: `{"name":"u2"`}},
		{"users_create_empty_body", req{method: "POST", path: "/api/v2/users", token: operToken}},
		{"users_create_trailing_data", req{method: "POST", path: "/api/v2/users", token: operToken, body: `{"name":"u3"} {}`}},
		{"users_list_non_admin", req{method: "GET", path: "/api/v2/users", cookie: bob}},
		{"users_list_bad_limit", req{method: "GET", path: "/api/v2/users?limit=0", token: operToken}},
		{"users_list_name_missing", req{method: "GET", path: "/api/v2/users?name=nobody", token: operToken}},
		{"users_get", req{method: "GET", path: "/api/v2/users/" + userID, token: operToken}},
		{"users_get_unknown", req{method: "GET", path: "/api/v2/users/" + unknownID, token: operToken}},
		{"users_get_short_id", req{method: "GET", path: "/api/v2/users/123", token: operToken}},
		{"users_get_bad_id", req{method: "GET", path: "/api/v2/users/zzzzzzzzzzzzzzzz", token: operToken}},
		{"users_get_other_as_user", req{method: "GET", path: "/api/v2/users/" + adminID, cookie: bob}},
		{"users_patch_bad_status", req{method: "PATCH", path: "/api/v2/users/" + userID, token: operToken, body: `{"status":"bogus"}`}},
		{"users_password_too_short", req{method: "POST", path: "/api/v2/users/" + userID + "/password", token: operToken, body: `{"password":"1234567"}`}},
		{"users_password_unknown_user", req{method: "POST", path: "/api/v2/users/" + unknownID + "/password", token: operToken, body: `{"password":"uncommon-password-9"}`}},
		{"users_delete_unknown", req{method: "DELETE", path: "/api/v2/users/" + unknownID, token: operToken}},
		{"unknown_path_anonymous", req{method: "GET", path: "/api/v2/nothing-here"}},
		{"unknown_path_authed", req{method: "GET", path: "/api/v2/nothing-here", token: operToken}},
		{"users_wrong_method", req{method: "PUT", path: "/api/v2/users", token: operToken}},
		{"oversized_body", req{method: "POST", path: "/api/v2/users", token: operToken, body: `{"name":"` + strings.Repeat("a", 70<<10) + `"}`}},
		{"auth_create_no_permissions", req{method: "POST", path: "/api/v2/authorizations", token: operToken, body: `{"orgID":"00000000000000e0","permissions":[]}`}},
		{"auth_create_no_org", req{method: "POST", path: "/api/v2/authorizations", token: operToken, body: `{"permissions":[{"action":"read","resource":{"type":"users"}}]}`}},
		{"auth_create_by_non_admin", req{method: "POST", path: "/api/v2/authorizations", cookie: bob, body: `{"orgID":"00000000000000e0","permissions":[{"action":"read","resource":{"type":"users"}}]}`}},
		{"auth_get_unknown", req{method: "GET", path: "/api/v2/authorizations/" + unknownID, token: operToken}},
		{"auth_list_short_user_id", req{method: "GET", path: "/api/v2/authorizations?userID=x", token: operToken}},
		{"auth_list_bad_org_id", req{method: "GET", path: "/api/v2/authorizations?orgID=zzzzzzzzzzzzzzzz", token: operToken}},
		{"auth_list_unknown_org", req{method: "GET", path: "/api/v2/authorizations?org=nope", token: operToken}},
		{"sessions_revoke_unknown", req{method: "DELETE", path: "/api/v2/sessions/" + unknownID, token: operToken}},
		{"sessions_list_other_as_user", req{method: "GET", path: "/api/v2/sessions?userID=" + adminID, cookie: bob}},
		{"index", req{method: "GET", path: "/api/v2"}},
		{"signout_no_cookie", req{method: "POST", path: "/api/v2/signout"}},
		{"signout_garbage", req{method: "POST", path: "/api/v2/signout", cookie: "garbage"}},
		{"signout_ok", req{method: "POST", path: "/api/v2/signout", cookie: bob}},
		{"signout_again", req{method: "POST", path: "/api/v2/signout", cookie: bob}},
		{"me_after_signout", req{method: "GET", path: "/api/v2/me", cookie: bob}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp, body := e.do(c.r)
			checkGolden(t, c.name, render(resp, body))
		})
	}
}
