package auth

import (
	"sync/atomic"
	"time"
)

// HashWaitBuckets are the upper bounds of the hash pool's wait histogram.
var HashWaitBuckets = []time.Duration{
	time.Millisecond, 5 * time.Millisecond, 10 * time.Millisecond, 25 * time.Millisecond, 50 * time.Millisecond,
	100 * time.Millisecond, 250 * time.Millisecond, 500 * time.Millisecond, time.Second, 2500 * time.Millisecond, 5 * time.Second,
}

// HashStats is what the hash pool has done and is doing, for metrics.
type HashStats struct {
	Workers int // the pool's size
	Running int // hashes running now
	Waiting int // hashes admitted and waiting for a worker now
	// Waits counts the hashes that got a worker, WaitTotal their waits
	// added up, and WaitBuckets[i] those whose wait was at most
	// HashWaitBuckets[i] and more than the bound before (not cumulative;
	// longer waits are in Waits only).
	Waits       uint64
	WaitTotal   time.Duration
	WaitBuckets []uint64
}

// hashWaits counts the waits of hashes for a worker.
type hashWaits struct {
	count   atomic.Uint64
	nanos   atomic.Int64
	buckets [16]atomic.Uint64 // one per HashWaitBuckets entry
}

func (w *hashWaits) observe(d time.Duration) {
	w.count.Add(1)
	w.nanos.Add(int64(d))
	for i, b := range HashWaitBuckets {
		if d <= b {
			w.buckets[i].Add(1)
			return
		}
	}
}

// Stats returns the pool's counters.
func (h *Hasher) Stats() HashStats {
	h.mu.Lock()
	s := HashStats{Workers: h.workers, Running: h.running, Waiting: h.admitted - h.running}
	h.mu.Unlock()
	s.Waits = h.waits.count.Load()
	s.WaitTotal = time.Duration(h.waits.nanos.Load())
	s.WaitBuckets = make([]uint64, len(HashWaitBuckets))
	for i := range HashWaitBuckets {
		s.WaitBuckets[i] = h.waits.buckets[i].Load()
	}
	return s
}
