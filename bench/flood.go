package main

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/sessiond/sessiond/internal/auth"
	"github.com/sessiond/sessiond/internal/config"
)

// Addresses of figure 7, behind the trusted proxy (the bench itself, on
// loopback).
const (
	floodAddr = "203.0.113.66"
	goodAddr  = "198.51.100.7"
)

// figure7 is good sign-ins from one address while another floods wrong
// passwords (issue 11): their success and their p99 against the same
// sign-ins without the flood. The instance trusts the loopback proxy, so
// X-Forwarded-For tells the two apart, and has the lockout off: only the
// hash pool's fairness keeps the flood to its share (with the lockout on,
// the flooding address is refused before any hash after 50 failures).
func (b *bench) figure7(ctx context.Context) error {
	in, err := startSessiond(ctx, func(c *config.Config) {
		c.TrustedProxies = "127.0.0.1, ::1"
		c.LockoutAccountLimit, c.LockoutIPLimit = 0, 0
		b.o.tune(c)
	})
	if err != nil {
		return err
	}
	defer in.Close()
	if _, err := in.app.Service().CreateUser(ctx, auth.NewUser{TenantID: auth.DefaultTenantID, Name: "bench-good", Password: benchPassword}); err != nil {
		return err
	}
	good := func(n int) (ok int, lat []time.Duration, err error) {
		h := map[string]string{"X-Forwarded-For": goodAddr}
		basic := "Basic " + base64.StdEncoding.EncodeToString([]byte("bench-good:"+benchPassword))
		h["Authorization"] = basic
		for range n {
			t0 := time.Now()
			status, _, _, err := call(ctx, "POST", in.url+"/api/v2/signin", h, nil)
			if err != nil {
				return ok, lat, err
			}
			lat = append(lat, time.Since(t0))
			if status == http.StatusNoContent {
				ok++
			}
		}
		return ok, lat, nil
	}
	const n = 20
	_, idle, err := good(n)
	if err != nil {
		return err
	}
	conns := 300
	if b.o.quick {
		conns = 64
	}
	bad := "Basic " + base64.StdEncoding.EncodeToString([]byte("nosuchuser:wrong-password"))
	lead := max(time.Second, b.o.warmup)
	flood := Load{Base: in.url, Method: "POST", Path: "/api/v2/signin", Conns: conns,
		Headers: []map[string]string{{"Authorization": bad, "X-Forwarded-For": floodAddr}}, Duration: lead + max(3*time.Second, b.o.duration)}
	var (
		floodRes Result
		floodErr error
		wg       sync.WaitGroup
	)
	wg.Add(1)
	go func() {
		defer wg.Done()
		floodRes, floodErr = b.gen.Run(ctx, flood)
	}()
	select {
	case <-time.After(lead):
	case <-ctx.Done():
	}
	t0 := time.Now()
	ok, busy, err := good(n)
	during := time.Since(t0)
	wg.Wait()
	if err != nil {
		return err
	}
	if floodErr != nil {
		return floodErr
	}
	if during > flood.Duration-lead {
		logf("the good sign-ins (%s) outlasted the flood (%s)", during, flood.Duration-lead)
	}
	p99 := func(d []time.Duration) time.Duration {
		s := slices.Clone(d)
		slices.Sort(s)
		return s[min(len(s)-1, len(s)*99/100)]
	}
	logf("good sign-ins during the flood: %d of %d, p99 %s (idle p99 %s); flood: %s", ok, n, p99(busy), p99(idle), floodRes)
	note := fmt.Sprintf("flood: %d connections of wrong passwords from one address, %d answers (%d refused) in %s; %d good sign-ins in %s; lockout off, %d hash workers",
		conns, floodRes.Requests, floodRes.Non2xx, floodRes.Elapsed.Round(time.Millisecond), n, during.Round(time.Millisecond), in.app.Service().HashWorkers())
	b.rep.add(&Figure{Figure: 7, Key: "7.signin_during_flood.success", Name: "good sign-ins from another address during a wrong-password flood", Unit: "ratio",
		Value: float64(ok) / n, Reference: 1, ReferenceName: "all of them", target: atLeast(0.95), Note: note})
	b.rep.add(&Figure{Figure: 7, Key: "7.signin_during_flood.p99", Name: "good sign-in p99 during the flood", Unit: "s",
		Value: secs(p99(busy)), Reference: secs(p99(idle)), ReferenceName: "good sign-in p99 without the flood"})
	return nil
}
