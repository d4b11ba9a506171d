package ui_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestFormNotUTF8: a form field that is not UTF-8 is refused with the 400
// page before it is compared or stored: such a password neither signs in
// nor becomes anyone's password.
func TestFormNotUTF8(t *testing.T) {
	e := newEnv(t)
	alice := e.user("alice", false)
	c := e.client()
	c.get("/ui/signin")
	p := c.post("/ui/signin", url.Values{"username": {"alice"}, "password": {"\xff" + goodPassword}})
	if p.status != http.StatusBadRequest || !strings.Contains(p.body, "not valid UTF-8") {
		t.Fatalf("sign-in with a non-UTF-8 password: status %d, want 400; body:\n%s", p.status, p.body)
	}
	c.signIn("alice", goodPassword)
	c.mustGet("/ui/password")
	bad := "\xff\xfe\xfd\xfcabcdefgh"
	p = c.post("/ui/password", url.Values{"current": {goodPassword}, "new": {bad}, "confirm": {bad}})
	if p.status != http.StatusBadRequest {
		t.Fatalf("password change to a non-UTF-8 password: status %d, want 400; body:\n%s", p.status, p.body)
	}
	if len(e.sessions(alice)) != 1 {
		t.Fatalf("alice has %d sessions, want the page's own", len(e.sessions(alice)))
	}
	e.apiSignIn("alice", goodPassword) // the password is unchanged
}
