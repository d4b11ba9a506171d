package auth

import (
	"fmt"
	"log/slog"
	"runtime"
	"time"

	"github.com/sessiond/sessiond/internal/argon2"
)

// DefaultHashNice is the nice value of the hash workers' threads: they
// hash on CPU that session checks leave idle.
const DefaultHashNice = 10

// hashThreadIdle is how long an idle hash thread waits for work before it
// ends (Hasher.threadIdle, shorter in tests).
const hashThreadIdle = time.Minute

// The hash pool's work runs on threads of its own (hashThread), each a
// goroutine locked to its OS thread whose nice value is raised, so the
// kernel serves session checks first and hashes with what is left. The
// argon2 copy in internal/argon2 hashes on the calling goroutine, so the
// work stays on that thread. A thread is never unlocked: when its
// goroutine ends after hashThreadIdle without work, the thread ends with
// it, and no other goroutine ever runs at its priority.
//
// There are at most h.workers threads: one is started only when none is
// idle, and a thread goes back to the idle list before the request it
// served is told, so before that request gives its worker back.

// hashThread is one worker thread.
type hashThread struct {
	jobs chan *hashJob // capacity 1: handed over while the thread is off the idle list
	// mem is the argon2 memory of the thread's hashes, kept between them
	// (up to the pool's own cost), so that a sign-in allocates no 19 MiB
	// for the garbage collector to reclaim. It goes when the thread ends.
	mem argon2.Memory
}

// hashJob is one piece of work for a thread.
type hashJob struct {
	fn       func(*argon2.Memory)
	done     chan struct{}
	panicked any // what fn panicked with, passed on to the caller
}

// SetNice sets the nice value of hash threads started from now on (0:
// the process's own). Where it cannot be set (not permitted, or not
// Linux, where a thread's own nice value exists), the first failure is
// logged on log and threads hash at the process's priority.
func (h *Hasher) SetNice(nice int, log *slog.Logger) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.nice, h.niceLog = nice, log
}

// onThread runs fn on a hash thread and returns when it is done. The
// caller holds a worker (acquire).
func (h *Hasher) onThread(fn func(*argon2.Memory)) {
	j := &hashJob{fn: fn, done: make(chan struct{})}
	h.mu.Lock()
	if n := len(h.idle); n > 0 {
		t := h.idle[n-1] // the last to finish: its cache is the warmest
		h.idle = h.idle[:n-1]
		h.mu.Unlock()
		t.jobs <- j
	} else {
		nice, log, idle := h.nice, h.niceLog, h.threadIdle
		h.mu.Unlock()
		go h.thread(j, nice, log, idle)
	}
	<-j.done
	if j.panicked != nil {
		panic(j.panicked)
	}
}

// thread serves jobs, starting with j, until it has been idle for idleFor.
func (h *Hasher) thread(j *hashJob, nice int, log *slog.Logger, idleFor time.Duration) {
	runtime.LockOSThread() // never unlocked: the thread ends with the goroutine
	if nice != 0 {
		if err := setThreadNice(nice); err != nil {
			h.niceOnce.Do(func() {
				if log != nil {
					log.Warn(fmt.Sprintf("password hashes run at normal priority: cannot set their threads' nice value to %d", nice), "err", err)
				}
			})
		}
	}
	t := &hashThread{jobs: make(chan *hashJob, 1), mem: argon2.Memory{Keep: h.params.MemoryKiB}}
	idle := time.NewTimer(idleFor)
	defer idle.Stop()
	for {
		t.run(j)
		h.mu.Lock()
		h.idle = append(h.idle, t)
		h.mu.Unlock()
		close(j.done)
		idle.Reset(idleFor)
		select {
		case j = <-t.jobs:
			continue
		case <-idle.C:
		}
		h.mu.Lock()
		for i, x := range h.idle {
			if x == t {
				h.idle = append(h.idle[:i], h.idle[i+1:]...)
				h.mu.Unlock()
				return
			}
		}
		h.mu.Unlock()
		// Taken off the idle list as the timer fired: its job is coming.
		j = <-t.jobs
	}
}

// run runs j's work, catching a panic for the caller.
func (t *hashThread) run(j *hashJob) {
	defer func() { j.panicked = recover() }()
	j.fn(&t.mem)
}
