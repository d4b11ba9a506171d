package storetest

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sessiond/sessiond/internal/auth"
)

// Limiter runs the Limiter contract. open returns an empty limiter whose
// clock is the func it is given.
func Limiter(t *testing.T, open func(t *testing.T, now func() time.Time) auth.Limiter) {
	ctx := context.Background()
	t.Run("CountsToTheLimit", func(t *testing.T) {
		now := base
		l := open(t, func() time.Time { return now })
		for i := 1; i <= 3; i++ {
			r, err := l.Hit(ctx, "k", 3, time.Minute)
			must(t, "hit", err)
			if !r.Allowed || r.Count != i || r.Remaining != 3-i {
				t.Fatalf("hit %d: %+v", i, r)
			}
			if !sameTime(r.Reset, base.Add(time.Minute)) {
				t.Fatalf("reset %v, want %v", r.Reset, base.Add(time.Minute))
			}
		}
		r, _ := l.Hit(ctx, "k", 3, time.Minute)
		if r.Allowed || r.Remaining != 0 {
			t.Fatalf("fourth hit allowed: %+v", r)
		}
		p, _ := l.Peek(ctx, "k", 3)
		if p.Allowed || p.Count != 4 {
			t.Fatalf("peek over the limit: %+v", p)
		}
		other, _ := l.Hit(ctx, "other", 3, time.Minute)
		if !other.Allowed || other.Count != 1 {
			t.Fatalf("keys are not independent: %+v", other)
		}
	})
	t.Run("WindowEnds", func(t *testing.T) {
		now := base
		l := open(t, func() time.Time { return now })
		for range 3 {
			l.Hit(ctx, "k", 2, time.Minute)
		}
		now = base.Add(61 * time.Second)
		r, err := l.Hit(ctx, "k", 2, time.Minute)
		must(t, "hit", err)
		if !r.Allowed || r.Count != 1 {
			t.Fatalf("new window: %+v", r)
		}
	})
	t.Run("Reset", func(t *testing.T) {
		now := base
		l := open(t, func() time.Time { return now })
		for range 5 {
			l.Hit(ctx, "k", 2, time.Minute)
		}
		must(t, "reset", l.Reset(ctx, "k"))
		p, _ := l.Peek(ctx, "k", 2)
		if !p.Allowed || p.Count != 0 {
			t.Fatalf("after reset: %+v", p)
		}
	})
	t.Run("AtomicUnderConcurrency", func(t *testing.T) {
		now := base
		l := open(t, func() time.Time { return now })
		var allowed atomic.Int32
		var wg sync.WaitGroup
		for range 50 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r, err := l.Hit(ctx, "race", 10, time.Minute)
				if err != nil {
					t.Error(err)
					return
				}
				if r.Allowed {
					allowed.Add(1)
				}
			}()
		}
		wg.Wait()
		if n := allowed.Load(); n != 10 {
			t.Fatalf("%d parallel hits allowed, want exactly 10", n)
		}
	})
}
