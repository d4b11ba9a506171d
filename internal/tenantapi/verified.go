package tenantapi

import (
	"hash/maphash"
	"sync"
	"time"

	"github.com/sessiond/sessiond/internal/auth"
)

// Verifying a token costs an RSA-2048 signature check and a JSON parse,
// most of the CPU of GET /auth/me (issue 7). Issue 7 allows caching
// verified tokens until their expiry, keyed by a hash of the token, as
// long as a revocation is still seen at once: the cache holds only what
// the signature proved (user, session, expiry), never the session's
// state, so AuthenticateSession still runs on every request.
//
// An entry is used only while
//
//   - the clock of the service (the one verify checks exp with) is before
//     the token's exp, without the leeway (in the leeway window every
//     request verifies in full, and nothing is cached), and not before its
//     nbf less the leeway;
//   - the key that verified the signature is still a live key of the
//     tenant as the handler sees it now (present with the same material,
//     not retired): a rotated-out key stops its tokens when it retires,
//     and a removed key or a changed tenant within the tenant cache's 2 s,
//     as without the cache.
//
// An entry is found by a keyed hash (hash/maphash, seeded per process) of
// the token kind, the tenant ID and the whole raw token, and holds all
// three: it answers only a token equal to its own in every byte, signature
// included, so a token that differs in any byte (a forged signature over
// the same claims, another kind, another tenant) misses and is verified in
// full. (A SHA-256 of the token as the key, without the token, took a
// tenth of the check's CPU: the token is some 800 bytes.) Failures are
// never cached. Only verified tokens are stored, so filling the cache
// needs valid sessions; it is bounded all the same.

// verifiedCacheSize bounds the number of verified tokens kept (each some
// 800 bytes, with its entry about 1 KB).
const verifiedCacheSize = 100_000

// verifiedShards is the number of independently locked parts of the
// cache; a power of two.
const verifiedShards = 64

// verified is what an authentic token of the expected kind and tenant
// says. Its strings are shared, never changed.
type verified struct {
	userID    string
	sessionID string
	exp       int64 // Unix seconds (JWT times are whole seconds)
}

// expiry is the token's exp.
func (v verified) expiry() time.Time { return time.Unix(v.exp, 0) }

// tokenKey identifies a token of a kind in a tenant: the strings
// themselves and their hash, which places the entry.
type tokenKey struct {
	h                  uint64
	typ, tenantID, raw string
}

// keySeed seeds the hash of every tokenKey of this process.
var keySeed = maphash.MakeSeed()

// keyOf is the key of a raw token of kind typ in a tenant. Kinds and IDs
// hold no NUL, so the hashed encoding is unambiguous.
func keyOf(typ, tenantID, raw string) tokenKey {
	var h maphash.Hash
	h.SetSeed(keySeed)
	h.WriteString(typ)
	h.WriteByte(0)
	h.WriteString(tenantID)
	h.WriteByte(0)
	h.WriteString(raw)
	return tokenKey{h: h.Sum64(), typ: typ, tenantID: tenantID, raw: raw}
}

// cachedToken is one entry: the token's claims, the window in which it
// may be served, [from, v.exp) in Unix seconds, and the key that
// verified it. Times are kept as seconds to keep entries small.
type cachedToken struct {
	v    verified
	from int64            // nbf less the leeway; math.MinInt64 without nbf
	key  *auth.SigningKey // shared, never changed
	id   tokenKey         // the token it stands for (set by put)
}

// is reports whether the entry stands for the token of k.
func (e *cachedToken) is(k tokenKey) bool {
	return e.id.raw == k.raw && e.id.typ == k.typ && e.id.tenantID == k.tenantID
}

// within reports whether the entry may be served at now. Both ends are
// whole seconds, so comparing now's whole seconds (Unix floors) is exact.
func (e *cachedToken) within(now time.Time) bool {
	sec := now.Unix()
	return sec < e.v.exp && sec >= e.from
}

// verifiedShard is one part of the cache, in two generations: entries go
// into cur; when cur has taken its share of inserts it becomes prev and the
// old prev is dropped whole. A hit in prev moves the entry to cur, so
// tokens in use survive and idle or expired ones age out. Dropping whole
// maps, rather than deleting from one, keeps memory bounded however many
// tokens pass through (a Go map never shrinks, and deletions leave
// tombstones that make it grow).
type verifiedShard struct {
	mu        sync.RWMutex
	cur, prev map[uint64]cachedToken // by tokenKey.h
	puts      int                    // inserts into cur
	_         [64]byte               // keeps neighbouring locks off one cache line
}

// verifiedCache maps tokenKey to cachedToken: at most size entries, in
// verifiedShards shards of two generations of size/verifiedShards/2.
type verifiedCache struct {
	gen    int // inserts a generation takes
	shards [verifiedShards]verifiedShard
}

func newVerifiedCache(size int) *verifiedCache {
	return &verifiedCache{gen: max(1, size/verifiedShards/2)}
}

func (c *verifiedCache) shard(k tokenKey) *verifiedShard {
	return &c.shards[k.h%verifiedShards]
}

// get returns the token's claims if it was verified before, is inside its
// window at now and its key is still one of t's live keys. An entry that
// fails is dropped; the caller verifies in full. (An entry of another
// token under the same hash is a miss, and stays until put replaces it.)
func (c *verifiedCache) get(k tokenKey, t *auth.Tenant, now time.Time) (verified, bool) {
	s := c.shard(k)
	s.mu.RLock()
	e, ok := s.cur[k.h]
	old := false
	if !ok {
		e, ok = s.prev[k.h]
		old = ok
	}
	s.mu.RUnlock()
	if !ok || !e.is(k) {
		return verified{}, false
	}
	if e.within(now) {
		if t.KeyLive(e.key, now) {
			if old {
				s.mu.Lock()
				c.insert(s, k, e)
				s.mu.Unlock()
			}
			return e.v, true
		}
	}
	s.mu.Lock()
	if x, ok := s.cur[k.h]; ok && x.is(k) {
		delete(s.cur, k.h)
	}
	if x, ok := s.prev[k.h]; ok && x.is(k) {
		delete(s.prev, k.h)
	}
	s.mu.Unlock()
	return verified{}, false
}

// put keeps a token verified at now, unless it has already expired.
func (c *verifiedCache) put(k tokenKey, e cachedToken, now time.Time) {
	if now.Unix() >= e.v.exp {
		return
	}
	e.id = k
	s := c.shard(k)
	s.mu.Lock()
	c.insert(s, k, e)
	s.mu.Unlock()
}

// insert adds e to s's current generation, starting a new one when it is
// full. s.mu is held.
func (c *verifiedCache) insert(s *verifiedShard, k tokenKey, e cachedToken) {
	if _, ok := s.cur[k.h]; ok {
		s.cur[k.h] = e
		return
	}
	if s.cur == nil || s.puts >= c.gen {
		s.prev, s.cur, s.puts = s.cur, make(map[uint64]cachedToken), 0
	}
	s.cur[k.h] = e
	s.puts++
}

// len counts the entries (one in both generations counts twice).
func (c *verifiedCache) len() int {
	n := 0
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.RLock()
		n += len(s.cur) + len(s.prev)
		s.mu.RUnlock()
	}
	return n
}
