package redisstore

import (
	"container/list"
	"context"
	"errors"
	"maps"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/rueidis"
	"github.com/sessiond/sessiond/internal/auth"
)

// Client-side caching of session reads (--redis-client-cache, on by
// default). A session check reads two keys, a pointer (GET) and the record
// it names (HGETALL); with caching both go through rueidis's DoCache.
// Redis tracks the keys each connection read (CLIENT TRACKING over RESP3)
// and, when any client changes or deletes one, pushes an invalidation on
// that connection, which drops the entry. A warm check makes no round trip.
//
// rueidis leaves three things to this file:
//
//   - Read-your-writes. Invalidations arrive asynchronously, also those of
//     this instance's own writes. So each write drops the keys it touched
//     from the local cache once Redis has answered it (drop), and a read of
//     such a key that was in flight meanwhile is answered but not kept.
//   - A bound on staleness when a connection goes quiet without breaking
//     (a partition, a hung proxy or server). rueidis flushes a connection's
//     cache when it breaks, but notices a silent one only after its write
//     timeout (10 s). A heartbeat PINGs every node every heartbeatEvery on
//     the connection that carries the node's invalidations: Redis queues an
//     invalidation on a connection while it runs the write, so a PING sent
//     after a write was acknowledged is answered after its invalidation was
//     applied. An entry is served only while the last heartbeat that every
//     node answered was sent less than StaleBound ago; otherwise the read
//     goes to Redis. A write acknowledged at T is therefore seen by every
//     instance's reads from T+StaleBound on, whatever their connections do.
//   - Counting hits and misses (CacheStats).
const heartbeatEvery = 50 * time.Millisecond

// StaleBound is the longest an instance serves a cached session after a
// write to it was acknowledged elsewhere: no connection's silence can
// make it longer (see above).
const StaleBound = 200 * time.Millisecond

const (
	// cacheTTL is the longest an entry is served; the key's TTL in Redis
	// caps it too, and an invalidation ends it sooner.
	cacheTTL = time.Minute
	// cacheBytes bounds each connection's cache (one connection per
	// node); the least recently used entries go first. A session's three
	// entries take about 1 KiB.
	cacheBytes = 64 << 20
)

// errRefetch is what a read gets when it would wait for a read of the same
// key that was in flight when this instance wrote the key: that answer may
// predate the write, so the read goes to Redis itself.
var errRefetch = errors.New("cached read raced a write of this instance")

// cacheGroup is the client-side cache of one store: every connection's
// cache, the heartbeat's verdict and the counters.
type cacheGroup struct {
	staleAfter time.Duration
	epoch      time.Time    // beat counts from here, on the monotonic clock
	beat       atomic.Int64 // send time of the last heartbeat every node answered, ns after epoch
	hits       atomic.Uint64
	misses     atomic.Uint64

	mu     sync.Mutex
	caches map[*connCache]struct{}

	// memo holds records decoded from cached answers, by record key, each
	// with the answer it came from: a hit that returns that same answer
	// (the same stored message, compared by identity) needs no decoding.
	// An entry leaves with its key's entry in any connection's cache.
	memoMu sync.RWMutex
	memo   map[string]memoEntry
}

type memoEntry struct {
	msg rueidis.RedisMessage
	x   *auth.Session
}

func newCacheGroup(staleAfter time.Duration) *cacheGroup {
	g := &cacheGroup{staleAfter: staleAfter, epoch: time.Now(), caches: map[*connCache]struct{}{}, memo: map[string]memoEntry{}}
	g.beat.Store(-int64(staleAfter)) // closed until the first heartbeat
	return g
}

// newStore is rueidis's NewCacheStoreFn: the cache of one new connection.
func (g *cacheGroup) newStore(rueidis.CacheStoreOption) rueidis.CacheStore {
	c := &connCache{g: g, max: cacheBytes, keys: map[string]map[string]*entry{}}
	g.mu.Lock()
	g.caches[c] = struct{}{}
	g.mu.Unlock()
	return c
}

// fresh reports whether an entry may be served at now.
func (g *cacheGroup) fresh(now time.Time) bool {
	return now.Sub(g.epoch)-time.Duration(g.beat.Load()) < g.staleAfter
}

// beaten records a heartbeat sent at sent and answered by every node.
func (g *cacheGroup) beaten(sent time.Time) {
	d := int64(sent.Sub(g.epoch))
	for {
		old := g.beat.Load()
		if d <= old || g.beat.CompareAndSwap(old, d) {
			return
		}
	}
}

// drop removes keys from every connection's cache (see connCache.drop).
func (g *cacheGroup) drop(keys ...string) {
	g.mu.Lock()
	caches := make([]*connCache, 0, len(g.caches))
	for c := range g.caches {
		caches = append(caches, c)
	}
	g.mu.Unlock()
	for _, c := range caches {
		c.drop(keys)
	}
}

// memoized returns a copy of the record decoded from msg, if msg is the
// answer memoize saw for key.
func (g *cacheGroup) memoized(key string, msg rueidis.RedisMessage) *auth.Session {
	g.memoMu.RLock()
	e, ok := g.memo[key]
	g.memoMu.RUnlock()
	if !ok || e.msg != msg {
		return nil
	}
	x := *e.x
	x.Device = maps.Clone(e.x.Device)
	return &x
}

// memoize records x as the decoding of the cached answer msg of key.
func (g *cacheGroup) memoize(key string, msg rueidis.RedisMessage, x *auth.Session) {
	y := *x
	y.Device = maps.Clone(x.Device)
	g.memoMu.Lock()
	g.memo[key] = memoEntry{msg, &y}
	g.memoMu.Unlock()
}

func (g *cacheGroup) unmemo(key string) {
	g.memoMu.Lock()
	delete(g.memo, key)
	g.memoMu.Unlock()
}

func (g *cacheGroup) forget(c *connCache) {
	g.mu.Lock()
	delete(g.caches, c)
	g.mu.Unlock()
}

// connCache is one connection's cache: rueidis.CacheStore, as its
// documentation (and cache_test.go) describes, plus drop.
type connCache struct {
	g   *cacheGroup
	max int

	mu     sync.Mutex
	keys   map[string]map[string]*entry // by key, then command
	lru    list.List                    // answered entries, least recently used first
	size   int
	closed bool
}

// entry is one command's answer, or its flight while pending.
type entry struct {
	key, cmd string
	done     chan struct{} // closed when the flight ends
	val      rueidis.RedisMessage
	err      error
	xat      int64 // unix ms after which it is not served
	pending  bool
	stale    bool // dropped by a write of this instance while in flight: not kept
	elem     *list.Element
	size     int
}

// Wait is how a read that found the same read in flight gets its answer.
func (e *entry) Wait(ctx context.Context) (rueidis.RedisMessage, error) {
	select {
	case <-e.done:
		return e.val, e.err
	case <-ctx.Done():
		return rueidis.RedisMessage{}, ctx.Err()
	}
}

// refetch is the CacheEntry of a read that must not wait for a stale
// flight.
type refetch struct{}

func (refetch) Wait(context.Context) (rueidis.RedisMessage, error) {
	return rueidis.RedisMessage{}, errRefetch
}

// Flight returns a served entry (a hit), a flight to wait for, or neither:
// then rueidis sends the command and calls Update or Cancel.
func (c *connCache) Flight(key, cmd string, ttl time.Duration, now time.Time) (rueidis.RedisMessage, rueidis.CacheEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return rueidis.RedisMessage{}, nil
	}
	cmds := c.keys[key]
	if e := cmds[cmd]; e != nil {
		switch {
		case e.pending && e.stale:
			return rueidis.RedisMessage{}, refetch{}
		case e.pending:
			return rueidis.RedisMessage{}, e
		case now.UnixMilli() < e.xat && c.g.fresh(now):
			c.lru.MoveToBack(e.elem)
			return e.val, nil
		}
		c.remove(e)
		cmds = c.keys[key] // gone with its last entry
	}
	if cmds == nil {
		cmds = map[string]*entry{}
		c.keys[key] = cmds
	}
	cmds[cmd] = &entry{key: key, cmd: cmd, done: make(chan struct{}), xat: now.Add(ttl).UnixMilli(), pending: true}
	return rueidis.RedisMessage{}, nil
}

// Update keeps the answer of a flight, until the server's expiry at most,
// and hands it to the reads waiting for it.
func (c *connCache) Update(key, cmd string, val rueidis.RedisMessage) int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.keys[key][cmd]
	if e == nil || !e.pending {
		return 0
	}
	if pxat := val.CachePXAT(); pxat > 0 && pxat < e.xat {
		e.xat = pxat
	}
	e.val, e.pending = val, false
	close(e.done)
	if e.stale || c.closed {
		c.unlink(e)
		return e.xat
	}
	e.size = 2*(len(key)+len(cmd)) + val.CacheSize() + 160 // the entry and the maps' share
	e.elem = c.lru.PushBack(e)
	c.size += e.size
	for c.size > c.max {
		c.remove(c.lru.Front().Value.(*entry))
	}
	return e.xat
}

// Cancel ends a flight that failed, handing its error to the reads waiting
// for it.
func (c *connCache) Cancel(key, cmd string, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e := c.keys[key][cmd]; e != nil && e.pending {
		e.err, e.pending = err, false
		close(e.done)
		c.unlink(e)
	}
}

// Delete applies an invalidation from Redis: the answered entries of keys,
// or of every key when keys is nil. A pending flight stays: it was sent
// after the read Redis invalidates, and its answer comes after this on the
// same connection.
func (c *connCache) Delete(keys []rueidis.RedisMessage) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if keys == nil {
		for _, cmds := range c.keys {
			c.removeAnswered(cmds)
		}
		return
	}
	for _, k := range keys {
		if s, err := k.ToString(); err == nil {
			c.removeAnswered(c.keys[s])
		}
	}
}

// Close empties the cache of a connection that broke or closed; pending
// reads get err.
func (c *connCache) Close(err error) {
	c.mu.Lock()
	c.closed = true
	for key, cmds := range c.keys {
		for _, e := range cmds {
			if e.pending {
				e.err, e.pending = err, false
				close(e.done)
			}
		}
		c.g.unmemo(key)
	}
	c.keys, c.size = map[string]map[string]*entry{}, 0
	c.lru.Init()
	c.mu.Unlock()
	c.g.forget(c)
}

// drop removes the answered entries of keys that this instance has just
// written, and marks their reads in flight stale: those answer their own
// caller, are not kept, and nobody else waits for them (refetch).
func (c *connCache) drop(keys []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, k := range keys {
		for _, e := range c.keys[k] {
			if e.pending {
				e.stale = true
			} else {
				c.remove(e)
			}
		}
	}
}

func (c *connCache) removeAnswered(cmds map[string]*entry) {
	for _, e := range cmds {
		if !e.pending {
			c.remove(e)
		}
	}
}

// remove deletes an answered entry.
func (c *connCache) remove(e *entry) {
	if e.elem != nil {
		c.lru.Remove(e.elem)
		c.size -= e.size
		e.elem = nil
	}
	c.unlink(e)
}

// unlink takes e out of the map, if it is still the entry there.
func (c *connCache) unlink(e *entry) {
	cmds := c.keys[e.key]
	if cmds[e.cmd] != e {
		return
	}
	delete(cmds, e.cmd)
	if len(cmds) == 0 {
		delete(c.keys, e.key)
	}
	c.g.unmemo(e.key)
}

// heartbeatBackoff is the longest wait between heartbeats while Redis does
// not answer them (reads go to Redis meanwhile): each failure doubles the
// wait from heartbeatEvery, so that a down Redis is not dialled twenty
// times a second by every instance.
const heartbeatBackoff = time.Second

// heartbeat PINGs every node each heartbeatEvery until stop closes (see
// the top of this file).
func (s *Sessions) heartbeat(stop <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	wait := heartbeatEvery
	t := time.NewTimer(wait)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			if s.beat() {
				wait = heartbeatEvery
			} else {
				wait = min(2*wait, heartbeatBackoff)
			}
			t.Reset(wait)
		}
	}
}

// beat PINGs every node once, on the connection its cached reads use, and
// records the send time when all answered; it reports whether they did.
func (s *Sessions) beat() bool {
	sent := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), s.cache.staleAfter)
	defer cancel()
	var failed atomic.Bool
	var wg sync.WaitGroup
	for _, n := range s.c.Nodes() {
		wg.Go(func() {
			if n.Do(ctx, n.B().Ping().Build()).Error() != nil {
				failed.Store(true)
			}
		})
	}
	wg.Wait()
	if failed.Load() {
		return false
	}
	s.cache.beaten(sent)
	return true
}

// CacheStats counts session reads (SessionByTokenHash, SessionByID) since
// Open: Hits were answered from the client-side cache without a round
// trip (a read that waited for the same read in flight counts as one),
// Misses went to Redis.
type CacheStats struct {
	Hits, Misses uint64
}

// CacheStats returns the client-side cache's counters; zero when caching
// is off.
func (s *Sessions) CacheStats() CacheStats {
	if s.cache == nil {
		return CacheStats{}
	}
	return CacheStats{Hits: s.cache.hits.Load(), Misses: s.cache.misses.Load()}
}

// ClientCache reports whether session reads go through the client-side
// cache and, when caching was asked for but Redis refused it (no RESP3,
// CLIENT TRACKING refused, as by a proxy or an ACL), why.
func (s *Sessions) ClientCache() (on bool, refused error) {
	return s.cache != nil, s.cacheRefused
}

// dropCached removes keys this instance has just written from its cache.
func (s *Sessions) dropCached(keys ...string) {
	if s.cache != nil {
		s.cache.drop(keys...)
	}
}
