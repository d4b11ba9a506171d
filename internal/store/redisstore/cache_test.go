package redisstore_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sessiond/sessiond/internal/auth"
	"github.com/sessiond/sessiond/internal/store/redisstore"
	"github.com/sessiond/sessiond/internal/store/storetest"
)

// liveSession is a session of tenant t, user u, expiring an hour from now
// on the wall clock (the stores of these tests keep time.Now).
func liveSession(user string) *auth.Session {
	x := storetest.NewSession("t", user, time.Hour)
	x.CreatedAt, x.LastSeen, x.ExpiresAt = time.Now(), time.Now(), time.Now().Add(time.Hour)
	return x
}

// cachedTargets runs f against the single Redis and the cluster, whichever
// are set, with a key prefix of the subtest's own.
func cachedTargets(t *testing.T, f func(t *testing.T, addr, prefix string)) {
	for _, target := range storetest.RedisTargets(t) {
		t.Run(target.Name, func(t *testing.T) { f(t, target.Addr, storetest.RedisPrefixAt(t, target.Addr)) })
	}
}

// readHit reads x by token hash and ID and reports whether both reads were
// cache hits (by the store's counters).
func readHit(t *testing.T, s *redisstore.Sessions, x *auth.Session) bool {
	t.Helper()
	ctx := context.Background()
	before := s.CacheStats()
	for _, read := range []func() (*auth.Session, error){
		func() (*auth.Session, error) { return s.SessionByTokenHash(ctx, x.TokenHash) },
		func() (*auth.Session, error) { return s.SessionByID(ctx, x.ID) },
	} {
		got, err := read()
		if err != nil || got.ID != x.ID {
			t.Fatalf("read %s: %v %v", x.ID, got, err)
		}
	}
	after := s.CacheStats()
	if after.Hits+after.Misses != before.Hits+before.Misses+2 {
		t.Fatalf("two reads counted as %+v -> %+v", before, after)
	}
	return after.Hits == before.Hits+2
}

// TestClientCacheWarmReadMakesNoRoundTrip: the second read of a session
// is a hit, and is answered while the connection to Redis carries no byte
// at all (a hung proxy), so it made no round trip. The heartbeat's bound
// is an hour here, so that only the hang, not time, is at play.
func TestClientCacheWarmReadMakesNoRoundTrip(t *testing.T) {
	p := storetest.NewProxy(t, storetest.RedisHost(t))
	s := open(t, "redis://"+p.Addr()+"?dial_timeout=1s", nil, redisstore.WithPrefix(testPrefix(t)), redisstore.WithStaleAfter(time.Hour))
	if on, refused := s.ClientCache(); !on || refused != nil {
		t.Fatalf("client cache on %v, refused %v", on, refused)
	}
	x := liveSession("u")
	if err := s.CreateSession(context.Background(), x); err != nil {
		t.Fatal(err)
	}
	if readHit(t, s, x) {
		t.Fatal("the first reads after the create were hits")
	}
	if !readHit(t, s, x) {
		t.Fatalf("the second reads were not hits: %+v", s.CacheStats())
	}
	p.Hang()
	defer p.Resume()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	got, err := s.SessionByTokenHash(ctx, x.TokenHash)
	if err != nil || got.ID != x.ID {
		t.Fatalf("warm read while no byte reaches Redis: %v %v", got, err)
	}
	// An unknown session is not in the cache: it needs Redis, which does
	// not answer.
	ctx, cancel = context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if _, err := s.SessionByID(ctx, "nosuchsession"); auth.ErrorCode(err) != auth.EUnavailable {
		t.Fatalf("cold read while Redis is cut off: %v, want %s", err, auth.EUnavailable)
	}
}

// TestClientCacheHits: on the single server and the cluster, the first
// read of a session goes to Redis and the next is a hit; a session not
// there is cached as such, and its create is seen at once. (The
// heartbeat's bound is an hour, so that a heartbeat late under load does
// not turn a hit into a miss.)
func TestClientCacheHits(t *testing.T) {
	cachedTargets(t, func(t *testing.T, addr, prefix string) {
		ctx := context.Background()
		s := open(t, addr, nil, redisstore.WithPrefix(prefix), redisstore.WithStaleAfter(time.Hour))
		for i := range 20 {
			x := liveSession(fmt.Sprintf("u%d", i))
			if _, err := s.SessionByTokenHash(ctx, x.TokenHash); auth.ErrorCode(err) != auth.ENotFound {
				t.Fatalf("before the create: %v", err)
			}
			if _, err := s.SessionByTokenHash(ctx, x.TokenHash); auth.ErrorCode(err) != auth.ENotFound {
				t.Fatalf("before the create, again: %v", err)
			}
			if err := s.CreateSession(ctx, x); err != nil {
				t.Fatal(err)
			}
			readHit(t, s, x)
			if !readHit(t, s, x) {
				t.Fatalf("session %d: the second reads were not hits: %+v", i, s.CacheStats())
			}
		}
	})
}

// TestClientCacheReadYourWrites: right after this store writes a session
// (touch, new client, delete, delete of the user's sessions), its own
// next read shows the write, though the read before it was cached and
// Redis's invalidation comes asynchronously. Other goroutines read the
// same session all along, so that reads in flight race the writes.
func TestClientCacheReadYourWrites(t *testing.T) {
	cachedTargets(t, func(t *testing.T, addr, prefix string) {
		ctx := context.Background()
		s := open(t, addr, nil, redisstore.WithPrefix(prefix))
		for i := range 100 {
			x := liveSession("u")
			if err := s.CreateSession(ctx, x); err != nil {
				t.Fatal(err)
			}
			stop := make(chan struct{})
			var wg sync.WaitGroup
			for range 2 {
				wg.Go(func() {
					for {
						select {
						case <-stop:
							return
						default:
							s.SessionByTokenHash(ctx, x.TokenHash)
						}
					}
				})
			}
			for range 2 { // the second from the cache, mostly
				if _, err := s.SessionByID(ctx, x.ID); err != nil {
					t.Fatal(err)
				}
			}
			exp := x.ExpiresAt.Add(time.Duration(i+1) * time.Minute).Truncate(time.Millisecond)
			if err := s.TouchSession(ctx, x.ID, time.Now(), exp); err != nil {
				t.Fatal(err)
			}
			for _, got := range []func() (*auth.Session, error){
				func() (*auth.Session, error) { return s.SessionByTokenHash(ctx, x.TokenHash) },
				func() (*auth.Session, error) { return s.SessionByID(ctx, x.ID) },
			} {
				if y, err := got(); err != nil || !y.ExpiresAt.Equal(exp) {
					t.Fatalf("round %d: read after touch: %v (%v), want expiry %v", i, y, err, exp)
				}
			}
			ip := fmt.Sprintf("192.0.2.%d", i+1)
			if err := s.UpdateSessionClient(ctx, x.ID, time.Now(), auth.Client{IP: ip}); err != nil {
				t.Fatal(err)
			}
			if y, err := s.SessionByID(ctx, x.ID); err != nil || y.IP != ip {
				t.Fatalf("round %d: read after a new client: %v (%v), want IP %s", i, y, err, ip)
			}
			if i%2 == 0 {
				err := s.DeleteSession(ctx, x.ID)
				if err != nil {
					t.Fatal(err)
				}
			} else if n, err := s.DeleteUserSessions(ctx, "t", "u", ""); err != nil || n != 1 {
				t.Fatalf("delete user sessions: %d %v", n, err)
			}
			_, err1 := s.SessionByTokenHash(ctx, x.TokenHash)
			_, err2 := s.SessionByID(ctx, x.ID)
			close(stop)
			wg.Wait()
			if auth.ErrorCode(err1) != auth.ENotFound || auth.ErrorCode(err2) != auth.ENotFound {
				t.Fatalf("round %d: read after delete: %v, %v; want not found", i, err1, err2)
			}
		}
	})
}

// TestClientCacheDeleteOnAReachesB: two stores on one Redis (two
// instances); a session B has cached is refused on B soon after A deletes
// it. Every read on B that starts StaleBound or more after A's delete
// answered must refuse; the window until B's first refusal is logged. A
// session B has cached as missing is likewise found soon after A creates
// it.
func TestClientCacheDeleteOnAReachesB(t *testing.T) {
	cachedTargets(t, func(t *testing.T, addr, prefix string) {
		ctx := context.Background()
		a := open(t, addr, nil, redisstore.WithPrefix(prefix))
		b := open(t, addr, nil, redisstore.WithPrefix(prefix))
		const n = 300
		var took []time.Duration
		hits := 0
		for i := range n {
			x := liveSession(fmt.Sprintf("u%d", i))
			if i%10 == 0 {
				// B caches that there is no such session; A's create
				// must reach it as a revoke does.
				for range 2 {
					if _, err := b.SessionByTokenHash(ctx, x.TokenHash); auth.ErrorCode(err) != auth.ENotFound {
						t.Fatalf("before the create: %v", err)
					}
				}
				if err := a.CreateSession(ctx, x); err != nil {
					t.Fatal(err)
				}
				refusedWithin(t, redisstore.StaleBound, func() bool {
					_, err := b.SessionByTokenHash(ctx, x.TokenHash)
					return err == nil
				})
			} else if err := a.CreateSession(ctx, x); err != nil {
				t.Fatal(err)
			}
			readHit(t, b, x)
			if readHit(t, b, x) {
				hits++
			}
			if err := a.DeleteSession(ctx, x.ID); err != nil {
				t.Fatal(err)
			}
			took = append(took, refusedWithin(t, redisstore.StaleBound, func() bool {
				_, err := b.SessionByTokenHash(ctx, x.TokenHash)
				if err != nil && auth.ErrorCode(err) != auth.ENotFound {
					t.Fatalf("read on B: %v", err)
				}
				return err != nil
			}))
		}
		// A heartbeat late under load turns a hit into a miss; most must
		// be hits, or the test did not test the cache.
		if hits < n/2 {
			t.Fatalf("only %d of %d warm reads on B were hits", hits, n)
		}
		slices.Sort(took)
		t.Logf("delete on A refused on B after: p50 %v, p99 %v, max %v (%d deletes, %d warm reads hit)",
			took[len(took)/2], took[len(took)*99/100], took[len(took)-1], n, hits)
	})
}

// refusedWithin polls refused until it holds and returns how long after
// the call that happened. It fails the test if a poll that started bound
// or more after the call did not see the refusal (or the change).
func refusedWithin(t *testing.T, bound time.Duration, refused func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for {
		began := time.Now()
		if refused() {
			return time.Since(start)
		}
		if began.Sub(start) >= bound {
			t.Fatalf("a read that began %v after the write still saw the session as before (bound %v)", began.Sub(start), bound)
		}
	}
}

// TestClientCacheBoundWhenCutOff: B's connection goes silent (a hung
// proxy: no byte moves, nothing breaks), so Redis's invalidation of A's
// delete cannot reach it. B stops serving its cached copy once StaleBound
// has passed without an answered heartbeat: its read then goes to Redis,
// and fails rather than answer the deleted session.
func TestClientCacheBoundWhenCutOff(t *testing.T) {
	prefix := testPrefix(t)
	p := storetest.NewProxy(t, storetest.RedisHost(t))
	a := open(t, testAddr(t), nil, redisstore.WithPrefix(prefix))
	b := open(t, "redis://"+p.Addr()+"?dial_timeout=1s", nil, redisstore.WithPrefix(prefix))
	ctx := context.Background()
	x := liveSession("u")
	if err := a.CreateSession(ctx, x); err != nil {
		t.Fatal(err)
	}
	readHit(t, b, x)
	p.Hang()
	defer p.Resume()
	hung := time.Now()
	if err := a.DeleteSession(ctx, x.ID); err != nil {
		t.Fatal(err)
	}
	// No heartbeat sent after the hang is answered: once StaleBound has
	// passed since, the cache is closed.
	time.Sleep(time.Until(hung.Add(redisstore.StaleBound)))
	rctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	if got, err := b.SessionByTokenHash(rctx, x.TokenHash); err == nil {
		t.Fatalf("B served the deleted session %s %v after its connection had been silent for %v", got.ID, time.Since(hung), redisstore.StaleBound)
	} else if auth.ErrorCode(err) != auth.EUnavailable {
		t.Fatalf("B while cut off: %v, want %s", err, auth.EUnavailable)
	}
	p.Resume()
	refusedWithin(t, 5*time.Second, func() bool {
		_, err := b.SessionByTokenHash(ctx, x.TokenHash)
		return auth.ErrorCode(err) == auth.ENotFound
	})
	// The heartbeats, backed off while they failed, open the cache again.
	y := liveSession("u")
	if err := a.CreateSession(ctx, y); err != nil {
		t.Fatal(err)
	}
	back := time.Now()
	for !readHit(t, b, y) {
		if time.Since(back) > 5*time.Second {
			t.Fatalf("no cache hit on B %v after its connection came back", time.Since(back))
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Logf("cache hits again %v after the connection came back", time.Since(back))
}

// TestClientCacheRefused: a Redis that will not track keys for this
// client (RESP2 asked for in the URL; an ACL user denied CLIENT TRACKING,
// as a proxy would) still serves the store, uncached, and says why.
func TestClientCacheRefused(t *testing.T) {
	host := storetest.RedisHost(t)
	c := rawClient(t)
	ctx := context.Background()
	b := make([]byte, 6)
	rand.Read(b)
	user := "sdtest" + hex.EncodeToString(b)
	if err := c.Do(ctx, c.B().AclSetuser().Username(user).Rule("on", ">pw", "~*", "&*", "+@all", "-client|tracking").Build()).Error(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Do(context.Background(), c.B().AclDeluser().Username(user).Build()) })
	for _, tc := range []struct{ name, url, why string }{
		{"RESP2", "redis://" + host + "?protocol=2", "RESP3"},
		{"TrackingDenied", "redis://" + user + ":pw@" + host, "NOPERM"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := open(t, tc.url, nil, redisstore.WithPrefix(testPrefix(t)))
			on, refused := s.ClientCache()
			if on || refused == nil || !strings.Contains(refused.Error(), tc.why) {
				t.Fatalf("client cache on %v, refused %v; want off, refused for %s", on, refused, tc.why)
			}
			x := liveSession("u")
			if err := s.CreateSession(ctx, x); err != nil {
				t.Fatal(err)
			}
			for range 3 {
				if got, err := s.SessionByTokenHash(ctx, x.TokenHash); err != nil || got.ID != x.ID {
					t.Fatalf("read: %v %v", got, err)
				}
			}
			if st := s.CacheStats(); st != (redisstore.CacheStats{}) {
				t.Fatalf("uncached store counted %+v", st)
			}
		})
	}
	t.Run("Off", func(t *testing.T) {
		s := open(t, testAddr(t), nil, redisstore.WithPrefix(testPrefix(t)), redisstore.WithClientCache(false))
		if on, refused := s.ClientCache(); on || refused != nil {
			t.Fatalf("client cache on %v, refused %v; want off, not refused", on, refused)
		}
	})
}

// TestClientCacheReadsAreCopies: a caller that changes the session it read
// (as the core does when it renews one) changes nothing the next read
// sees, though both come from one cached, decoded record.
func TestClientCacheReadsAreCopies(t *testing.T) {
	ctx := context.Background()
	s := open(t, testAddr(t), nil, redisstore.WithPrefix(testPrefix(t)), redisstore.WithStaleAfter(time.Hour))
	x := liveSession("u")
	x.Device = map[string]string{"x-platform": "ios"}
	if err := s.CreateSession(ctx, x); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		got, err := s.SessionByTokenHash(ctx, x.TokenHash)
		if err != nil {
			t.Fatal(err)
		}
		if !got.ExpiresAt.Equal(x.ExpiresAt.Truncate(time.Millisecond)) || got.Device["x-platform"] != "ios" {
			t.Fatalf("read %d: %+v, changed by the reader before it", i, got)
		}
		got.ExpiresAt, got.Device["x-platform"] = time.Time{}, "changed"
	}
	if st := s.CacheStats(); st.Hits != 2 {
		t.Fatalf("%+v, want the last two reads from the cache", st)
	}
}
