package server

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// dedupInterval is how often one cause of warnings and errors is logged
// at most.
const dedupInterval = 10 * time.Second

// dedupHandler collapses repeats of one cause of warnings and errors, so
// that a flood (thousands of sign-ins refused by a full hash queue, an
// engine down) writes one line per interval rather than one per request.
// A cause is the level, the message and the "err" attribute. The first
// record of a cause in an interval is written; the others are counted,
// and the first one after the interval is written with "repeated": how
// many were left out before it. Records below WARN pass untouched.
type dedupHandler struct {
	next  slog.Handler
	state *dedupState // shared with the handlers WithAttrs and WithGroup make
}

type dedupState struct {
	now      func() time.Time
	interval time.Duration
	mu       sync.Mutex
	causes   map[dedupKey]*dedupCause
}

type dedupKey struct {
	level slog.Level
	msg   string
	err   string
}

type dedupCause struct {
	since   time.Time // when the current interval began
	dropped int       // records left out in it
}

// maxCauses bounds the causes remembered; beyond it the stale ones go.
const maxCauses = 1024

func newDedupHandler(next slog.Handler, interval time.Duration, now func() time.Time) *dedupHandler {
	return &dedupHandler{next: next, state: &dedupState{now: now, interval: interval, causes: map[dedupKey]*dedupCause{}}}
}

// Enabled implements slog.Handler.
func (h *dedupHandler) Enabled(ctx context.Context, l slog.Level) bool { return h.next.Enabled(ctx, l) }

// Handle implements slog.Handler.
func (h *dedupHandler) Handle(ctx context.Context, r slog.Record) error {
	if r.Level < slog.LevelWarn {
		return h.next.Handle(ctx, r)
	}
	k := dedupKey{level: r.Level, msg: r.Message}
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "err" {
			k.err = a.Value.String()
			return false
		}
		return true
	})
	dropped, ok := h.state.admit(k)
	if !ok {
		return nil
	}
	if dropped > 0 {
		r = r.Clone()
		r.AddAttrs(slog.Int("repeated", dropped))
	}
	return h.next.Handle(ctx, r)
}

// admit reports whether a record of cause k is written now, and how many
// of its records were left out since the last one written.
func (s *dedupState) admit(k dedupKey) (int, bool) {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.causes[k]
	if c != nil && now.Sub(c.since) < s.interval {
		c.dropped++
		return 0, false
	}
	dropped := 0
	if c != nil {
		dropped = c.dropped
	}
	if c == nil && len(s.causes) >= maxCauses {
		for key, old := range s.causes {
			if now.Sub(old.since) >= s.interval {
				delete(s.causes, key)
			}
		}
	}
	s.causes[k] = &dedupCause{since: now}
	return dropped, true
}

// WithAttrs implements slog.Handler.
func (h *dedupHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return &dedupHandler{next: h.next.WithAttrs(as), state: h.state}
}

// WithGroup implements slog.Handler.
func (h *dedupHandler) WithGroup(name string) slog.Handler {
	return &dedupHandler{next: h.next.WithGroup(name), state: h.state}
}
