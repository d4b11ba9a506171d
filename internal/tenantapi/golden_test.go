package tenantapi_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files")

// goldenHeaders are the response headers a golden file records.
var goldenHeaders = []string{
	"Allow", "Cache-Control", "Content-Type", "RateLimit", "RateLimit-Policy", "Retry-After",
	"X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset", "X-Request-Id",
}

var (
	jwtValue = regexp.MustCompile(`"eyJ[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+"`)
	hexID    = regexp.MustCompile(`"[0-9a-f]{16}"`)
	modulus  = regexp.MustCompile(`"n": "[A-Za-z0-9_\-]{300,}"`)
)

// render writes a response as its golden file shows it: status, the
// headers that matter, and the body indented, with JWTs and fresh IDs
// replaced (times are fixed by the test clock).
func render(resp *http.Response, body string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "HTTP %d\n", resp.StatusCode)
	for _, h := range goldenHeaders {
		for _, v := range resp.Header.Values(h) {
			fmt.Fprintf(&b, "%s: %s\n", h, v)
		}
	}
	b.WriteString("\n")
	var out bytes.Buffer
	if err := json.Indent(&out, []byte(body), "", "  "); err != nil {
		out.Reset()
		out.WriteString(body)
	}
	s := jwtValue.ReplaceAllString(out.String(), `"<jwt>"`)
	s = hexID.ReplaceAllString(s, `"<id>"`)
	s = modulus.ReplaceAllString(s, `"n": "<modulus>"`)
	b.WriteString(s)
	b.WriteString("\n")
	return b.String()
}

func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name+".golden")
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
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

// goldenCase is one call whose answer a golden file pins.
type goldenCase struct {
	name   string // of the subtest and of testdata/golden/<name>.golden
	call   call
	status int
	schema string // testdata/schema/<schema>.json checks the body
	before func()
}

// runGolden makes each case's call (after its before) as a subtest:
// the status must be the case's, the body must match its schema, and the
// answer its golden file.
func runGolden(t *testing.T, e *env, cases []goldenCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.before != nil {
				c.before()
			}
			resp, body := e.do(c.call)
			if resp.StatusCode != c.status {
				t.Fatalf("got HTTP %d, want %d: %s", resp.StatusCode, c.status, body)
			}
			if c.schema != "" {
				validate(t, c.schema, body)
			}
			checkGolden(t, c.name, render(resp, body))
		})
	}
}

// TestGolden drives every endpoint through its success and its documented
// errors and compares each answer with testdata/golden; the reference's
// sign-in, refresh and logout bodies, and every error, are also checked
// against the JSON Schemas in testdata/schema.
func TestGolden(t *testing.T) {
	e := start(t)
	ten := e.tenant("acme")
	other := e.tenant("other")
	alice := e.signup(ten, "alice@example.com")
	bob := e.signup(ten, "bob@example.com")
	carol := e.signup(ten, "carol@example.com")
	foreign := e.signup(other, "alice@example.com")

	signin := func(method, email, pw string) string {
		return fmt.Sprintf(`{"method":%q,"email":%q,"password":%q}`, method, email, pw)
	}
	cases := []goldenCase{
		{name: "signup-created", status: 201, schema: "signin",
			call: call{method: "POST", path: "/auth/signup", tenant: ten.Token, body: signin("password", "dave@example.com", password)}},
		{name: "signup-user-exists", status: 409, schema: "error",
			call: call{method: "POST", path: "/auth/signup", tenant: ten.Token, body: signin("password", "alice@example.com", password)}},
		{name: "signup-validation", status: 400, schema: "error",
			call: call{method: "POST", path: "/auth/signup", tenant: ten.Token, body: `{"method":"password","email":"not-an-email","password":"short","extra":1}`}},
		{name: "signup-method-restricted", status: 403, schema: "error",
			call: call{method: "POST", path: "/auth/signup", tenant: ten.Token, body: signin("google", "erin@example.com", password)}},
		{name: "signin-created", status: 201, schema: "signin",
			call: call{method: "POST", path: "/auth/signin", tenant: ten.Token, body: signin("password", "alice@example.com", password)}},
		{name: "signin-invalid-credentials", status: 401, schema: "error",
			call: call{method: "POST", path: "/auth/signin", tenant: ten.Token, body: signin("password", "alice@example.com", "wrong-password")}},
		{name: "signin-unknown-user", status: 401, schema: "error",
			call: call{method: "POST", path: "/auth/signin", tenant: ten.Token, body: signin("password", "nobody@example.com", password)}},
		{name: "signin-guest-created", status: 201, schema: "signin",
			call: call{method: "POST", path: "/auth/signin", tenant: ten.Token, body: `{"method":"guest"}`}},
		{name: "signin-google-not-set-up", status: 403, schema: "error",
			call: call{method: "POST", path: "/auth/signin", tenant: ten.Token, body: `{"method":"google","token":"x"}`}},
		{name: "signin-unknown-method", status: 400, schema: "error",
			call: call{method: "POST", path: "/auth/signin", tenant: ten.Token, body: `{"method":"telepathy"}`}},
		{name: "refresh-created", status: 201, schema: "refresh",
			call: call{method: "POST", path: "/auth/refresh-token", tenant: ten.Token, body: `{"refreshToken":"` + alice.RefreshToken + `"}`}},
		{name: "refresh-invalid", status: 401, schema: "error",
			call: call{method: "POST", path: "/auth/refresh-token", tenant: ten.Token, body: `{"refreshToken":"` + alice.AccessToken + `"}`}},
		{name: "me-ok", status: 200,
			call: call{method: "GET", path: "/auth/me", tenant: ten.Token, token: alice.AccessToken}},
		{name: "sessions-ok", status: 200,
			call: call{method: "GET", path: "/auth/sessions", tenant: ten.Token, token: bob.AccessToken}},
		{name: "sessions-revoke-unknown", status: 404, schema: "error",
			call: call{method: "DELETE", path: "/auth/sessions/0000000000000999", tenant: ten.Token, token: bob.AccessToken}},
		{name: "sessions-revoke-others", status: 200,
			call: call{method: "DELETE", path: "/auth/sessions", tenant: ten.Token, token: bob.AccessToken}},
		{name: "logout-ok", status: 200, schema: "logout",
			call: call{method: "GET", path: "/auth/logout", tenant: ten.Token, token: alice.AccessToken}},
		{name: "me-after-logout", status: 200,
			call: call{method: "GET", path: "/auth/me", tenant: ten.Token, token: alice.AccessToken}},
		{name: "terminate-validation", status: 400, schema: "error",
			call: call{method: "POST", path: "/auth/terminate", tenant: ten.Token, token: carol.AccessToken, body: `{"reason":"","strategy":"later"}`}},
		{name: "terminate-ok", status: 201,
			call: call{method: "POST", path: "/auth/terminate", tenant: ten.Token, token: carol.AccessToken, body: `{"reason":"leaving","strategy":"soft"}`}},
		{name: "signin-suspended", status: 403, schema: "error",
			call: call{method: "POST", path: "/auth/signin", tenant: ten.Token, body: signin("password", "carol@example.com", password)}},
		{name: "token-of-suspended-user", status: 403, schema: "error",
			call: call{method: "GET", path: "/auth/me", tenant: ten.Token, token: carol.AccessToken}},
		{name: "missing-tenant-token", status: 401, schema: "error",
			call: call{method: "GET", path: "/auth/logout", token: alice.AccessToken}},
		{name: "invalid-tenant-token", status: 401, schema: "error",
			call: call{method: "GET", path: "/auth/logout", tenant: "not-a-tenant-token", token: alice.AccessToken}},
		{name: "missing-user-token", status: 401, schema: "error",
			call: call{method: "GET", path: "/auth/logout", tenant: ten.Token}},
		{name: "invalid-user-token", status: 401, schema: "error",
			call: call{method: "GET", path: "/auth/logout", tenant: ten.Token, token: "not.a.jwt"}},
		{name: "other-tenant-user-token", status: 401, schema: "error",
			call: call{method: "GET", path: "/auth/logout", tenant: ten.Token, token: foreign.AccessToken}},
		{name: "missing-client-headers", status: 400, schema: "error",
			call: call{method: "GET", path: "/auth/logout", tenant: ten.Token, token: alice.AccessToken, bare: true}},
		{name: "logout-restricted", status: 403, schema: "error",
			before: func() { e.update(ten, `{"restrictedCapabilities":["logout"]}`) },
			call:   call{method: "GET", path: "/auth/logout", tenant: ten.Token, token: alice.AccessToken}},
		{name: "not-found", status: 404, schema: "error",
			call: call{method: "GET", path: "/auth/nothing-here", tenant: ten.Token}},
		{name: "method-not-allowed", status: 405, schema: "error",
			call: call{method: "POST", path: "/auth/logout", tenant: ten.Token}},
		{name: "jwks", status: 200,
			call: call{method: "GET", path: "/auth/.well-known/jwks.json", tenant: ten.Token, bare: true}},
	}
	runGolden(t, e, cases)
}
