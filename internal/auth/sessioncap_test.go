package auth_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/sessiond/sessiond/internal/auth"
)

// TestSessionCap: with a cap of 3 live sessions per user, a fourth
// sign-in ends the least recently used (not the oldest: one used since is
// kept), with one session.evict event naming it; other users are not
// touched; a session that has ended makes room without an eviction.
func TestSessionCap(t *testing.T) {
	ctx := context.Background()
	rec := &recorder{}
	e := newEnv(t, func(c *auth.Config) {
		c.MaxSessionsPerUser = 3
		c.Audit = rec
		c.IdleTimeout = time.Hour
	})
	alice := e.createUser(t, "alice", "correct horse")
	e.createUser(t, "bob", "battery staple")
	bob, _ := e.signIn(t, "bob", "battery staple")

	var toks []string
	var ids []string
	for range 3 {
		s, tok := e.signIn(t, "alice", "correct horse")
		toks, ids = append(toks, tok), append(ids, s.ID)
		e.clock.Advance(2 * time.Minute)
	}
	// The first session is used now: the second becomes the least
	// recently used.
	if _, _, err := e.svc.Authenticate(ctx, toks[0], auth.CheckOptions{}); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(2 * time.Minute)
	fourth, _ := e.signIn(t, "alice", "correct horse")

	live := func(u string) map[string]bool {
		list, err := e.svc.UserSessions(ctx, auth.DefaultTenantID, u)
		must(t, "user sessions", err)
		m := map[string]bool{}
		for _, s := range list {
			m[s.ID] = true
		}
		return m
	}
	got := live(alice.ID)
	if len(got) != 3 || got[ids[1]] || !got[ids[0]] || !got[ids[2]] || !got[fourth.ID] {
		t.Fatalf("alice's sessions %v: want the first, third and fourth (the second was least recently used)", got)
	}
	if _, _, err := e.svc.Authenticate(ctx, toks[1], auth.CheckOptions{}); auth.ErrorCode(err) != auth.EUnauthorized {
		t.Fatalf("the evicted session still authenticates: %v", err)
	}
	ev := rec.of(auth.EventSessionEvict)
	if len(ev) != 1 || ev[0].Session != ids[1] || ev[0].User != alice.ID || ev[0].Origin != auth.OriginInflux || !strings.Contains(ev[0].Detail, "at most 3") {
		t.Fatalf("evict events: %+v", ev)
	}
	if !live(bob.UserID)[bob.ID] {
		t.Fatal("another user's session was ended")
	}

	// Sessions that have ended (idle for an hour) are dropped, not
	// evicted: no event.
	e.clock.Advance(2 * time.Hour)
	e.signIn(t, "alice", "correct horse")
	if got := live(alice.ID); len(got) != 1 {
		t.Fatalf("after every session went idle: %d live, want the new one", len(got))
	}
	if n := len(rec.of(auth.EventSessionEvict)); n != 1 {
		t.Fatalf("%d evict events, want still 1", n)
	}
}

// TestSessionCapOff: 0 is no cap.
func TestSessionCapOff(t *testing.T) {
	e := newEnv(t)
	u := e.createUser(t, "alice", "correct horse")
	for range 20 {
		e.signIn(t, "alice", "correct horse")
	}
	list, err := e.svc.UserSessions(context.Background(), auth.DefaultTenantID, u.ID)
	if err != nil || len(list) != 20 {
		t.Fatalf("%d sessions (%v), want 20", len(list), err)
	}
}
