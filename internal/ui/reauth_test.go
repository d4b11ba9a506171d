package ui_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/sessiond/sessiond/internal/auth"
)

// TestSignOutOthersNeedsRecentProof reproduces issue 14: ending every
// other session needed no proof that the owner was at the keyboard. A
// sign-in older than the window is now sent to re-authenticate; a wrong
// password is refused; the right one replaces the session and the action
// goes through.
func TestSignOutOthersNeedsRecentProof(t *testing.T) {
	e := newEnv(t)
	e.user("alice", false)
	api := e.apiSignIn("alice", goodPassword)
	c := e.client()
	c.signIn("alice", goodPassword)
	before := c.cookie("sessiond_ui")
	e.clock.Advance(auth.DefaultReauthWindow + time.Second)

	p := c.post("/ui/sessions/others/signout", nil)
	if p.status != http.StatusSeeOther || p.location() != "/ui/reauth?next=%2Fui%2Fsessions" {
		t.Fatalf("status %d to %q, want 303 to the re-authentication", p.status, p.location())
	}
	if e.apiMe(api) != http.StatusOK {
		t.Fatal("other sessions ended without a proof")
	}
	page := c.mustGet(p.location())
	if !strings.Contains(page.body, `name="next" value="/ui/sessions"`) {
		t.Fatal("the re-authentication page does not go back to the sessions")
	}
	tests := []struct {
		name   string
		form   url.Values
		status int
	}{
		{name: "nothing", form: url.Values{"next": {"/ui/sessions"}}, status: http.StatusUnauthorized},
		{name: "wrong password", form: url.Values{"password": {"wrong password"}, "next": {"/ui/sessions"}}, status: http.StatusUnauthorized},
		{name: "a code of a user without an app", form: url.Values{"code": {"123456"}, "next": {"/ui/sessions"}}, status: http.StatusUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if p := c.post("/ui/reauth", tt.form); p.status != tt.status {
				t.Fatalf("status %d, want %d", p.status, tt.status)
			}
		})
	}
	// An outside address in next is not followed.
	p = c.post("/ui/reauth", url.Values{"password": {goodPassword}, "next": {"https://evil.example/ui/"}})
	if p.status != http.StatusSeeOther || p.location() != "/ui/sessions" {
		t.Fatalf("reauth: %d to %q, want 303 to /ui/sessions", p.status, p.location())
	}
	if c.cookie("sessiond_ui") == before {
		t.Fatal("re-authentication kept the old session secret")
	}
	if _, _, err := e.svc.Authenticate(context.Background(), before, auth.CheckOptions{}); err == nil {
		t.Fatal("the secret from before the re-authentication still works")
	}
	c.mustGet("/ui/sessions") // where the redirect leads; the new session's form token
	p = c.post("/ui/sessions/others/signout", nil)
	if p.status != http.StatusSeeOther || p.location() != "/ui/sessions?m=others&n=1" {
		t.Fatalf("after reauth: %d to %q", p.status, p.location())
	}
	if e.apiMe(api) != http.StatusUnauthorized {
		t.Fatal("the API session survived")
	}
}
