package httpkit_test

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/sessiond/sessiond/internal/httpkit"
)

// TestAppendTimeMillis: the digits written by hand are AppendFormat's,
// in any zone, at the ends of the years written by hand and past them.
func TestAppendTimeMillis(t *testing.T) {
	times := []time.Time{{}, time.Unix(0, 0), time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC), time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(-1, 12, 31, 23, 59, 59, 0, time.UTC), time.Date(2030, 1, 2, 3, 4, 5, 678901234, time.FixedZone("x", 5*3600+1800))}
	r := rand.New(rand.NewPCG(3, 4))
	for range 20_000 {
		times = append(times, time.Unix(r.Int64N(1<<40)-1<<39, r.Int64N(1e9)).In(time.FixedZone("z", r.IntN(100_000)-50_000)))
	}
	for _, tm := range times {
		want := tm.UTC().Format(httpkit.TimeMillis)
		if got := string(httpkit.AppendTimeMillis([]byte("x"), tm)); got != "x"+want {
			t.Fatalf("AppendTimeMillis(%v) = %s, want x%s", tm, got, want)
		}
	}
}
