// Package storetest states the contract of sessiond's store interfaces as
// tests that any implementation runs: memory, SQLite, PostgreSQL, Redis.
package storetest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/sessiond/sessiond/internal/auth"
)

// base is a fixed instant the suites build times from; stores must keep
// times to the millisecond at least.
var base = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

func wantCode(t *testing.T, what string, err error, code string) {
	t.Helper()
	if got := auth.ErrorCode(err); got != code {
		t.Fatalf("%s: got error code %q (%v), want %q", what, got, err, code)
	}
}

func must(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func sameTime(a, b time.Time) bool {
	return a.Sub(b).Abs() < time.Millisecond
}

// NewSession returns a session for user in tenant that expires after d.
func NewSession(tenant, user string, d time.Duration) *auth.Session {
	tok := auth.NewToken(auth.DefaultTokenFormat)
	return &auth.Session{
		ID: auth.NewID(), TokenHash: auth.HashToken(tok), UserID: user, TenantID: tenant,
		Origin: auth.OriginInflux, CreatedAt: base, ExpiresAt: base.Add(d), LastSeen: base,
		IP: "192.0.2.1", UserAgent: "storetest/1.0",
	}
}

// readAll reads x back by ID, by token hash and from its user's sessions,
// failing the test if any of them misses it.
func readAll(t *testing.T, s auth.SessionStore, x *auth.Session) []*auth.Session {
	t.Helper()
	ctx := context.Background()
	byID, err := s.SessionByID(ctx, x.ID)
	must(t, "by id", err)
	byHash, err := s.SessionByTokenHash(ctx, x.TokenHash)
	must(t, "by hash", err)
	list, err := s.UserSessions(ctx, x.TenantID, x.UserID)
	must(t, "user sessions", err)
	for _, y := range list {
		if y.ID == x.ID {
			return []*auth.Session{byID, byHash, y}
		}
	}
	t.Fatalf("session %s missing from its user's sessions", x.ID)
	return nil
}

// sameDevice compares device headers, nil and empty alike.
func sameDevice(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// SessionStore runs the SessionStore contract. open returns an empty store
// whose clock reads the time the returned func sets (the store's "now").
func SessionStore(t *testing.T, open func(t *testing.T, now func() time.Time) auth.SessionStore) {
	ctx := context.Background()
	clock := func() time.Time { return base.Add(time.Minute) }

	t.Run("CreateAndFind", func(t *testing.T) {
		s := open(t, clock)
		in := NewSession("t1", "u1", time.Hour)
		in.Device = map[string]string{"x-platform": "ios"}
		must(t, "create", s.CreateSession(ctx, in))
		for name, find := range map[string]func() (*auth.Session, error){
			"byHash": func() (*auth.Session, error) { return s.SessionByTokenHash(ctx, in.TokenHash) },
			"byID":   func() (*auth.Session, error) { return s.SessionByID(ctx, in.ID) },
		} {
			got, err := find()
			must(t, name, err)
			if got.ID != in.ID || got.TokenHash != in.TokenHash || got.UserID != "u1" || got.TenantID != "t1" ||
				got.Origin != in.Origin || got.IP != in.IP || got.UserAgent != in.UserAgent ||
				!sameTime(got.CreatedAt, in.CreatedAt) || !sameTime(got.ExpiresAt, in.ExpiresAt) || !sameTime(got.LastSeen, in.LastSeen) ||
				got.Device["x-platform"] != "ios" {
				t.Fatalf("%s: got %+v, want %+v", name, got, in)
			}
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		s := open(t, clock)
		_, err := s.SessionByTokenHash(ctx, auth.HashToken("nope"))
		wantCode(t, "by hash", err, auth.ENotFound)
		_, err = s.SessionByID(ctx, auth.NewID())
		wantCode(t, "by id", err, auth.ENotFound)
		_, err = s.SessionByID(ctx, "not-an-id")
		wantCode(t, "by bad id", err, auth.ENotFound)
		wantCode(t, "delete", s.DeleteSession(ctx, auth.NewID()), auth.ENotFound)
		wantCode(t, "touch", s.TouchSession(ctx, auth.NewID(), base, base), auth.ENotFound)
		wantCode(t, "update client", s.UpdateSessionClient(ctx, auth.NewID(), base, auth.Client{IP: "192.0.2.9"}), auth.ENotFound)
		wantCode(t, "update client of bad id", s.UpdateSessionClient(ctx, "not-an-id", base, auth.Client{}), auth.ENotFound)
	})
	t.Run("ErrConflict", func(t *testing.T) {
		s := open(t, clock)
		a := NewSession("t1", "u1", time.Hour)
		must(t, "create", s.CreateSession(ctx, a))
		b := NewSession("t1", "u1", time.Hour)
		b.ID = a.ID
		wantCode(t, "same id", s.CreateSession(ctx, b), auth.EConflict)
		c := NewSession("t1", "u1", time.Hour)
		c.TokenHash = a.TokenHash
		wantCode(t, "same hash", s.CreateSession(ctx, c), auth.EConflict)
	})
	t.Run("Touch", func(t *testing.T) {
		s := open(t, clock)
		in := NewSession("t1", "u1", time.Hour)
		must(t, "create", s.CreateSession(ctx, in))
		seen, exp := base.Add(30*time.Minute), base.Add(2*time.Hour)
		must(t, "touch", s.TouchSession(ctx, in.ID, seen, exp))
		got, err := s.SessionByTokenHash(ctx, in.TokenHash)
		must(t, "find", err)
		if !sameTime(got.LastSeen, seen) || !sameTime(got.ExpiresAt, exp) {
			t.Fatalf("after touch: last seen %v expires %v, want %v %v", got.LastSeen, got.ExpiresAt, seen, exp)
		}
	})
	t.Run("UpdateClient", func(t *testing.T) {
		s := open(t, clock)
		in := NewSession("t1", "u1", time.Hour)
		in.Device = map[string]string{"x-platform": "ios", "x-device-id": "d1"}
		must(t, "create", s.CreateSession(ctx, in))
		other := NewSession("t1", "u1", time.Hour)
		must(t, "create other", s.CreateSession(ctx, other))
		steps := []struct {
			name string
			seen time.Time
			c    auth.Client
		}{
			{"new client", base.Add(20 * time.Minute), auth.Client{IP: "198.51.100.7", UserAgent: "other/2.0", Device: map[string]string{"x-device-id": "d2"}}},
			{"device cleared", base.Add(25 * time.Minute), auth.Client{IP: "2001:db8::1", UserAgent: "third/3.0"}},
			{"device again", base.Add(30 * time.Minute), auth.Client{IP: "198.51.100.8", Device: map[string]string{"x-platform": "android"}}},
		}
		for _, step := range steps {
			must(t, step.name, s.UpdateSessionClient(ctx, in.ID, step.seen, step.c))
			for _, got := range readAll(t, s, in) {
				if got.IP != step.c.IP || got.UserAgent != step.c.UserAgent || !sameDevice(got.Device, step.c.Device) ||
					!sameTime(got.LastSeen, step.seen) || !sameTime(got.ExpiresAt, in.ExpiresAt) || !sameTime(got.CreatedAt, in.CreatedAt) ||
					got.TokenHash != in.TokenHash || got.Origin != in.Origin {
					t.Fatalf("%s: got %+v, want client %+v seen at %v, expiry %v kept", step.name, got, step.c, step.seen, in.ExpiresAt)
				}
			}
		}
		got, err := s.SessionByID(ctx, other.ID)
		must(t, "other session", err)
		if got.IP != other.IP || got.UserAgent != other.UserAgent || !sameTime(got.LastSeen, other.LastSeen) {
			t.Fatalf("another session of the user changed: %+v", got)
		}
		must(t, "delete", s.DeleteSession(ctx, in.ID))
		wantCode(t, "update deleted", s.UpdateSessionClient(ctx, in.ID, base.Add(time.Hour), auth.Client{IP: "192.0.2.2"}), auth.ENotFound)
		if _, err := s.SessionByTokenHash(ctx, in.TokenHash); auth.ErrorCode(err) != auth.ENotFound {
			t.Fatalf("an update brought a deleted session back: %v", err)
		}
		if list, _ := s.UserSessions(ctx, "t1", "u1"); len(list) != 1 || list[0].ID != other.ID {
			t.Fatalf("user sessions after delete and update: %v", list)
		}
	})
	t.Run("Delete", func(t *testing.T) {
		s := open(t, clock)
		in := NewSession("t1", "u1", time.Hour)
		must(t, "create", s.CreateSession(ctx, in))
		must(t, "delete", s.DeleteSession(ctx, in.ID))
		_, err := s.SessionByTokenHash(ctx, in.TokenHash)
		wantCode(t, "find after delete", err, auth.ENotFound)
		wantCode(t, "delete twice", s.DeleteSession(ctx, in.ID), auth.ENotFound)
		list, err := s.UserSessions(ctx, "t1", "u1")
		must(t, "list", err)
		if len(list) != 0 {
			t.Fatalf("user index still holds %d sessions", len(list))
		}
	})
	t.Run("ExpiredIsNotReturned", func(t *testing.T) {
		s := open(t, clock)
		in := NewSession("t1", "u1", 30*time.Second) // expired at clock() = base+1m
		must(t, "create", s.CreateSession(ctx, in))
		if got, err := s.SessionByTokenHash(ctx, in.TokenHash); err == nil && !got.Expired(clock()) {
			t.Fatalf("an expired session came back live: %+v", got)
		}
	})
	t.Run("UserIndex", func(t *testing.T) {
		s := open(t, clock)
		var mine []*auth.Session
		for i := range 5 {
			x := NewSession("t1", "u1", time.Hour)
			x.CreatedAt = base.Add(time.Duration(i) * time.Second)
			mine = append(mine, x)
			must(t, "create", s.CreateSession(ctx, x))
		}
		must(t, "other user", s.CreateSession(ctx, NewSession("t1", "u2", time.Hour)))
		must(t, "other tenant", s.CreateSession(ctx, NewSession("t2", "u1", time.Hour)))
		list, err := s.UserSessions(ctx, "t1", "u1")
		must(t, "list", err)
		if len(list) != 5 {
			t.Fatalf("got %d sessions, want 5", len(list))
		}
		if list[0].ID != mine[4].ID {
			t.Fatalf("newest first: got %s first, want %s", list[0].ID, mine[4].ID)
		}
		n, err := s.DeleteUserSessions(ctx, "t1", "u1", mine[2].ID)
		must(t, "delete all but one", err)
		if n != 4 {
			t.Fatalf("deleted %d, want 4", n)
		}
		list, _ = s.UserSessions(ctx, "t1", "u1")
		if len(list) != 1 || list[0].ID != mine[2].ID {
			t.Fatalf("after revoke-others: %v", list)
		}
		if _, err := s.SessionByTokenHash(ctx, mine[0].TokenHash); auth.ErrorCode(err) != auth.ENotFound {
			t.Fatalf("revoked session still found by hash: %v", err)
		}
		n, err = s.DeleteUserSessions(ctx, "t1", "u1", "")
		must(t, "delete all", err)
		if n != 1 {
			t.Fatalf("deleted %d, want 1", n)
		}
		for _, k := range [][2]string{{"t1", "u2"}, {"t2", "u1"}} {
			list, _ := s.UserSessions(ctx, k[0], k[1])
			if len(list) != 1 {
				t.Fatalf("%v lost its session: %v", k, list)
			}
		}
		n, err = s.DeleteUserSessions(ctx, "t9", "nobody", "")
		if err != nil || n != 0 {
			t.Fatalf("delete for unknown user: %d %v", n, err)
		}
	})
	t.Run("CountUserSessions", func(t *testing.T) { countUserSessions(t, open(t, clock), clock) })
	t.Run("CountFollowsChanges", func(t *testing.T) { countFollowsChanges(t, open(t, clock)) })
	t.Run("ListAndCount", func(t *testing.T) {
		s := open(t, clock)
		for i := range 6 {
			must(t, "create", s.CreateSession(ctx, NewSession(fmt.Sprintf("t%d", i%2), "u", time.Hour)))
		}
		all, err := s.ListSessions(ctx, auth.SessionFilter{})
		must(t, "list all", err)
		if len(all) != 6 {
			t.Fatalf("listed %d, want 6", len(all))
		}
		for i := 1; i < len(all); i++ {
			if all[i-1].ID >= all[i].ID {
				t.Fatalf("not ordered by ID: %s then %s", all[i-1].ID, all[i].ID)
			}
		}
		t0, _ := s.ListSessions(ctx, auth.SessionFilter{TenantID: "t0"})
		if len(t0) != 3 {
			t.Fatalf("tenant filter: %d, want 3", len(t0))
		}
		page, _ := s.ListSessions(ctx, auth.SessionFilter{After: all[1].ID, Limit: 2})
		if len(page) != 2 || page[0].ID != all[2].ID {
			t.Fatalf("page after %s: %v", all[1].ID, page)
		}
		n, err := s.CountSessions(ctx)
		must(t, "count", err)
		if n != 6 {
			t.Fatalf("count %d, want 6", n)
		}
	})
	t.Run("Concurrent", func(t *testing.T) {
		s := open(t, clock)
		var wg sync.WaitGroup
		for w := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range 25 {
					x := NewSession("t1", fmt.Sprint("u", w%2), time.Hour)
					if err := s.CreateSession(ctx, x); err != nil {
						t.Errorf("create: %v", err)
						return
					}
					if _, err := s.SessionByTokenHash(ctx, x.TokenHash); err != nil {
						t.Errorf("find: %v", err)
					}
					if err := s.DeleteSession(ctx, x.ID); err != nil {
						t.Errorf("delete: %v", err)
					}
				}
			}()
		}
		wg.Wait()
		if n, _ := s.CountSessions(ctx); n != 0 {
			t.Fatalf("%d sessions left", n)
		}
	})
}
