package ui_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/sessiond/sessiond/internal/auth"
)

func TestAdminOnly(t *testing.T) {
	e := newEnv(t)
	e.user("alice", false)
	bob := e.user("bob", false)
	key := e.apiSignIn("bob", goodPassword)
	c := e.client()
	page := c.signIn("alice", goodPassword)
	if strings.Contains(page.body, "/ui/admin/users") {
		t.Error("a non-admin sees the users link")
	}
	for _, path := range []string{"/ui/admin/users", "/ui/admin/users/" + bob.ID} {
		if p := c.get(path); p.status != http.StatusForbidden {
			t.Errorf("GET %s as non-admin: %d, want 403", path, p.status)
		}
	}
	for _, path := range []string{"/ui/admin/users/" + bob.ID + "/state", "/ui/admin/users/" + bob.ID + "/sessions/signout"} {
		if p := c.post(path, url.Values{"state": {"inactive"}}); p.status != http.StatusForbidden {
			t.Errorf("POST %s as non-admin: %d, want 403", path, p.status)
		}
	}
	if e.apiMe(key) != http.StatusOK {
		t.Error("bob's session ended")
	}
}

func TestAdminUsersSearch(t *testing.T) {
	e := newEnv(t)
	e.user("root", true)
	ctx := context.Background()
	for _, n := range []string{"bob", "bobby", "carol"} {
		if _, err := e.svc.CreateUser(ctx, auth.NewUser{TenantID: auth.DefaultTenantID, Name: n, Email: n + "@example.com"}); err != nil {
			t.Fatal(err)
		}
	}
	other, _, err := e.svc.CreateTenant(ctx, auth.NewTenant{Name: "other"})
	if err != nil {
		t.Fatal(err)
	}
	e.userIn(other.ID, "bob-elsewhere", false)
	c := e.client()
	page := c.signIn("root", goodPassword)
	if !strings.Contains(page.body, `href="/ui/admin/users"`) {
		t.Error("an admin does not see the users link")
	}
	tests := []struct {
		q         string
		want, not []string
	}{
		{"", []string{">root</a>", ">bob</a>", ">bobby</a>", ">carol</a>", "bob@example.com", "Admin", "You"}, []string{"bob-elsewhere"}},
		{"bob", []string{">bob</a>", ">bobby</a>"}, []string{">carol</a>", ">root</a>", "bob-elsewhere"}},
		{"zzz", []string{"No users match “zzz”."}, []string{">bob</a>"}},
		{"<script>", []string{"&lt;script&gt;"}, []string{"<script>"}},
	}
	for _, tt := range tests {
		t.Run("q="+tt.q, func(t *testing.T) {
			p := c.mustGet("/ui/admin/users?q=" + url.QueryEscape(tt.q))
			for _, w := range tt.want {
				if !strings.Contains(p.body, w) {
					t.Errorf("lacks %q", w)
				}
			}
			for _, n := range tt.not {
				if strings.Contains(p.body, n) {
					t.Errorf("shows %q", n)
				}
			}
		})
	}
}

func TestAdminUsersPaging(t *testing.T) {
	e := newEnv(t)
	e.user("root", true)
	ctx := context.Background()
	for i := range 60 {
		if _, err := e.svc.CreateUser(ctx, auth.NewUser{TenantID: auth.DefaultTenantID, Name: fmt.Sprintf("user%02d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	c := e.client()
	c.signIn("root", goodPassword)
	seen := 0
	next := "/ui/admin/users?q=user"
	for pages := 0; next != ""; pages++ {
		if pages > 3 {
			t.Fatal("paging does not end")
		}
		p := c.mustGet(next)
		seen += strings.Count(p.body, `<a href="/ui/admin/users/`)
		next = ""
		if i := strings.Index(p.body, `<p><a href="`); i >= 0 {
			rest := p.body[i+len(`<p><a href="`):]
			next = strings.ReplaceAll(rest[:strings.IndexByte(rest, '"')], "&amp;", "&")
		}
	}
	if seen != 60 {
		t.Errorf("users seen over all pages: %d, want 60", seen)
	}
}

// TestAdminEndsUserSessions: the user page lists the user's sessions and
// "End all sessions" ends every one of them at once.
func TestAdminEndsUserSessions(t *testing.T) {
	e := newEnv(t)
	e.user("root", true)
	bob := e.user("bob", false)
	k1 := e.apiSignIn("bob", goodPassword)
	k2 := e.apiSignIn("bob", goodPassword)
	c := e.client()
	c.signIn("root", goodPassword)
	page := c.mustGet("/ui/admin/users/" + bob.ID)
	if n := strings.Count(page.body, `<li class="session`); n != 2 {
		t.Fatalf("sessions on bob's page: %d, want 2", n)
	}
	for _, want := range []string{"<h1>bob</h1>", "Sessions (2)", "End all sessions", "Disable user", "InfluxDB API"} {
		if !strings.Contains(page.body, want) {
			t.Errorf("user page lacks %q", want)
		}
	}
	p := c.post("/ui/admin/users/"+bob.ID+"/sessions/signout", nil)
	if p.status != http.StatusSeeOther || p.location() != "/ui/admin/users/"+bob.ID+"?m=user-sessions&n=2" {
		t.Fatalf("status %d to %q", p.status, p.location())
	}
	for i, k := range []string{k1, k2} {
		if got := e.apiMe(k); got != http.StatusUnauthorized {
			t.Errorf("bob's API session %d: %d, want 401", i+1, got)
		}
	}
	page = c.mustGet(p.location())
	if got := flashText(page.body); got != "Ended 2 sessions of this user." {
		t.Errorf("flash %q", got)
	}
	if !strings.Contains(page.body, "This user is not signed in anywhere.") {
		t.Error("page still lists sessions")
	}
}

func TestAdminEndsOneSession(t *testing.T) {
	e := newEnv(t)
	e.user("root", true)
	bob := e.user("bob", false)
	k1 := e.apiSignIn("bob", goodPassword)
	k2 := e.apiSignIn("bob", goodPassword)
	c := e.client()
	c.signIn("root", goodPassword)
	c.mustGet("/ui/admin/users/" + bob.ID)
	var first string
	for _, s := range e.sessions(bob) {
		if s.TokenHash == auth.HashToken(k1) {
			first = s.ID
		}
	}
	p := c.post("/ui/admin/users/"+bob.ID+"/sessions/"+first+"/signout", nil)
	if p.location() != "/ui/admin/users/"+bob.ID+"?m=session" {
		t.Fatalf("to %q", p.location())
	}
	if e.apiMe(k1) != http.StatusUnauthorized || e.apiMe(k2) != http.StatusOK {
		t.Error("the wrong session ended")
	}
}

// TestAdminDisablesUser: disabling ends the user's sessions and the user
// can no longer sign in (with the generic message); enabling restores it.
func TestAdminDisablesUser(t *testing.T) {
	e := newEnv(t)
	root := e.user("root", true)
	bob := e.user("bob", false)
	key := e.apiSignIn("bob", goodPassword)
	c := e.client()
	c.signIn("root", goodPassword)
	c.mustGet("/ui/admin/users/" + bob.ID)
	p := c.post("/ui/admin/users/"+bob.ID+"/state", url.Values{"state": {"inactive"}})
	if p.location() != "/ui/admin/users/"+bob.ID+"?m=disabled" {
		t.Fatalf("status %d to %q", p.status, p.location())
	}
	if e.apiMe(key) != http.StatusUnauthorized {
		t.Error("disabled user's session still works")
	}
	page := c.mustGet(p.location())
	if !strings.Contains(page.body, "Enable user") || !strings.Contains(page.body, `<span class="badge warn">inactive</span>`) {
		t.Error("user page does not show the user disabled")
	}
	b := e.client()
	b.get("/ui/signin")
	if p := b.post("/ui/signin", url.Values{"username": {"bob"}, "password": {goodPassword}}); p.status != http.StatusUnauthorized || errorText(p.body) != genericFailure {
		t.Errorf("disabled user's sign-in: %d %q, want 401 and the generic message", p.status, errorText(p.body))
	}
	p = c.post("/ui/admin/users/"+bob.ID+"/state", url.Values{"state": {"active"}})
	if p.location() != "/ui/admin/users/"+bob.ID+"?m=enabled" {
		t.Fatalf("enable: status %d to %q", p.status, p.location())
	}
	b.signIn("bob", goodPassword)

	// Refusals: disabling oneself, an unknown state, an unknown user.
	if p := c.post("/ui/admin/users/"+root.ID+"/state", url.Values{"state": {"inactive"}}); p.status != http.StatusUnprocessableEntity {
		t.Errorf("disabling oneself: %d, want 422", p.status)
	}
	if p := c.post("/ui/admin/users/"+bob.ID+"/state", url.Values{"state": {"terminated"}}); p.status != http.StatusBadRequest {
		t.Errorf("unknown state: %d, want 400", p.status)
	}
	for _, id := range []string{"0123456789abcdef", "nope"} {
		if p := c.get("/ui/admin/users/" + id); p.status != http.StatusNotFound {
			t.Errorf("GET user %q: %d, want 404", id, p.status)
		}
	}
}

// TestAdminStaysInTenant: an admin of one tenant cannot see or act on a
// user of another.
func TestAdminStaysInTenant(t *testing.T) {
	e := newEnv(t)
	e.user("root", true)
	other, _, err := e.svc.CreateTenant(context.Background(), auth.NewTenant{Name: "other"})
	if err != nil {
		t.Fatal(err)
	}
	stranger := e.userIn(other.ID, "stranger", false)
	c := e.client()
	c.signIn("root", goodPassword)
	if p := c.get("/ui/admin/users/" + stranger.ID); p.status != http.StatusNotFound {
		t.Errorf("GET other tenant's user: %d, want 404", p.status)
	}
	if p := c.post("/ui/admin/users/"+stranger.ID+"/state", url.Values{"state": {"inactive"}}); p.status != http.StatusNotFound {
		t.Errorf("disable other tenant's user: %d, want 404", p.status)
	}
	if u, _ := e.svc.User(context.Background(), other.ID, stranger.ID); u.State != auth.StateActive {
		t.Errorf("stranger is %s", u.State)
	}
}

// TestAdminEndsOwnSessions: "End all sessions" on one's own page keeps
// the session in use.
func TestAdminEndsOwnSessions(t *testing.T) {
	e := newEnv(t)
	root := e.user("root", true)
	key := e.apiSignIn("root", goodPassword)
	c := e.client()
	c.signIn("root", goodPassword)
	c.mustGet("/ui/admin/users/" + root.ID)
	p := c.post("/ui/admin/users/"+root.ID+"/sessions/signout", nil)
	if p.location() != "/ui/admin/users/"+root.ID+"?m=user-sessions&n=1" {
		t.Fatalf("to %q", p.location())
	}
	if e.apiMe(key) != http.StatusUnauthorized {
		t.Error("the API session lives on")
	}
	c.mustGet("/ui/sessions")
}

// TestAdminEndsOwnSessionsNeedsRecentProof: an administrator ending their
// own other sessions from their admin page meets the rule of "Sign out
// everywhere else": a session older than the window re-authenticates
// first, and nothing ends until then.
func TestAdminEndsOwnSessionsNeedsRecentProof(t *testing.T) {
	e := newEnv(t)
	root := e.user("root", true)
	bob := e.user("bob", false)
	key := e.apiSignIn("root", goodPassword)
	bobKey := e.apiSignIn("bob", goodPassword)
	c := e.client()
	c.signIn("root", goodPassword)
	e.clock.Advance(auth.DefaultReauthWindow + time.Second)

	p := c.post("/ui/admin/users/"+root.ID+"/sessions/signout", nil)
	if p.status != http.StatusSeeOther || p.location() != "/ui/reauth?next="+url.QueryEscape("/ui/admin/users/"+root.ID) {
		t.Fatalf("status %d to %q, want 303 to the re-authentication", p.status, p.location())
	}
	if e.apiMe(key) != http.StatusOK {
		t.Fatal("own other sessions ended without a proof")
	}
	// Another user's sessions are an administrator's act: no proof asked.
	p = c.post("/ui/admin/users/"+bob.ID+"/sessions/signout", nil)
	if p.location() != "/ui/admin/users/"+bob.ID+"?m=user-sessions&n=1" {
		t.Fatalf("bob: to %q", p.location())
	}
	if e.apiMe(bobKey) != http.StatusUnauthorized {
		t.Error("bob's session lives on")
	}
	p = c.post("/ui/reauth", url.Values{"password": {goodPassword}, "next": {"/ui/admin/users/" + root.ID}})
	if p.status != http.StatusSeeOther || p.location() != "/ui/admin/users/"+root.ID {
		t.Fatalf("reauth: %d to %q", p.status, p.location())
	}
	c.mustGet(p.location()) // where the redirect leads; the new session's form token
	p = c.post("/ui/admin/users/"+root.ID+"/sessions/signout", nil)
	if p.location() != "/ui/admin/users/"+root.ID+"?m=user-sessions&n=1" {
		t.Fatalf("after reauth: to %q", p.location())
	}
	if e.apiMe(key) != http.StatusUnauthorized {
		t.Error("the API session lives on after the proof")
	}
}
