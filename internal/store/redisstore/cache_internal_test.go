package redisstore

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/redis/rueidis"
	"github.com/sessiond/sessiond/internal/auth"
	"github.com/sessiond/sessiond/internal/store/storetest"
)

// echo returns a real reply of Redis holding v, for a cache to keep.
func echo(t *testing.T, c rueidis.Client, v string) rueidis.RedisMessage {
	t.Helper()
	m, err := c.Do(context.Background(), c.B().Echo().Message(v).Build()).ToMessage()
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// waitCtx bounds a wait for a flight, so that a wrong wait fails the
// test rather than hangs it.
func waitCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// served returns what a lookup of key at now gets: the value of a hit, or
// "" for a miss (which leaves a flight behind, answered with v when v is
// not "").
func served(t *testing.T, c *connCache, rc rueidis.Client, key string, now time.Time, v string) string {
	t.Helper()
	m, e := c.Flight(key, "GET", time.Minute, now)
	if e != nil {
		t.Fatalf("%s: a flight to wait for, want a hit or a miss", key)
	}
	if s, err := m.ToString(); err == nil && s != "" { // a miss's empty message reads as ""
		return s
	}
	if v != "" {
		c.Update(key, "GET", echo(t, rc, v))
	}
	return ""
}

// TestConnCache plays rueidis's side of the CacheStore contract, with
// drop, against one connection's cache.
func TestConnCache(t *testing.T) {
	rc := storetest.RedisClient(t, storetest.RedisAddr(t))
	g := newCacheGroup(StaleBound)
	c := g.newStore(rueidis.CacheStoreOption{}).(*connCache)
	now := time.Now()
	g.beaten(now)

	t.Run("MissFlightHit", func(t *testing.T) {
		if _, e := c.Flight("k1", "GET", time.Minute, now); e != nil {
			t.Fatal("first lookup: a flight to wait for")
		}
		_, waiter := c.Flight("k1", "GET", time.Minute, now)
		if waiter == nil {
			t.Fatal("second lookup during the flight: no flight to wait for")
		}
		c.Update("k1", "GET", echo(t, rc, "v1"))
		if m, err := waiter.Wait(waitCtx(t)); err != nil {
			t.Fatal(err)
		} else if s, _ := m.ToString(); s != "v1" {
			t.Fatalf("waiter got %q", s)
		}
		if got := served(t, c, rc, "k1", now, ""); got != "v1" {
			t.Fatalf("after the answer: %q, want a hit", got)
		}
	})

	t.Run("ExpiresOnTheClient", func(t *testing.T) {
		if got := served(t, c, rc, "k1", now.Add(time.Minute+time.Second), "v1b"); got != "" {
			t.Fatalf("past the client TTL: %q, want a miss", got)
		}
	})

	t.Run("InvalidationKeepsFlights", func(t *testing.T) {
		served(t, c, rc, "k2", now, "v2")
		served(t, c, rc, "k3", now, "") // k3 stays in flight
		c.Delete([]rueidis.RedisMessage{echo(t, rc, "k2"), echo(t, rc, "k3")})
		if got := served(t, c, rc, "k2", now, ""); got != "" {
			t.Fatalf("invalidated k2 served %q", got)
		}
		c.Update("k2", "GET", echo(t, rc, "v2b"))
		c.Update("k3", "GET", echo(t, rc, "v3"))
		if got := served(t, c, rc, "k3", now, ""); got != "v3" {
			t.Fatalf("k3, in flight during the invalidation: %q, want its answer", got)
		}
		c.Delete(nil)
		for _, k := range []string{"k1", "k2", "k3"} {
			if got := served(t, c, rc, k, now, ""); got != "" {
				t.Fatalf("%s served %q after an invalidation of everything", k, got)
			}
			c.Cancel(k, "GET", errors.New("no answer"))
		}
	})

	t.Run("DropMakesFlightsStale", func(t *testing.T) {
		served(t, c, rc, "k4", now, "v4")
		served(t, c, rc, "k5", now, "") // in flight while this instance writes k5
		g.drop("k4", "k5")
		if got := served(t, c, rc, "k4", now, ""); got != "" {
			t.Fatalf("dropped k4 served %q", got)
		}
		c.Cancel("k4", "GET", errors.New("no answer"))
		_, e := c.Flight("k5", "GET", time.Minute, now)
		if e == nil {
			t.Fatal("a read of k5 while its stale flight is out: no entry")
		}
		if _, err := e.Wait(waitCtx(t)); !errors.Is(err, errRefetch) {
			t.Fatalf("waiting for a stale flight: %v, want errRefetch", err)
		}
		c.Update("k5", "GET", echo(t, rc, "old"))
		if got := served(t, c, rc, "k5", now, ""); got != "" {
			t.Fatalf("the stale flight's answer was kept: %q", got)
		}
	})

	t.Run("HeartbeatGate", func(t *testing.T) {
		served(t, c, rc, "k6", now, "v6")
		later := now.Add(StaleBound)
		if got := served(t, c, rc, "k6", later, ""); got != "" {
			t.Fatalf("served %q %v after the last heartbeat", got, StaleBound)
		}
		c.Update("k6", "GET", echo(t, rc, "v6b"))
		g.beaten(later)
		if got := served(t, c, rc, "k6", later, ""); got != "v6b" {
			t.Fatalf("after a new heartbeat: %q, want a hit", got)
		}
	})

	t.Run("EvictsLeastRecentlyUsed", func(t *testing.T) {
		small := g.newStore(rueidis.CacheStoreOption{}).(*connCache)
		served(t, small, rc, "a", now, "1")
		small.max = small.size * 2
		served(t, small, rc, "b", now, "2")
		served(t, small, rc, "a", now, "") // a is now the most recently used
		served(t, small, rc, "c", now, "3")
		if got := served(t, small, rc, "b", now, ""); got != "" {
			t.Fatalf("b, least recently used, was kept (%q) past the size bound", got)
		}
		if got := served(t, small, rc, "a", now, ""); got != "1" {
			t.Fatalf("a: %q, want kept", got)
		}
	})

	t.Run("Close", func(t *testing.T) {
		served(t, c, rc, "k7", now, "v7")
		served(t, c, rc, "k8", now, "")
		_, waiter := c.Flight("k8", "GET", time.Minute, now)
		boom := errors.New("connection closed")
		c.Close(boom)
		if _, err := waiter.Wait(waitCtx(t)); !errors.Is(err, boom) {
			t.Fatalf("waiter after close: %v", err)
		}
		if got := served(t, c, rc, "k7", now, "v7b"); got != "" {
			t.Fatalf("served %q after close", got)
		}
		if got := served(t, c, rc, "k7", now, ""); got != "" {
			t.Fatalf("a closed cache kept %q", got)
		}
		g.mu.Lock()
		_, listed := g.caches[c]
		g.mu.Unlock()
		if listed {
			t.Fatal("a closed cache is still dropped into")
		}
	})

	t.Run("Memo", func(t *testing.T) {
		a, b := echo(t, rc, "answer"), echo(t, rc, "answer") // equal content, two answers
		x := &auth.Session{ID: "s1", Device: map[string]string{"x-platform": "ios"}}
		g.memoize("rec", a, x)
		if g.memoized("rec", b) != nil {
			t.Fatal("a memo served for another answer of the same key")
		}
		got := g.memoized("rec", a)
		if got == nil || got.ID != "s1" || got.Device["x-platform"] != "ios" {
			t.Fatalf("memo of the same answer: %+v", got)
		}
		got.ID, got.Device["x-platform"] = "changed", "changed"
		if again := g.memoized("rec", a); again.ID != "s1" || again.Device["x-platform"] != "ios" {
			t.Fatalf("a caller's change reached the memo: %+v", again)
		}
		c2 := g.newStore(rueidis.CacheStoreOption{}).(*connCache)
		served(t, c2, rc, "rec", now, "v") // the cache's entry for the key ...
		g.drop("rec")                      // ... leaves, and the memo with it
		if g.memoized("rec", a) != nil {
			t.Fatal("the memo outlived its key's entry")
		}
	})
}
