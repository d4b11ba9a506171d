package tenantapi

import (
	"crypto/sha256"
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
// The key is SHA-256 of the token kind, the tenant ID and the whole raw
// token, signature included, so a token that differs in any byte (a forged
// signature over the same claims, another kind, another tenant) misses
// and is verified in full. Failures are never cached. Only verified tokens
// are stored, so filling the cache needs valid sessions; it is bounded all
// the same.

// verifiedCacheSize bounds the number of verified tokens kept.
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

// tokenKey identifies a token of a kind in a tenant.
type tokenKey [sha256.Size]byte

// keyOf hashes kind, tenant ID and raw token. Kinds and IDs hold no NUL,
// so the encoding is unambiguous.
func keyOf(typ, tenantID, raw string) tokenKey {
	var buf [1024]byte
	b := append(buf[:0], typ...)
	b = append(b, 0)
	b = append(b, tenantID...)
	b = append(b, 0)
	b = append(b, raw...)
	return sha256.Sum256(b)
}

// cachedToken is one entry: the token's claims, the window in which it
// may be served, [from, v.exp) in Unix seconds, and the key that
// verified it. Times are kept as seconds to keep entries small.
type cachedToken struct {
	v    verified
	from int64            // nbf less the leeway; math.MinInt64 without nbf
	key  *auth.SigningKey // shared, never changed
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
	cur, prev map[tokenKey]cachedToken
	puts      int      // inserts into cur
	_         [64]byte // keeps neighbouring locks off one cache line
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
	return &c.shards[k[0]%verifiedShards]
}

// get returns the token's claims if it was verified before, is inside its
// window at now and its key is still one of t's live keys. An entry that
// fails is dropped; the caller verifies in full.
func (c *verifiedCache) get(k tokenKey, t *auth.Tenant, now time.Time) (verified, bool) {
	s := c.shard(k)
	s.mu.RLock()
	e, ok := s.cur[k]
	old := false
	if !ok {
		e, ok = s.prev[k]
		old = ok
	}
	s.mu.RUnlock()
	if !ok {
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
	delete(s.cur, k)
	delete(s.prev, k)
	s.mu.Unlock()
	return verified{}, false
}

// put keeps a token verified at now, unless it has already expired.
func (c *verifiedCache) put(k tokenKey, e cachedToken, now time.Time) {
	if now.Unix() >= e.v.exp {
		return
	}
	s := c.shard(k)
	s.mu.Lock()
	c.insert(s, k, e)
	s.mu.Unlock()
}

// insert adds e to s's current generation, starting a new one when it is
// full. s.mu is held.
func (c *verifiedCache) insert(s *verifiedShard, k tokenKey, e cachedToken) {
	if _, ok := s.cur[k]; ok {
		s.cur[k] = e
		return
	}
	if s.cur == nil || s.puts >= c.gen {
		s.prev, s.cur, s.puts = s.cur, make(map[tokenKey]cachedToken), 0
	}
	s.cur[k] = e
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
