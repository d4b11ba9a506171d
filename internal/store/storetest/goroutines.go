package storetest

import (
	"runtime"
	"strings"
	"testing"
	"time"
)

// Goroutines returns the stacks of the goroutines whose stack names any
// of funcs (each a substring of a package-qualified function name, such
// as "redisstore.(*Feed)"), for tests that a Close leaves none behind.
func Goroutines(funcs ...string) []string {
	buf := make([]byte, 1<<16)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	var out []string
	for _, g := range strings.Split(string(buf), "\n\n") {
		for _, f := range funcs {
			if strings.Contains(g, f) {
				out = append(out, g)
				break
			}
		}
	}
	return out
}

// NoGoroutines fails the test if a goroutine whose stack names any of
// funcs is left. It allows one that is finishing (past its last deferred
// call) a second to be gone.
func NoGoroutines(t testing.TB, funcs ...string) {
	t.Helper()
	deadline := time.Now().Add(time.Second)
	for {
		g := Goroutines(funcs...)
		if len(g) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d goroutines left:\n%s", len(g), strings.Join(g, "\n\n"))
		}
		time.Sleep(5 * time.Millisecond)
	}
}
