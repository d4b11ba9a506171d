package tenantapi_test

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/sessiond/sessiond/internal/auth"
)

// TestTenantIsolation: a user, session and token of tenant A are
// invisible and unusable in tenant B.
func TestTenantIsolation(t *testing.T) {
	e := start(t)
	a := e.tenant("a")
	b := e.tenant("b")
	ta := e.signup(a, "same@example.com")

	// The same email is free in B and is another user there.
	tb := e.signup(b, "same@example.com")
	if tb.UserID == ta.UserID {
		t.Fatal("two tenants share a user")
	}
	tests := []struct {
		name string
		c    call
		code string
	}{
		{"A's access token in B", call{method: "GET", path: "/auth/me", tenant: b.Token, token: ta.AccessToken}, "INVALID_USER_TOKEN"},
		{"A's refresh token in B", call{method: "POST", path: "/auth/refresh-token", tenant: b.Token, body: `{"refreshToken":"` + ta.RefreshToken + `"}`}, "INVALID_REFRESH_TOKEN"},
		{"A's session revoked from B", call{method: "DELETE", path: "/auth/sessions/" + e.sessionIDs(a, ta.AccessToken)[0], tenant: b.Token, token: tb.AccessToken}, "NOT_FOUND"},
		{"B's password sign-in for A's user with A's password only", call{method: "POST", path: "/auth/signin", tenant: b.Token, body: `{"method":"password","email":"only-a@example.com","password":"` + password + `"}`}, "INVALID_CREDENTIALS"},
	}
	e.signup(a, "only-a@example.com")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, code := e.code(tt.c); code != tt.code {
				t.Fatalf("got %q, want %q", code, tt.code)
			}
		})
	}
	if ids := e.sessionIDs(b, tb.AccessToken); len(ids) != 1 {
		t.Fatalf("B's user sees %d sessions, want only their own", len(ids))
	}
	if e.me(a, ta.AccessToken) != "logged_in" {
		t.Fatal("A's token stopped working")
	}
	// Logging out in B does not touch A's user of the same email.
	e.code(call{method: "GET", path: "/auth/logout", tenant: b.Token, token: tb.AccessToken})
	if got := e.stored(a, ta.UserID); got != "logged_in" {
		t.Fatalf("A's user is %s after B's logout", got)
	}
}

// TestRevokeIsImmediate: whichever way a session ends, its tokens fail on
// the very next request.
func TestRevokeIsImmediate(t *testing.T) {
	e := start(t)
	ten := e.tenant("acme")
	first := e.signup(ten, "user@example.com")
	second := e.signin(ten, "user@example.com")
	third := e.signin(ten, "user@example.com")
	ids := e.sessionIDs(ten, first.AccessToken)
	if len(ids) != 3 {
		t.Fatalf("got %d sessions, want 3", len(ids))
	}
	alive := func(tk tokens) bool {
		st, _ := e.code(call{method: "GET", path: "/auth/me", tenant: ten.Token, token: tk.AccessToken})
		return st == http.StatusOK
	}

	// Revoke one: the second sign-in's session, from the first.
	_, c2 := parts(t, second.AccessToken)
	if st, code := e.code(call{method: "DELETE", path: "/auth/sessions/" + c2["sid"].(string), tenant: ten.Token, token: first.AccessToken}); st != http.StatusOK {
		t.Fatalf("revoke one: %d %s", st, code)
	}
	if alive(second) || !alive(first) || !alive(third) {
		t.Fatal("revoking one session did not end exactly that one")
	}

	// Revoke all others from the first.
	st, r := e.send(call{method: "DELETE", path: "/auth/sessions", tenant: ten.Token, token: first.AccessToken})
	if st != http.StatusOK || string(r.Data) != `{"success":true,"revoked":1}` {
		t.Fatalf("revoke others: %d %s", st, r.Data)
	}
	if alive(third) || !alive(first) {
		t.Fatal("revoking the others did not end exactly the others")
	}

	// The core revoking it (any dialect's admin path) ends it too.
	_, c1 := parts(t, first.AccessToken)
	if _, err := e.app.Service().RevokeSession(context.Background(), auth.Reach{TenantID: ten.ID, Admin: true}, c1["sid"].(string)); err != nil {
		t.Fatal(err)
	}
	if alive(first) {
		t.Fatal("a session revoked in the core still authenticates")
	}
}

// TestTerminate: soft suspends and hard terminates; both end every
// session, a suspended user can be reactivated by an operator, a
// terminated one cannot.
func TestTerminate(t *testing.T) {
	e := start(t)
	ten := e.tenant("acme")
	for _, tt := range []struct {
		strategy, status, code string
		httpStatus             int
	}{
		{"soft", "suspended", "USER_SUSPENDED", http.StatusForbidden},
		{"hard", "terminated", "USER_TERMINATED", http.StatusUnauthorized},
	} {
		t.Run(tt.strategy, func(t *testing.T) {
			email := tt.strategy + "@example.com"
			tk := e.signup(ten, email)
			other := e.signin(ten, email)
			st, code := e.code(call{method: "POST", path: "/auth/terminate", tenant: ten.Token, token: tk.AccessToken, body: `{"reason":"bye","strategy":"` + tt.strategy + `"}`})
			if st != http.StatusCreated {
				t.Fatalf("terminate: %d %s", st, code)
			}
			if got := e.stored(ten, tk.UserID); got != tt.status {
				t.Fatalf("status %q, want %q", got, tt.status)
			}
			for _, c := range []call{
				{method: "GET", path: "/auth/me", tenant: ten.Token, token: other.AccessToken},
				{method: "POST", path: "/auth/refresh-token", tenant: ten.Token, body: `{"refreshToken":"` + tk.RefreshToken + `"}`},
				{method: "POST", path: "/auth/signin", tenant: ten.Token, body: `{"method":"password","email":"` + email + `","password":"` + password + `"}`},
			} {
				if st, code := e.code(c); st != tt.httpStatus || code != tt.code {
					t.Fatalf("%s %s after terminate: %d %s, want %d %s", c.method, c.path, st, code, tt.httpStatus, tt.code)
				}
			}
			// A wrong password still looks like any wrong password.
			if _, code := e.code(call{method: "POST", path: "/auth/signin", tenant: ten.Token, body: `{"method":"password","email":"` + email + `","password":"wrong-password"}`}); code != "INVALID_CREDENTIALS" {
				t.Fatalf("wrong password of a %s user: %s", tt.status, code)
			}
			resp, body := e.do(call{method: "PATCH", path: "/api/v2/tenants/" + ten.ID + "/users/" + tk.UserID, body: `{"status":"active"}`, headers: map[string]string{"Authorization": "Token " + operator}})
			if reactivated := resp.StatusCode == http.StatusOK; reactivated != (tt.strategy == "soft") {
				t.Fatalf("reactivate a %s user: %d %s", tt.status, resp.StatusCode, body)
			}
			if tt.strategy == "soft" {
				e.signin(ten, email)
			}
		})
	}
}

// TestCapabilities: a tenant or one user may have capabilities and
// sign-in methods switched off; each answers 403 RESTRICTED_CAPABILITY
// "Capability X is restricted".
func TestCapabilities(t *testing.T) {
	e := start(t)
	ten := e.tenant("acme")
	alice := e.signup(ten, "alice@example.com")
	bob := e.signup(ten, "bob@example.com")
	restrictUser := func(userID, list string) {
		t.Helper()
		resp, body := e.do(call{method: "PATCH", path: "/api/v2/tenants/" + ten.ID + "/users/" + userID, body: `{"restrictedCapabilities":[` + list + `]}`, headers: map[string]string{"Authorization": "Token " + operator}})
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("restrict user: %d %s", resp.StatusCode, body)
		}
	}
	restricted := func(c call, capability string) {
		t.Helper()
		st, r := e.send(c)
		if st != http.StatusForbidden || r.Error.Code != "RESTRICTED_CAPABILITY" || r.Error.Message != "Capability "+capability+" is restricted" {
			t.Fatalf("%s %s: %d %+v, want 403 Capability %s is restricted", c.method, c.path, st, r.Error, capability)
		}
	}
	logout := func(tk tokens) call {
		return call{method: "GET", path: "/auth/logout", tenant: ten.Token, token: tk.AccessToken}
	}

	// Per user: alice may not log out or refresh; bob may.
	restrictUser(alice.UserID, `"logout","refresh-token"`)
	restricted(logout(alice), "logout")
	restricted(call{method: "POST", path: "/auth/refresh-token", tenant: ten.Token, body: `{"refreshToken":"` + alice.RefreshToken + `"}`}, "refresh-token")
	if st, _ := e.code(logout(bob)); st != http.StatusOK {
		t.Fatalf("bob's logout: %d", st)
	}
	restrictUser(alice.UserID, `"password"`)
	restricted(call{method: "POST", path: "/auth/signin", tenant: ten.Token, body: `{"method":"password","email":"alice@example.com","password":"` + password + `"}`}, "password")
	restrictUser(alice.UserID, ``)
	if st, _ := e.code(logout(alice)); st != http.StatusOK {
		t.Fatalf("alice's logout once allowed again: %d", st)
	}

	// Per tenant: endpoints and methods.
	e.update(ten, `{"restrictedCapabilities":["signup","guest","terminate"]}`)
	restricted(call{method: "POST", path: "/auth/signup", tenant: ten.Token, body: `{"method":"password","email":"carol@example.com","password":"` + password + `"}`}, "signup")
	restricted(call{method: "POST", path: "/auth/signin", tenant: ten.Token, body: `{"method":"guest"}`}, "guest")
	restricted(call{method: "POST", path: "/auth/terminate", tenant: ten.Token, token: bob.AccessToken, body: `{"reason":"r","strategy":"soft"}`}, "terminate")
	// Identity providers the tenant has not set up (no client IDs) are
	// restricted, whatever the body holds.
	for _, m := range []string{"google", "apple", "facebook"} {
		restricted(call{method: "POST", path: "/auth/signin", tenant: ten.Token, body: `{"method":"` + m + `","token":"x"}`}, m)
	}
	// A method switched off for the tenant is restricted before its
	// fields are read; otp's challenge sends no code.
	e.update(ten, `{"restrictedCapabilities":["otp"]}`)
	restricted(call{method: "POST", path: "/auth/signin", tenant: ten.Token, body: `{"method":"otp","step":"challenge","otpMethod":"email","recipient":"x@example.com"}`}, "otp")
	restricted(call{method: "POST", path: "/auth/signin", tenant: ten.Token, body: `{"method":"otp","token":"x"}`}, "otp")
	// Unknown capability names are refused by the management API.
	resp, body := e.do(call{method: "PATCH", path: "/api/v2/tenants/" + ten.ID, body: `{"restrictedCapabilities":["fly"]}`, headers: map[string]string{"Authorization": "Token " + operator}})
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, `\"fly\" is not a capability`) {
		t.Fatalf("unknown capability: %d %s", resp.StatusCode, body)
	}
}

// TestGuest: guest sign-in is keyed by x-device-id; the first creates the
// user, the next finds it.
func TestGuest(t *testing.T) {
	e := start(t)
	ten := e.tenant("acme")
	guest := call{method: "POST", path: "/auth/signin", tenant: ten.Token, body: `{"method":"guest"}`}
	first := e.tokens(guest, http.StatusCreated)
	again := e.tokens(guest, http.StatusCreated)
	if first.NewUser == nil || !*first.NewUser || again.NewUser == nil || *again.NewUser || first.UserID != again.UserID {
		t.Fatalf("guest sign-ins: first %+v, again %+v", first, again)
	}
	guest.headers = map[string]string{"x-device-id": "other-device"}
	if e.tokens(guest, http.StatusCreated).UserID == first.UserID {
		t.Fatal("two devices share a guest")
	}
	guest.headers, guest.bare = nil, true
	e.update(ten, `{"clientHeaders":"accept"}`)
	if st, r := e.send(guest); st != http.StatusBadRequest || r.Error.Validation["x-device-id"] == nil {
		t.Fatalf("guest without x-device-id: %d %+v", st, r.Error)
	}
	guest.body = `{"method":"guest","email":"x@example.com"}`
	guest.bare = false
	if st, r := e.send(guest); st != http.StatusBadRequest || r.Error.Validation["email"] == nil {
		t.Fatalf("guest with an email: %d %+v", st, r.Error)
	}
}

// TestClientHeaders: kept on the session; missing ones refused or
// accepted per tenant; malformed ones always refused.
func TestClientHeaders(t *testing.T) {
	e := start(t)
	ten := e.tenant("acme")
	signup := call{method: "POST", path: "/auth/signup", tenant: ten.Token, bare: true,
		body: `{"method":"password","email":"user@example.com","password":"` + password + `"}`}
	if st, r := e.send(signup); st != http.StatusBadRequest || len(r.Error.Validation) != 6 {
		t.Fatalf("signup without client headers: %d %+v", st, r.Error)
	}
	e.update(ten, `{"clientHeaders":"accept"}`)
	signup.headers = map[string]string{"x-platform": "web"}
	tk := e.tokens(signup, http.StatusCreated)
	list, err := e.app.Service().UserSessions(context.Background(), ten.ID, tk.UserID)
	if err != nil || len(list) != 1 {
		t.Fatalf("sessions: %v %v", list, err)
	}
	if got := list[0].Device; len(got) != 1 || got["x-platform"] != "web" {
		t.Fatalf("session device %v, want only x-platform=web", got)
	}
	for _, h := range []map[string]string{
		{"x-country": "Turkey"},
		{"x-locale": strings.Repeat("a", 129)},
		{"x-device-id": "caf\u00e9"},
	} {
		c := call{method: "GET", path: "/auth/me", tenant: ten.Token, token: tk.AccessToken, bare: true, headers: h}
		if st, code := e.code(c); st != http.StatusBadRequest || code != "VALIDATION_ERROR" {
			t.Errorf("header %v: %d %s, want 400 VALIDATION_ERROR", h, st, code)
		}
	}
}

// TestTenantToken: missing, unknown, disabled and deleted tenants.
func TestTenantToken(t *testing.T) {
	e := start(t)
	ten := e.tenant("acme")
	tk := e.signup(ten, "user@example.com")
	me := func(tenantToken string) (int, string) {
		return e.code(call{method: "GET", path: "/auth/me", tenant: tenantToken, token: tk.AccessToken})
	}
	if st, code := me(""); st != http.StatusUnauthorized || code != "MISSING_TENANT_TOKEN" {
		t.Fatalf("missing: %d %s", st, code)
	}
	if st, code := me("unknown"); st != http.StatusUnauthorized || code != "INVALID_TENANT_TOKEN" {
		t.Fatalf("unknown: %d %s", st, code)
	}
	e.update(ten, `{"disabled":true}`)
	st, r := e.send(call{method: "GET", path: "/auth/me", tenant: ten.Token, token: tk.AccessToken})
	if st != http.StatusUnauthorized || r.Error.Code != "INVALID_TENANT_TOKEN" || r.Error.Message != "Tenant is disabled" {
		t.Fatalf("disabled: %d %+v", st, r.Error)
	}
	e.update(ten, `{"disabled":false}`)
	if st, _ := me(ten.Token); st != http.StatusOK {
		t.Fatalf("enabled again: %d", st)
	}
	resp, _ := e.do(call{method: "DELETE", path: "/api/v2/tenants/" + ten.ID, headers: map[string]string{"Authorization": "Token " + operator}})
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("delete tenant: %d", resp.StatusCode)
	}
	// The tenant's token is refused at once, and its sessions are gone.
	if _, code := me(ten.Token); code != "INVALID_TENANT_TOKEN" {
		t.Fatalf("deleted tenant: %s", code)
	}
	if n, _ := e.app.Service().ListSessions(context.Background(), auth.SessionFilter{TenantID: ten.ID}); len(n) != 0 {
		t.Fatalf("a deleted tenant kept %d sessions", len(n))
	}
}

// TestBadInput: malformed, oversized, unknown fields, wrong types, wrong
// methods: every one a clear envelope error, never a 500.
func TestBadInput(t *testing.T) {
	e := start(t)
	ten := e.tenant("acme")
	tk := e.signup(ten, "user@example.com")
	big := `{"method":"password","email":"` + strings.Repeat("a", 70<<10) + `@example.com","password":"x"}`
	tests := []struct {
		name   string
		c      call
		status int
		code   string
		field  string // a validation entry that must be there
	}{
		{"malformed JSON", call{method: "POST", path: "/auth/signin", body: `{"method":`}, 400, "BAD_REQUEST", ""},
		{"not an object", call{method: "POST", path: "/auth/signin", body: `["password"]`}, 400, "BAD_REQUEST", ""},
		{"trailing data", call{method: "POST", path: "/auth/signin", body: `{"method":"guest"} {}`}, 400, "BAD_REQUEST", ""},
		{"empty body", call{method: "POST", path: "/auth/signin"}, 400, "BAD_REQUEST", ""},
		{"oversized", call{method: "POST", path: "/auth/signup", body: big}, 413, "PAYLOAD_TOO_LARGE", ""},
		{"unknown field", call{method: "POST", path: "/auth/signin", body: `{"method":"password","email":"user@example.com","password":"` + password + `","admin":true}`}, 400, "VALIDATION_ERROR", "admin"},
		{"wrong type", call{method: "POST", path: "/auth/signin", body: `{"method":"password","email":42,"password":"` + password + `"}`}, 400, "VALIDATION_ERROR", "email"},
		{"null field", call{method: "POST", path: "/auth/signin", body: `{"method":null}`}, 400, "VALIDATION_ERROR", "method"},
		{"missing fields", call{method: "POST", path: "/auth/signup", body: `{}`}, 400, "VALIDATION_ERROR", "password"},
		{"refresh without token", call{method: "POST", path: "/auth/refresh-token", body: `{"refreshToken":""}`}, 400, "VALIDATION_ERROR", "refreshToken"},
		{"terminate reason too long", call{method: "POST", path: "/auth/terminate", token: tk.AccessToken, body: `{"reason":"` + strings.Repeat("r", 1001) + `","strategy":"hard"}`}, 400, "VALIDATION_ERROR", "reason"},
		{"wrong method", call{method: "PUT", path: "/auth/signin"}, 405, "METHOD_NOT_ALLOWED", ""},
		{"wrong method on sessions", call{method: "POST", path: "/auth/sessions"}, 405, "METHOD_NOT_ALLOWED", ""},
		{"unknown path", call{method: "GET", path: "/auth/"}, 404, "NOT_FOUND", ""},
		{"bad session id", call{method: "DELETE", path: "/auth/sessions/not-an-id", token: tk.AccessToken}, 404, "NOT_FOUND", ""},
		{"huge token", call{method: "GET", path: "/auth/me", token: strings.Repeat("x", 8000)}, 401, "INVALID_USER_TOKEN", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.c.tenant = ten.Token
			st, r := e.send(tt.c)
			if r.Error == nil {
				t.Fatalf("got %d %s, want an error", st, r.Data)
			}
			if st != tt.status || r.Error.Code != tt.code {
				t.Fatalf("got %d %s %q, want %d %s", st, r.Error.Code, r.Error.Message, tt.status, tt.code)
			}
			if tt.field != "" && r.Error.Validation[tt.field] == nil {
				t.Fatalf("validation %v lacks %q", r.Error.Validation, tt.field)
			}
		})
	}
	if got := e.stored(ten, tk.UserID); got != "logged_in" {
		t.Fatalf("bad requests changed the user: %s", got)
	}
	if !slices.Contains([]string{"logged_in"}, e.me(ten, tk.AccessToken)) {
		t.Fatal("the token stopped working")
	}
}
