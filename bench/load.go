package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Load is one load run: the same request shape sent over Conns keep-alive
// connections for Duration, or until MaxRequests answers, whichever comes
// first. Each request takes the next header set in turn.
type Load struct {
	Base        string // http://127.0.0.1:port, loopback only
	Method      string
	Path        string
	Headers     []map[string]string // at least one set; rotated per request
	Body        string
	Conns       int
	Duration    time.Duration
	MaxRequests int64
}

// Result is what a run measured.
type Result struct {
	Requests int64         // answers received
	Non2xx   int64         // answers with a status outside 2xx/3xx
	Errors   int64         // connection, read, write and timeout errors
	Elapsed  time.Duration // length of the run
	P50      time.Duration
	P99      time.Duration
	// CPU is this process's CPU time (user and system) during the run: the
	// servers' alone when wrk drives them from its own process.
	CPU time.Duration
}

// CPUPerRequest is the process CPU time per answer.
func (r Result) CPUPerRequest() time.Duration {
	if r.Requests == 0 {
		return 0
	}
	return r.CPU / time.Duration(r.Requests)
}

// processCPU returns the user and system CPU time this process has used.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// RPS is answers per second.
func (r Result) RPS() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Requests) / r.Elapsed.Seconds()
}

// GoodRPS is successful answers per second.
func (r Result) GoodRPS() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Requests-r.Non2xx) / r.Elapsed.Seconds()
}

func (r Result) String() string {
	return fmt.Sprintf("%.0f req/s, p50 %s, p99 %s, %d answers (%d not 2xx, %d errors) in %s, %s CPU/answer",
		r.RPS(), r.P50, r.P99, r.Requests, r.Non2xx, r.Errors, r.Elapsed.Round(time.Millisecond), r.CPUPerRequest())
}

// Generator drives load at a server.
type Generator interface {
	Name() string
	Run(ctx context.Context, l Load) (Result, error)
}

// maxSamples bounds the latencies the built-in client keeps.
const maxSamples = 2_000_000

// goClient is the built-in generator: Conns goroutines, each with its own
// keep-alive connection, one request at a time.
type goClient struct{}

func (goClient) Name() string { return "built-in Go keep-alive client" }

func (goClient) Run(ctx context.Context, l Load) (Result, error) {
	if !strings.HasPrefix(l.Base, "http://127.0.0.1:") {
		return Result{}, fmt.Errorf("refusing non-loopback target %s", l.Base)
	}
	tr := &http.Transport{MaxIdleConnsPerHost: l.Conns, MaxConnsPerHost: l.Conns, DisableCompression: true}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	ctx, cancel := context.WithTimeout(ctx, l.Duration)
	defer cancel()
	max := l.MaxRequests
	if max <= 0 {
		max = 1 << 40
	}
	var (
		issued          atomic.Int64
		non2xx, errs    atomic.Int64
		answered        atomic.Int64
		mu              sync.Mutex
		lat             []time.Duration
		wg              sync.WaitGroup
		perWorkerSample = maxSamples / l.Conns
	)
	start := time.Now()
	for w := range l.Conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			mine := make([]time.Duration, 0, min(perWorkerSample, 4096))
			for i := w; ctx.Err() == nil && issued.Add(1) <= max; i++ {
				h := l.Headers[i%len(l.Headers)]
				var body io.Reader
				if l.Body != "" {
					body = strings.NewReader(l.Body)
				}
				req, err := http.NewRequestWithContext(ctx, l.Method, l.Base+l.Path, body)
				if err != nil {
					errs.Add(1)
					return
				}
				for k, v := range h {
					if strings.EqualFold(k, "Host") {
						continue
					}
					req.Header.Set(k, v)
				}
				t0 := time.Now()
				resp, err := client.Do(req)
				if err != nil {
					if ctx.Err() == nil {
						errs.Add(1)
					}
					continue
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				d := time.Since(t0)
				answered.Add(1)
				if resp.StatusCode >= 400 {
					non2xx.Add(1)
				}
				if len(mine) < perWorkerSample {
					mine = append(mine, d)
				}
			}
			mu.Lock()
			lat = append(lat, mine...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	res := Result{Elapsed: time.Since(start), Non2xx: non2xx.Load(), Errors: errs.Load(), Requests: answered.Load()}
	res.P50, res.P99 = percentile(lat, 0.50), percentile(lat, 0.99)
	return res, nil
}

// percentile sorts lat in place and returns its q-quantile.
func percentile(lat []time.Duration, q float64) time.Duration {
	if len(lat) == 0 {
		return 0
	}
	if !slices.IsSorted(lat) {
		slices.Sort(lat)
	}
	i := int(q * float64(len(lat)))
	if i >= len(lat) {
		i = len(lat) - 1
	}
	return lat[i]
}
