package main

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sessiond/sessiond/internal/argon2"
	"github.com/sessiond/sessiond/internal/auth"
	"github.com/sessiond/sessiond/internal/config"
)

const refName = "bare net/http JSON"

// figure1 is session-check throughput and latency per dialect, each
// measured right after the reference with the same headers, in alternated
// rounds (the median round is reported, with the spread).
func (b *bench) figure1(ctx context.Context) error {
	for _, d := range dialects {
		if len(b.o.dialects) > 0 && !b.o.dialects[d.name] {
			continue
		}
		name := fmt.Sprintf("check %s (%s %s)", d.name, d.method, d.path)
		key := "1." + d.name
		sets, err := b.credentials(ctx, d)
		if errors.Is(err, errNotAvailable) {
			logf("%s: not available yet (%s answers 404)", d.name, d.path)
			b.rep.skip(1, key, name, fmt.Sprintf("not available yet (%s answers 404)", d.path))
			continue
		}
		if err != nil {
			b.rep.skip(1, key, name, err.Error())
			continue
		}
		s := newSamples()
		for r := range b.rounds() {
			round := fmt.Sprintf(" (round %d)", r+1)
			ref, err := b.measure(ctx, "reference, "+d.name+" headers"+round, b.load(b.ref.url, d, sets))
			if err != nil {
				return err
			}
			got, err := b.measure(ctx, "sessiond "+d.name+round, b.load(b.main.url, d, sets))
			if err != nil {
				return err
			}
			note := problems("sessiond", got) + problems("reference", ref)
			s.add(&Figure{Figure: 1, Key: key + ".throughput", Name: name + " throughput", Unit: "req/s",
				Value: got.GoodRPS(), Reference: ref.GoodRPS(), ReferenceName: refName, target: atLeast(0.85), Note: note})
			s.add(&Figure{Figure: 1, Key: key + ".p50", Name: name + " p50", Unit: "s",
				Value: secs(got.P50), Reference: secs(ref.P50), ReferenceName: refName})
			s.add(&Figure{Figure: 1, Key: key + ".p99", Name: name + " p99", Unit: "s",
				Value: secs(got.P99), Reference: secs(ref.P99), ReferenceName: refName, target: atMost(1.5)})
			if _, ok := b.gen.(*wrkGen); ok {
				s.add(&Figure{Figure: 1, Key: key + ".cpu", Name: name + " server CPU per request", Unit: "s",
					Value: secs(got.CPUPerRequest()), Reference: secs(ref.CPUPerRequest()), ReferenceName: refName, target: atMost(1.2)})
			}
		}
		s.report(b.rep)
	}
	return nil
}

// signinLoad is POST /api/v2/signin with a right password.
func (b *bench) signinLoad(ctx context.Context) (Load, error) {
	const name = "bench-signin"
	svc := b.main.app.Service()
	if _, err := svc.UserByName(ctx, auth.DefaultTenantID, name); auth.ErrorCode(err) == auth.ENotFound {
		if _, err := svc.CreateUser(ctx, auth.NewUser{TenantID: auth.DefaultTenantID, Name: name, Password: benchPassword}); err != nil {
			return Load{}, err
		}
	} else if err != nil {
		return Load{}, err
	}
	basic := "Basic " + base64.StdEncoding.EncodeToString([]byte(name+":"+benchPassword))
	return Load{Base: b.main.url, Method: "POST", Path: "/api/v2/signin", Headers: []map[string]string{{"Authorization": basic}},
		Conns: b.o.conns, Duration: b.o.duration}, nil
}

// startProcs is GOMAXPROCS before any sessiond started: the CPUs this
// process may use.
var startProcs = runtime.GOMAXPROCS(0)

// maxHashes bounds one hash-rate measurement.
const maxHashes = 1_000_000

// hashRate is argon2id hashes per second at the production parameters,
// hashing on g goroutines at once, for about d, with the argon2 code
// sessiond hashes with (internal/argon2, each goroutine keeping its 19 MiB
// between hashes as a hash thread does), so the figure is the server's
// overhead and not the gap between that code and x/crypto's (which makes
// its memory anew for every hash, and is slower). Each goroutine hashes
// once before the clock starts.
func hashRate(ctx context.Context, d time.Duration, g int) float64 {
	p := auth.DefaultArgon2
	salt := make([]byte, 16)
	var n atomic.Int64
	var ready, wg sync.WaitGroup
	start := make(chan time.Time)
	ready.Add(g)
	for range g {
		wg.Add(1)
		go func() {
			defer wg.Done()
			mem := &argon2.Memory{Keep: p.MemoryKiB}
			mem.IDKey([]byte(benchPassword), salt, p.Time, p.MemoryKiB, p.Threads, 32)
			ready.Done()
			deadline := (<-start).Add(d)
			for ctx.Err() == nil && time.Now().Before(deadline) && n.Load() < maxHashes {
				mem.IDKey([]byte(benchPassword), salt, p.Time, p.MemoryKiB, p.Threads, 32)
				n.Add(1)
			}
		}()
	}
	ready.Wait()
	t0 := time.Now()
	for range g {
		start <- t0
	}
	wg.Wait()
	return float64(n.Load()) / time.Since(t0).Seconds()
}

// figure2 is sign-in throughput against the raw hash rate. The machine's
// load drifts, so the two are measured in turns, a few rounds of raw
// hashing (on one goroutine, then on one per core) and sign-ins, and each
// side is averaged over its rounds. The reference is the better raw rate:
// a hash uses 19 MiB, and where two at once no longer fit the CPU cache one
// at a time is faster.
func (b *bench) figure2(ctx context.Context) error {
	l, err := b.signinLoad(ctx)
	if err != nil {
		return err
	}
	rounds := 3
	if b.o.quick {
		rounds = 1
	}
	l.Duration = max(time.Second, b.o.duration/time.Duration(rounds))
	cores := startProcs // sessiond raises GOMAXPROCS by its hash workers; the reference hashes on the CPUs
	var one, all, signins float64
	var signinTime time.Duration
	var last Result
	for r := range rounds {
		o := hashRate(ctx, b.o.duration/time.Duration(2*rounds), 1)
		a := hashRate(ctx, b.o.duration/time.Duration(2*rounds), cores)
		got, err := b.measure(ctx, fmt.Sprintf("sessiond sign-in, round %d", r+1), l)
		if err != nil {
			return err
		}
		logf("raw argon2id, round %d: %.1f/s on 1 goroutine, %.1f/s on %d", r+1, o, a, cores)
		one, all = one+o/float64(rounds), all+a/float64(rounds)
		signins += got.GoodRPS() * got.Elapsed.Seconds()
		signinTime += got.Elapsed
		last = got
	}
	ref, refName := all, fmt.Sprintf("raw argon2id on %d cores", cores)
	if one > all {
		ref, refName = one, "raw argon2id on 1 core, faster than on all"
	}
	workers := b.main.app.Service().HashWorkers()
	b.rep.add(&Figure{Figure: 2, Key: "2.signin.throughput", Name: "sign-in (POST /api/v2/signin, argon2id m=19MiB t=2 p=1)", Unit: "/s",
		Value: signins / signinTime.Seconds(), Reference: ref, ReferenceName: refName, target: atLeast(0.9),
		Note: problems("sign-in", last) + fmt.Sprintf("%d rounds; raw rate %.1f/s on 1 goroutine, %.1f/s on %d; %d hash workers; last round's sign-in p50 %s at %d connections",
			rounds, one, all, cores, workers, last.P50, l.Conns)})
	return nil
}

// figure3 is check latency while sign-ins keep the hashing pool full,
// against idle checks, in alternated rounds.
func (b *bench) figure3(ctx context.Context) error {
	d := dialects[0]
	sets, err := b.credentials(ctx, d)
	if err != nil {
		return err
	}
	check := b.load(b.main.url, d, sets)
	flood, err := b.signinLoad(ctx)
	if err != nil {
		return err
	}
	lead := max(time.Second, b.o.warmup)
	flood.Duration = check.Duration + lead + time.Second
	flood.Conns = max(4*b.main.app.Service().HashWorkers(), 8)
	s := newSamples()
	for r := range b.rounds() {
		idle, err := b.measure(ctx, fmt.Sprintf("sessiond influxdb check, idle (round %d)", r+1), check)
		if err != nil {
			return err
		}
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
		busy, err := b.gen.Run(ctx, check)
		wg.Wait()
		if err != nil {
			return err
		}
		if floodErr != nil {
			return floodErr
		}
		logf("%-40s %s", fmt.Sprintf("sessiond influxdb check, sign-in flood (round %d)", r+1), busy)
		logf("%-40s %s", "the flood", floodRes)
		note := problems("check", busy) + problems("sign-in flood", floodRes) +
			fmt.Sprintf("flood: %d connections signing in, %.1f sign-ins/s, %d hash workers", flood.Conns, floodRes.GoodRPS(), b.main.app.Service().HashWorkers())
		s.add(&Figure{Figure: 3, Key: "3.check_during_signin_flood.p99", Name: "check p99 during a sign-in flood", Unit: "s",
			Value: secs(busy.P99), Reference: secs(idle.P99), ReferenceName: "idle check p99", target: atMost(2), Note: note})
		s.add(&Figure{Figure: 3, Key: "3.check_during_signin_flood.throughput", Name: "check throughput during a sign-in flood", Unit: "req/s",
			Value: busy.GoodRPS(), Reference: idle.GoodRPS(), ReferenceName: "idle check throughput", target: atLeast(0.6)})
	}
	s.report(b.rep)
	return nil
}

// figure6 is the InfluxDB check with sessions in Redis, read through the
// client-side cache (--redis-client-cache, the default), against the
// memory store.
func (b *bench) figure6(ctx context.Context) error {
	const key, name = "6.redis.throughput", "check influxdb, Redis session store"
	url := redisURL()
	if url == "" {
		b.rep.skip(6, key, name, "SESSIOND_TEST_REDIS_ADDR is not set")
		return nil
	}
	d := dialects[0]
	mem, err := b.credentials(ctx, d)
	if err != nil {
		return err
	}
	prefix := "sdbench" + auth.NewID()[:8]
	rin, err := startSessiond(ctx, func(c *config.Config) { c.SessionStore, c.RedisKeyPrefix, c.RedisClientCache = url, prefix, true })
	if err != nil {
		logf("redis session store not available yet: %v", err)
		b.rep.skip(6, key, name, "Redis session store not available yet: "+err.Error())
		return nil
	}
	defer rin.Close()
	sets, err := d.prepare(ctx, rin, b.o.tokens)
	if err != nil {
		return fmt.Errorf("redis mode: %w", err)
	}
	defer func() {
		// Leave nothing behind in Redis.
		if u, err := rin.app.Service().UserByName(ctx, auth.DefaultTenantID, "bench-influx"); err == nil {
			rin.app.Service().RevokeUserSessions(ctx, u.TenantID, u.ID, "")
		}
	}()
	s := newSamples()
	for round := range b.rounds() {
		m, err := b.measure(ctx, fmt.Sprintf("sessiond influxdb check, memory (round %d)", round+1), b.load(b.main.url, d, mem))
		if err != nil {
			return err
		}
		hits0, err := cacheHits(ctx, rin)
		if err != nil {
			return err
		}
		r, err := b.measure(ctx, fmt.Sprintf("sessiond influxdb check, redis (round %d)", round+1), b.load(rin.url, d, sets))
		if err != nil {
			return err
		}
		hits, err := cacheHits(ctx, rin)
		if err != nil {
			return err
		}
		s.add(&Figure{Figure: 6, Key: key, Name: name + " throughput", Unit: "req/s", Value: r.GoodRPS(), Reference: m.GoodRPS(),
			ReferenceName: "memory session store", target: atLeast(0.85),
			Note: problems("redis", r) + problems("memory", m) + fmt.Sprintf("client-side cache hits %.0f (warm-up and run); ", hits-hits0) +
				"Redis at " + url + ", keys under " + prefix})
		s.add(&Figure{Figure: 6, Key: "6.redis.p99", Name: name + " p99", Unit: "s", Value: secs(r.P99), Reference: secs(m.P99),
			ReferenceName: "memory session store"})
	}
	s.report(b.rep)
	return nil
}
