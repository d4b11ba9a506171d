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

// enrolTOTP gives u an authenticator app through the core, as the
// security page does, and returns its secret.
func (e *env) enrolTOTP(u *auth.User) string {
	e.t.Helper()
	ctx := context.Background()
	en, err := e.svc.BeginTOTP(ctx, u.TenantID, u.ID)
	if err != nil {
		e.t.Fatal(err)
	}
	code, _ := auth.TOTPCode(en.Secret, e.clock.Now())
	if _, err := e.svc.ConfirmTOTP(ctx, u.TenantID, u.ID, code); err != nil {
		e.t.Fatal(err)
	}
	return en.Secret
}

// confirmedFactors returns the IDs of u's confirmed factors.
func (e *env) confirmedFactors(u *auth.User) []string {
	e.t.Helper()
	fs, err := e.svc.Factors(context.Background(), u.TenantID, u.ID)
	if err != nil {
		e.t.Fatal(err)
	}
	var ids []string
	for _, f := range fs {
		if f.Confirmed {
			ids = append(ids, f.ID)
		}
	}
	return ids
}

// TestRemoveFactorNeedsRecentProof: on the security page, a sign-in
// within the re-authentication window removes a factor at once; an older
// one is sent to re-authenticate and the factor stays until it has.
func TestRemoveFactorNeedsRecentProof(t *testing.T) {
	e := newEnv(t)
	alice := e.user("alice", false)
	c := e.client()
	c.signIn("alice", goodPassword)

	remove := func(what string, wantTo string) {
		t.Helper()
		ids := e.confirmedFactors(alice)
		if len(ids) != 1 {
			t.Fatalf("%s: %d factors, want 1", what, len(ids))
		}
		action := "/ui/security/factors/" + ids[0] + "/remove"
		if page := c.mustGet("/ui/security"); !strings.Contains(page.body, `action="`+action+`"`) {
			t.Fatalf("%s: the security page has no form for %s", what, action)
		}
		if p := c.post(action, nil); p.status != http.StatusSeeOther || p.location() != wantTo {
			t.Fatalf("%s: status %d to %q, want 303 to %q", what, p.status, p.location(), wantTo)
		}
	}

	// A recent sign-in is proof enough.
	e.enrolTOTP(alice)
	remove("a recent sign-in", "/ui/security?m=factor-gone")
	if n := len(e.confirmedFactors(alice)); n != 0 {
		t.Fatalf("%d factors after removing the only one", n)
	}
	if got := flashText(c.mustGet("/ui/security?m=factor-gone").body); got != "The second factor has been removed." {
		t.Errorf("flash %q", got)
	}

	// An older one is not.
	secret := e.enrolTOTP(alice)
	e.clock.Advance(auth.DefaultReauthWindow + time.Second)
	remove("an old sign-in", "/ui/reauth?next=%2Fui%2Fsecurity")
	if n := len(e.confirmedFactors(alice)); n != 1 {
		t.Fatalf("%d factors after a refused removal, want 1", n)
	}
	c.mustGet("/ui/reauth?next=%2Fui%2Fsecurity")
	code, _ := auth.TOTPCode(secret, e.clock.Now())
	if p := c.post("/ui/reauth", url.Values{"code": {code}, "next": {"/ui/security"}}); p.status != http.StatusSeeOther || p.location() != "/ui/security" {
		t.Fatalf("reauth with a code: %d to %q", p.status, p.location())
	}
	remove("after re-authenticating", "/ui/security?m=factor-gone")
	if n := len(e.confirmedFactors(alice)); n != 0 {
		t.Fatalf("%d factors after removing it with a fresh proof", n)
	}
}
