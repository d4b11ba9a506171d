//go:build unix

package memstore_test

import (
	"context"
	"fmt"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/sessiond/sessiond/internal/auth"
	"github.com/sessiond/sessiond/internal/store/memstore"
	"github.com/sessiond/sessiond/internal/store/storetest"
)

// stream puts n sessions of users users into s, lasting from +1h to +2h,
// without keeping the inputs: what the garbage collector then finds is
// the store's alone.
func stream(tb testing.TB, s *memstore.SessionStore, now time.Time, n, users int) {
	tb.Helper()
	ids := make([]string, users)
	for i := range ids {
		ids[i] = auth.NewID()
	}
	for i := range n {
		x := storetest.NewSession(auth.DefaultTenantID, ids[i%users], time.Hour)
		x.CreatedAt, x.LastSeen = now, now
		x.ExpiresAt = now.Add(time.Hour + time.Duration(int64(time.Hour)*int64(i)/int64(n)))
		x.IP, x.UserAgent = fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255), fmt.Sprintf("bench-agent/%d", i%50)
		if err := s.CreateSession(context.Background(), x); err != nil {
			tb.Fatal(err)
		}
	}
}

// BenchmarkGC is one full garbage collection with a million sessions of
// ten thousand users stored: the marking every collection does while the
// server runs, which checks pay for in assists and in CPU taken.
func BenchmarkGC(b *testing.B) {
	s := memstore.New(nil, 0)
	defer s.Close()
	stream(b, s, time.Now(), 1_000_000, 10_000)
	runtime.GC()
	cpu0 := processCPU(b)
	for b.Loop() {
		runtime.GC()
	}
	b.ReportMetric(float64(processCPU(b)-cpu0)/float64(b.N), "cpu-ns/op")
	runtime.KeepAlive(s)
}

// processCPU is the CPU time the process has used: the collector's work
// whatever the machine's load, where the wall clock measures the load too.
func processCPU(tb testing.TB) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
