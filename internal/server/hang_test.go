package server_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sessiond/sessiond/internal/config"
	"github.com/sessiond/sessiond/internal/server/servertest"
	"github.com/sessiond/sessiond/internal/store/redisstore"
	"github.com/sessiond/sessiond/internal/store/storetest"
)

// The bounds the hung-engine tests hold sessiond to. They are deadlines,
// not speed claims: with --store-timeout 1s a request waits on a hung
// engine for one second, and a busy machine adds to that.
const (
	hungAnswerWithin = 2 * time.Second // every API answers its 503 within this of being asked
	recoverWithin    = 5 * time.Second // every session works again within this of the engine's return
)

// checks are one request per dialect with the sessions of a world, and
// what each answers while an engine hangs.
func (w world) checks(base string) []struct {
	name string
	do   func(t *testing.T) answer
	body func(t *testing.T, a answer) bool // the dialect's own "unavailable"
} {
	return []struct {
		name string
		do   func(t *testing.T) answer
		body func(t *testing.T, a answer) bool
	}{
		{"InfluxDB cookie check", func(t *testing.T) answer { return influxMe(t, base, w.cookie) },
			func(t *testing.T, a answer) bool { return a.json(t)["code"] == "unavailable" }},
		{"Rocket.Chat check", func(t *testing.T) answer { return rocketMe(t, base, w.rocket) },
			func(t *testing.T, a answer) bool { return a.json(t)["success"] == false }},
		{"tenant API check", func(t *testing.T) answer { return tenantMe(t, base, w.tenant, w.access) },
			func(t *testing.T, a answer) bool {
				e, _ := a.json(t)["error"].(map[string]any)
				return e != nil && e["code"] == "SERVICE_UNAVAILABLE"
			}},
		{"InfluxDB sign-in", func(t *testing.T) answer {
			return do(t, request{method: "POST", url: base + "/api/v2/signin", basic: []string{"bob", bobPass}})
		}, func(t *testing.T, a answer) bool { return a.json(t)["code"] == "unavailable" }},
		{"Rocket.Chat login", func(t *testing.T) answer {
			return do(t, request{method: "POST", url: base + "/api/v1/login", body: `{"user":"bob","password":"` + bobPass + `"}`})
		}, func(t *testing.T, a answer) bool { return a.json(t)["success"] == false }},
	}
}

// hung asks every dialect while the engine hangs and asserts each answers
// its own 503 within hungAnswerWithin; it logs the slowest answer.
func (w world) hung(t *testing.T, base, engine string) {
	t.Helper()
	var slowest time.Duration
	for _, c := range w.checks(base) {
		a := c.do(t)
		if a.status != http.StatusServiceUnavailable || !c.body(t, a) {
			t.Fatalf("%s with %s hung: %d %s, want the API's 503", c.name, engine, a.status, a.body)
		}
		if a.took > hungAnswerWithin {
			t.Fatalf("%s with %s hung took %v, want at most %v", c.name, engine, a.took, hungAnswerWithin)
		}
		t.Logf("%s with %s hung: 503 in %v", c.name, engine, a.took.Round(time.Millisecond))
		slowest = max(slowest, a.took)
	}
	r := do(t, request{method: "GET", url: base + "/ready"})
	if r.status != http.StatusServiceUnavailable || !strings.Contains(r.body, engine+" does not answer") {
		t.Fatalf("/ready with %s hung: %d %s", engine, r.status, r.body)
	}
	t.Logf("with %s hung: every API answered 503, the slowest in %v", engine, slowest.Round(time.Millisecond))
}

// resumed waits until every session of w works again, asserts that took
// at most recoverWithin from since, and logs how long it took.
func (w world) resumed(t *testing.T, base, engine string, since time.Time) {
	t.Helper()
	for _, c := range w.checks(base)[:3] {
		for {
			a := c.do(t)
			if a.status == http.StatusOK {
				break
			}
			if a.status != http.StatusServiceUnavailable {
				t.Fatalf("%s after %s resumed: %d %s", c.name, engine, a.status, a.body)
			}
			if time.Since(since) > recoverWithin {
				t.Fatalf("%s still %d %v after %s resumed", c.name, a.status, time.Since(since), engine)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	took := time.Since(since)
	t.Logf("every API answered 200 again %v after %s resumed", took.Round(time.Millisecond), engine)
	want(t, "sign-in after the hang", do(t, request{method: "POST", url: base + "/api/v2/signin", basic: []string{"bob", bobPass}}), http.StatusNoContent)
}

// TestRedisHang stops the session store's Redis (a redis-server of the
// test's own) with SIGSTOP: every API answers its 503 within the store
// deadline instead of waiting on the client's patience (11 to 12 s
// before deadlines), and recovers at once after SIGCONT.
func TestRedisHang(t *testing.T) {
	rs := storetest.StartRedis(t)
	clk := servertest.NewClock(time.Now().UTC())
	base, logs := serveOn(t, clk, func(c *config.Config) {
		c.SessionStore = rs.Addr()
		c.StoreTimeout = time.Second
	})
	w := seedWorld(t, base)

	rs.Hang()
	// Past the bound of the client-side cache of sessions, which may
	// answer a check it holds until then (docs/storage-postgres-redis.md).
	time.Sleep(redisstore.StaleBound)
	w.hung(t, base, "redis")
	rs.Resume()
	w.resumed(t, base, "redis", time.Now())
	noPanics(t, logs)
}

// TestPostgresHang stops PostgreSQL, which holds users, tenants, tokens
// and sessions (a server of the test's own: the postmaster and every
// backend, with SIGSTOP), as TestRedisHang stops Redis.
func TestPostgresHang(t *testing.T) {
	pg := storetest.StartPostgres(t)
	clk := servertest.NewClock(time.Now().UTC())
	base, logs := serveOn(t, clk, func(c *config.Config) {
		c.Store, c.SessionStore = pg.DSN(), "postgres"
		c.StoreTimeout = time.Second
	})
	w := seedWorld(t, base)

	pg.Hang()
	// Resumed before the server's cleanup, should the test stop hung.
	defer pg.Resume()
	clk.Advance(3 * time.Second) // past the user and tenant caches
	w.hung(t, base, "postgres")
	pg.Resume()
	w.resumed(t, base, "postgres", time.Now())
	noPanics(t, logs)
}
