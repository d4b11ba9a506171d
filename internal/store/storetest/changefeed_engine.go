package storetest

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/sessiond/sessiond/internal/auth"
)

// What the Redis and PostgreSQL change feeds' own tests share beyond the
// contract (ChangeFeed): how a feed keeps deployments apart, and how it
// behaves when its engine goes away or its store closes.

// ChangeFeedsApart checks that a and b, feeds of two deployments sharing
// one engine (other key prefixes, other schemas), do not hear each other.
func ChangeFeedsApart(t *testing.T, a, b auth.ChangeFeed) {
	t.Helper()
	ctx := t.Context()
	ra, rb := NewRecorder(t), NewRecorder(t)
	must(t, "subscribe to a", a.Subscribe(ctx, ra.Fn))
	must(t, "subscribe to b", b.Subscribe(ctx, rb.Fn))
	mine, theirs := auth.Change{Kind: auth.ChangeTenant, ID: "a"}, auth.Change{Kind: auth.ChangeTenant, ID: "b"}
	must(t, "publish on a", a.Publish(ctx, mine))
	must(t, "publish on b", b.Publish(ctx, theirs))
	ra.Want(t, "a", mine)
	rb.Want(t, "b", theirs)
	ra.Empty(t, "a after b published")
}

// ChangeFeedResetsAfterReconnecting cuts the subscriber's connection to
// its engine: cut reaches the engine through p, direct without it. What
// is published meanwhile is lost, a Publish on cut fails EUnavailable
// (within 5 s), and once the engine is back the subscriber gets a
// ChangeReset, then what is published after. engine names it in
// messages ("Redis", "the database").
func ChangeFeedResetsAfterReconnecting(t *testing.T, engine string, p *Proxy, cut, direct auth.ChangeFeed) {
	t.Helper()
	ctx := t.Context()
	r := NewRecorder(t)
	must(t, "subscribe", cut.Subscribe(ctx, r.Fn))
	before := auth.Change{Kind: auth.ChangeUser, TenantID: "t", ID: "before"}
	must(t, "publish before the cut", direct.Publish(ctx, before))
	r.Want(t, "before the cut", before)

	p.Stop()
	must(t, "publish while cut", direct.Publish(ctx, auth.Change{Kind: auth.ChangeUser, TenantID: "t", ID: "lost"}))
	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := cut.Publish(pctx, auth.Change{Kind: auth.ChangeUser, TenantID: "t", ID: "x"}); auth.ErrorCode(err) != auth.EUnavailable {
		t.Fatalf("publish while %s is unreachable: got %v, want an %s error", engine, err, auth.EUnavailable)
	}
	p.Start()
	start := time.Now()
	r.Want(t, "after "+engine+" came back", auth.Change{Kind: auth.ChangeReset})
	t.Logf("reset %v after %s came back", time.Since(start), engine)
	after := auth.Change{Kind: auth.ChangeUser, TenantID: "t", ID: "after"}
	must(t, "publish after the reset", direct.Publish(ctx, after))
	r.Want(t, "after the reset", after)
	r.Empty(t, "at the end")
}

// ChangeFeedSubscribeUnreachable checks that Subscribe on f, whose
// engine is reached through p, fails with EUnavailable rather than
// hanging while p is stopped.
func ChangeFeedSubscribeUnreachable(t *testing.T, p *Proxy, f auth.ChangeFeed) {
	t.Helper()
	p.Stop()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	r := NewRecorder(t)
	r.End()
	if err := f.Subscribe(ctx, r.Fn); auth.ErrorCode(err) != auth.EUnavailable {
		t.Fatalf("got %v, want an %s error", err, auth.EUnavailable)
	}
}

// ChangeFeedCloseEndsSubscriptions subscribes three times to the feed
// changes returns, then closes its store with closeStore: the subscriptions'
// goroutines (those running frame, e.g. "pgstore.(*Feed)") must be gone
// when closeStore returns, and a later Subscribe must fail with EUnavailable.
// perSubscription is how many of those goroutines each subscription
// runs, or 0 where that is not fixed (at least one is then wanted, so
// that the check proves something).
func ChangeFeedCloseEndsSubscriptions(t *testing.T, changes func() auth.ChangeFeed, closeStore func(), frame string, perSubscription int) {
	t.Helper()
	r := NewRecorder(t)
	for range 3 {
		must(t, "subscribe", changes().Subscribe(context.Background(), r.Fn))
	}
	g := Goroutines(frame)
	switch {
	case perSubscription > 0 && len(g) != 3*perSubscription:
		t.Fatalf("%d subscription goroutines, want %d:\n%s", len(g), 3*perSubscription, strings.Join(g, "\n\n"))
	case len(g) == 0:
		t.Fatal("no subscription goroutine found: the check below would prove nothing")
	}
	closeStore()
	r.End()
	if g := Goroutines(frame, "(*Queue).Deliver"); len(g) != 0 {
		t.Fatalf("Close returned before %d subscription goroutines ended:\n%s", len(g), strings.Join(g, "\n\n"))
	}
	NoGoroutines(t, frame, "store/feed.")
	if err := changes().Subscribe(context.Background(), r.Fn); auth.ErrorCode(err) != auth.EUnavailable {
		t.Fatalf("Subscribe after Close: got %v, want an %s error", err, auth.EUnavailable)
	}
}
