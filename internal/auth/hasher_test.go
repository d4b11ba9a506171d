package auth_test

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/sessiond/sessiond/internal/auth"
)

// slowHash is a well-formed argon2id hash whose parameters (16 MiB, 8
// passes) make one verification take a hundred milliseconds or more, so a
// test can hold a pool's only worker while it probes the pool from outside.
// The pools themselves hash at fastArgon2, so a probe let in costs little.
var slowHash = "$argon2id$v=19$m=16384,t=8,p=1$" + strings.Repeat("A", 22) + "$" + strings.Repeat("A", 43)

func errorsIsAny(err error, targets ...error) bool {
	for _, target := range targets {
		if errors.Is(err, target) {
			return true
		}
	}
	return false
}

// occupant is a goroutine holding the pool with one slow hash.
type occupant struct {
	done     chan error   // the hash's result
	attempts atomic.Int64 // calls to Hash begun
}

// occupy runs one slow verification on h and reports its result on o.done. It
// retries while the pool refuses it (a probe may hold the queue for a moment).
func occupy(t testing.TB, h *auth.Hasher) *occupant {
	t.Helper()
	o := &occupant{done: make(chan error, 1)}
	go func() {
		for {
			o.attempts.Add(1)
			_, _, err := h.Verify(context.Background(), slowHash, "occupying password")
			if !errors.Is(err, auth.ErrHashQueueFull) {
				o.done <- err
				return
			}
		}
	}()
	return o
}

// finished fails the test if the occupying hash has ended.
func (o *occupant) finished(t testing.TB, what string) {
	t.Helper()
	select {
	case err := <-o.done:
		t.Fatalf("the occupying hash finished (err %v) %s", err, what)
	default:
	}
}

// untilRefused calls probe until it returns ErrHashQueueFull and returns that
// error. It fails the test if the occupying hash finishes first: the pool
// never refused anything while it was full.
func untilRefused(t testing.TB, o *occupant, probe func() error) error {
	t.Helper()
	for {
		err := probe()
		if errors.Is(err, auth.ErrHashQueueFull) {
			return err
		}
		o.finished(t, "and no probe was refused while it ran")
		// The probe was let in, so the pool was idle: give the occupant
		// a turn (its next attempt, or a moment if it is already in)
		// rather than racing it again.
		before := o.attempts.Load()
		for i := 0; i < 1000 && o.attempts.Load() == before; i++ {
			runtime.Gosched()
		}
		for range 10 {
			runtime.Gosched()
		}
	}
}

func cancelled() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}

// waitWorking returns once the pool's only worker is busy: probes with a
// cancelled context, admitted to the queue, find no free worker and give up
// many times in a row. It fails if the queue is found full.
func waitWorking(t testing.TB, h *auth.Hasher, o *occupant) {
	t.Helper()
	streak := 0
	for streak < 50 {
		_, err := h.Hash(cancelled(), "probe password")
		switch {
		case errors.Is(err, auth.ErrHashQueueFull):
			t.Fatalf("queue full with one request running: %v", err)
		case errors.Is(err, context.Canceled):
			streak++
		default:
			streak = 0 // the pool was idle and the probe ran
		}
		o.finished(t, "before the pool was seen busy")
	}
}

func TestHasherQueueFullRefusesAtOnce(t *testing.T) {
	tests := []struct {
		name  string
		probe func(h *auth.Hasher) error
	}{
		{name: "Hash", probe: func(h *auth.Hasher) error { _, err := h.Hash(context.Background(), "second password"); return err }},
		{name: "Verify", probe: func(h *auth.Hasher) error {
			_, _, err := h.Verify(context.Background(), "$argon2id$v=19$m=64,t=1,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "x")
			return err
		}},
		{name: "VerifyDummy", probe: func(h *auth.Hasher) error { return h.VerifyDummy(context.Background(), "second password") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := auth.NewHasher(fastArgon2, 1, 1)
			if got := h.Workers(); got != 1 {
				t.Fatalf("workers: got %d, want 1", got)
			}
			busy := occupy(t, h)
			err := untilRefused(t, busy, func() error { return tt.probe(h) })
			wantErr(t, "second request", err, auth.ErrHashQueueFull)
			wantCode(t, "second request", err, auth.EUnavailable)
			must(t, "occupying hash", <-busy.done)
			// The refusal took nothing from the pool: it serves again.
			if _, err := h.Hash(context.Background(), "after the flood"); err != nil {
				t.Fatalf("hash after the pool emptied: %v", err)
			}
		})
	}
}

func TestHasherCancelWhileWaiting(t *testing.T) {
	h := auth.NewHasher(fastArgon2, 1, 2)
	// Two rounds: a cancelled waiter must give its queue place back, or the
	// second round finds the queue full.
	for round := range 2 {
		busy := occupy(t, h)
		waitWorking(t, h, busy)

		ctx, cancel := context.WithCancel(context.Background())
		waiter := make(chan error, 1)
		go func() {
			for {
				_, err := h.Hash(ctx, "waiting password")
				if !errors.Is(err, auth.ErrHashQueueFull) { // a probe held its place
					waiter <- err
					return
				}
			}
		}()
		// The queue is full once the waiter is admitted and waiting. A probe
		// let in meanwhile finds the worker busy and gives up at once.
		for {
			_, err := h.Hash(cancelled(), "probe password")
			if errors.Is(err, auth.ErrHashQueueFull) {
				break
			}
			busy.finished(t, "before the waiter was seen in the queue")
			runtime.Gosched()
		}
		cancel()
		err := <-waiter
		busy.finished(t, "before the cancelled waiter returned")
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("round %d: waiter got %v, want context.Canceled", round, err)
		}
		wantCode(t, "cancelled waiter", err, auth.EUnavailable)
		must(t, "occupying hash", <-busy.done)
	}
}

func TestNewHasherDefaults(t *testing.T) {
	tests := []struct {
		name           string
		workers, queue int
		wantWorkers    int
	}{
		{name: "explicit", workers: 3, queue: 10, wantWorkers: 3},
		{name: "queue below workers", workers: 2, queue: 1, wantWorkers: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := auth.NewHasher(fastArgon2, tt.workers, tt.queue)
			if got := h.Workers(); got != tt.wantWorkers {
				t.Fatalf("workers: got %d, want %d", got, tt.wantWorkers)
			}
		})
	}
	if got := auth.NewHasher(fastArgon2, 0, 0).Workers(); got < 1 {
		t.Fatalf("default workers: got %d, want at least 1", got)
	}
}

// A hash thread keeps its argon2 memory for its next hash: a second
// hash at the pool's cost allocates far less than the cost's memory.
func TestHasherKeepsMemory(t *testing.T) {
	cost := auth.Argon2Params{MemoryKiB: 8 * 1024, Time: 1, Threads: 1}
	h := auth.NewHasher(cost, 1, 0)
	if _, err := h.Hash(context.Background(), "first password"); err != nil {
		t.Fatal(err)
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	before := ms.TotalAlloc
	if _, err := h.Hash(context.Background(), "second password"); err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&ms)
	if grew := ms.TotalAlloc - before; grew >= uint64(cost.MemoryKiB)*1024/2 {
		t.Fatalf("the second hash allocated %d bytes, want its %d KiB of memory kept from the first", grew, cost.MemoryKiB)
	}
}
