// Package redisstore keeps sessions in Redis (github.com/redis/rueidis), so
// that several sessiond instances share them: `--session-store redis://...`.
//
// Key layout, with the default prefix "sd" (see docs/storage-postgres-redis.md):
//
//	sd:{t:<tenant>:u:<user>}:s:<id>   hash: one session record
//	sd:{t:<tenant>:u:<user>}:idx      sorted set: the user's session IDs, scored by creation (ms)
//	sd:th:<token hash hex>            string: record key of the session with that token hash
//	sd:sid:<id>                       string: record key of the session with that ID
//	sd:live                           sorted set: every session's ID scored by its expiry (ms), for CountSessions (live.go)
//	sd:live:ready                     string: the live index holds the sessions stored before it existed
//	sd:changes                        pub/sub channel of the change feed (see Feed)
//
// The braces are a cluster hash tag: one user's record and index share a
// slot, so a Lua script changes them together. The two pointer keys live in
// other slots; they are written before the record (a create claims them with
// SET NX, which is also the uniqueness check) and removed after it, and a
// reader that follows a pointer to no record, or to a record that is not the
// one asked for, answers not found. Every key carries a TTL of the session's
// remaining life measured on the store's clock, and reads check the expiry
// against that clock too.
//
// With the client-side cache (the default; cache.go) a session check
// reads the pointer and then the record through it, and makes no round
// trip when both are cached; Redis invalidates them on every instance when
// they change. Without it, a check is one round trip on a single server (a
// script follows the pointer) and two on a cluster (GET the pointer, then
// HGETALL the record), since there the two keys may live on different
// nodes.
package redisstore

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/rueidis"
	"github.com/sessiond/sessiond/internal/auth"
	"github.com/sessiond/sessiond/internal/store/feed"
)

// DefaultPrefix starts every key the store writes.
const DefaultPrefix = "sd"

// minTTL is the shortest TTL a key gets: a session stored after it has
// already expired still lives this long, hidden by the clock check.
const minTTL = time.Second

// Sessions is the Redis session store. It is safe for concurrent use.
type Sessions struct {
	c       rueidis.Client
	k       keys
	now     func() time.Time
	cluster bool        // keys of different slots may live on different nodes
	subs    *feed.Group // the change feed's subscriptions
	// cache is the client-side cache of session reads; nil when off.
	cache        *cacheGroup
	cacheRefused error         // why Redis refused caching, when it did
	stopBeat     chan struct{} // ends the heartbeat
	stopOnce     sync.Once
	beatDone     chan struct{}
}

var _ auth.SessionStore = (*Sessions)(nil)

// Option changes how Open sets up the store.
type Option func(*options)

type options struct {
	prefix     string
	noCache    bool
	staleAfter time.Duration
}

// WithPrefix starts every key with prefix instead of DefaultPrefix, so that
// several deployments (or tests) can share one Redis.
func WithPrefix(prefix string) Option { return func(o *options) { o.prefix = prefix } }

// WithClientCache turns the client-side cache of session reads on (the
// default) or off (see cache.go). A URL's client_cache=0 turns it off too.
func WithClientCache(on bool) Option { return func(o *options) { o.noCache = !on } }

// Open connects to Redis and returns the store. addr is a URL
// (redis://[user:password@]host:port[/db], rediss:// for TLS, with the
// query options rueidis reads), or a comma-separated list of host:port
// addresses: one for a single server, several for the seed nodes of a
// cluster (a single address that turns out to be a cluster node works too).
// now is the clock (time.Now when nil). A server that cannot be reached
// gives an EUnavailable error, a malformed addr EInvalid.
func Open(ctx context.Context, addr string, now func() time.Time, opts ...Option) (*Sessions, error) {
	const op = "open redis"
	o := options{prefix: DefaultPrefix, staleAfter: StaleBound}
	for _, f := range opts {
		f(&o)
	}
	if o.prefix == "" || strings.ContainsAny(o.prefix, "{}*?[]\\ ") {
		return nil, &auth.Error{Code: auth.EInvalid, Msg: fmt.Sprintf("invalid Redis key prefix %q", o.prefix), Op: op}
	}
	copt, err := clientOption(addr)
	if err != nil {
		return nil, &auth.Error{Code: auth.EInvalid, Msg: "invalid Redis address", Op: op, Err: err}
	}
	// rueidis retries a read under network errors until the context ends;
	// during an outage that spends the caller's whole deadline. Retry a
	// blip twice, then answer.
	if copt.RetryDelay == nil {
		copt.RetryDelay = retryDelay
	}
	var g *cacheGroup
	var refused error
	c, err := func() (rueidis.Client, error) {
		if o.noCache || copt.DisableCache {
			copt.DisableCache = true
			return rueidis.NewClient(copt)
		}
		cached := copt
		g = newCacheGroup(o.staleAfter)
		cached.NewCacheStoreFn = g.newStore
		// One connection per node (rueidis opens several to a single
		// server): the heartbeat must travel on the connection whose
		// invalidations it vouches for.
		cached.PipelineMultiplex = -1
		c, err := rueidis.NewClient(cached)
		if !errors.Is(err, rueidis.ErrNoCache) {
			return c, err
		}
		// RESP2 only (an old Redis, protocol=2), or CLIENT TRACKING
		// refused (a proxy, an ACL): every read goes to Redis.
		g, refused = nil, err
		copt.DisableCache = true
		return rueidis.NewClient(copt)
	}()
	if err != nil {
		return nil, storeErr(op, err)
	}
	if now == nil {
		now = time.Now
	}
	s := &Sessions{c: c, k: keys{o.prefix}, now: now, cluster: c.Mode() == rueidis.ClientModeCluster, subs: feed.NewGroup(),
		cache: g, cacheRefused: refused}
	if err := s.Ping(ctx); err != nil {
		c.Close()
		return nil, err
	}
	if err := s.fillLive(ctx); err != nil {
		c.Close()
		return nil, err
	}
	if g != nil {
		s.beat() // open the cache at once, not a heartbeat later
		s.stopBeat, s.beatDone = make(chan struct{}), make(chan struct{})
		go s.heartbeat(s.stopBeat, s.beatDone)
	}
	return s, nil
}

// maxRetries is how often a read is retried after a network error.
const maxRetries = 2

func retryDelay(attempts int, _ rueidis.Completed, err error) time.Duration {
	if attempts >= maxRetries || errors.Is(err, errRefetch) {
		return -1
	}
	return time.Duration(attempts+1) * 10 * time.Millisecond
}

func clientOption(addr string) (rueidis.ClientOption, error) {
	addr = strings.TrimSpace(addr)
	if strings.Contains(addr, "://") {
		return rueidis.ParseURL(addr)
	}
	var o rueidis.ClientOption
	for _, a := range strings.Split(addr, ",") {
		if a = strings.TrimSpace(a); a != "" {
			o.InitAddress = append(o.InitAddress, a)
		}
	}
	if len(o.InitAddress) == 0 {
		return o, errors.New("no address")
	}
	return o, nil
}

// Close ends the change feed's subscriptions, waits for them, and closes
// the connections. It always returns nil; the error is there so that
// Sessions is an io.Closer like the other stores.
func (s *Sessions) Close() error {
	s.subs.Close()
	if s.stopBeat != nil {
		s.stopOnce.Do(func() { close(s.stopBeat) })
		<-s.beatDone
	}
	s.c.Close()
	return nil
}

// Ping checks Redis answers.
func (s *Sessions) Ping(ctx context.Context) error {
	return storeErr("ping redis", s.c.Do(ctx, s.c.B().Ping().Build()).Error())
}

// storeErr turns a client error into sessiond's error type. Redis's own
// "cannot serve now" replies (LOADING, CLUSTERDOWN, TRYAGAIN, MASTERDOWN,
// READONLY during a failover, BUSY script) and every transport failure
// (dial, I/O, timeout, closed client) are EUnavailable; other Redis errors,
// parse errors and cancellations EInternal.
func storeErr(op string, err error) error {
	if err == nil {
		return nil
	}
	if re, ok := rueidis.IsRedisErr(err); ok {
		msg := re.Error()
		for _, p := range []string{"LOADING", "CLUSTERDOWN", "TRYAGAIN", "MASTERDOWN", "READONLY", "BUSY ", "NOREPLICAS"} {
			if strings.HasPrefix(msg, p) {
				return auth.Unavailable(op, err)
			}
		}
		return auth.Internal(op, err)
	}
	var ae *auth.Error
	if errors.As(err, &ae) || errors.Is(err, context.Canceled) || rueidis.IsParseErr(err) {
		return auth.Internal(op, err)
	}
	return auth.Unavailable(op, err)
}

// keys names the store's keys under one prefix.
type keys struct{ prefix string }

// user is the hash-tagged part shared by one user's keys.
func (k keys) user(tenantID, userID string) string {
	return k.prefix + ":{t:" + escape(tenantID) + ":u:" + escape(userID) + "}"
}

func (k keys) record(tenantID, userID, id string) string {
	return k.user(tenantID, userID) + ":s:" + id
}

func (k keys) index(tenantID, userID string) string { return k.user(tenantID, userID) + ":idx" }

func (k keys) byHash(hexHash string) string { return k.prefix + ":th:" + hexHash }

func (k keys) byID(id string) string { return k.prefix + ":sid:" + id }

// indexOf returns the index key of the user a record key belongs to. The
// tenant and user are escaped, so the first "}" closes the hash tag.
func (k keys) indexOf(record string) (string, bool) {
	i := strings.IndexByte(record, '}')
	if i < 0 || !strings.HasPrefix(record[i+1:], ":s:") {
		return "", false
	}
	return record[:i+1] + ":idx", true
}

// escape percent-encodes the bytes that would make a key ambiguous or move
// the hash tag: ':', '{', '}' and '%' itself.
func escape(s string) string {
	if !strings.ContainsAny(s, ":{}%") {
		return s
	}
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case ':', '{', '}', '%':
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// ttl returns how long keys of a session expiring at exp should live,
// measured on the store's clock, in milliseconds.
func ttl(exp, now time.Time) int64 {
	d := max(exp.Sub(now), minTTL)
	return int64(math.Ceil(float64(d) / float64(time.Millisecond)))
}

// Record fields.
const (
	fID, fHash, fTenant, fUser, fOrigin = "id", "th", "t", "u", "o"
	fCreated, fExpires, fLastSeen       = "c", "e", "l"
	fIP, fUserAgent, fDevice            = "ip", "ua", "dv"
)

// batch is how many keys one pipeline or script call handles when a call
// walks many sessions.
const batch = 256

func ms(t time.Time) string { return strconv.FormatInt(t.UnixMilli(), 10) }

func fromMS(s string) (time.Time, error) {
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return time.Time{}, err
	}
	return time.UnixMilli(v).UTC(), nil
}
