package redisstore

import (
	"context"
	"strconv"
	"time"

	"github.com/redis/rueidis"
	"github.com/sessiond/sessiond/internal/auth"
)

// Limiter is an auth.Limiter in Redis: fixed windows shared by every
// instance that uses the same Redis and prefix, so a limit is one budget
// across all of them. It shares the session store's connections.
//
// A window is one hash per counted key, `<prefix>:rl:<key>`, holding the
// count (c) and the window's end (e, Unix ms on the store's clock). A
// script counts atomically: the first hit of a window (no hash, or one
// whose end has passed) writes c=1 and e=now+window and gives the key a
// TTL of the window, later hits HINCRBY c. The end is kept beside the
// count, rather than derived from the key's PTTL, so that every instance
// reports the same Reset for one window, and so that a clock injected in
// tests decides when a window closes; the TTL only evicts old windows.
type Limiter struct {
	s *Sessions
}

var _ auth.Limiter = (*Limiter)(nil)

// Limiter returns the rate-limit counters over the store's connections,
// under the store's prefix.
func (s *Sessions) Limiter() *Limiter { return &Limiter{s: s} }

func (k keys) limit(key string) string { return k.prefix + ":rl:" + key }

// hitWindow counts one event.
// KEYS: window. ARGV: now ms, end ms of a new window, window ms.
// Returns {count, end ms}.
var hitWindow = rueidis.NewLuaScript(`
local v = redis.call('HMGET', KEYS[1], 'c', 'e')
if v[1] and v[2] and tonumber(v[2]) > tonumber(ARGV[1]) then
  return {redis.call('HINCRBY', KEYS[1], 'c', 1), tonumber(v[2])}
end
redis.call('HSET', KEYS[1], 'c', 1, 'e', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return {1, tonumber(ARGV[2])}`)

func verdict(count int, end int64, limit int) auth.LimitResult {
	return auth.LimitResult{
		Allowed: count <= limit, Count: count, Remaining: max(limit-count, 0), Reset: time.UnixMilli(end).UTC(),
	}
}

// Hit implements auth.Limiter.
func (l *Limiter) Hit(ctx context.Context, key string, limit int, window time.Duration) (auth.LimitResult, error) {
	const op = "rate limit hit"
	d := max(window.Milliseconds(), 1)
	now := l.s.now().UnixMilli()
	v, err := hitWindow.Exec(ctx, l.s.c, []string{l.s.k.limit(key)}, []string{
		strconv.FormatInt(now, 10), strconv.FormatInt(now+d, 10), strconv.FormatInt(d, 10),
	}).AsIntSlice()
	if err != nil {
		return auth.LimitResult{}, storeErr(op, err)
	}
	if len(v) != 2 {
		return auth.LimitResult{}, auth.Errorf(auth.EInternal, "rate limit hit: unexpected reply %v", v)
	}
	return verdict(int(v[0]), v[1], limit), nil
}

// window reads a window's count and end; ok is false when there is no open
// window on the store's clock.
func (l *Limiter) window(m map[string]string) (count int, end int64, ok bool) {
	c, err1 := strconv.Atoi(m["c"])
	e, err2 := strconv.ParseInt(m["e"], 10, 64)
	if err1 != nil || err2 != nil || e <= l.s.now().UnixMilli() {
		return 0, 0, false
	}
	return c, e, true
}

// Peek implements auth.Limiter. Allowed says whether one more hit would be.
func (l *Limiter) Peek(ctx context.Context, key string, limit int) (auth.LimitResult, error) {
	m, err := l.s.c.Do(ctx, l.s.c.B().Hgetall().Key(l.s.k.limit(key)).Build()).AsStrMap()
	if err != nil {
		return auth.LimitResult{}, storeErr("rate limit peek", err)
	}
	c, e, ok := l.window(m)
	if !ok {
		return auth.LimitResult{Allowed: true, Remaining: limit}, nil
	}
	r := verdict(c, e, limit)
	r.Allowed = c < limit
	return r, nil
}

// Reset implements auth.Limiter.
func (l *Limiter) Reset(ctx context.Context, key string) error {
	return storeErr("rate limit reset", l.s.c.Do(ctx, l.s.c.B().Del().Key(l.s.k.limit(key)).Build()).Error())
}
