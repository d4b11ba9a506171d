package auth

import (
	"sync"
	"sync/atomic"
	"time"
)

// cache keeps values read from a store for a short time, so that the
// session-check path does not read users and tenants on every request.
// Whatever changes a value drops it here at once (drop, reset) and tells
// the other instances through the ChangeFeed; the TTL bounds staleness
// when such a message is lost.
//
// A fill races with a change: a reader may load the old value from the
// store, the writer drops the entry, and the reader stores the old value
// back. So every fill carries the generation it started in (gen), and put
// refuses a value read before the latest drop.
type cache[K comparable, V any] struct {
	ttl time.Duration // <= 0: nothing is kept
	m   sync.Map      // K -> *cached[V]
	g   atomic.Uint64 // bumped by every drop and reset
}

type cached[V any] struct {
	v  V
	at time.Time
}

// get returns the value of k when it was stored less than the TTL before
// now.
func (c *cache[K, V]) get(k K, now time.Time) (V, bool) {
	var zero V
	if c.ttl <= 0 {
		return zero, false
	}
	e, ok := c.m.Load(k)
	if !ok {
		return zero, false
	}
	x := e.(*cached[V])
	if now.Sub(x.at) >= c.ttl {
		return zero, false
	}
	return x.v, true
}

// gen returns the generation to pass to put for a fill starting now.
func (c *cache[K, V]) gen() uint64 { return c.g.Load() }

// put stores v for k unless something was dropped since gen.
func (c *cache[K, V]) put(k K, v V, now time.Time, gen uint64) {
	if c.ttl <= 0 || c.g.Load() != gen {
		return
	}
	c.m.Store(k, &cached[V]{v: v, at: now})
	if c.g.Load() != gen {
		c.m.Delete(k) // a drop ran between the check and the store
	}
}

// drop forgets k.
func (c *cache[K, V]) drop(k K) {
	c.g.Add(1)
	c.m.Delete(k)
}

// dropIf forgets every entry whose value matches.
func (c *cache[K, V]) dropIf(match func(V) bool) {
	c.g.Add(1)
	c.m.Range(func(k, e any) bool {
		if match(e.(*cached[V]).v) {
			c.m.Delete(k)
		}
		return true
	})
}

// reset forgets everything.
func (c *cache[K, V]) reset() {
	c.g.Add(1)
	c.m.Clear()
}
