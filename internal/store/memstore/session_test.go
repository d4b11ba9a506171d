package memstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/sessiond/sessiond/internal/auth"
	"github.com/sessiond/sessiond/internal/store/memstore"
	"github.com/sessiond/sessiond/internal/store/storetest"
)

func TestSessionStoreContract(t *testing.T) {
	storetest.SessionStore(t, func(t *testing.T, now func() time.Time) auth.SessionStore {
		s := memstore.New(now, 0)
		t.Cleanup(func() { s.Close() })
		return s
	})
}

func TestSweepDropsExpiredInBatches(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	s := memstore.New(func() time.Time { return now }, 0)
	defer s.Close()
	for i := range 1500 {
		x := storetest.NewSession("t", "u", time.Minute)
		x.ExpiresAt = now.Add(time.Duration(i%3) * time.Minute) // a third expire at once
		if err := s.CreateSession(ctx, x); err != nil {
			t.Fatal(err)
		}
	}
	if n := s.Sweep(); n != 500 {
		t.Fatalf("first sweep dropped %d, want the 500 already expired", n)
	}
	now = now.Add(90 * time.Second)
	if n := s.Sweep(); n != 500 {
		t.Fatalf("second sweep dropped %d, want 500", n)
	}
	if n, _ := s.CountSessions(ctx); n != 500 {
		t.Fatalf("%d left, want 500", n)
	}
	list, _ := s.UserSessions(ctx, "t", "u")
	if len(list) != 500 {
		t.Fatalf("user index holds %d, want 500", len(list))
	}
}

func TestTouchMovesExpiryInHeap(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	s := memstore.New(func() time.Time { return now }, 0)
	defer s.Close()
	x := storetest.NewSession("t", "u", time.Minute)
	x.ExpiresAt = now.Add(time.Minute)
	if err := s.CreateSession(ctx, x); err != nil {
		t.Fatal(err)
	}
	if err := s.TouchSession(ctx, x.ID, now, now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	now = now.Add(2 * time.Minute)
	if n := s.Sweep(); n != 0 {
		t.Fatalf("sweep dropped a renewed session")
	}
	if _, err := s.SessionByTokenHash(ctx, x.TokenHash); err != nil {
		t.Fatalf("renewed session lost: %v", err)
	}
}

func BenchmarkSessionByTokenHash(b *testing.B) {
	ctx := context.Background()
	s := memstore.New(nil, 0)
	defer s.Close()
	hashes := make([]auth.Hash, 10000)
	for i := range hashes {
		x := storetest.NewSession("t", "u", 24*time.Hour)
		x.ExpiresAt = time.Now().Add(time.Hour)
		hashes[i] = x.TokenHash
		s.CreateSession(ctx, x)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := s.SessionByTokenHash(ctx, hashes[i%len(hashes)]); err != nil {
			b.Fatal(err)
		}
	}
}

func TestLimiterContract(t *testing.T) {
	storetest.Limiter(t, func(t *testing.T, now func() time.Time) auth.Limiter { return memstore.NewLimiter(now) })
}
