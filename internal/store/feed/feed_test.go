package feed_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sessiond/sessiond/internal/auth"
	"github.com/sessiond/sessiond/internal/store/feed"
)

func TestEncodeDecodeRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		c    auth.Change
		want string
	}{
		{"tenant", auth.Change{Kind: auth.ChangeTenant, ID: "00000000000000aa"}, "tenant||00000000000000aa"},
		{"user", auth.Change{Kind: auth.ChangeUser, TenantID: "0000000000000001", ID: "00000000000000bb"}, "user|0000000000000001|00000000000000bb"},
		{"reset", auth.Change{Kind: auth.ChangeReset}, "reset||"},
		{"separators escaped", auth.Change{Kind: auth.ChangeUser, TenantID: "a|b", ID: "50%|x"}, "user|a%7Cb|50%25%7Cx"},
		{"other bytes kept", auth.Change{Kind: auth.ChangeUser, TenantID: "t:{1} é", ID: "u+2/3 ✓"}, "user|t:{1} é|u+2/3 ✓"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			msg, err := feed.Encode(tc.c)
			if err != nil {
				t.Fatalf("encode: %v", err)
			}
			if msg != tc.want {
				t.Fatalf("encode: got %q, want %q", msg, tc.want)
			}
			got, ok := feed.Decode(msg)
			if !ok || got != tc.c {
				t.Fatalf("decode %q: got %+v %v, want %+v", msg, got, ok, tc.c)
			}
		})
	}
}

func TestEncodeRejectsUnknownKind(t *testing.T) {
	for _, k := range []auth.ChangeKind{"", "token", "USER"} {
		if _, err := feed.Encode(auth.Change{Kind: k, ID: "x"}); auth.ErrorCode(err) != auth.EInvalid {
			t.Errorf("kind %q: got %v, want an %s error", k, err, auth.EInvalid)
		}
	}
}

func TestDecodeRejectsMalformed(t *testing.T) {
	for _, msg := range []string{"", "user", "user|t", "user|t|u|x", "token|t|u", "USER|t|u", "user|%zz|u", "user|t|%4"} {
		if c, ok := feed.Decode(msg); ok {
			t.Errorf("Decode(%q) = %+v, want it refused", msg, c)
		}
	}
}

// TestQueueKeepsOrder: changes put from another goroutine come out in
// order, from one goroutine.
func TestQueueKeepsOrder(t *testing.T) {
	q := feed.NewQueue()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	got := make(chan auth.Change, 1000)
	var busy atomic.Int32
	done := make(chan struct{})
	go func() {
		defer close(done)
		q.Deliver(ctx, func(c auth.Change) {
			if busy.Add(1) != 1 {
				t.Error("fn called concurrently")
			}
			got <- c
			busy.Add(-1)
		})
	}()
	go func() {
		for i := range 1000 {
			q.Put(auth.Change{Kind: auth.ChangeUser, ID: string(rune('a' + i%26)), TenantID: time.Duration(i).String()})
		}
	}()
	for i := range 1000 {
		select {
		case c := <-got:
			if want := time.Duration(i).String(); c.TenantID != want {
				t.Fatalf("change %d: got %+v, want tenant %s", i, c, want)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("change %d not delivered", i)
		}
	}
	cancel()
	<-done
}

// TestQueueOverflowBecomesReset: a subscriber more than MaxPending behind
// gets one ChangeReset for what it missed, then what came after.
func TestQueueOverflowBecomesReset(t *testing.T) {
	q := feed.NewQueue()
	for i := range feed.MaxPending + 3 {
		q.Put(auth.Change{Kind: auth.ChangeUser, ID: time.Duration(i).String()})
	}
	ctx, cancel := context.WithCancel(context.Background())
	var got []auth.Change
	q.Deliver(ctx, func(c auth.Change) {
		got = append(got, c)
		if len(got) == 4 {
			cancel()
		}
	})
	want := []auth.Change{
		{Kind: auth.ChangeReset},
		{Kind: auth.ChangeUser, ID: time.Duration(feed.MaxPending).String()},
		{Kind: auth.ChangeUser, ID: time.Duration(feed.MaxPending + 1).String()},
		{Kind: auth.ChangeUser, ID: time.Duration(feed.MaxPending + 2).String()},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d changes %+v, want %+v", len(got), got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("change %d: got %+v, want %+v", i, got[i], want[i])
		}
	}
}

// TestQueueNothingAfterCtx: once ctx has ended, nothing more is delivered.
func TestQueueNothingAfterCtx(t *testing.T) {
	q := feed.NewQueue()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	q.Put(auth.Change{Kind: auth.ChangeReset})
	q.Deliver(ctx, func(c auth.Change) { t.Errorf("delivered %+v after ctx ended", c) })
}

func TestBackoffWaitEndsWithCtx(t *testing.T) {
	var b feed.Backoff
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	start := time.Now()
	if b.Wait(ctx) {
		t.Fatal("Wait reported a full wait on an ended ctx")
	}
	if d := time.Since(start); d > 50*time.Millisecond {
		t.Fatalf("Wait on an ended ctx took %v", d)
	}
	start = time.Now()
	if !b.Wait(context.Background()) {
		t.Fatal("Wait on a live ctx returned false")
	}
	if d := time.Since(start); d < 80*time.Millisecond || d > 2*time.Second {
		t.Fatalf("first wait after one ended wait took %v, want about 200 ms", d)
	}
}

func TestGroupCloseEndsAndWaits(t *testing.T) {
	g := feed.NewGroup()
	var returned atomic.Int32
	for range 3 {
		if err := g.Go(context.Background(), "test", func(ctx context.Context) {
			<-ctx.Done()
			time.Sleep(10 * time.Millisecond) // some cleanup Close must wait for
			returned.Add(1)
		}); err != nil {
			t.Fatal(err)
		}
	}
	g.Close()
	if n := returned.Load(); n != 3 {
		t.Fatalf("Close returned with %d of 3 goroutines done", n)
	}
	if err := g.Go(context.Background(), "test", func(context.Context) { t.Error("ran after Close") }); auth.ErrorCode(err) != auth.EUnavailable {
		t.Fatalf("Go after Close: got %v, want an %s error", err, auth.EUnavailable)
	}
	g.Close()
}

func TestGroupCtxEndsOne(t *testing.T) {
	g := feed.NewGroup()
	defer g.Close()
	ctx, cancel := context.WithCancel(context.Background())
	ended := make(chan struct{})
	if err := g.Go(ctx, "test", func(ctx context.Context) { <-ctx.Done(); close(ended) }); err != nil {
		t.Fatal(err)
	}
	cancel()
	select {
	case <-ended:
	case <-time.After(5 * time.Second):
		t.Fatal("the goroutine's ctx did not end with the caller's")
	}
}
