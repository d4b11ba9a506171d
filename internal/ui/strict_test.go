package ui_test

import (
	"html"
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

// TestPasskeyResponseStrict: the passkey response the page's script puts
// in the form is JSON that go-webauthn reads with encoding/json, which
// keeps the last of two members and turns a lone surrogate into U+FFFD;
// the pages check it with the strict rules first and answer the 400 page
// naming the problem, on each of the three forms that carry one. A
// well-formed response still reaches the core (which refuses this one).
func TestPasskeyResponseStrict(t *testing.T) {
	e := newEnv(t)
	e.user("alice", false)
	const (
		twice      = `{"id":"a","id":"b","type":"public-key","response":{}}`
		surrogate  = `{"id":"\ud800","type":"public-key","response":{}}`
		wellFormed = `{"id":"a","type":"public-key","response":{}}`
	)
	signedOut := func() *client {
		c := e.client()
		c.get("/ui/signin")
		return c
	}
	signedIn := func() *client {
		c := e.client()
		c.signIn("alice", goodPassword)
		c.mustGet("/ui/security")
		return c
	}
	forms := []struct {
		name string
		path string
		open func() *client
		ok   int // the status of the well-formed response
	}{
		{"passkey sign-in", "/ui/signin/passkey", signedOut, http.StatusUnauthorized},
		{"second step", "/ui/signin/second", signedOut, http.StatusSeeOther}, // no ticket: start over
		{"passkey registration", "/ui/security/passkeys", signedIn, http.StatusSeeOther},
	}
	tests := []struct {
		name, response, want string
	}{
		{"member twice", twice, `field "response" names "id" twice`},
		{"lone surrogate", surrogate, `field "response" is not valid UTF-8: a \u escape names a lone surrogate`},
		{"trailing data", wellFormed + "{}", `field "response" must hold a single JSON object`},
	}
	for _, f := range forms {
		for _, tt := range tests {
			t.Run(f.name+"/"+tt.name, func(t *testing.T) {
				c := f.open()
				p := c.post(f.path, url.Values{"state": {"x"}, "response": {tt.response}, "name": {"key"}})
				if p.status != http.StatusBadRequest || !strings.Contains(html.UnescapeString(p.body), tt.want) {
					t.Fatalf("status %d, want 400 naming %q; body:\n%s", p.status, tt.want, p.body)
				}
			})
		}
		t.Run(f.name+"/well-formed", func(t *testing.T) {
			c := f.open()
			p := c.post(f.path, url.Values{"state": {"x"}, "response": {wellFormed}, "name": {"key"}})
			if p.status != f.ok {
				t.Fatalf("status %d, want %d; body:\n%s", p.status, f.ok, p.body)
			}
		})
	}
}
