package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime/pprof"
	"time"

	"github.com/sessiond/sessiond/internal/config"
	"github.com/sessiond/sessiond/internal/server"
)

// instance is one sessiond served in this process on a loopback port.
type instance struct {
	app   *server.App
	url   string
	clock *clock
	cfg   config.Config
	stop  context.CancelFunc
	done  chan error
	dir   string
}

// startSessiond serves sessiond on 127.0.0.1:0 with the default
// configuration (embedded SQLite, memory session store, production
// argon2id), except the two limits below and what tune changes.
func startSessiond(ctx context.Context, tune func(*config.Config)) (*instance, error) {
	dir, err := os.MkdirTemp("", "sessiond-bench-data-")
	if err != nil {
		return nil, err
	}
	cfg := config.Default()
	cfg.HTTPBindAddress = "127.0.0.1:0"
	cfg.DataDir = dir
	// Rocket.Chat's per-IP limit (10 calls a minute) would answer almost
	// every benchmark request with 429; sessiond serves it off when 0.
	cfg.RocketRateLimit = 0
	// The per-account lockout reserves one of 10 attempts per 15 minutes
	// before each password check: the sign-in figures keep 32 sign-ins of
	// one account in flight, which locks it. Off, a sign-in skips two
	// in-memory counter calls, nothing else.
	cfg.LockoutAccountLimit = 0
	if tune != nil {
		tune(&cfg)
	}
	clk := newClock()
	app, err := server.Open(ctx, cfg, nil, clk.Now)
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	if err := app.Listen(); err != nil {
		app.Close()
		os.RemoveAll(dir)
		return nil, err
	}
	sctx, stop := context.WithCancel(context.Background())
	in := &instance{app: app, url: app.URL(), clock: clk, cfg: cfg, stop: stop, done: make(chan error, 1), dir: dir}
	// Connection goroutines inherit the label, so a CPU profile can be
	// split by server: go tool pprof -tagfocus server=sessiond.
	go pprof.Do(sctx, pprof.Labels("server", "sessiond"), func(context.Context) { in.done <- app.Serve(sctx) })
	return in, nil
}

// Close stops the server and removes its data.
func (in *instance) Close() error {
	in.stop()
	var err error
	select {
	case err = <-in.done:
	case <-time.After(30 * time.Second):
		err = fmt.Errorf("sessiond did not stop in 30s")
	}
	os.RemoveAll(in.dir)
	return err
}

// call sends one request and returns the status, headers and body.
func call(ctx context.Context, method, url string, headers map[string]string, body any) (int, http.Header, []byte, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, nil, nil, err
		}
		rd = bytes.NewReader(b)
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return 0, nil, nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return resp.StatusCode, resp.Header, b, err
}
