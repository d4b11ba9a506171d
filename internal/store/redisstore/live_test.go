package redisstore_test

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/rueidis"
	"github.com/sessiond/sessiond/internal/store/redisstore"
	"github.com/sessiond/sessiond/internal/store/storetest"
)

// scans returns how many SCANs the server has run.
func scans(t *testing.T, c rueidis.Client) int {
	t.Helper()
	info, err := c.Do(context.Background(), c.B().Info().Section("commandstats").Build()).ToString()
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(info, "\n") {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(line), "cmdstat_scan:calls="); ok {
			n, _ := strconv.Atoi(rest[:strings.IndexByte(rest, ',')])
			return n
		}
	}
	return 0
}

// TestCountSessionsWithoutScan: CountSessions, which /metrics asks on
// every scrape, reads the live-session index instead of scanning every
// key (it did before the index), counts only sessions live on the
// store's clock, and the index is filled from the stored sessions when
// a store opens on a Redis whose sessions predate it. It runs on a
// redis-server of its own, so no other test's SCAN is counted.
func TestCountSessionsWithoutScan(t *testing.T) {
	ctx := context.Background()
	rs := storetest.StartRedis(t)
	var mu sync.Mutex
	now := base
	clk := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	s, err := redisstore.Open(ctx, rs.Addr(), clk)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	c, err := rueidis.NewClient(rueidis.ClientOption{InitAddress: []string{rs.Addr()}, DisableCache: true})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, d := range []time.Duration{time.Minute, time.Hour, time.Hour} {
		x := storetest.NewSession("t1", "u1", d)
		x.CreatedAt, x.LastSeen, x.ExpiresAt = now, now, now.Add(d)
		if err := s.CreateSession(ctx, x); err != nil {
			t.Fatal(err)
		}
	}
	count := func(want int, when string) {
		t.Helper()
		before := scans(t, c)
		for range 5 {
			if n, err := s.CountSessions(ctx); err != nil || n != want {
				t.Fatalf("%s: count %d (%v), want %d", when, n, err, want)
			}
		}
		if d := scans(t, c) - before; d != 0 {
			t.Fatalf("%s: five counts ran %d SCANs, want none", when, d)
		}
	}
	count(3, "three live sessions")
	mu.Lock()
	now = now.Add(2 * time.Minute) // past the first session's expiry
	mu.Unlock()
	count(2, "one expired")

	// A Redis whose sessions were stored before the index: the index is
	// filled once, at open.
	c.Do(ctx, c.B().Del().Key("sd:live", "sd:live:ready").Build())
	again, err := redisstore.Open(ctx, rs.Addr(), clk)
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	if n, err := again.CountSessions(ctx); err != nil || n != 2 {
		t.Fatalf("after filling the index: count %d (%v), want 2", n, err)
	}
	before := scans(t, c)
	third, err := redisstore.Open(ctx, rs.Addr(), clk)
	if err != nil {
		t.Fatal(err)
	}
	third.Close()
	if d := scans(t, c) - before; d != 0 {
		t.Fatalf("opening on a filled index ran %d SCANs", d)
	}
}
