package tenantapi_test

import (
	"net/http"
	"testing"
)

// TestLogoutRoundTrip is seed 003: logout sets logged_out and answers
// {"success":true}; the token keeps working; the next request with it
// marks the user logged in again; a revoked session's token is refused.
func TestLogoutRoundTrip(t *testing.T) {
	e := start(t)
	ten := e.tenant("acme")
	tk := e.signup(ten, "user@example.com")
	if got := e.stored(ten, tk.UserID); got != "logged_in" {
		t.Fatalf("after signup: stored status %q, want logged_in", got)
	}

	st, r := e.send(call{method: "GET", path: "/auth/logout", tenant: ten.Token, token: tk.AccessToken})
	if st != http.StatusOK || string(r.Data) != `{"success":true}` {
		t.Fatalf("logout: got %d %s, want 200 {\"success\":true}", st, r.Data)
	}
	if got := e.stored(ten, tk.UserID); got != "logged_out" {
		t.Fatalf("after logout: stored status %q, want logged_out", got)
	}

	// The next request with the still-valid token reports the status as it
	// arrived (logged_out) and marks the user logged in again.
	if got := e.me(ten, tk.AccessToken); got != "logged_out" {
		t.Fatalf("first /auth/me after logout: status %q, want logged_out", got)
	}
	if got := e.stored(ten, tk.UserID); got != "logged_in" {
		t.Fatalf("after a request with the old token: stored status %q, want logged_in", got)
	}
	if got := e.me(ten, tk.AccessToken); got != "logged_in" {
		t.Fatalf("second /auth/me: status %q, want logged_in", got)
	}

	// Logging out twice in a row keeps logged_out.
	for i := 0; i < 2; i++ {
		if st, code := e.code(call{method: "GET", path: "/auth/logout", tenant: ten.Token, token: tk.AccessToken}); st != http.StatusOK {
			t.Fatalf("logout %d: %d %s", i, st, code)
		}
	}
	if got := e.stored(ten, tk.UserID); got != "logged_out" {
		t.Fatalf("after two logouts: stored status %q, want logged_out", got)
	}

	// An operator revoking the session ends both tokens at once.
	sessions := e.sessionIDs(ten, tk.AccessToken)
	if len(sessions) != 1 {
		t.Fatalf("got %d sessions, want 1", len(sessions))
	}
	resp, body := e.do(call{method: "DELETE", path: "/api/v2/tenants/" + ten.ID + "/sessions/" + sessions[0], headers: map[string]string{"Authorization": "Token " + operator}})
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("operator revoke: %d %s", resp.StatusCode, body)
	}
	if st, code := e.code(call{method: "GET", path: "/auth/me", tenant: ten.Token, token: tk.AccessToken}); st != http.StatusUnauthorized || code != "INVALID_USER_TOKEN" {
		t.Fatalf("revoked access token: got %d %s, want 401 INVALID_USER_TOKEN", st, code)
	}
	if st, code := e.code(call{method: "POST", path: "/auth/refresh-token", tenant: ten.Token, body: `{"refreshToken":"` + tk.RefreshToken + `"}`}); st != http.StatusUnauthorized || code != "INVALID_REFRESH_TOKEN" {
		t.Fatalf("revoked refresh token: got %d %s, want 401 INVALID_REFRESH_TOKEN", st, code)
	}
}
