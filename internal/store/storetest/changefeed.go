package storetest

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sessiond/sessiond/internal/auth"
)

// changeWait bounds the wait for one Change.
const changeWait = 5 * time.Second

// Recorder is a subscriber that keeps what it is given, for tests.
type Recorder struct {
	t     testing.TB
	ch    chan auth.Change
	busy  atomic.Int32
	ended atomic.Bool // set by End: fn must not be called after
}

// NewRecorder returns an empty recorder.
func NewRecorder(t testing.TB) *Recorder {
	return &Recorder{t: t, ch: make(chan auth.Change, 10000)}
}

// Fn is the func to Subscribe with. It fails the test if it is called
// from two goroutines at once, after End, or more than the recorder holds.
func (r *Recorder) Fn(c auth.Change) {
	if r.busy.Add(1) != 1 {
		r.t.Errorf("fn called concurrently (with %+v)", c)
	}
	defer r.busy.Add(-1)
	if r.ended.Load() {
		r.t.Errorf("fn called with %+v after its subscription's ctx ended", c)
	}
	select {
	case r.ch <- c:
	default:
		r.t.Errorf("recorder full; %+v dropped", c)
	}
}

// End marks the subscription's ctx as ended: Fn must see nothing more.
func (r *Recorder) End() { r.ended.Store(true) }

// Next returns the next Change, failing the test after 5 s without one.
func (r *Recorder) Next(t testing.TB, what string) auth.Change {
	t.Helper()
	select {
	case c := <-r.ch:
		return c
	case <-time.After(changeWait):
		t.Fatalf("%s: no change within %v", what, changeWait)
		return auth.Change{}
	}
}

// Want checks that the next Changes are want, in order.
func (r *Recorder) Want(t testing.TB, what string, want ...auth.Change) {
	t.Helper()
	for i, w := range want {
		if got := r.Next(t, fmt.Sprintf("%s: change %d of %d", what, i+1, len(want))); got != w {
			t.Fatalf("%s: change %d: got %+v, want %+v", what, i+1, got, w)
		}
	}
}

// Empty fails the test if a Change is waiting.
func (r *Recorder) Empty(t testing.TB, what string) {
	t.Helper()
	select {
	case c := <-r.ch:
		t.Fatalf("%s: got %+v, want nothing", what, c)
	default:
	}
}

// ChangeFeed runs the ChangeFeed contract. open returns two feeds on one
// engine, as two instances have them; their stores close when the test
// ends.
func ChangeFeed(t *testing.T, open func(t *testing.T) (a, b auth.ChangeFeed)) {
	each := []auth.Change{
		{Kind: auth.ChangeTenant, ID: "00000000000000t1"},
		{Kind: auth.ChangeUser, TenantID: "00000000000000t1", ID: "00000000000000u1"},
		{Kind: auth.ChangeReset},
		{Kind: auth.ChangeUser, TenantID: "a|b%c", ID: "u|1 ✓"},
	}
	subscribe := func(t *testing.T, f auth.ChangeFeed, ctx context.Context) *Recorder {
		t.Helper()
		r := NewRecorder(t)
		must(t, "subscribe", f.Subscribe(ctx, r.Fn))
		return r
	}

	t.Run("EveryKindToEveryInstance", func(t *testing.T) {
		a, b := open(t)
		ctx := t.Context()
		ra, rb := subscribe(t, a, ctx), subscribe(t, b, ctx)
		// No wait: a Change published once Subscribe has returned arrives.
		for _, c := range each {
			must(t, fmt.Sprintf("publish %+v", c), a.Publish(ctx, c))
		}
		ra.Want(t, "publisher's own subscriber", each...)
		rb.Want(t, "other instance's subscriber", each...)
		must(t, "publish from b", b.Publish(ctx, each[1]))
		ra.Want(t, "a hears b", each[1])
		rb.Want(t, "b hears itself", each[1])
	})
	t.Run("InOrder", func(t *testing.T) {
		a, b := open(t)
		ctx := t.Context()
		ra, rb := subscribe(t, a, ctx), subscribe(t, b, ctx)
		var want []auth.Change
		for i := range 200 {
			c := auth.Change{Kind: auth.ChangeUser, TenantID: "t", ID: fmt.Sprintf("u%03d", i)}
			want = append(want, c)
			must(t, "publish", a.Publish(ctx, c))
		}
		ra.Want(t, "publisher's own subscriber", want...)
		rb.Want(t, "other instance's subscriber", want...)
	})
	t.Run("SeveralSubscribersOfOneInstance", func(t *testing.T) {
		a, b := open(t)
		ctx := t.Context()
		r1, r2 := subscribe(t, b, ctx), subscribe(t, b, ctx)
		c := auth.Change{Kind: auth.ChangeTenant, ID: "x"}
		must(t, "publish", a.Publish(ctx, c))
		r1.Want(t, "first", c)
		r2.Want(t, "second", c)
	})
	t.Run("EndedSubscriptionGetsNothing", func(t *testing.T) {
		a, b := open(t)
		ctx := t.Context()
		ended, end := context.WithCancel(ctx)
		gone := subscribe(t, a, ended)
		stays := subscribe(t, b, ctx)
		first := auth.Change{Kind: auth.ChangeUser, TenantID: "t", ID: "before"}
		must(t, "publish before", a.Publish(ctx, first))
		gone.Want(t, "before its end", first)
		stays.Want(t, "before the other's end", first)
		end()
		gone.End()
		after := []auth.Change{{Kind: auth.ChangeUser, TenantID: "t", ID: "after1"}, {Kind: auth.ChangeUser, TenantID: "t", ID: "after2"}}
		for _, c := range after {
			must(t, "publish after", a.Publish(ctx, c))
		}
		stays.Want(t, "live subscription", after...)
		gone.Empty(t, "ended subscription")
	})
	t.Run("SubscribeWithEndedCtx", func(t *testing.T) {
		a, _ := open(t)
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		r := NewRecorder(t)
		r.End()
		if err := a.Subscribe(ctx, r.Fn); err == nil {
			t.Fatal("Subscribe with an ended ctx succeeded")
		}
	})
	t.Run("PublishRejectsUnknownKind", func(t *testing.T) {
		a, _ := open(t)
		if err := a.Publish(t.Context(), auth.Change{Kind: "token", ID: "x"}); auth.ErrorCode(err) != auth.EInvalid {
			t.Fatalf("got %v, want an %s error", err, auth.EInvalid)
		}
	})
}
