package server

import (
	"runtime"
	"testing"
)

func TestRaiseProcs(t *testing.T) {
	before := runtime.GOMAXPROCS(0)
	t.Cleanup(func() { runtime.GOMAXPROCS(before) })
	runtime.GOMAXPROCS(defaultProcs)

	t.Setenv("GOMAXPROCS", "1") // read by raiseProcs only: the runtime read it at start
	if from, to := raiseProcs(2, 10); from != defaultProcs || to != from || runtime.GOMAXPROCS(0) != defaultProcs {
		t.Fatalf("with GOMAXPROCS set: %d -> %d (now %d), want it left at %d", from, to, runtime.GOMAXPROCS(0), defaultProcs)
	}
	t.Setenv("GOMAXPROCS", "")
	if from, to := raiseProcs(2, 0); to != from || runtime.GOMAXPROCS(0) != defaultProcs {
		t.Fatalf("hash threads not niced: %d -> %d, want it left at %d", from, to, defaultProcs)
	}
	if from, to := raiseProcs(2, 10); from != defaultProcs || to != defaultProcs+2 || runtime.GOMAXPROCS(0) != defaultProcs+2 {
		t.Fatalf("2 niced workers: %d -> %d (now %d), want %d -> %d", from, to, runtime.GOMAXPROCS(0), defaultProcs, defaultProcs+2)
	}
	// A second App with fewer workers does not lower it; one with more raises it.
	if _, to := raiseProcs(1, 10); to != defaultProcs+2 || runtime.GOMAXPROCS(0) != defaultProcs+2 {
		t.Fatalf("1 worker after 2: now %d, want %d kept", runtime.GOMAXPROCS(0), defaultProcs+2)
	}
	if _, to := raiseProcs(3, 10); to != defaultProcs+3 || runtime.GOMAXPROCS(0) != defaultProcs+3 {
		t.Fatalf("3 workers after 2: now %d, want %d", runtime.GOMAXPROCS(0), defaultProcs+3)
	}
}
