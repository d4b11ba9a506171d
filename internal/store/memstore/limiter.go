package memstore

import (
	"context"
	"sync"
	"time"

	"github.com/sessiond/sessiond/internal/auth"
)

var _ auth.Limiter = (*Limiter)(nil)

type window struct {
	count int
	end   int64 // Unix nanoseconds
}

// Limiter is an in-memory auth.Limiter for a single instance.
type Limiter struct {
	mu     sync.Mutex
	counts map[string]*window
	now    func() time.Time
	hits   int
}

// NewLimiter returns an empty limiter on clock now (time.Now when nil).
func NewLimiter(now func() time.Time) *Limiter {
	if now == nil {
		now = time.Now
	}
	return &Limiter{counts: map[string]*window{}, now: now}
}

func result(w *window, limit int) auth.LimitResult {
	if w == nil {
		return auth.LimitResult{Allowed: true, Remaining: limit}
	}
	rem := limit - w.count
	if rem < 0 {
		rem = 0
	}
	return auth.LimitResult{Allowed: w.count <= limit, Count: w.count, Remaining: rem, Reset: time.Unix(0, w.end).UTC()}
}

// Hit implements auth.Limiter.
func (l *Limiter) Hit(_ context.Context, key string, limit int, d time.Duration) (auth.LimitResult, error) {
	now := l.now().UnixNano()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.hits++
	if l.hits%4096 == 0 {
		l.sweep(now)
	}
	w := l.counts[key]
	if w == nil || w.end <= now {
		w = &window{end: now + int64(d)}
		l.counts[key] = w
	}
	w.count++
	return result(w, limit), nil
}

// Peek implements auth.Limiter.
func (l *Limiter) Peek(_ context.Context, key string, limit int) (auth.LimitResult, error) {
	now := l.now().UnixNano()
	l.mu.Lock()
	defer l.mu.Unlock()
	w := l.counts[key]
	if w != nil && w.end <= now {
		w = nil
	}
	r := result(w, limit)
	if w != nil {
		r.Allowed = w.count < limit
	}
	return r, nil
}

// Reset implements auth.Limiter.
func (l *Limiter) Reset(_ context.Context, key string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.counts, key)
	return nil
}

// sweep drops closed windows; it runs every few thousand hits, so the
// table holds only keys seen recently.
func (l *Limiter) sweep(now int64) {
	for k, w := range l.counts {
		if w.end <= now {
			delete(l.counts, k)
		}
	}
}
