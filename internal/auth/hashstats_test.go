package auth_test

import (
	"context"
	"testing"
	"time"

	"github.com/sessiond/sessiond/internal/auth"
)

// TestHasherStats: the pool reports its workers, what runs, what waits,
// and how long each request waited, in the wait buckets.
func TestHasherStats(t *testing.T) {
	h := auth.NewHasher(fastArgon2, 1, 64)
	ctx := context.Background()
	release, err := auth.Acquire(h, ctx, "a")
	if err != nil {
		t.Fatal(err)
	}
	if s := h.Stats(); s.Workers != 1 || s.Running != 1 || s.Waiting != 0 || s.Waits != 1 || s.WaitBuckets[0] != 1 {
		t.Fatalf("one running: %+v", s)
	}
	got := make(chan func())
	go func() {
		r, err := auth.Acquire(h, ctx, "b")
		if err != nil {
			t.Error(err)
		}
		got <- r
	}()
	waitAdmitted(t, h, "b", 1)
	if s := h.Stats(); s.Running != 1 || s.Waiting != 1 || s.Waits != 1 {
		t.Fatalf("one waiting: %+v", s)
	}
	time.Sleep(30 * time.Millisecond) // the wait the second request will report: at least this
	release()
	(<-got)()
	s := h.Stats()
	if s.Running != 0 || s.Waiting != 0 || s.Waits != 2 || s.WaitTotal < 30*time.Millisecond {
		t.Fatalf("after both: %+v", s)
	}
	var inBuckets uint64
	for i, n := range s.WaitBuckets {
		inBuckets += n
		if n > 0 && i > 0 && auth.HashWaitBuckets[i] < 30*time.Millisecond {
			t.Fatalf("a wait of at least 30ms counted at or under %v: %+v", auth.HashWaitBuckets[i], s)
		}
	}
	if inBuckets != 2 {
		t.Fatalf("%d waits in buckets, want 2: %+v", inBuckets, s)
	}
}
