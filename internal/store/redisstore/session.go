package redisstore

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"time"

	"github.com/redis/rueidis"
	"github.com/sessiond/sessiond/internal/auth"
)

// createRecord writes a record and adds it to its user's index.
// KEYS: record, index. ARGV: ttl ms, score (created ms), id, field, value...
// The pointers were claimed first, so a record left over under this key
// (its pointers long gone) is replaced whole.
var createRecord = rueidis.NewLuaScript(`
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], unpack(ARGV, 4))
redis.call('PEXPIRE', KEYS[1], ARGV[1])
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[3])
if redis.call('PTTL', KEYS[2]) < tonumber(ARGV[1]) then redis.call('PEXPIRE', KEYS[2], ARGV[1]) end
return 1`)

// touchRecord sets last-seen and expiry of a live record and its TTL, and
// returns its token hash; nil when there is no live record.
// KEYS: record, index. ARGV: now ms, last seen ms, expires ms, ttl ms, id.
var touchRecord = rueidis.NewLuaScript(`
local v = redis.call('HMGET', KEYS[1], 'e', 'th', 'c')
if not v[1] or tonumber(v[1]) <= tonumber(ARGV[1]) then return false end
redis.call('HSET', KEYS[1], 'l', ARGV[2], 'e', ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
redis.call('ZADD', KEYS[2], v[3], ARGV[5])
if redis.call('PTTL', KEYS[2]) < tonumber(ARGV[4]) then redis.call('PEXPIRE', KEYS[2], ARGV[4]) end
return v[2]`)

// updateClient sets last-seen, IP, User-Agent and device headers of a live
// record (an empty device argument removes them) and leaves its expiry,
// and so every TTL, alone. It re-adds the index entry, as touchRecord
// does, and keeps the index living at least as long as the record. It
// returns nil when there is no live record: it never writes a record that
// has gone.
// KEYS: record, index. ARGV: now ms, last seen ms, ip, user agent, device, id.
var updateClient = rueidis.NewLuaScript(`
local v = redis.call('HMGET', KEYS[1], 'e', 'c')
if not v[1] or tonumber(v[1]) <= tonumber(ARGV[1]) then return false end
redis.call('HSET', KEYS[1], 'l', ARGV[2], 'ip', ARGV[3], 'ua', ARGV[4])
if ARGV[5] == '' then redis.call('HDEL', KEYS[1], 'dv') else redis.call('HSET', KEYS[1], 'dv', ARGV[5]) end
redis.call('ZADD', KEYS[2], v[2], ARGV[6])
local left = redis.call('PTTL', KEYS[1])
if left > 0 and redis.call('PTTL', KEYS[2]) < left then redis.call('PEXPIRE', KEYS[2], left) end
return 1`)

// deleteRecords removes records and their index entries and returns, for
// each, its token hash, or "" when there was no record.
// KEYS: index, record... ARGV: id... (one per record).
var deleteRecords = rueidis.NewLuaScript(`
local out = {}
for i = 2, #KEYS do
  local th = redis.call('HGET', KEYS[i], 'th')
  redis.call('ZREM', KEYS[1], ARGV[i - 1])
  if th then
    redis.call('DEL', KEYS[i])
    out[i - 1] = th
  else
    out[i - 1] = ''
  end
end
return out`)

func encode(x *auth.Session) []string {
	f := []string{
		fID, x.ID, fHash, x.TokenHash.String(), fTenant, x.TenantID, fUser, x.UserID, fOrigin, string(x.Origin),
		fCreated, ms(x.CreatedAt), fExpires, ms(x.ExpiresAt), fLastSeen, ms(x.LastSeen), fIP, x.IP, fUserAgent, x.UserAgent,
	}
	if d := deviceJSON(x.Device); d != "" {
		f = append(f, fDevice, d)
	}
	return f
}

// deviceJSON is the device field: the headers as JSON, "" when none.
func deviceJSON(d map[string]string) string {
	if len(d) == 0 {
		return ""
	}
	b, _ := json.Marshal(d)
	return string(b)
}

func decode(m map[string]string) (*auth.Session, error) {
	x := &auth.Session{ID: m[fID], TenantID: m[fTenant], UserID: m[fUser], Origin: auth.Origin(m[fOrigin]), IP: m[fIP], UserAgent: m[fUserAgent]}
	var ok bool
	if x.TokenHash, ok = auth.ParseHash(m[fHash]); !ok {
		return nil, auth.Errorf(auth.EInternal, "session record %s: bad token hash", x.ID)
	}
	var err error
	for _, t := range []struct {
		dst   *time.Time
		field string
	}{{&x.CreatedAt, fCreated}, {&x.ExpiresAt, fExpires}, {&x.LastSeen, fLastSeen}} {
		if *t.dst, err = fromMS(m[t.field]); err != nil {
			return nil, err
		}
	}
	if d := m[fDevice]; d != "" {
		if err := json.Unmarshal([]byte(d), &x.Device); err != nil {
			return nil, err
		}
	}
	return x, nil
}

// CreateSession implements auth.SessionStore. It claims the ID and token
// hash pointers with SET NX (both or neither), then writes the record and
// the index entry in one script; a crash in between leaves pointers to no
// record, which read as not found and expire with the session.
func (s *Sessions) CreateSession(ctx context.Context, x *auth.Session) error {
	const op = "create session"
	life := ttl(x.ExpiresAt, s.now())
	rec := s.k.record(x.TenantID, x.UserID, x.ID)
	ptrs := []string{s.k.byID(x.ID), s.k.byHash(x.TokenHash.String())}
	// A read of either pointer before the create may be cached as "none".
	defer s.dropCached(ptrs[0], ptrs[1], rec)
	res := s.c.DoMulti(ctx,
		s.c.B().Set().Key(ptrs[0]).Value(rec).Nx().PxMilliseconds(life).Build(),
		s.c.B().Set().Key(ptrs[1]).Value(rec).Nx().PxMilliseconds(life).Build(),
		s.liveAdd(x.ID, x.ExpiresAt))
	var claimed []string
	var fail error
	counted := liveAdded(res[2])
	for i, r := range res[:2] {
		switch err := r.Error(); {
		case err == nil:
			claimed = append(claimed, ptrs[i])
		case rueidis.IsRedisNil(err):
			if fail == nil {
				fail = &auth.Error{Code: auth.EConflict, Msg: "session already exists", Op: op}
			}
		default:
			fail = storeErr(op, err)
		}
	}
	if fail != nil {
		// Give back what was claimed (nobody else can have taken it
		// since): at once after a conflict, which Redis answered; after a
		// failure of the engine in the background, for at most
		// giveBackTimeout, so that the caller answers now. Pointers left
		// behind read as not found and expire with the session.
		switch {
		case len(claimed) == 0 && !counted:
		case auth.ErrorCode(fail) == auth.EConflict:
			s.giveBack(ctx, claimed, x.ID, counted)
		default:
			go s.giveBack(context.WithoutCancel(ctx), claimed, x.ID, counted)
		}
		return fail
	}
	idx, _ := s.k.indexOf(rec)
	args := append([]string{strconv.FormatInt(life, 10), ms(x.CreatedAt), x.ID}, encode(x)...)
	return storeErr(op, createRecord.Exec(ctx, s.c, []string{rec, idx}, args).Error())
}

// giveBackTimeout is how long the release of the pointers of a failed create
// may take.
const giveBackTimeout = 5 * time.Second

// giveBack deletes pointers a failed create claimed, and its entry in the
// live-session index when it added one.
func (s *Sessions) giveBack(ctx context.Context, keys []string, id string, counted bool) {
	ctx, cancel := context.WithTimeout(ctx, giveBackTimeout)
	defer cancel()
	defer s.dropCached(keys...)
	for _, k := range keys {
		s.c.Do(ctx, s.c.B().Del().Key(k).Build())
	}
	if counted {
		s.c.Do(ctx, s.liveRemove(id))
	}
}

// follow reads the record a pointer names in one round trip. The record is
// in another slot than the pointer, so this serves a single server (or a
// Sentinel-managed primary) only, never a cluster.
// KEYS: pointer. Returns the record's fields, or nil for no pointer.
var follow = rueidis.NewLuaScript(`
local rec = redis.call('GET', KEYS[1])
if not rec then return false end
return redis.call('HGETALL', rec)`)

// find follows a pointer to a record and returns the session if it is the
// one asked for (match) and live on the store's clock.
func (s *Sessions) find(ctx context.Context, ptr string, match func(*auth.Session) bool) (*auth.Session, error) {
	x, err := s.read(ctx, ptr)
	if rueidis.IsRedisNil(err) || err == nil && x == nil { // x nil: a dangling pointer
		return nil, auth.ErrSessionNotFound
	}
	if err != nil {
		return nil, storeErr("find session", err)
	}
	if !match(x) || x.Expired(s.now()) {
		return nil, auth.ErrSessionNotFound
	}
	return x, nil
}

// read returns the record a pointer names (nil for none): through the
// client-side cache when it is on, else from Redis.
func (s *Sessions) read(ctx context.Context, ptr string) (*auth.Session, error) {
	if s.cache != nil {
		x, hit, err := s.readCached(ctx, ptr)
		if hit {
			s.cache.hits.Add(1)
		} else {
			s.cache.misses.Add(1)
		}
		if !errors.Is(err, errRefetch) {
			return x, err
		}
	}
	m, err := s.follow(ctx, ptr)
	if err != nil {
		return nil, err
	}
	return decodeRecord(m)
}

// follow reads the record a pointer names from Redis: one script on a
// single server, GET then HGETALL on a cluster.
func (s *Sessions) follow(ctx context.Context, ptr string) (map[string]string, error) {
	if !s.cluster {
		return follow.Exec(ctx, s.c, []string{ptr}, nil).AsStrMap()
	}
	rec, err := s.c.Do(ctx, s.c.B().Get().Key(ptr).Build()).ToString()
	if err != nil {
		return nil, err
	}
	return s.c.Do(ctx, s.c.B().Hgetall().Key(rec).Build()).AsStrMap()
}

// readCached reads the pointer, then the record, through the client-side
// cache; hit is whether neither needed a round trip. A record answered
// from the cache again is decoded once (memo).
func (s *Sessions) readCached(ctx context.Context, ptr string) (x *auth.Session, hit bool, err error) {
	p := s.c.DoCache(ctx, s.c.B().Get().Key(ptr).Cache(), cacheTTL)
	rec, err := p.ToString()
	if err != nil {
		return nil, p.IsCacheHit(), err
	}
	r := s.c.DoCache(ctx, s.c.B().Hgetall().Key(rec).Cache(), cacheTTL)
	hit = p.IsCacheHit() && r.IsCacheHit()
	msg, err := r.ToMessage()
	if err != nil {
		return nil, hit, err
	}
	if r.IsCacheHit() {
		if x := s.cache.memoized(rec, msg); x != nil {
			return x, hit, nil
		}
	}
	m, err := msg.AsStrMap()
	if err != nil {
		return nil, hit, err
	}
	if x, err = decodeRecord(m); err == nil && x != nil && r.IsCacheHit() {
		s.cache.memoize(rec, msg, x)
	}
	return x, hit, err
}

// decodeRecord decodes a record's fields; nil for no fields (no record).
func decodeRecord(m map[string]string) (*auth.Session, error) {
	if len(m) == 0 {
		return nil, nil
	}
	x, err := decode(m)
	if err != nil {
		return nil, auth.Internal("decode session", err)
	}
	return x, nil
}

// SessionByTokenHash implements auth.SessionStore.
func (s *Sessions) SessionByTokenHash(ctx context.Context, h auth.Hash) (*auth.Session, error) {
	return s.find(ctx, s.k.byHash(h.String()), func(x *auth.Session) bool { return x.TokenHash == h })
}

// SessionByID implements auth.SessionStore.
func (s *Sessions) SessionByID(ctx context.Context, id string) (*auth.Session, error) {
	return s.find(ctx, s.k.byID(id), func(x *auth.Session) bool { return x.ID == id })
}

// recordOf returns the record and index keys the ID pointer names.
func (s *Sessions) recordOf(ctx context.Context, op, id string) (rec, idx string, err error) {
	rec, err = s.c.Do(ctx, s.c.B().Get().Key(s.k.byID(id)).Build()).ToString()
	if rueidis.IsRedisNil(err) {
		return "", "", auth.ErrSessionNotFound
	}
	if err != nil {
		return "", "", storeErr(op, err)
	}
	idx, ok := s.k.indexOf(rec)
	if !ok {
		return "", "", auth.Errorf(auth.EInternal, "session pointer %s: bad record key %q", id, rec)
	}
	return rec, idx, nil
}

// TouchSession implements auth.SessionStore. The record moves first, then
// the pointers' TTLs follow: a crash in between ends the session early
// (its pointers expire first), never keeps a pointer alive past it
// unnoticed.
func (s *Sessions) TouchSession(ctx context.Context, id string, lastSeen, expiresAt time.Time) error {
	const op = "touch session"
	now := s.now()
	rec, idx, err := s.recordOf(ctx, op, id)
	if err != nil {
		return err
	}
	life := ttl(expiresAt, now)
	th, err := touchRecord.Exec(ctx, s.c, []string{rec, idx},
		[]string{ms(now), ms(lastSeen), ms(expiresAt), strconv.FormatInt(life, 10), id}).ToString()
	s.dropCached(rec)
	if rueidis.IsRedisNil(err) {
		return auth.ErrSessionNotFound
	}
	if err != nil {
		return storeErr(op, err)
	}
	defer s.dropCached(s.k.byID(id), s.k.byHash(th))
	for _, r := range s.c.DoMulti(ctx,
		s.c.B().Pexpire().Key(s.k.byID(id)).Milliseconds(life).Build(),
		s.c.B().Pexpire().Key(s.k.byHash(th)).Milliseconds(life).Build(),
		s.liveMove(id, expiresAt)) {
		if err := r.Error(); err != nil {
			return storeErr(op, err)
		}
	}
	return nil
}

// UpdateSessionClient implements auth.SessionStore. Only the record
// changes, in one script that first checks it is there and live, so a
// session deleted meanwhile stays deleted; the expiry does not move, so
// neither do the pointers' TTLs.
func (s *Sessions) UpdateSessionClient(ctx context.Context, id string, seen time.Time, c auth.Client) error {
	const op = "update session client"
	rec, idx, err := s.recordOf(ctx, op, id)
	if err != nil {
		return err
	}
	err = updateClient.Exec(ctx, s.c, []string{rec, idx},
		[]string{ms(s.now()), ms(seen), c.IP, c.UserAgent, deviceJSON(c.Device), id}).Error()
	s.dropCached(rec)
	if rueidis.IsRedisNil(err) {
		return auth.ErrSessionNotFound
	}
	return storeErr(op, err)
}

// DeleteSession implements auth.SessionStore. The record goes first, then
// the pointers.
func (s *Sessions) DeleteSession(ctx context.Context, id string) error {
	const op = "delete session"
	rec, idx, err := s.recordOf(ctx, op, id)
	if err != nil {
		return err
	}
	gone, err := s.deleteRecords(ctx, op, idx, []string{rec}, []string{id})
	if err != nil {
		return err
	}
	if gone == 0 {
		return auth.ErrSessionNotFound
	}
	return nil
}

// deleteRecords removes records of one user (index idx) and then the
// pointers of those that existed and the live-index entries of all, and
// returns how many existed.
func (s *Sessions) deleteRecords(ctx context.Context, op, idx string, recs, ids []string) (int, error) {
	hashes, err := deleteRecords.Exec(ctx, s.c, append([]string{idx}, recs...), ids).AsStrSlice()
	s.dropCached(recs...)
	if err != nil {
		return 0, storeErr(op, err)
	}
	// Every ID leaves the live index, also one whose record was already
	// gone (a create cut short): it is not a session either way.
	dels := rueidis.Commands{s.liveRemove(ids...)}
	var ptrs []string
	gone := 0
	for i, th := range hashes {
		if th != "" {
			ptrs = append(ptrs, s.k.byID(ids[i]), s.k.byHash(th))
			dels = append(dels, s.c.B().Del().Key(s.k.byID(ids[i])).Build(), s.c.B().Del().Key(s.k.byHash(th)).Build())
			gone++
		}
	}
	defer s.dropCached(ptrs...)
	for _, r := range s.c.DoMulti(ctx, dels...) {
		if err := r.Error(); err != nil {
			// The records are gone; pointers left behind read as not
			// found, entries of the live index expire with the sessions.
			return gone, storeErr(op, err)
		}
	}
	return gone, nil
}

// UserSessions implements auth.SessionStore: the user's index, newest
// first, then the records in one pipeline. Index entries whose record has
// expired are dropped on the way.
func (s *Sessions) UserSessions(ctx context.Context, tenantID, userID string) ([]*auth.Session, error) {
	const op = "user sessions"
	idx := s.k.index(tenantID, userID)
	ids, err := s.c.Do(ctx, s.c.B().Zrevrange().Key(idx).Start(0).Stop(-1).Build()).AsStrSlice()
	if err != nil || len(ids) == 0 {
		return nil, storeErr(op, err)
	}
	cmds := make(rueidis.Commands, len(ids))
	for i, id := range ids {
		cmds[i] = s.c.B().Hgetall().Key(s.k.record(tenantID, userID, id)).Build()
	}
	now := s.now()
	var out []*auth.Session
	var stale []string
	for i, r := range s.c.DoMulti(ctx, cmds...) {
		m, err := r.AsStrMap()
		if err != nil {
			return nil, storeErr(op, err)
		}
		if len(m) == 0 {
			stale = append(stale, ids[i])
			continue
		}
		x, err := decode(m)
		if err != nil {
			return nil, auth.Internal(op, err)
		}
		if !x.Expired(now) {
			out = append(out, x)
		}
	}
	if len(stale) > 0 {
		s.c.Do(ctx, s.c.B().Zrem().Key(idx).Member(stale...).Build()) // best effort
	}
	return out, nil
}

// CountUserSessions implements auth.SessionStore: the size of the user's
// index (ZCARD), which keeps the entries of expired records until
// UserSessions drops them.
func (s *Sessions) CountUserSessions(ctx context.Context, tenantID, userID string) (int, error) {
	n, err := s.c.Do(ctx, s.c.B().Zcard().Key(s.k.index(tenantID, userID)).Build()).AsInt64()
	return int(n), storeErr("count user sessions", err)
}

// DeleteUserSessions implements auth.SessionStore. It reads the user's
// index, then removes the records (and index entries) in scripts of up to
// batch keys, then their pointers. A session created while it runs may
// survive it, as if it had been created just after.
func (s *Sessions) DeleteUserSessions(ctx context.Context, tenantID, userID, except string) (int, error) {
	const op = "delete user sessions"
	idx := s.k.index(tenantID, userID)
	ids, err := s.c.Do(ctx, s.c.B().Zrange().Key(idx).Min("0").Max("-1").Build()).AsStrSlice()
	if err != nil {
		return 0, storeErr(op, err)
	}
	ids = slices.DeleteFunc(ids, func(id string) bool { return id == except })
	total := 0
	for chunk := range slices.Chunk(ids, batch) {
		recs := make([]string, len(chunk))
		for i, id := range chunk {
			recs[i] = s.k.record(tenantID, userID, id)
		}
		n, err := s.deleteRecords(ctx, op, idx, recs, chunk)
		total += n
		if err != nil {
			return total, err
		}
	}
	return total, nil
}
