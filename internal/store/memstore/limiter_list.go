package memstore

import (
	"context"
	"sort"
	"strings"
	"time"

	"github.com/sessiond/sessiond/internal/auth"
)

var _ auth.LimitLister = (*Limiter)(nil)

// ListLimits implements auth.LimitLister: the open windows whose key
// begins with prefix, in key order.
func (l *Limiter) ListLimits(_ context.Context, prefix string) ([]auth.LimitEntry, error) {
	now := l.now().UnixNano()
	l.mu.Lock()
	out := []auth.LimitEntry{}
	for k, w := range l.counts {
		if w.end > now && strings.HasPrefix(k, prefix) {
			out = append(out, auth.LimitEntry{Key: k, Count: w.count, Reset: time.Unix(0, w.end).UTC()})
		}
	}
	l.mu.Unlock()
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out, nil
}
