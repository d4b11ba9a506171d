package redisstore_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/sessiond/sessiond/internal/auth"
	"github.com/sessiond/sessiond/internal/store/redisstore"
	"github.com/sessiond/sessiond/internal/store/storetest"
)

func TestChangeFeedContract(t *testing.T) {
	storetest.ChangeFeed(t, func(t *testing.T) (a, b auth.ChangeFeed) {
		prefix := testPrefix(t)
		return open(t, testAddr(t), nil, redisstore.WithPrefix(prefix)).Changes(),
			open(t, testAddr(t), nil, redisstore.WithPrefix(prefix)).Changes()
	})
}

// TestChangeFeedPrefixesApart: deployments on one Redis with different
// prefixes do not hear each other.
func TestChangeFeedPrefixesApart(t *testing.T) {
	ctx := t.Context()
	a := open(t, testAddr(t), nil, redisstore.WithPrefix(testPrefix(t))).Changes()
	b := open(t, testAddr(t), nil, redisstore.WithPrefix(testPrefix(t))).Changes()
	ra, rb := storetest.NewRecorder(t), storetest.NewRecorder(t)
	if err := a.Subscribe(ctx, ra.Fn); err != nil {
		t.Fatal(err)
	}
	if err := b.Subscribe(ctx, rb.Fn); err != nil {
		t.Fatal(err)
	}
	mine, theirs := auth.Change{Kind: auth.ChangeTenant, ID: "a"}, auth.Change{Kind: auth.ChangeTenant, ID: "b"}
	if err := a.Publish(ctx, mine); err != nil {
		t.Fatal(err)
	}
	if err := b.Publish(ctx, theirs); err != nil {
		t.Fatal(err)
	}
	ra.Want(t, "a", mine)
	rb.Want(t, "b", theirs)
	ra.Empty(t, "a after b published")
}

// TestChangeFeedResetsAfterReconnecting cuts the subscriber's connection
// to Redis: what is published meanwhile is lost, and once Redis is back
// the subscriber gets a ChangeReset, then what is published after.
func TestChangeFeedResetsAfterReconnecting(t *testing.T) {
	ctx := t.Context()
	prefix := testPrefix(t)
	p := storetest.NewProxy(t, storetest.RedisHost(t))
	cut := open(t, "redis://"+p.Addr()+"?dial_timeout=1s", nil, redisstore.WithPrefix(prefix)).Changes()
	direct := open(t, testAddr(t), nil, redisstore.WithPrefix(prefix)).Changes()
	r := storetest.NewRecorder(t)
	if err := cut.Subscribe(ctx, r.Fn); err != nil {
		t.Fatal(err)
	}
	before := auth.Change{Kind: auth.ChangeUser, TenantID: "t", ID: "before"}
	if err := direct.Publish(ctx, before); err != nil {
		t.Fatal(err)
	}
	r.Want(t, "before the cut", before)

	p.Stop()
	if err := direct.Publish(ctx, auth.Change{Kind: auth.ChangeUser, TenantID: "t", ID: "lost"}); err != nil {
		t.Fatal(err)
	}
	if err := cut.Publish(ctx, auth.Change{Kind: auth.ChangeUser, TenantID: "t", ID: "x"}); auth.ErrorCode(err) != auth.EUnavailable {
		t.Fatalf("publish while Redis is unreachable: got %v, want an %s error", err, auth.EUnavailable)
	}
	p.Start()
	start := time.Now()
	r.Want(t, "after Redis came back", auth.Change{Kind: auth.ChangeReset})
	t.Logf("reset %v after Redis came back", time.Since(start))
	after := auth.Change{Kind: auth.ChangeUser, TenantID: "t", ID: "after"}
	if err := direct.Publish(ctx, after); err != nil {
		t.Fatal(err)
	}
	r.Want(t, "after the reset", after)
	r.Empty(t, "at the end")
}

// TestChangeFeedSubscribeUnreachable: with Redis down, Subscribe fails
// with EUnavailable rather than hanging.
func TestChangeFeedSubscribeUnreachable(t *testing.T) {
	p := storetest.NewProxy(t, storetest.RedisHost(t))
	f := open(t, "redis://"+p.Addr()+"?dial_timeout=1s", nil, redisstore.WithPrefix(testPrefix(t))).Changes()
	p.Stop()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	r := storetest.NewRecorder(t)
	r.End()
	if err := f.Subscribe(ctx, r.Fn); auth.ErrorCode(err) != auth.EUnavailable {
		t.Fatalf("got %v, want an %s error", err, auth.EUnavailable)
	}
}

// TestChangeFeedCloseEndsSubscriptions: closing the store ends its
// subscriptions (their goroutines are gone when Close returns) and later
// Subscribes fail.
func TestChangeFeedCloseEndsSubscriptions(t *testing.T) {
	s, err := redisstore.Open(context.Background(), testAddr(t), nil, redisstore.WithPrefix(testPrefix(t)))
	if err != nil {
		t.Fatal(err)
	}
	r := storetest.NewRecorder(t)
	for range 3 {
		if err := s.Changes().Subscribe(context.Background(), r.Fn); err != nil {
			t.Fatal(err)
		}
	}
	if g := storetest.Goroutines("redisstore.(*Feed)"); len(g) == 0 {
		t.Fatal("no subscription goroutine found: the check below would prove nothing")
	}
	s.Close()
	r.End()
	if g := storetest.Goroutines("redisstore.(*Feed)", "(*Queue).Deliver"); len(g) != 0 {
		t.Fatalf("Close returned before %d subscription goroutines ended:\n%s", len(g), strings.Join(g, "\n\n"))
	}
	storetest.NoGoroutines(t, "redisstore.(*Feed)", "store/feed.")
	if err := s.Changes().Subscribe(context.Background(), r.Fn); auth.ErrorCode(err) != auth.EUnavailable {
		t.Fatalf("Subscribe after Close: got %v, want an %s error", err, auth.EUnavailable)
	}
}
