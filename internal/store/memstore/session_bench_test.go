package memstore_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sessiond/sessiond/internal/auth"
	"github.com/sessiond/sessiond/internal/store/memstore"
	"github.com/sessiond/sessiond/internal/store/storetest"
)

// benchSessions makes n sessions of users users, one IP per user and a
// few User-Agents, lasting an hour from now.
func benchSessions(n, users int) []*auth.Session {
	ids := make([]string, users)
	ips := make([]string, users)
	for i := range ids {
		ids[i] = auth.NewID()
		ips[i] = fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255)
	}
	now := time.Now()
	out := make([]*auth.Session, n)
	for i := range out {
		x := storetest.NewSession(auth.DefaultTenantID, ids[i%users], time.Hour)
		x.CreatedAt, x.LastSeen, x.ExpiresAt = now, now, now.Add(time.Hour)
		x.IP, x.UserAgent = ips[i%users], fmt.Sprintf("bench-agent/%d", i%50)
		out[i] = x
	}
	return out
}

// filled returns a store holding sessions.
func filled(b *testing.B, sessions []*auth.Session) *memstore.SessionStore {
	b.Helper()
	s := memstore.New(nil, 0)
	b.Cleanup(func() { s.Close() })
	for _, x := range sessions {
		if err := s.CreateSession(context.Background(), x); err != nil {
			b.Fatal(err)
		}
	}
	return s
}

func BenchmarkSessionByTokenHashParallel(b *testing.B) {
	sessions := benchSessions(10_000, 100)
	s := filled(b, sessions)
	ctx := context.Background()
	var next atomic.Int64
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := next.Add(1)
			if _, err := s.SessionByTokenHash(ctx, sessions[i%int64(len(sessions))].TokenHash); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

func BenchmarkSessionByID(b *testing.B) {
	sessions := benchSessions(10_000, 100)
	s := filled(b, sessions)
	ctx := context.Background()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if _, err := s.SessionByID(ctx, sessions[i%len(sessions)].ID); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

func BenchmarkCreateSession(b *testing.B) {
	sessions := benchSessions(b.N, max(1, b.N/100))
	s := memstore.New(nil, 0)
	defer s.Close()
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := s.CreateSession(ctx, sessions[i]); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkTouchSession(b *testing.B) {
	sessions := benchSessions(10_000, 100)
	s := filled(b, sessions)
	ctx := context.Background()
	now := time.Now()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		x := sessions[i%len(sessions)]
		if err := s.TouchSession(ctx, x.ID, now, now.Add(time.Hour+time.Duration(i)*time.Millisecond)); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchmarkUserSessions lists one user's 100 sessions among 100,000.
func BenchmarkUserSessions(b *testing.B) {
	sessions := benchSessions(100_000, 1000)
	s := filled(b, sessions)
	ctx := context.Background()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		x := sessions[i%1000]
		got, err := s.UserSessions(ctx, x.TenantID, x.UserID)
		if err != nil || len(got) != 100 {
			b.Fatalf("%d sessions, %v", len(got), err)
		}
		i++
	}
}

// BenchmarkDeleteUserSessions revokes one user's 100 sessions among
// 100,000, putting them back untimed.
func BenchmarkDeleteUserSessions(b *testing.B) {
	sessions := benchSessions(100_000, 1000)
	s := filled(b, sessions)
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		u := i % 1000
		x := sessions[u]
		n, err := s.DeleteUserSessions(ctx, x.TenantID, x.UserID, "")
		if err != nil || n != 100 {
			b.Fatalf("deleted %d, %v", n, err)
		}
		b.StopTimer()
		for j := u; j < len(sessions); j += 1000 {
			if err := s.CreateSession(ctx, sessions[j]); err != nil {
				b.Fatal(err)
			}
		}
		b.StartTimer()
	}
}

// BenchmarkSweep drops expired sessions, one janitor batch at a time.
func BenchmarkSweep(b *testing.B) {
	now := time.Now()
	clock := func() time.Time { return now }
	s := memstore.New(func() time.Time { return clock() }, 0)
	defer s.Close()
	ctx := context.Background()
	sessions := benchSessions(b.N, max(1, b.N/100))
	for _, x := range sessions {
		if err := s.CreateSession(ctx, x); err != nil {
			b.Fatal(err)
		}
	}
	later := now.Add(2 * time.Hour)
	clock = func() time.Time { return later }
	b.ReportAllocs()
	b.ResetTimer()
	for dropped := 0; dropped < b.N; {
		n := s.Sweep()
		if n == 0 {
			b.Fatalf("swept %d of %d", dropped, b.N)
		}
		dropped += n
	}
}

// BenchmarkMemoryPerSession reports the live heap per session, indexes
// included, at 100,000 sessions of 1,000 users (the budget is 400
// bytes at 1,000,000 of 10,000; go run ./bench measures that size).
func BenchmarkMemoryPerSession(b *testing.B) {
	const n = 100_000
	ctx := context.Background()
	for b.Loop() {
		sessions := benchSessions(n, n/100)
		before := liveHeap()
		s := memstore.New(nil, 0)
		for _, x := range sessions {
			if err := s.CreateSession(ctx, x); err != nil {
				b.Fatal(err)
			}
		}
		after := liveHeap()
		// The inputs are live at both readings, so the difference is the store's.
		b.ReportMetric(float64(int64(after)-int64(before))/n, "B/session")
		runtime.KeepAlive(sessions)
		runtime.KeepAlive(s)
		s.Close()
	}
}

func liveHeap() uint64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// TestTokenHashPrefixCollision covers two live token hashes sharing the
// 8-byte key of the by-hash index.
func TestTokenHashPrefixCollision(t *testing.T) {
	ctx := context.Background()
	s := memstore.New(nil, 0)
	defer s.Close()
	a := benchSessions(3, 1)
	a[1].TokenHash = a[0].TokenHash
	a[1].TokenHash[31] ^= 1
	a[2].TokenHash = a[0].TokenHash
	a[2].TokenHash[30] ^= 1
	for _, x := range a {
		if err := s.CreateSession(ctx, x); err != nil {
			t.Fatal(err)
		}
	}
	find := func(x *auth.Session, want bool) {
		t.Helper()
		got, err := s.SessionByTokenHash(ctx, x.TokenHash)
		if want && (err != nil || got.ID != x.ID) {
			t.Fatalf("lookup of %s: got %v, %v", x.ID, got, err)
		}
		if !want && auth.ErrorCode(err) != auth.ENotFound {
			t.Fatalf("lookup of deleted %s: %v", x.ID, err)
		}
	}
	for _, x := range a {
		find(x, true)
	}
	dup := benchSessions(1, 1)[0]
	dup.TokenHash = a[1].TokenHash
	if err := s.CreateSession(ctx, dup); auth.ErrorCode(err) != auth.EConflict {
		t.Fatalf("duplicate hash in overflow: got %v, want a conflict", err)
	}
	if err := s.DeleteSession(ctx, a[0].ID); err != nil {
		t.Fatal(err)
	}
	find(a[0], false)
	find(a[1], true)
	find(a[2], true)
	if err := s.CreateSession(ctx, a[0]); err != nil {
		t.Fatal(err)
	}
	for _, x := range a {
		find(x, true)
	}
	if n, err := s.DeleteUserSessions(ctx, a[0].TenantID, a[0].UserID, ""); n != 3 || err != nil {
		t.Fatalf("deleted %d, %v", n, err)
	}
	for _, x := range a {
		find(x, false)
	}
}

// TestSweepOrderRandom checks the expiry heap against a plain count: random
// expiries, renewals and deletions, then sweeps at rising times must drop
// exactly the sessions expired by then.
func TestSweepOrderRandom(t *testing.T) {
	ctx := context.Background()
	base := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	now := base
	s := memstore.New(func() time.Time { return now }, 0)
	defer s.Close()
	rng := rand.New(rand.NewPCG(1, 2))
	sessions := benchSessions(5000, 50)
	expires := map[string]time.Time{}
	for _, x := range sessions {
		x.CreatedAt, x.LastSeen = base, base
		x.ExpiresAt = base.Add(time.Duration(1+rng.IntN(3600)) * time.Second)
		if err := s.CreateSession(ctx, x); err != nil {
			t.Fatal(err)
		}
		expires[x.ID] = x.ExpiresAt
	}
	for i := 0; i < 2000; i++ {
		x := sessions[rng.IntN(len(sessions))]
		if _, ok := expires[x.ID]; !ok {
			continue
		}
		switch rng.IntN(3) {
		case 0:
			if err := s.DeleteSession(ctx, x.ID); err != nil {
				t.Fatal(err)
			}
			delete(expires, x.ID)
		default:
			exp := base.Add(time.Duration(1+rng.IntN(3600)) * time.Second)
			if err := s.TouchSession(ctx, x.ID, base, exp); err != nil {
				t.Fatal(err)
			}
			expires[x.ID] = exp
		}
	}
	for step := time.Duration(0); step <= time.Hour+time.Minute; step += 97 * time.Second {
		now = base.Add(step)
		for s.Sweep() > 0 {
		}
		want := 0
		for _, exp := range expires {
			if exp.After(now) {
				want++
			}
		}
		if got, _ := s.CountSessions(ctx); got != want {
			t.Fatalf("at +%s: %d sessions stored, want %d", step, got, want)
		}
	}
}
