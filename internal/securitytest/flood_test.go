package securitytest

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sessiond/sessiond/internal/auth"
	"github.com/sessiond/sessiond/internal/config"
)

// A flood of wrong passwords from one address (300 connections at once)
// does not keep another address from signing in: of twenty sign-ins with
// the right password sent meanwhile, at least nineteen succeed. With the
// lockout on, the flooding address is soon refused before any hash; with
// it off, the hash pool's fairness alone keeps the flood to its share.
// Before the front door, a locked client still cost a full hash and the
// flood answered 20 of 20 good sign-ins with 503.
func TestFloodFromOneAddressSparesOthers(t *testing.T) {
	for _, tc := range []struct {
		name string
		tune func(*config.Config)
	}{
		{"lockout on", func(*config.Config) {}},
		{"lockout off", noLockout},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// A realistic hash (a few milliseconds) on two workers, so that
			// the flood can fill the pool.
			cost := auth.Argon2Params{MemoryKiB: 4 * 1024, Time: 2, Threads: 1}
			e := start(t, options{cost: &cost, tune: func(c *config.Config) {
				c.TrustedProxies, c.HashWorkers = "127.0.0.1, ::1", 2
				tc.tune(c)
			}})
			e.seed()
			ok, failed, f := floodWhileSigningIn(t, e, 300, 20)
			t.Logf("good sign-ins: %d succeeded, %d failed (%v); flood answers %v", ok, len(failed), failed, f.statuses)
			if ok < 19 {
				t.Fatalf("%d of 20 good sign-ins succeeded during the flood, want at least 19: %v", ok, failed)
			}
			// Refusals of a full pool say when to come back...
			if n := f.statuses[http.StatusServiceUnavailable]; n != f.retryAfter {
				t.Fatalf("%d answers 503, %d of them with Retry-After: 1", n, f.retryAfter)
			}
			// ... and thousands of them write a few log lines, not one
			// each (before: 61,754 ERROR lines for 61,682 refusals).
			warn, errs := 0, 0
			for _, l := range strings.Split(e.logs.String(), "\n") {
				switch {
				case strings.Contains(l, `"level":"ERROR"`):
					errs++
				case strings.Contains(l, `"level":"WARN"`):
					warn++
				}
			}
			if errs != 0 || warn > 10 {
				t.Fatalf("the flood wrote %d ERROR and %d WARN lines:\n%s", errs, warn, e.logs.String())
			}
		})
	}
}

// floodAnswers is what the flooding client was answered.
type floodAnswers struct {
	mu         sync.Mutex
	statuses   map[int]int
	retryAfter int // 503s with Retry-After: 1
}

// floodWhileSigningIn sends wrong passwords from 203.0.113.66 on conns
// connections while good sign-ins are made one after another from
// 198.51.100.7, and returns how many of those succeeded, the statuses of
// the others, and what the flood was answered.
func floodWhileSigningIn(t *testing.T, e *env, conns, good int) (int, []int, *floodAnswers) {
	t.Helper()
	ctx, stop := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	var sent atomic.Int64
	tr := &http.Transport{MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	answers := &floodAnswers{statuses: map[int]int{}}
	for range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				r, _ := http.NewRequestWithContext(ctx, "POST", e.srv.URL+"/api/v2/signin", nil)
				r.SetBasicAuth("nosuchuser", "wrong-password")
				r.Header.Set("X-Forwarded-For", "203.0.113.66")
				if res, err := client.Do(r); err == nil {
					res.Body.Close()
					sent.Add(1)
					answers.mu.Lock()
					answers.statuses[res.StatusCode]++
					if res.StatusCode == http.StatusServiceUnavailable && res.Header.Get("Retry-After") == "1" {
						answers.retryAfter++
					}
					answers.mu.Unlock()
				}
			}
		}()
	}
	// Let the flood fill the pool before the good sign-ins start.
	for sent.Load() < int64(conns) {
		time.Sleep(time.Millisecond)
	}
	ok := 0
	var failed []int
	for range good {
		s := e.do(req{method: "POST", path: "/api/v2/signin", basic: []string{bobName, bobPass}, headers: map[string]string{"X-Forwarded-For": "198.51.100.7"}}).StatusCode
		if s == http.StatusNoContent {
			ok++
		} else {
			failed = append(failed, s)
		}
	}
	stop()
	wg.Wait()
	t.Logf("flood: %d requests", sent.Load())
	if sent.Load() < int64(conns) {
		t.Fatalf("the flood sent only %d requests", sent.Load())
	}
	return ok, failed, answers
}
