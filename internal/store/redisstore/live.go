package redisstore

import (
	"context"
	"strconv"
	"time"

	"github.com/redis/rueidis"
)

// The live-session index, <prefix>:live, is a sorted set of every
// session's ID scored by its expiry (Unix ms), kept beside the records
// by the same round trips that write them: a create adds its ID (ZADD NX,
// with the pointer claims), a renewal moves its score (ZADD XX, with the
// pointers' new TTLs), a delete removes it (ZREM, with the pointers). So
// CountSessions, which /metrics asks on every scrape, is a count of the
// scores after now (ZCOUNT, O(log n)) instead of a SCAN of every key;
// expired entries are trimmed by the same call. A step lost to a crash or
// a failure leaves an entry that is counted until its session's expiry,
// never a session that is not counted.
//
// Sessions stored before the index existed are added once, at Open, by a
// scan, after which <prefix>:live:ready marks the index complete.

func (k keys) live() string      { return k.prefix + ":live" }
func (k keys) liveReady() string { return k.prefix + ":live:ready" }

// liveAdd adds a new session to the index.
func (s *Sessions) liveAdd(id string, exp time.Time) rueidis.Completed {
	return s.c.B().Zadd().Key(s.k.live()).Nx().ScoreMember().ScoreMember(float64(exp.UnixMilli()), id).Build()
}

// liveAdded reports whether liveAdd's reply says it added the entry.
func liveAdded(r rueidis.RedisResult) bool {
	n, err := r.AsInt64()
	return err == nil && n == 1
}

// liveMove sets the expiry of a session the index holds.
func (s *Sessions) liveMove(id string, exp time.Time) rueidis.Completed {
	return s.c.B().Zadd().Key(s.k.live()).Xx().ScoreMember().ScoreMember(float64(exp.UnixMilli()), id).Build()
}

// liveRemove removes sessions from the index.
func (s *Sessions) liveRemove(ids ...string) rueidis.Completed {
	return s.c.B().Zrem().Key(s.k.live()).Member(ids...).Build()
}

// CountSessions implements auth.SessionStore: the sessions of the live
// index that expire after now on the store's clock, in one round trip
// that also drops the entries that have expired.
func (s *Sessions) CountSessions(ctx context.Context) (int, error) {
	const op = "count sessions"
	now := strconv.FormatInt(s.now().UnixMilli(), 10)
	res := s.c.DoMulti(ctx,
		s.c.B().Zremrangebyscore().Key(s.k.live()).Min("-inf").Max(now).Build(),
		s.c.B().Zcount().Key(s.k.live()).Min("("+now).Max("+inf").Build())
	if err := res[0].Error(); err != nil {
		return 0, storeErr(op, err)
	}
	n, err := res[1].AsInt64()
	return int(n), storeErr(op, err)
}

// fillLive adds the sessions stored before the live index existed, once:
// it does nothing when the index is marked complete. Several instances
// starting together may each scan; adding an entry twice is harmless.
func (s *Sessions) fillLive(ctx context.Context) error {
	const op = "fill live-session index"
	err := s.c.Do(ctx, s.c.B().Get().Key(s.k.liveReady()).Build()).Error()
	if err == nil {
		return nil
	}
	if !rueidis.IsRedisNil(err) {
		return storeErr(op, err)
	}
	ids, err := s.scanIDs(ctx)
	if err != nil {
		return storeErr(op, err)
	}
	for start := 0; start < len(ids); start += batch {
		found, err := s.fetch(ctx, ids[start:min(start+batch, len(ids))])
		if err != nil {
			return storeErr(op, err)
		}
		if len(found) == 0 {
			continue
		}
		add := s.c.B().Zadd().Key(s.k.live()).Nx().ScoreMember()
		for _, x := range found {
			add = add.ScoreMember(float64(x.ExpiresAt.UnixMilli()), x.ID)
		}
		if err := s.c.Do(ctx, add.Build()).Error(); err != nil {
			return storeErr(op, err)
		}
	}
	return storeErr(op, s.c.Do(ctx, s.c.B().Set().Key(s.k.liveReady()).Value("1").Build()).Error())
}
