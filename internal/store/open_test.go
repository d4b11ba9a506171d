package store_test

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/sessiond/sessiond/internal/auth"
	"github.com/sessiond/sessiond/internal/store"
	"github.com/sessiond/sessiond/internal/store/storetest"
)

func open(t *testing.T, o store.Options) *store.Stores {
	t.Helper()
	if o.DataDir == "" {
		o.DataDir = t.TempDir()
	}
	s, err := store.Open(context.Background(), o)
	if err != nil {
		t.Fatalf("open %+v: %v", o, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// engineFeed is the engine's change feed inside the deadline Open puts
// around it.
func engineFeed(f auth.ChangeFeed) auth.ChangeFeed {
	if u, ok := f.(interface{ Unwrap() auth.ChangeFeed }); ok {
		return u.Unwrap()
	}
	return f
}

func checkNames(s *store.Stores) string {
	var n []string
	for _, c := range s.Checks {
		n = append(n, c.Name)
	}
	return strings.Join(n, ",")
}

// exercise runs one sign-in's worth of store calls through s and the
// limiter: a user, a session found by its token hash, revoked, not found.
func exercise(t *testing.T, s *store.Stores) {
	t.Helper()
	ctx := context.Background()
	u := &auth.User{ID: auth.NewID(), TenantID: auth.DefaultTenantID, Name: "u" + auth.NewID(), State: auth.StateActive,
		CreatedAt: time.Now().UTC(), UpdatedAt: time.Now().UTC()}
	if err := s.Users.CreateUser(ctx, u); err != nil {
		t.Fatalf("create user: %v", err)
	}
	x := storetest.NewSession(auth.DefaultTenantID, u.ID, time.Hour)
	x.CreatedAt, x.LastSeen, x.ExpiresAt = time.Now().UTC(), time.Now().UTC(), time.Now().Add(time.Hour).UTC()
	if err := s.Sessions.CreateSession(ctx, x); err != nil {
		t.Fatalf("create session: %v", err)
	}
	if got, err := s.Sessions.SessionByTokenHash(ctx, x.TokenHash); err != nil || got.ID != x.ID {
		t.Fatalf("session by hash: %v %v", got, err)
	}
	if err := s.Sessions.UpdateSessionClient(ctx, x.ID, time.Now().UTC(), auth.Client{IP: "192.0.2.5"}); err != nil {
		t.Fatalf("update session client: %v", err)
	}
	if err := s.Sessions.DeleteSession(ctx, x.ID); err != nil {
		t.Fatalf("delete: %v", err)
	}
	if _, err := s.Sessions.SessionByTokenHash(ctx, x.TokenHash); auth.ErrorCode(err) != auth.ENotFound {
		t.Fatalf("after delete: %v", err)
	}
	for i := 1; i <= 3; i++ {
		r, err := s.Limiter.Hit(ctx, "k", 2, time.Minute)
		if err != nil || r.Count != i || r.Allowed != (i <= 2) {
			t.Fatalf("hit %d: %+v %v", i, r, err)
		}
	}
	for _, c := range s.Checks {
		if err := c.Ping(ctx); err != nil {
			t.Fatalf("check %s: %v", c.Name, err)
		}
	}
}

// gather collects the stores' metrics by name and label set.
func gather(t *testing.T, s *store.Stores) map[string]*dto.MetricFamily {
	t.Helper()
	reg := prometheus.NewRegistry()
	for _, c := range s.Collectors {
		if err := reg.Register(c); err != nil {
			t.Fatal(err)
		}
	}
	fams, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*dto.MetricFamily{}
	for _, f := range fams {
		out[f.GetName()] = f
	}
	return out
}

// find returns the metric of f with these label values, or nil.
func find(f *dto.MetricFamily, labels map[string]string) *dto.Metric {
	if f == nil {
		return nil
	}
next:
	for _, m := range f.GetMetric() {
		for _, l := range m.GetLabel() {
			if want, ok := labels[l.GetName()]; ok && want != l.GetValue() {
				continue next
			}
		}
		return m
	}
	return nil
}

func TestOpenEngines(t *testing.T) {
	cases := []struct {
		name     string
		opts     func(t *testing.T) store.Options
		checks   string
		sessions string // engine label of the session store
		limiter  string
		changes  string // type of the change feed
	}{
		{"sqlite+memory", func(t *testing.T) store.Options { return store.Options{} }, "sqlite", "memory", "memory", "<nil>"},
		{"sqlite+sqlite", func(t *testing.T) store.Options { return store.Options{SessionStore: "sqlite"} }, "sqlite", "sqlite", "memory", "<nil>"},
		{"postgres+memory", func(t *testing.T) store.Options {
			return store.Options{Store: storetest.PostgresDSN(t)}
		}, "postgres", "memory", "memory", "*pgstore.Feed"},
		{"postgres+postgres", func(t *testing.T) store.Options {
			return store.Options{Store: storetest.PostgresDSN(t), SessionStore: "postgres"}
		}, "postgres", "postgres", "memory", "*pgstore.Feed"},
		{"postgres+redis", func(t *testing.T) store.Options {
			return store.Options{Store: storetest.PostgresDSN(t), SessionStore: storetest.RedisAddr(t), RedisPrefix: storetest.RedisPrefix(t)}
		}, "postgres,redis", "redis", "redis", "*redisstore.Feed"},
		{"sqlite+redis url", func(t *testing.T) store.Options {
			return store.Options{SessionStore: "redis://" + storetest.RedisHost(t), RedisPrefix: storetest.RedisPrefix(t)}
		}, "sqlite,redis", "redis", "redis", "*redisstore.Feed"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := open(t, tc.opts(t))
			if got := checkNames(s); got != tc.checks {
				t.Fatalf("checks %q, want %q", got, tc.checks)
			}
			if got := fmt.Sprintf("%T", engineFeed(s.Changes)); got != tc.changes {
				t.Fatalf("change feed %s, want %s", got, tc.changes)
			}
			exercise(t, s)
			fams := gather(t, s)
			d := find(fams["sessiond_store_duration_seconds"], map[string]string{"engine": tc.sessions, "op": "SessionByTokenHash"})
			u := find(fams["sessiond_store_duration_seconds"], map[string]string{"engine": tc.sessions, "op": "UpdateSessionClient"})
			l := find(fams["sessiond_store_duration_seconds"], map[string]string{"engine": tc.limiter, "op": "LimitHit"})
			// The memory engines are not timed: a session check in memory
			// pays for no clock reads and histogram (open.go).
			if tc.sessions == "memory" {
				if d != nil || u != nil {
					t.Fatalf("memory session store timed: %v %v", d, u)
				}
			} else {
				if d == nil || d.GetHistogram().GetSampleCount() != 2 {
					t.Fatalf("no latency of %s SessionByTokenHash: %v", tc.sessions, d)
				}
				if u == nil || u.GetHistogram().GetSampleCount() != 1 {
					t.Fatalf("no latency of %s UpdateSessionClient: %v", tc.sessions, u)
				}
			}
			if (l == nil) != (tc.limiter == "memory") {
				t.Fatalf("latency of the %s limiter: %v (timed only outside the process)", tc.limiter, l)
			}
			if find(fams["sessiond_store_duration_seconds"], map[string]string{"engine": "memory"}) != nil {
				t.Fatal("a memory engine timed")
			}
			if e := fams["sessiond_store_errors_total"]; e != nil && len(e.GetMetric()) > 0 {
				t.Fatalf("a not-found counted as an error: %v", e)
			}
		})
	}
}

// TestLimiterSharedThroughRedis: two Opens on one Redis prefix (two
// instances) share one budget; on the memory limiter they would not.
func TestLimiterSharedThroughRedis(t *testing.T) {
	prefix := storetest.RedisPrefix(t)
	a := open(t, store.Options{SessionStore: storetest.RedisAddr(t), RedisPrefix: prefix})
	b := open(t, store.Options{SessionStore: storetest.RedisAddr(t), RedisPrefix: prefix})
	ctx := context.Background()
	a.Limiter.Hit(ctx, "shared", 2, time.Minute)
	b.Limiter.Hit(ctx, "shared", 2, time.Minute)
	if r, _ := a.Limiter.Hit(ctx, "shared", 2, time.Minute); r.Allowed || r.Count != 3 {
		t.Fatalf("third hit across two instances: %+v", r)
	}
}

// TestChangesBetweenInstances: two Opens on shared engines (two
// instances) hear each other's changes, and Close ends the subscriptions,
// leaving no goroutine of theirs behind.
func TestChangesBetweenInstances(t *testing.T) {
	cases := []struct {
		name string
		opts func(t *testing.T) store.Options
	}{
		{"postgres", func(t *testing.T) store.Options { return store.Options{Store: storetest.PostgresDSN(t)} }},
		{"redis", func(t *testing.T) store.Options {
			return store.Options{Store: storetest.PostgresDSN(t), SessionStore: storetest.RedisAddr(t), RedisPrefix: storetest.RedisPrefix(t)}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			o := tc.opts(t)
			a, err := store.Open(context.Background(), o)
			if err != nil {
				t.Fatal(err)
			}
			defer a.Close()
			b := open(t, o)
			ra, rb := storetest.NewRecorder(t), storetest.NewRecorder(t)
			// Subscriptions that only Close can end.
			if err := a.Changes.Subscribe(context.Background(), ra.Fn); err != nil {
				t.Fatal(err)
			}
			if err := b.Changes.Subscribe(context.Background(), rb.Fn); err != nil {
				t.Fatal(err)
			}
			c := auth.Change{Kind: auth.ChangeUser, TenantID: auth.DefaultTenantID, ID: auth.NewID()}
			if err := b.Changes.Publish(context.Background(), c); err != nil {
				t.Fatal(err)
			}
			ra.Want(t, "the other instance", c)
			rb.Want(t, "the publishing instance", c)
			if err := a.Close(); err != nil {
				t.Fatal(err)
			}
			ra.End()
			if err := b.Close(); err != nil {
				t.Fatal(err)
			}
			rb.End()
			storetest.NoGoroutines(t, "pgstore.(*Feed)", "redisstore.(*Feed)", "store/feed.")
		})
	}
}

func TestOpenErrors(t *testing.T) {
	ctx := context.Background()
	for _, o := range []store.Options{
		{Store: "mysql://x"},
		{SessionStore: "memcache"},
		{SessionStore: "postgres"}, // needs a postgres store
		{SessionStore: "127.0.0.1:1"},
		{Store: "postgres://postgres@127.0.0.1:1/x?connect_timeout=1"},
	} {
		o.DataDir = t.TempDir()
		start := time.Now()
		s, err := store.Open(ctx, o)
		if err == nil {
			s.Close()
			t.Fatalf("%+v opened", o)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("%+v took %v to fail", o, d)
		}
	}
}

// TestErrorsCounted: a store call that fails for want of its engine is
// counted under its code.
func TestErrorsCounted(t *testing.T) {
	p := storetest.NewProxy(t, storetest.RedisHost(t))
	s := open(t, store.Options{SessionStore: "redis://" + p.Addr() + "?dial_timeout=1s", RedisPrefix: storetest.RedisPrefix(t)})
	p.Stop()
	ctx := context.Background()
	if _, err := s.Sessions.SessionByID(ctx, "x"); auth.ErrorCode(err) != auth.EUnavailable {
		t.Fatalf("while down: %v", err)
	}
	if _, err := s.Limiter.Hit(ctx, "k", 1, time.Minute); auth.ErrorCode(err) != auth.EUnavailable {
		t.Fatalf("limiter while down: %v", err)
	}
	fams := gather(t, s)
	for _, op := range []string{"SessionByID", "LimitHit"} {
		m := find(fams["sessiond_store_errors_total"], map[string]string{"engine": "redis", "op": op, "code": auth.EUnavailable})
		if m == nil || m.GetCounter().GetValue() != 1 {
			t.Fatalf("%s error not counted: %v", op, fams["sessiond_store_errors_total"])
		}
	}
}

func TestIsRedis(t *testing.T) {
	for v, want := range map[string]bool{
		"redis://h:6379": true, "rediss://h:6380": true, "h:6379": true, "a:1,b:2": true, "[::1]:6379": true,
		"memory": false, "sqlite": false, "postgres": false, "a:1,": false, "h": false, "postgres://h:5432/x": false,
	} {
		if got := store.IsRedis(v); got != want {
			t.Errorf("IsRedis(%q) = %v", v, got)
		}
	}
}

// TestSessionCacheMetrics: with Redis's client-side cache on (the
// default) the session reads are counted as hits and misses; off, or
// refused by Redis, there is no such metric, and a refusal is logged once.
func TestSessionCacheMetrics(t *testing.T) {
	ctx := context.Background()
	count := func(s *store.Stores, result string) float64 {
		m := find(gather(t, s)["sessiond_session_cache_reads_total"], map[string]string{"result": result})
		if m == nil {
			return -1
		}
		return m.GetCounter().GetValue()
	}
	s := open(t, store.Options{SessionStore: storetest.RedisAddr(t), RedisPrefix: storetest.RedisPrefix(t)})
	x := storetest.NewSession(auth.DefaultTenantID, "u", time.Hour)
	x.CreatedAt, x.LastSeen, x.ExpiresAt = time.Now().UTC(), time.Now().UTC(), time.Now().Add(time.Hour).UTC()
	if err := s.Sessions.CreateSession(ctx, x); err != nil {
		t.Fatal(err)
	}
	// The first read is a miss, the next ones hits (unless the heartbeat
	// lags, when they go to Redis: read until one hits).
	reads := 0
	for reads < 2 || count(s, "hit") < 1 && reads < 1000 {
		if _, err := s.Sessions.SessionByTokenHash(ctx, x.TokenHash); err != nil {
			t.Fatal(err)
		}
		reads++
		time.Sleep(time.Millisecond)
	}
	if hit, miss := count(s, "hit"), count(s, "miss"); hit < 1 || miss < 1 || hit+miss != float64(reads) {
		t.Fatalf("%d reads of one session: %v hits, %v misses", reads, hit, miss)
	}

	var logged strings.Builder
	for _, o := range []store.Options{
		{SessionStore: storetest.RedisAddr(t), RedisNoClientCache: true},
		{SessionStore: "redis://" + storetest.RedisHost(t) + "?protocol=2", Logger: slog.New(slog.NewTextHandler(&logged, nil))},
	} {
		o.RedisPrefix = storetest.RedisPrefix(t)
		if got := count(open(t, o), "hit"); got != -1 {
			t.Fatalf("%s, no cache: hits counted (%v)", o.SessionStore, got)
		}
	}
	if n := strings.Count(logged.String(), "refused client-side caching"); n != 1 {
		t.Fatalf("the refusal logged %d times, want once:\n%s", n, logged.String())
	}
}
