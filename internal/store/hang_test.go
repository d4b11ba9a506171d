package store

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/sessiond/sessiond/internal/auth"
)

// stalled is a UserStore whose UserByID waits for its caller's context
// while stall is set, as a client of a hung engine does, and answers
// "not found" at once otherwise.
type stalled struct {
	auth.UserStore
	mu    sync.Mutex
	stall bool
	calls int
}

func (s *stalled) UserByID(ctx context.Context, _, _ string) (*auth.User, error) {
	s.mu.Lock()
	s.calls++
	stall := s.stall
	s.mu.Unlock()
	if stall {
		<-ctx.Done()
		return nil, auth.Unavailable("user by id", ctx.Err())
	}
	return nil, auth.ErrUserNotFound
}

func (s *stalled) set(stall bool) {
	s.mu.Lock()
	s.stall = stall
	s.mu.Unlock()
}

func (s *stalled) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls
}

// TestCallDeadlineAndHang: a call to a networked engine that does not
// answer ends at the store timeout with EUnavailable; the engine is then
// taken for hung and calls are refused at once, but for one probe every
// probeEvery; the first answer ends it. An embedded engine gets neither.
func TestCallDeadlineAndHang(t *testing.T) {
	const timeout = 50 * time.Millisecond
	m := newMetrics(timeout)
	in := &stalled{stall: true}
	users := m.users("postgres", in)
	ctx := context.Background()
	var clock time.Time
	h := m.hangs["postgres"]
	h.now = func() time.Time { return clock }

	start := time.Now()
	_, err := users.UserByID(ctx, "t", "u")
	if took := time.Since(start); auth.ErrorCode(err) != auth.EUnavailable || took < timeout || took > 20*timeout {
		t.Fatalf("first call: %v after %v, want EUnavailable after the %v deadline", err, took, timeout)
	}
	steps := []struct {
		name     string
		advance  time.Duration
		stall    bool
		wantCode string
		reaches  bool // the call reaches the engine
	}{
		{"refused at once while hung", 0, true, auth.EUnavailable, false},
		{"still refused before the probe is due", probeEvery / 2, true, auth.EUnavailable, false},
		{"the probe goes, and times out", probeEvery, true, auth.EUnavailable, true},
		{"refused again after the failed probe", 0, true, auth.EUnavailable, false},
		{"the next probe finds the engine back", probeEvery, false, auth.ENotFound, true},
		{"every call goes again", 0, false, auth.ENotFound, true},
	}
	for _, st := range steps {
		clock = clock.Add(st.advance)
		in.set(st.stall)
		before := in.count()
		_, err := users.UserByID(ctx, "t", "u")
		if got := auth.ErrorCode(err); got != st.wantCode {
			t.Fatalf("%s: got %q (%v), want %q", st.name, got, err, st.wantCode)
		}
		if reached := in.count() > before; reached != st.reaches {
			t.Fatalf("%s: reached the engine %t, want %t", st.name, reached, st.reaches)
		}
	}

	// A caller's own deadline that runs out first is not the engine's
	// fault: it does not make the engine hung.
	in.set(true)
	short, cancel := context.WithTimeout(ctx, timeout/5)
	defer cancel()
	users.UserByID(short, "t", "u")
	in.set(false)
	if _, err := users.UserByID(ctx, "t", "u"); auth.ErrorCode(err) != auth.ENotFound {
		t.Fatalf("after the caller's own timeout: %v, want the engine asked", err)
	}

	// SQLite is in this process: no deadline, no hang.
	local := &stalled{}
	lu := m.users("sqlite", local)
	lctx, lcancel := context.WithTimeout(ctx, 4*timeout)
	defer lcancel()
	local.set(true)
	start = time.Now()
	lu.UserByID(lctx, "t", "u")
	if took := time.Since(start); took < 4*timeout {
		t.Fatalf("an embedded engine's call ended after %v, before its caller's deadline", took)
	}
}
