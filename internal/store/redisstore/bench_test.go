package redisstore_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sessiond/sessiond/internal/auth"
	"github.com/sessiond/sessiond/internal/store/redisstore"
	"github.com/sessiond/sessiond/internal/store/storetest"
)

// seed stores 10,000 sessions of one user, live for an hour of wall
// clock, and returns their token hashes.
func seed(b *testing.B, s auth.SessionStore) []auth.Hash {
	b.Helper()
	ctx := context.Background()
	hashes := make([]auth.Hash, 10000)
	var wg sync.WaitGroup
	const workers = 16
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < len(hashes); i += workers {
				x := storetest.NewSession("t", "u", 24*time.Hour)
				x.ExpiresAt = time.Now().Add(time.Hour)
				hashes[i] = x.TokenHash
				if err := s.CreateSession(ctx, x); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	return hashes
}

// BenchmarkSessionByTokenHash reads the sessions in turn, from the warm
// client-side cache and without it.
func BenchmarkSessionByTokenHash(b *testing.B) {
	for _, cached := range []bool{true, false} {
		name := "Cached"
		if !cached {
			name = "Uncached"
		}
		b.Run(name, func(b *testing.B) {
			ctx := context.Background()
			s := open(b, testAddr(b), nil, redisstore.WithPrefix(testPrefix(b)), redisstore.WithClientCache(cached))
			hashes := seed(b, s)
			for _, h := range hashes { // warm the cache
				if _, err := s.SessionByTokenHash(ctx, h); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportAllocs()
			// b.Loop runs this function once, so the sessions are written once.
			before := s.CacheStats()
			for i := 0; b.Loop(); i++ {
				if _, err := s.SessionByTokenHash(ctx, hashes[i%len(hashes)]); err != nil {
					b.Fatal(err)
				}
			}
			reportHits(b, before, s.CacheStats())
		})
	}
}

// BenchmarkSessionByTokenHashParallel checks sessions from many goroutines,
// as a server does: what the client's pipelining (or pool) buys.
func BenchmarkSessionByTokenHashParallel(b *testing.B) {
	ctx := context.Background()
	s := open(b, testAddr(b), nil, redisstore.WithPrefix(testPrefix(b)))
	hashes := seed(b, s)
	var next atomic.Int64
	b.ReportAllocs()
	before := s.CacheStats()
	b.Cleanup(func() { reportHits(b, before, s.CacheStats()) })
	b.ResetTimer()
	b.SetParallelism(8)
	b.RunParallel(func(pb *testing.PB) {
		i := int(next.Add(1000))
		for pb.Next() {
			i++
			if _, err := s.SessionByTokenHash(ctx, hashes[i%len(hashes)]); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// reportHits reports the share of reads the client-side cache answered.
func reportHits(b *testing.B, before, after redisstore.CacheStats) {
	if reads := after.Hits + after.Misses - before.Hits - before.Misses; reads > 0 {
		b.ReportMetric(float64(after.Hits-before.Hits)/float64(reads), "hits/read")
	}
}
