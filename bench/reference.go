package main

import (
	"context"
	"errors"
	"net"
	"net/http"
	"runtime/pprof"
	"time"
)

// referenceBody is about the size of a small "me" answer.
var referenceBody = []byte(`{"id":"0123456789abcdef","name":"reference","status":"active","links":{"self":"/api/v2/me"}}` + "\n")

// reference is the yardstick: a bare net/http server answering every
// request with a small JSON body, nothing else.
type reference struct {
	srv *http.Server
	url string
	ln  net.Listener
}

func startReference() (*reference, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
			w.Write(referenceBody)
		}),
		ReadHeaderTimeout: 10 * time.Second,
	}
	go pprof.Do(context.Background(), pprof.Labels("server", "reference"), func(context.Context) {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			panic(err)
		}
	})
	return &reference{srv: srv, url: "http://" + ln.Addr().String(), ln: ln}, nil
}

func (r *reference) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return r.srv.Shutdown(ctx)
}
