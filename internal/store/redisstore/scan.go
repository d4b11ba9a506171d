package redisstore

import (
	"context"
	"slices"
	"strings"

	"github.com/redis/rueidis"
	"github.com/sessiond/sessiond/internal/auth"
)

// ListSessions implements auth.SessionStore. It is an administrator's
// call and scans: SCAN over the ID pointers (every primary of a cluster),
// sorted, then the records in pipelined batches until f.Limit are found.
func (s *Sessions) ListSessions(ctx context.Context, f auth.SessionFilter) ([]*auth.Session, error) {
	const op = "list sessions"
	ids, err := s.scanIDs(ctx)
	if err != nil {
		return nil, storeErr(op, err)
	}
	ids = ids[sortSearch(ids, f.After):]
	var out []*auth.Session
	for chunk := range slices.Chunk(ids, batch) {
		found, err := s.fetch(ctx, chunk)
		if err != nil {
			return nil, storeErr(op, err)
		}
		for _, x := range found {
			if f.TenantID != "" && x.TenantID != f.TenantID {
				continue
			}
			out = append(out, x)
			if f.Limit > 0 && len(out) == f.Limit {
				return out, nil
			}
		}
	}
	return out, nil
}

// sortSearch returns the index of the first ID after after.
func sortSearch(ids []string, after string) int {
	i, found := slices.BinarySearch(ids, after)
	if found {
		i++
	}
	return i
}

// scanIDs returns the IDs of every ID pointer, sorted and without repeats.
func (s *Sessions) scanIDs(ctx context.Context) ([]string, error) {
	nodes, err := s.primaries(ctx)
	if err != nil {
		return nil, err
	}
	head := s.k.byID("")
	var ids []string
	for _, n := range nodes {
		var cursor uint64
		for {
			e, err := n.Do(ctx, n.B().Scan().Cursor(cursor).Match(head+"*").Count(1000).Build()).AsScanEntry()
			if err != nil {
				return nil, err
			}
			for _, k := range e.Elements {
				ids = append(ids, strings.TrimPrefix(k, head))
			}
			if cursor = e.Cursor; cursor == 0 {
				break
			}
		}
	}
	slices.Sort(ids)
	return slices.Compact(ids), nil
}

// primaries returns a client per node that holds data: the one server, or
// every primary of a cluster (replicas would repeat their primary's keys).
func (s *Sessions) primaries(ctx context.Context) ([]rueidis.Client, error) {
	if s.c.Mode() != rueidis.ClientModeCluster {
		return []rueidis.Client{s.c}, nil
	}
	var out []rueidis.Client
	for _, n := range s.c.Nodes() {
		role, err := n.Do(ctx, n.B().Role().Build()).ToArray()
		if err != nil {
			return nil, err
		}
		if len(role) > 0 {
			if r, _ := role[0].ToString(); r == "master" {
				out = append(out, n)
			}
		}
	}
	return out, nil
}

// fetch returns the live sessions of ids, in the order of ids, following
// their ID pointers in two pipelines.
func (s *Sessions) fetch(ctx context.Context, ids []string) ([]*auth.Session, error) {
	gets := make(rueidis.Commands, len(ids))
	for i, id := range ids {
		gets[i] = s.c.B().Get().Key(s.k.byID(id)).Build()
	}
	var cmds rueidis.Commands
	var want []string
	for i, r := range s.c.DoMulti(ctx, gets...) {
		rec, err := r.ToString()
		if rueidis.IsRedisNil(err) {
			continue
		}
		if err != nil {
			return nil, err
		}
		cmds = append(cmds, s.c.B().Hgetall().Key(rec).Build())
		want = append(want, ids[i])
	}
	if len(cmds) == 0 {
		return nil, nil
	}
	now := s.now()
	var out []*auth.Session
	for i, r := range s.c.DoMulti(ctx, cmds...) {
		m, err := r.AsStrMap()
		if err != nil {
			return nil, err
		}
		if len(m) == 0 {
			continue
		}
		x, err := decode(m)
		if err != nil {
			return nil, err
		}
		if x.ID == want[i] && !x.Expired(now) {
			out = append(out, x)
		}
	}
	return out, nil
}
