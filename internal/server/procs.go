package server

import (
	"os"
	"runtime"
	"sync"
)

// defaultProcs is GOMAXPROCS as the runtime chose it at start (the CPUs
// the process may use), before any App raised it.
var defaultProcs = runtime.GOMAXPROCS(0)

var procsMu sync.Mutex

// raiseProcs gives the Go scheduler a P for each hash worker on top of
// the CPUs: a hash thread holds its P while it hashes, and at a lower
// nice value it only runs on CPU the checks leave idle, so without more
// Ps checks would wait for the Go scheduler where the kernel would have
// served them. It does nothing when the operator set GOMAXPROCS or the
// hash threads are not niced, and never lowers it (several Apps in one
// process take the largest). It returns GOMAXPROCS before and after.
func raiseProcs(workers, nice int) (from, to int) {
	procsMu.Lock()
	defer procsMu.Unlock()
	from = runtime.GOMAXPROCS(0)
	if os.Getenv("GOMAXPROCS") != "" || nice == 0 {
		return from, from
	}
	if want := defaultProcs + workers; from < want {
		runtime.GOMAXPROCS(want)
		return from, want
	}
	return from, from
}
