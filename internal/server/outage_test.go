package server_test

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sessiond/sessiond/internal/config"
	"github.com/sessiond/sessiond/internal/server"
	"github.com/sessiond/sessiond/internal/server/servertest"
	"github.com/sessiond/sessiond/internal/store/redisstore"
	"github.com/sessiond/sessiond/internal/store/storetest"
)

var cheapHash = servertest.Cheap

// testClock lets a test run the core's caches (users and tenants, 2s) out
// without waiting; logSink collects the server's logs.
type (
	testClock = servertest.Clock
	logSink   = servertest.LogBuffer
)

// serveOn runs one sessiond in this process on a loopback port, on a clock
// the test moves, and returns its base URL and its log.
func serveOn(t *testing.T, clk *testClock, tune func(*config.Config)) (string, *logSink) {
	t.Helper()
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	cfg.HTTPBindAddress = "127.0.0.1:0"
	cfg.PasswordHashCost = &cheapHash
	tune(&cfg)
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	logs := &logSink{}
	log := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	app, err := server.Open(context.Background(), cfg, log, clk.Now)
	if err != nil {
		t.Fatal(err)
	}
	if err := app.Listen(); err != nil {
		app.Close()
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- app.Serve(ctx) }()
	t.Cleanup(func() {
		stop()
		<-done
		if t.Failed() {
			t.Logf("server log:\n%s", logs.String())
		}
	})
	return app.URL(), logs
}

// world is what a user had before an outage: one session per dialect.
type world struct {
	cookie *http.Cookie // InfluxDB
	rocket rocket
	tenant tenant
	access string // tenant API access token
}

func seedWorld(t *testing.T, base string) world {
	t.Helper()
	setup(t, base)
	createUser(t, base, "bob", bobPass)
	w := world{cookie: influxSignin(t, base, "bob", bobPass), rocket: rocketLogin(t, base, "bob", bobPass), tenant: createTenant(t, base, "shop")}
	w.access = tenantAuth(t, base, "/auth/signup", w.tenant, "ann@example.com")
	w.check(t, base, "before the outage")
	return w
}

// check asserts every session of w works.
func (w world) check(t *testing.T, base, when string) {
	t.Helper()
	want(t, "influx me "+when, influxMe(t, base, w.cookie), http.StatusOK)
	want(t, "rocket me "+when, rocketMe(t, base, w.rocket), http.StatusOK)
	want(t, "tenant me "+when, tenantMe(t, base, w.tenant, w.access), http.StatusOK)
}

// unavailable asserts that every dialect answers its "unavailable" error,
// 503 and quickly, while engine is down, and that /ready names it.
func (w world) unavailable(t *testing.T, base, engine string) {
	t.Helper()
	quick := func(what string, a answer) answer {
		t.Helper()
		if a.status != http.StatusServiceUnavailable {
			t.Fatalf("%s with %s down: got %d %s, want 503", what, engine, a.status, a.body)
		}
		if a.took > 2*time.Second {
			t.Fatalf("%s with %s down took %v", what, engine, a.took)
		}
		return a
	}
	if m := quick("influx GET /api/v2/me", influxMe(t, base, w.cookie)).json(t); m["code"] != "unavailable" {
		t.Fatalf("influx body: %v", m)
	}
	if m := quick("rocket GET /api/v1/me", rocketMe(t, base, w.rocket)).json(t); m["success"] != false {
		t.Fatalf("rocket body: %v", m)
	}
	e, _ := quick("tenant GET /auth/me", tenantMe(t, base, w.tenant, w.access)).json(t)["error"].(map[string]any)
	if e == nil || e["status"] != float64(http.StatusServiceUnavailable) {
		t.Fatalf("tenant body: %v", e)
	}
	// Sign-ins must not say "wrong password" either.
	quick("influx signin", do(t, request{method: "POST", url: base + "/api/v2/signin", basic: []string{"bob", bobPass}}))
	quick("rocket login", do(t, request{method: "POST", url: base + "/api/v1/login", body: `{"user":"bob","password":"` + bobPass + `"}`}))
	r := quick("GET /ready", do(t, request{method: "GET", url: base + "/ready"}))
	if !strings.Contains(r.body, `"name": "`+engine+`"`) || !strings.Contains(r.body, engine+" does not answer") {
		t.Fatalf("/ready does not name %s: %s", engine, r.body)
	}
	want(t, "/health", do(t, request{method: "GET", url: base + "/health"}), http.StatusOK)
}

// recovered waits until the engine is back for sessiond, then checks that
// every session made before the outage still works.
func (w world) recovered(t *testing.T, base, engine string) {
	t.Helper()
	back := time.Now()
	for {
		a := do(t, request{method: "GET", url: base + "/ready"})
		if a.status == http.StatusOK {
			break
		}
		if time.Since(back) > 15*time.Second {
			t.Fatalf("not ready 15s after %s came back: %s", engine, a.body)
		}
		time.Sleep(50 * time.Millisecond)
	}
	for {
		a := influxMe(t, base, w.cookie)
		if a.status == http.StatusOK {
			break
		}
		if a.status != http.StatusServiceUnavailable || time.Since(back) > 15*time.Second {
			t.Fatalf("influx me after %s came back: %d %s", engine, a.status, a.body)
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("recovered %v after %s came back", time.Since(back), engine)
	w.check(t, base, "after the outage")
	influxSignin(t, base, "bob", bobPass)
}

func noPanics(t *testing.T, logs *logSink) {
	t.Helper()
	if strings.Contains(logs.String(), `"msg":"panic"`) {
		t.Fatalf("a handler panicked:\n%s", logs.String())
	}
}

// TestRedisOutage cuts Redis (sessions, limits) under a running sessiond
// through a TCP proxy, leaving the shared server alone.
func TestRedisOutage(t *testing.T) {
	dsn := storetest.PostgresDSN(t)
	p := storetest.NewProxy(t, storetest.RedisHost(t))
	prefix := storetest.RedisPrefix(t)
	clk := servertest.NewClock(time.Now().UTC())
	base, logs := serveOn(t, clk, func(c *config.Config) {
		c.Store, c.SessionStore, c.RedisKeyPrefix = dsn, p.Addr(), prefix
	})
	w := seedWorld(t, base)

	p.Stop()
	// Past the bound of the client-side cache of sessions, which may
	// answer a check it holds until then (docs/storage-postgres-redis.md).
	time.Sleep(redisstore.StaleBound)
	w.unavailable(t, base, "redis")
	p.Start()
	w.recovered(t, base, "redis")
	noPanics(t, logs)
}

// TestPostgresOutage cuts PostgreSQL (users, tenants, tokens) under a
// running sessiond, sessions staying in Redis.
func TestPostgresOutage(t *testing.T) {
	dsn := storetest.PostgresDSN(t)
	p := storetest.NewProxy(t, storetest.PostgresHost(t, dsn))
	prefix := storetest.RedisPrefix(t)
	clk := servertest.NewClock(time.Now().UTC())
	base, logs := serveOn(t, clk, func(c *config.Config) {
		c.Store, c.SessionStore, c.RedisKeyPrefix = storetest.WithHost(t, dsn, p.Addr()), storetest.RedisAddr(t), prefix
	})
	w := seedWorld(t, base)

	p.Stop()
	clk.Advance(3 * time.Second) // past the user and tenant caches
	w.unavailable(t, base, "postgres")
	p.Start()
	w.recovered(t, base, "postgres")
	noPanics(t, logs)
}

// TestPostgresSessionsOutage: with --session-store postgres, PostgreSQL
// holds everything; its outage is answered the same way.
func TestPostgresSessionsOutage(t *testing.T) {
	dsn := storetest.PostgresDSN(t)
	p := storetest.NewProxy(t, storetest.PostgresHost(t, dsn))
	clk := servertest.NewClock(time.Now().UTC())
	base, logs := serveOn(t, clk, func(c *config.Config) {
		c.Store, c.SessionStore = storetest.WithHost(t, dsn, p.Addr()), "postgres"
	})
	w := seedWorld(t, base)

	p.Stop()
	clk.Advance(3 * time.Second)
	w.unavailable(t, base, "postgres")
	p.Start()
	w.recovered(t, base, "postgres")
	noPanics(t, logs)
}
