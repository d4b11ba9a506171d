package redisstore

import (
	"context"
	"slices"
	"strings"

	"github.com/redis/rueidis"
	"github.com/sessiond/sessiond/internal/auth"
)

var _ auth.LimitLister = (*Limiter)(nil)

// ListLimits implements auth.LimitLister: the open windows whose key
// begins with prefix, in key order. Like the session listing it is an
// administrator's call: it SCANs the limiter's keys under prefix (on every
// primary of a cluster), then reads the windows in pipelined batches.
func (l *Limiter) ListLimits(ctx context.Context, prefix string) ([]auth.LimitEntry, error) {
	const op = "list rate limits"
	head := l.s.k.limit("")
	nodes, err := l.s.primaries(ctx)
	if err != nil {
		return nil, storeErr(op, err)
	}
	var keys []string
	for _, n := range nodes {
		var cursor uint64
		for {
			e, err := n.Do(ctx, n.B().Scan().Cursor(cursor).Match(head+globEscape(prefix)+"*").Count(1000).Build()).AsScanEntry()
			if err != nil {
				return nil, storeErr(op, err)
			}
			keys = append(keys, e.Elements...)
			if cursor = e.Cursor; cursor == 0 {
				break
			}
		}
	}
	slices.Sort(keys)
	keys = slices.Compact(keys)
	out := []auth.LimitEntry{}
	for chunk := range slices.Chunk(keys, batch) {
		cmds := make(rueidis.Commands, len(chunk))
		for i, k := range chunk {
			cmds[i] = l.s.c.B().Hgetall().Key(k).Build()
		}
		for i, r := range l.s.c.DoMulti(ctx, cmds...) {
			m, err := r.AsStrMap()
			if err != nil {
				return nil, storeErr(op, err)
			}
			if c, e, ok := l.window(m); ok {
				out = append(out, auth.LimitEntry{Key: strings.TrimPrefix(chunk[i], head), Count: c, Reset: verdict(c, e, 0).Reset})
			}
		}
	}
	return out, nil
}

// globEscape quotes the characters SCAN MATCH reads as a pattern.
func globEscape(s string) string {
	if !strings.ContainsAny(s, `*?[]\`) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune(`*?[]\`, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}
