package main

import (
	"context"
	"fmt"
	"time"

	"github.com/sessiond/sessiond/internal/auth"
	"github.com/sessiond/sessiond/internal/influxapi"
)

// figure5 is check latency while -sessions sessions expire within one
// minute, against the same server's idle latency with them all live. A
// fresh sessiond gets the sessions (its clock frozen while they go in, so
// their expiries fall evenly in one minute), then its clock is moved to the
// start of that minute, which passes during one load run (-expiry-d; the
// clock runs faster when that is shorter) while the store's janitor sweeps.
func (b *bench) figure5(ctx context.Context) error {
	in, err := startSessiond(ctx, nil)
	if err != nil {
		return err
	}
	defer in.Close()
	svc := in.app.Service()
	u, err := svc.CreateUser(ctx, auth.NewUser{TenantID: auth.DefaultTenantID, Name: "bench-expiry"})
	if err != nil {
		return err
	}
	var sets []map[string]string
	for range b.o.tokens {
		key, err := seedSession(ctx, in.app.Sessions(), u, auth.OriginInflux, benchClient, auth.InfluxTokenFormat, in.clock.Now(), 2*time.Hour)
		if err != nil {
			return err
		}
		sets = append(sets, map[string]string{"Cookie": influxapi.CookieName + "=" + key})
	}
	n := b.o.sessions
	t0 := in.clock.Now()
	in.clock.Set(t0, 0)
	window := time.Minute
	expStart := t0.Add(2 * time.Minute)
	pop := newPopulation(b.o.users)
	fillStart := time.Now()
	err = pop.fill(ctx, in.app.Sessions(), in.clock.Now, n, func(i int) time.Duration {
		return expStart.Add(time.Duration(int64(window) * int64(i) / int64(n))).Sub(t0)
	})
	in.clock.Set(t0, 1)
	if err != nil {
		return err
	}
	logf("%d sessions expiring between +2m and +3m, inserted in %s", n, time.Since(fillStart).Round(time.Millisecond))

	check := b.load(in.url, dialects[0], sets)
	idle, err := b.measure(ctx, "check, all sessions live", check)
	if err != nil {
		return err
	}
	live, _ := svc.CountSessions(ctx)
	// The minute of expiries passes during the measured run: in real time
	// by default, faster when -expiry-d is shorter than a minute.
	check.Duration = b.o.expiryRun
	speed := float64(window+2*time.Second) / float64(b.o.expiryRun)
	in.clock.Set(expStart.Add(-time.Second), speed)
	busy, err := b.run(ctx, "check, mass expiry", check)
	if err != nil {
		return err
	}
	left, _ := svc.CountSessions(ctx)
	note := problems("check", busy) + fmt.Sprintf("clock at %.1fx real time; the janitor dropped %d of %d sessions during the run (%d left, %d of them the checks')",
		speed, live-left, live, left, len(sets))
	b.rep.add(&Figure{Figure: 5, Key: "5.mass_expiry.p99", Name: fmt.Sprintf("check p99 while %d sessions expire in one minute", n), Unit: "s",
		Value: secs(busy.P99), Reference: secs(idle.P99), ReferenceName: "idle p99, same sessions live", target: atMost(2), Note: note})
	b.rep.add(&Figure{Figure: 5, Key: "5.mass_expiry.throughput", Name: "check throughput during the mass expiry", Unit: "req/s",
		Value: busy.GoodRPS(), Reference: idle.GoodRPS(), ReferenceName: "idle throughput"})
	return nil
}
