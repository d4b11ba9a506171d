package storetest

import (
	"runtime"
	"strings"
)

// Goroutines counts the goroutines whose stack names any of funcs (each a
// substring of a package-qualified function name, such as
// "redisstore.(*Feed)"), for tests that a Close leaves none behind.
func Goroutines(funcs ...string) int {
	buf := make([]byte, 1<<16)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	count := 0
	for _, g := range strings.Split(string(buf), "\n\n") {
		for _, f := range funcs {
			if strings.Contains(g, f) {
				count++
				break
			}
		}
	}
	return count
}
