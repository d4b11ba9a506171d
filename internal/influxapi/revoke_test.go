package influxapi_test

import (
	"net/http"
	"testing"
)

// TestRevokeSessionsOfOneUser: DELETE /api/v2/sessions?userID= ends that
// user's sessions and no one else's (it used to ignore userID and end
// every session of the tenant); a bad userID, or one beside allTenants,
// ends nothing.
func TestRevokeSessionsOfOneUser(t *testing.T) {
	e := start(t, "")
	e.seed()
	bob1, bob2 := e.signin(userName, userPass), e.signin(userName, userPass)
	admin := e.signin(adminName, adminPass)
	refused := []struct {
		name, query string
		status      int
	}{
		{"empty", "?userID=", http.StatusBadRequest},
		{"not an ID", "?userID=bob", http.StatusBadRequest},
		{"twice", "?userID=" + userID + "&userID=" + adminID, http.StatusBadRequest},
		{"with allTenants", "?userID=" + userID + "&allTenants=true", http.StatusBadRequest},
		{"unknown user", "?userID=" + unknownID, http.StatusNotFound},
	}
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			if s := e.status(req{method: "DELETE", path: "/api/v2/sessions" + tt.query, token: operToken}); s != tt.status {
				t.Fatalf("got %d, want %d", s, tt.status)
			}
		})
	}
	// bob may not end the admin's sessions this way.
	if s := e.status(req{method: "DELETE", path: "/api/v2/sessions?userID=" + adminID, cookie: bob1}); s != http.StatusUnauthorized {
		t.Fatalf("bob ending the admin's sessions: %d, want 401", s)
	}
	for _, k := range []string{bob1, bob2, admin} {
		if s := e.status(req{method: "GET", path: "/api/v2/me", cookie: k}); s != http.StatusOK {
			t.Fatalf("a refused request ended a session: %d", s)
		}
	}
	if s := e.status(req{method: "DELETE", path: "/api/v2/sessions?userID=" + userID, token: operToken}); s != http.StatusNoContent {
		t.Fatalf("revoke bob's sessions: %d", s)
	}
	for _, k := range []string{bob1, bob2} {
		if s := e.status(req{method: "GET", path: "/api/v2/me", cookie: k}); s != http.StatusUnauthorized {
			t.Fatalf("bob's session survived: %d", s)
		}
	}
	if s := e.status(req{method: "GET", path: "/api/v2/me", cookie: admin}); s != http.StatusOK {
		t.Fatalf("the admin's session ended with bob's: %d", s)
	}
}
