package store

import (
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sessiond/sessiond/internal/auth"
)

// probeEvery is how often, while an engine is taken for hung, one call is
// let through to find out whether it answers again.
const probeEvery = 250 * time.Millisecond

// errHung is the cause of the calls refused while an engine is taken for
// hung.
var errHung = errors.New("the engine did not answer within the store timeout; calls are refused until it does")

// hang notices an engine that has stopped answering. When a call runs out
// of its own deadline (Options.Timeout; not the caller's), the engine is
// taken for hung: from then on calls are refused at once with
// EUnavailable, so that a request making several calls, and every request
// behind it, answers 503 without waiting the deadline out each time, and
// requests do not pile up behind the engine. One call every probeEvery
// is let through, with the usual deadline; the first call the engine
// answers (found or not, whatever the answer) ends the hang. An engine
// that refuses connections fails fast by itself and is not taken for hung.
type hang struct {
	hung atomic.Bool // read on every call; the rest under mu

	mu        sync.Mutex
	probing   bool      // a probe is out
	nextProbe time.Time // when the next probe may go
	now       func() time.Time
}

func newHang() *hang { return &hang{now: time.Now} }

// admit reports whether a call may go to the engine.
func (h *hang) admit() bool {
	if h == nil || !h.hung.Load() {
		return true
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.hung.Load() {
		return true
	}
	if h.probing || h.now().Before(h.nextProbe) {
		return false
	}
	h.probing = true
	return true
}

// done records how an admitted call ended: timedOut when it ran out of
// the store's own deadline.
func (h *hang) done(timedOut bool) {
	if h == nil || !timedOut && !h.hung.Load() {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.probing = false
	if timedOut {
		h.hung.Store(true)
		h.nextProbe = h.now().Add(probeEvery)
		return
	}
	h.hung.Store(false)
}

// refused is the error of a call refused while the engine is hung.
func refused(op string) error { return auth.Unavailable(op, errHung) }
