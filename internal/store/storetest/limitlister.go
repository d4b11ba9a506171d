package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/sessiond/sessiond/internal/auth"
)

// LimitLister runs the contract of a Limiter that also lists its open
// windows (auth.LimitLister), which the lockout listing needs.
func LimitLister(t *testing.T, open func(t *testing.T, now func() time.Time) auth.Limiter) {
	ctx := context.Background()
	now := base
	l := open(t, func() time.Time { return now })
	ll, ok := l.(auth.LimitLister)
	if !ok {
		t.Skip("the limiter does not implement auth.LimitLister")
	}
	l.Hit(ctx, "signin:count:b", 5, time.Minute)
	l.Hit(ctx, "signin:count:b", 5, time.Minute)
	l.Hit(ctx, "signin:count:a", 5, 2*time.Minute)
	l.Hit(ctx, "other:a", 5, time.Minute)
	got, err := ll.ListLimits(ctx, "signin:")
	must(t, "list", err)
	if len(got) != 2 || got[0].Key != "signin:count:a" || got[1].Key != "signin:count:b" || got[1].Count != 2 {
		t.Fatalf("list: got %+v", got)
	}
	if !sameTime(got[0].Reset, base.Add(2*time.Minute)) {
		t.Fatalf("reset: got %v, want %v", got[0].Reset, base.Add(2*time.Minute))
	}
	now = base.Add(90 * time.Second)
	got, err = ll.ListLimits(ctx, "signin:")
	must(t, "list after a window closed", err)
	if len(got) != 1 || got[0].Key != "signin:count:a" {
		t.Fatalf("closed windows must not be listed: got %+v", got)
	}
	must(t, "reset", l.Reset(ctx, "signin:count:a"))
	if got, _ := ll.ListLimits(ctx, "signin:"); len(got) != 0 {
		t.Fatalf("after reset: got %+v", got)
	}
}
