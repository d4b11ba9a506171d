package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sessiond/sessiond/internal/auth"
	"github.com/sessiond/sessiond/internal/config"
	"github.com/sessiond/sessiond/internal/influxapi"
	"github.com/sessiond/sessiond/internal/store/redisstore"
)

// redisURL is SESSIOND_TEST_REDIS_ADDR as a URL, "" when unset.
func redisURL() string {
	addr := os.Getenv("SESSIOND_TEST_REDIS_ADDR")
	if addr != "" && !strings.Contains(addr, "://") {
		addr = "redis://" + addr
	}
	return addr
}

// figure8 is how long a revoke takes to reach another instance: two
// sessiond on one Redis prefix, with the client-side cache on (and one
// embedded database between them, which only users' reads need). Each of
// the sessions is checked twice on B, so that B has it cached, signed out
// on A, then checked on B until B refuses it; the window runs from A's
// answer to B's first refusal, the check's own round trip included. The
// reference is the stated bound, redisstore.StaleBound.
func (b *bench) figure8(ctx context.Context) error {
	const key, name = "8.revoke_window", "revoke on A to refusal on B"
	url := redisURL()
	if url == "" {
		b.rep.skip(8, key, name, "SESSIOND_TEST_REDIS_ADDR is not set")
		return nil
	}
	prefix := "sdbench" + auth.NewID()[:8]
	a, err := startSessiond(ctx, func(c *config.Config) {
		c.SessionStore, c.RedisKeyPrefix, c.RedisClientCache = url, prefix, true
	})
	if err != nil {
		return err
	}
	defer a.Close()
	bi, err := startSessiond(ctx, func(c *config.Config) {
		c.SessionStore, c.RedisKeyPrefix, c.RedisClientCache = url, prefix, true
		c.DataDir = a.cfg.DataDir
	})
	if err != nil {
		return err
	}
	defer bi.Close() // before A's, which removes the data directory
	u, err := a.app.Service().CreateUser(ctx, auth.NewUser{TenantID: auth.DefaultTenantID, Name: "bench-revoke"})
	if err != nil {
		return err
	}
	n := 1000
	if b.o.quick {
		n = 50
	}
	hits0, err := cacheHits(ctx, bi)
	if err != nil {
		return err
	}
	check := func(h map[string]string) (int, error) {
		status, _, _, err := call(ctx, "GET", bi.url+"/api/v2/me", h, nil)
		return status, err
	}
	var took []time.Duration
	served, late := 0, 0 // checks on B that still served a revoked session; of them, begun past the bound
	for i := range n {
		tok, err := seedSession(ctx, a.app.Sessions(), u, auth.OriginInflux, benchClient, auth.InfluxTokenFormat, a.clock.Now(), 10*time.Minute)
		if err != nil {
			return err
		}
		h := map[string]string{"Cookie": influxapi.CookieName + "=" + tok}
		for range 2 {
			if st, err := check(h); err != nil || st != http.StatusOK {
				return fmt.Errorf("session %d on B before the revoke: %d %v", i, st, err)
			}
		}
		if st, _, body, err := call(ctx, "POST", a.url+"/api/v2/signout", h, nil); err != nil || st != http.StatusNoContent {
			return fmt.Errorf("signout on A: %d %v %.200s", st, err, body)
		}
		start := time.Now()
		for {
			began := time.Now()
			st, err := check(h)
			if err != nil {
				return err
			}
			if st == http.StatusUnauthorized {
				took = append(took, time.Since(start))
				break
			}
			if st != http.StatusOK {
				return fmt.Errorf("session %d on B after the revoke: %d", i, st)
			}
			served++
			if began.Sub(start) >= redisstore.StaleBound {
				late++
			}
		}
	}
	hits, err := cacheHits(ctx, bi)
	if err != nil {
		return err
	}
	slices.Sort(took)
	bound := secs(redisstore.StaleBound)
	note := fmt.Sprintf("%d sessions; %d checks on B served a revoked session, %d of them begun past the bound; B's cache answered %.0f of its %d checks before the revokes; Redis at %s, keys under %s",
		n, served, late, hits-hits0, 2*n, url, prefix)
	logf("revoke window: p50 %s, p99 %s, max %s; %s", took[len(took)/2], took[len(took)*99/100], took[len(took)-1], note)
	for _, q := range []struct {
		part string
		v    time.Duration
		t    *Target
	}{{"p50", took[len(took)/2], nil}, {"p99", took[len(took)*99/100], nil}, {"max", took[len(took)-1], atMost(1)}} {
		f := &Figure{Figure: 8, Key: key + "." + q.part, Name: name + " " + q.part, Unit: "s", Value: secs(q.v),
			Reference: bound, ReferenceName: "the stated bound", target: q.t}
		if q.t != nil {
			f.Note = note
		}
		b.rep.add(f)
	}
	return nil
}

// cacheHits reads in's count of session reads its client-side cache
// answered, from /metrics.
func cacheHits(ctx context.Context, in *instance) (float64, error) {
	st, _, body, err := call(ctx, "GET", in.url+"/metrics", nil, nil)
	if err != nil {
		return 0, err
	}
	if st != http.StatusOK {
		return 0, fmt.Errorf("/metrics answered %d", st)
	}
	for _, line := range strings.Split(string(body), "\n") {
		if v, ok := strings.CutPrefix(line, `sessiond_session_cache_reads_total{result="hit"} `); ok {
			return strconv.ParseFloat(strings.TrimSpace(v), 64)
		}
	}
	return 0, fmt.Errorf("/metrics of %s has no sessiond_session_cache_reads_total", in.url)
}
