package httpkit

import (
	"maps"
	"sync"
	"sync/atomic"
)

// cowMap is a map that requests read without a lock: it is never
// changed once published, and adding a key publishes a copy (under mu).
// It suits what is added rarely and read on every request: request
// series, learnt routes.
type cowMap[K comparable, V any] struct {
	m  atomic.Pointer[map[K]V]
	mu sync.Mutex
}

func (c *cowMap[K, V]) get(k K) (V, bool) {
	if m := c.m.Load(); m != nil {
		v, ok := (*m)[k]
		return v, ok
	}
	var zero V
	return zero, false
}

func (c *cowMap[K, V]) len() int {
	if m := c.m.Load(); m != nil {
		return len(*m)
	}
	return 0
}

// add keeps newV() under k, unless k is there already (its value is
// returned) or the map holds limit keys (limit 0: no bound; ok false).
func (c *cowMap[K, V]) add(k K, limit int, newV func() V) (v V, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	next := map[K]V{}
	if cur := c.m.Load(); cur != nil {
		if v, ok := (*cur)[k]; ok {
			return v, true
		}
		if limit > 0 && len(*cur) >= limit {
			return v, false
		}
		next = maps.Clone(*cur)
	}
	v = newV()
	next[k] = v
	c.m.Store(&next)
	return v, true
}
