package ui_test

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sessiond/sessiond/internal/auth"
	"github.com/sessiond/sessiond/internal/server/servertest"
)

// sessionIDRE finds the session of each sign-out form of the sessions page.
var sessionIDRE = regexp.MustCompile(`action="/ui/sessions/([0-9a-f]{16})/signout"`)

// TestSessionsPages: the sessions page and an admin's page of a user show
// 50 sessions at a time, the current one first, with links to the newer
// and older ones and the total; every session is on one page. Before,
// every session of the user was on one page.
func TestSessionsPages(t *testing.T) {
	e := newEnv(t)
	alice := e.user("alice", true)
	for i := range 54 {
		e.clock.Advance(time.Second)
		servertest.SeedSession(t, e.app, alice, auth.OriginInflux, auth.Client{IP: "192.0.2.1", UserAgent: "seed/" + string(rune('a'+i%26))}, auth.DefaultTokenFormat, time.Hour)
	}
	c := e.client()
	c.signIn("alice", goodPassword) // the 55th
	ids := map[string]int{}
	for _, tt := range []struct {
		path       string
		rows       int
		prev, next string
		showing    string
	}{
		{"/ui/sessions", 50, "", "/ui/sessions?page=2", "Sessions 1 to 50 of 55"},
		{"/ui/sessions?page=2", 5, "/ui/sessions?page=1", "", "Sessions 51 to 55 of 55"},
		{"/ui/sessions?page=9", 5, "/ui/sessions?page=1", "", "Sessions 51 to 55 of 55"},
		{"/ui/sessions?page=x", 50, "", "/ui/sessions?page=2", "Sessions 1 to 50 of 55"},
	} {
		p := c.mustGet(tt.path)
		rows := strings.Count(p.body, `<li class="session`)
		if rows != tt.rows || !strings.Contains(p.body, tt.showing) || !strings.Contains(p.body, "Signed in on 55 devices") {
			t.Fatalf("%s: %d rows, want %d and %q", tt.path, rows, tt.rows, tt.showing)
		}
		for _, l := range []struct{ rel, href string }{{"prev", tt.prev}, {"next", tt.next}} {
			has := strings.Contains(p.body, `rel="`+l.rel+`"`)
			if has != (l.href != "") || l.href != "" && !strings.Contains(p.body, `href="`+l.href+`" rel="`+l.rel+`"`) {
				t.Fatalf("%s: %s link, want %q", tt.path, l.rel, l.href)
			}
		}
		if tt.path == "/ui/sessions" || tt.path == "/ui/sessions?page=2" {
			for _, m := range sessionIDRE.FindAllStringSubmatch(p.body, -1) {
				ids[m[1]]++
			}
		}
		if tt.path == "/ui/sessions" && !strings.Contains(p.body, `<li class="session current">`) {
			t.Fatal("the current session is not on the first page")
		}
	}
	if len(ids) != 54 { // every session but the current one has a sign-out form
		t.Fatalf("the two pages hold %d sessions with a sign-out form, want 54", len(ids))
	}
	for id, n := range ids {
		if n != 1 {
			t.Fatalf("session %s on %d pages", id, n)
		}
	}
	p := c.mustGet("/ui/admin/users/" + alice.ID + "?page=2")
	if strings.Count(p.body, `<li class="session`) != 5 || !strings.Contains(p.body, "Sessions (55)") || !strings.Contains(p.body, `href="/ui/admin/users/`+alice.ID+`?page=1" rel="prev"`) {
		t.Fatalf("the admin's second page of alice's sessions:\n%s", p.body)
	}
}
