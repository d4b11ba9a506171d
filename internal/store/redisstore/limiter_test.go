package redisstore_test

import (
	"context"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sessiond/sessiond/internal/auth"
	"github.com/sessiond/sessiond/internal/store/redisstore"
	"github.com/sessiond/sessiond/internal/store/storetest"
)

func TestLimiterContract(t *testing.T) {
	storetest.Limiter(t, func(t *testing.T, now func() time.Time) auth.Limiter {
		return open(t, testAddr(t), now, redisstore.WithPrefix(testPrefix(t))).Limiter()
	})
}

// TestLimiterOneBudgetAcrossInstances: two stores (two instances) on one
// Redis and prefix count into the same windows, even hitting in parallel.
func TestLimiterOneBudgetAcrossInstances(t *testing.T) {
	ctx := context.Background()
	prefix := testPrefix(t)
	a := open(t, testAddr(t), nil, redisstore.WithPrefix(prefix)).Limiter()
	b := open(t, testAddr(t), nil, redisstore.WithPrefix(prefix)).Limiter()
	var wg sync.WaitGroup
	var mu sync.Mutex
	allowed := 0
	for i := range 40 {
		l := a
		if i%2 == 1 {
			l = b
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := l.Hit(ctx, "shared", 15, time.Minute)
			if err != nil {
				t.Error(err)
				return
			}
			if r.Allowed {
				mu.Lock()
				allowed++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if allowed != 15 {
		t.Fatalf("%d hits allowed across two instances, want 15", allowed)
	}
	pa, err := a.Peek(ctx, "shared", 15)
	if err != nil {
		t.Fatal(err)
	}
	pb, _ := b.Peek(ctx, "shared", 15)
	if pa.Count != 40 || pb.Count != 40 || !pa.Reset.Equal(pb.Reset) {
		t.Fatalf("instances disagree: %+v vs %+v", pa, pb)
	}
	if err := b.Reset(ctx, "shared"); err != nil {
		t.Fatal(err)
	}
	if r, _ := a.Hit(ctx, "shared", 15, time.Minute); !r.Allowed || r.Count != 1 {
		t.Fatalf("after a reset on the other instance: %+v", r)
	}
}

// TestLimiterKeysExpire: a window's key lives as long as the window (on
// Redis's clock), under the store's prefix.
func TestLimiterKeysExpire(t *testing.T) {
	ctx := context.Background()
	prefix := testPrefix(t)
	l := open(t, testAddr(t), nil, redisstore.WithPrefix(prefix)).Limiter()
	if _, err := l.Hit(ctx, "rocketchat|GET me|10.0.0.1", 5, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	c := rawClient(t)
	key := prefix + ":rl:rocketchat|GET me|10.0.0.1"
	ttl, err := c.Do(ctx, c.B().Pttl().Key(key).Build()).AsInt64()
	if err != nil {
		t.Fatal(err)
	}
	if ttl <= 25_000 || ttl > 30_000 {
		t.Fatalf("PTTL %d ms, want about 30000", ttl)
	}
	if _, err := l.Hit(ctx, "rocketchat|GET me|10.0.0.1", 5, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	if ttl2, _ := c.Do(ctx, c.B().Pttl().Key(key).Build()).AsInt64(); ttl2 > ttl {
		t.Fatalf("a later hit moved the window: PTTL %d after %d", ttl2, ttl)
	}
}

// TestLimiterOutage: with Redis cut, the limiter answers EUnavailable at
// once, and counts again when it is back.
func TestLimiterOutage(t *testing.T) {
	addr := testAddr(t)
	if strings.Contains(addr, ",") {
		t.Skipf("%s is a cluster address list", addrEnv)
	}
	target := addr
	if u, err := url.Parse(addr); err == nil && u.Host != "" {
		target = u.Host
	}
	p := storetest.NewProxy(t, target)
	l := open(t, "redis://"+p.Addr()+"?dial_timeout=1s", nil, redisstore.WithPrefix(testPrefix(t))).Limiter()
	ctx := context.Background()
	if _, err := l.Hit(ctx, "k", 5, time.Minute); err != nil {
		t.Fatal(err)
	}
	p.Stop()
	for name, call := range map[string]func(context.Context) error{
		"hit":   func(ctx context.Context) error { _, err := l.Hit(ctx, "k", 5, time.Minute); return err },
		"peek":  func(ctx context.Context) error { _, err := l.Peek(ctx, "k", 5); return err },
		"reset": func(ctx context.Context) error { return l.Reset(ctx, "other") },
	} {
		start := time.Now()
		ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		err := call(ctx)
		cancel()
		if got := auth.ErrorCode(err); got != auth.EUnavailable {
			t.Fatalf("%s while down: got %q (%v)", name, got, err)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Fatalf("%s while down took %v", name, d)
		}
	}
	p.Start()
	deadline := time.Now().Add(10 * time.Second)
	for {
		r, err := l.Hit(ctx, "k", 5, time.Minute)
		if err == nil {
			// The hit that failed during the outage may or may not have
			// reached Redis; the one before it was kept.
			if r.Count < 2 {
				t.Fatalf("the count from before the outage was lost: %+v", r)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no recovery: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
