package ui_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/sessiond/sessiond/internal/auth"
	"github.com/sessiond/sessiond/internal/config"
)

const newPassword = "a new and longer passphrase"

func TestPasswordPage(t *testing.T) {
	e := newEnv(t)
	e.user("alice", false)
	c := e.client()
	c.signIn("alice", goodPassword)
	p := c.mustGet("/ui/password")
	for _, want := range []string{
		`<label for="current">Current password</label>`, `autocomplete="current-password"`,
		`<label for="new">New password</label>`, `autocomplete="new-password"`,
		`<label for="confirm">Confirm new password</label>`,
		"8 to 72 characters",
		"Changing your password signs you out everywhere else and removes your personal access tokens.", // the server's default policy
		`aria-current="page">Password</a>`,
	} {
		if !strings.Contains(p.body, want) {
			t.Errorf("password page lacks %q", want)
		}
	}
}

// TestPasswordRefused: nothing changes when the current password is wrong,
// the two new ones differ or the new one breaks the policy.
func TestPasswordRefused(t *testing.T) {
	e := newEnv(t)
	alice := e.user("alice", false)
	key := e.apiSignIn("alice", goodPassword)
	c := e.client()
	c.signIn("alice", goodPassword)
	tests := []struct {
		name                string
		current, new, again string
		msg                 string
	}{
		{"wrong current password", "not my password", newPassword, newPassword, "Your current password is incorrect."},
		{"confirmation differs", goodPassword, newPassword, newPassword + "!", "The new password and its confirmation do not match."},
		{"too short", goodPassword, "short", "short", "Passwords must be between 8 and 72 characters long."},
		{"too long", goodPassword, strings.Repeat("x", 73), strings.Repeat("x", 73), "Passwords must be between 8 and 72 characters long."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c.mustGet("/ui/password")
			p := c.post("/ui/password", url.Values{"current": {tt.current}, "new": {tt.new}, "confirm": {tt.again}})
			if p.status != http.StatusUnprocessableEntity {
				t.Fatalf("status %d, want 422", p.status)
			}
			if got := errorText(p.body); got != tt.msg {
				t.Errorf("message %q, want %q", got, tt.msg)
			}
			if strings.Contains(p.body, tt.current) || strings.Contains(p.body, tt.new) {
				t.Error("the page echoes a password")
			}
		})
	}
	if n := len(e.sessions(alice)); n != 2 {
		t.Errorf("sessions: %d, want 2", n)
	}
	if e.apiMe(key) != http.StatusOK {
		t.Error("the API session ended")
	}
	e.apiSignIn("alice", goodPassword) // unchanged
}

// TestPasswordChange: the right current password changes it, ends the
// other sessions (the server's default) and the personal access tokens,
// and replaces this session's token.
func TestPasswordChange(t *testing.T) {
	e := newEnv(t)
	alice := e.user("alice", false)
	key := e.apiSignIn("alice", goodPassword)
	_, pat, err := e.svc.CreatePersonalToken(context.Background(), alice.TenantID, alice.ID, "bot", false)
	if err != nil {
		t.Fatal(err)
	}
	c := e.client()
	c.signIn("alice", goodPassword)
	old := c.cookie(uiCookie)
	c.mustGet("/ui/password")
	p := c.post("/ui/password", url.Values{"current": {goodPassword}, "new": {newPassword}, "confirm": {newPassword}})
	if p.status != http.StatusSeeOther || p.location() != "/ui/sessions?m=password-all" {
		t.Fatalf("status %d to %q, want 303 to /ui/sessions?m=password-all; message %q", p.status, p.location(), errorText(p.body))
	}
	if got := e.apiMe(key); got != http.StatusUnauthorized {
		t.Errorf("API session after the change: %d, want 401", got)
	}
	if _, _, err := e.svc.AuthenticatePersonalToken(context.Background(), pat); auth.ErrorCode(err) != auth.EUnauthorized {
		t.Errorf("personal access token after the change: %v, want unauthorized", err)
	}
	fresh := c.cookie(uiCookie)
	if fresh == "" || fresh == old {
		t.Error("the UI session token was not replaced")
	}
	page := c.mustGet(p.location())
	if got := flashText(page.body); got != "Your password has been changed, your other sessions were signed out and your personal access tokens removed." {
		t.Errorf("flash %q", got)
	}
	if n := len(e.sessions(alice)); n != 1 {
		t.Errorf("sessions: %d, want 1", n)
	}
	stale := e.client()
	stale.setCookie(uiCookie, old)
	if p := stale.get("/ui/sessions"); p.status != http.StatusSeeOther {
		t.Errorf("the old token still opens the pages: %d", p.status)
	}
	e.apiSignIn("alice", newPassword)
	c2 := e.client()
	c2.get("/ui/signin")
	if p := c2.post("/ui/signin", url.Values{"username": {"alice"}, "password": {goodPassword}}); p.status != http.StatusUnauthorized {
		t.Errorf("the old password still signs in: %d", p.status)
	}
}

// TestPasswordGuessesThrottled: a stolen UI session cannot guess the
// current password without limit: wrong guesses count against the
// user's name as failed sign-ins do.
func TestPasswordGuessesThrottled(t *testing.T) {
	e := newEnv(t)
	e.user("alice", false)
	c := e.client()
	c.signIn("alice", goodPassword)
	c.mustGet("/ui/password")
	for i := 1; i <= config.Default().LockoutAccountLimit; i++ {
		if p := c.post("/ui/password", url.Values{"current": {"guess"}, "new": {newPassword}, "confirm": {newPassword}}); p.status != http.StatusUnprocessableEntity {
			t.Fatalf("guess %d: status %d, want 422", i, p.status)
		}
	}
	p := c.post("/ui/password", url.Values{"current": {goodPassword}, "new": {newPassword}, "confirm": {newPassword}})
	if p.status != http.StatusTooManyRequests || !strings.HasPrefix(errorText(p.body), "Too many attempts. Please wait 15 minutes") {
		t.Errorf("try past the limit: status %d, message %q; want 429 and a wait", p.status, errorText(p.body))
	}
}
