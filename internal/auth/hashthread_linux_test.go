package auth_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/sessiond/sessiond/internal/auth"
)

// threadStat returns field n (1-based, as proc(5) numbers them) of
// /proc/self/task/<tid>/stat.
func threadStat(t *testing.T, tid, n int) int64 {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/self/task/%d/stat", tid))
	if err != nil {
		t.Fatal(err)
	}
	// Field 2, the command, is in parentheses and may hold spaces.
	rest := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	v, err := strconv.ParseInt(rest[n-3], 10, 64)
	if err != nil {
		t.Fatalf("stat field %d of thread %d: %v", n, tid, err)
	}
	return v
}

// threadNice is a thread's nice value (stat field 19).
func threadNice(t *testing.T, tid int) int64 { return threadStat(t, tid, 19) }

// threadCPU is the time a thread has run (schedstat's first field).
func threadCPU(t *testing.T, tid int) time.Duration {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/self/task/%d/schedstat", tid))
	if err != nil {
		t.Fatal(err)
	}
	ns, err := strconv.ParseInt(strings.Fields(string(b))[0], 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return time.Duration(ns)
}

// processCPU is the time all of the process's threads have run.
func processCPU(t *testing.T) time.Duration {
	t.Helper()
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		t.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// hashThread returns the thread ID of the thread h hashes on.
func hashThread(t *testing.T, h *auth.Hasher) int {
	t.Helper()
	var tid int
	if err := auth.OnThread(h, func() { tid = syscall.Gettid() }); err != nil {
		t.Fatal(err)
	}
	return tid
}

// The pool hashes on a thread of its own at the nice value set, not on
// the caller's thread, and the hash's work runs on that thread: its CPU
// time grows by most of what the process spent on the hash (x/crypto's
// argon2 would run it on other threads, leaving this one idle).
func TestHashThreadNiced(t *testing.T) {
	// The process's priority, as this (unlocked) goroutine's thread has
	// it: no thread a goroutine can move to is ever a hash thread.
	base := threadNice(t, syscall.Gettid())
	if base+3 > 19 {
		t.Skipf("the test runs at nice %d already", base)
	}
	h := auth.NewHasher(fastArgon2, 1, 0)
	h.SetNice(int(base)+3, nil)
	tid := hashThread(t, h)
	if tid == syscall.Gettid() {
		t.Fatal("the hash ran on the caller's thread")
	}
	if got := threadNice(t, tid); got != base+3 {
		t.Fatalf("hash thread %d at nice %d, want %d", tid, got, base+3)
	}
	thread0, proc0 := threadCPU(t, tid), processCPU(t)
	if _, _, err := h.Verify(context.Background(), slowHash, "pw"); err != nil {
		t.Fatal(err)
	}
	thread, proc := threadCPU(t, tid)-thread0, processCPU(t)-proc0
	if thread < proc/2 {
		t.Fatalf("the hash thread ran %s of the %s the process ran during a verification, want at least half", thread, proc)
	}
	if again := hashThread(t, h); again != tid {
		t.Fatalf("the next hash ran on thread %d, want the idle thread %d", again, tid)
	}
	// SetNice(0) leaves new threads at the process's priority.
	h0 := auth.NewHasher(fastArgon2, 1, 0)
	h0.SetNice(0, nil)
	if got := threadNice(t, hashThread(t, h0)); got != base {
		t.Fatalf("hash thread with nice 0 at %d, want the process's %d", got, base)
	}
}

// The pool never runs more threads than workers, a panic in the work
// reaches the caller and spares the thread, and an idle thread ends (its
// priority with it: no goroutine of the process is ever moved onto it).
func TestHashThreads(t *testing.T) {
	h := auth.NewHasher(fastArgon2, 2, 64)
	auth.SetThreadIdle(h, 50*time.Millisecond)
	var (
		mu   sync.Mutex
		tids = map[int]bool{}
		wg   sync.WaitGroup
	)
	for range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := auth.OnThread(h, func() {
				mu.Lock()
				tids[syscall.Gettid()] = true
				mu.Unlock()
				time.Sleep(time.Millisecond) // hold the thread, so others start
			})
			if err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if len(tids) == 0 || len(tids) > 2 {
		t.Fatalf("the work ran on %d threads, want 1 or 2", len(tids))
	}

	tid := hashThread(t, h)
	got := func() (v any) {
		defer func() { v = recover() }()
		auth.OnThread(h, func() { panic("broken hash") })
		return nil
	}()
	if got != "broken hash" {
		t.Fatalf("the caller recovered %v, want the work's panic", got)
	}
	if _, err := h.Hash(context.Background(), "after a panic"); err != nil {
		t.Fatal(err)
	}

	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := os.Stat(fmt.Sprintf("/proc/self/task/%d", tid)); os.IsNotExist(err) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("hash thread %d still there 10s after its work", tid)
		}
		time.Sleep(10 * time.Millisecond)
	}
	// A new thread takes the work after the idle ones ended.
	if next := hashThread(t, h); next == tid {
		t.Fatalf("the work ran on ended thread %d", tid)
	}
}
