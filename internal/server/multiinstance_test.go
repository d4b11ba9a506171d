package server_test

import (
	"bufio"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/sessiond/sessiond/internal/store/redisstore"
	"github.com/sessiond/sessiond/internal/store/storetest"
	"github.com/sessiond/sessiond/internal/testenv"
)

// binDir holds the sessiond binary built for the process tests, removed
// by TestMain.
var (
	buildOnce sync.Once
	binDir    string
	binPath   string
	buildErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	testenv.Report(code, testenv.Postgres, testenv.Redis, testenv.RedisCluster, testenv.InfluxCLI)
	os.Exit(code)
}

// sessiondBinary builds cmd/sessiond once per test run.
func sessiondBinary(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		if binDir, buildErr = os.MkdirTemp("", "sessiond-bin-"); buildErr != nil {
			return
		}
		binPath = filepath.Join(binDir, "sessiond")
		out, err := exec.Command("go", "build", "-o", binPath, "github.com/sessiond/sessiond/cmd/sessiond").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// until polls seen, as fast as the loopback answers, and returns how long
// it took to hold. It fails the test after 5 s: with --cache-ttl 1h only
// the change feed can make it hold that soon.
func until(t *testing.T, seen func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for !seen() {
		if time.Since(start) > 5*time.Second {
			t.Fatalf("not seen on the other instance after %v", time.Since(start))
		}
	}
	return time.Since(start)
}

// refusedWithin polls refused until it holds and returns how long after
// start (a revoke's answer) that was. It fails the test if a poll that
// began redisstore.StaleBound or more after start did not see the
// refusal: the revoke reaches the other instance's client-side cache
// within milliseconds, and no later than that bound whatever happens to
// its connection to Redis. Polls before the bound may still be served.
func refusedWithin(t *testing.T, start time.Time, refused func() bool) time.Duration {
	t.Helper()
	for {
		began := time.Now()
		if refused() {
			return time.Since(start)
		}
		if d := began.Sub(start); d >= redisstore.StaleBound {
			t.Fatalf("a check that began %v after the revoke was still served (bound %v)", d, redisstore.StaleBound)
		}
	}
}

// process is one sessiond process.
type process struct {
	name string
	url  string
	cmd  *exec.Cmd

	mu   sync.Mutex
	logs []string
	done chan struct{}
}

func (p *process) log() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.Join(p.logs, "\n")
}

// startProcess runs `sessiond serve` with args on a loopback port it picks
// itself, and returns once it listens. The process gets SIGTERM when the
// test ends, and its log is printed if the test failed.
func startProcess(t testing.TB, name string, args ...string) *process {
	t.Helper()
	return startProcessIn(t, name, t.TempDir(), args...)
}

// startProcessIn is startProcess with the data directory dir.
func startProcessIn(t testing.TB, name, dir string, args ...string) *process {
	t.Helper()
	cmd := exec.Command(sessiondBinary(t), append([]string{"serve", "--http-bind-address", "127.0.0.1:0", "--data-dir", dir}, args...)...)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	p := &process{name: name, cmd: cmd, done: make(chan struct{})}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	addr := make(chan string, 1)
	go func() {
		defer close(p.done)
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			p.mu.Lock()
			p.logs = append(p.logs, line)
			p.mu.Unlock()
			var rec struct{ Msg, Addr string }
			if json.Unmarshal([]byte(line), &rec) == nil && rec.Msg == "sessiond listening" {
				addr <- rec.Addr
			}
		}
		cmd.Wait()
	}()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(20 * time.Second):
			cmd.Process.Kill()
			<-p.done
		}
		if t.Failed() {
			t.Logf("log of %s:\n%s", name, p.log())
		}
	})
	select {
	case a := <-addr:
		p.url = "http://" + a
	case <-p.done:
		t.Fatalf("%s exited before listening:\n%s", name, p.log())
	case <-time.After(60 * time.Second):
		t.Fatalf("%s did not listen within 60s:\n%s", name, p.log())
	}
	return p
}

// TestMultiInstance starts two sessiond processes on one PostgreSQL schema
// (users, tenants, tokens) and one Redis prefix (sessions and limits), both
// at once so that their migrations race, and checks that they act as one
// server: a session made on A is seen on B, a revoke on B is refused on A
// within the client-side cache's bound (and on B at once), a rate limit is
// one budget across both, and a tenant made on A works on B.
//
// It runs against a single Redis (SESSIOND_TEST_REDIS_ADDR) and against a
// Redis Cluster (SESSIOND_TEST_REDIS_CLUSTER), whichever are set.
func TestMultiInstance(t *testing.T) {
	for _, target := range storetest.RedisTargets(t) {
		t.Run(target.Name, func(t *testing.T) {
			multiInstance(t, storetest.PostgresDSN(t), target.Addr, storetest.RedisPrefixAt(t, target.Addr))
		})
	}
}

func multiInstance(t *testing.T, dsn, redis, prefix string) {
	sessiondBinary(t)
	// --cache-ttl 1h: a change can reach the other instance within the
	// test only through the change feed, never by a cache expiring.
	args := []string{"--store", dsn, "--session-store", redis, "--redis-key-prefix", prefix,
		"--rocketchat-rate-limit", "10", "--rocketchat-rate-limit-window", "1m", "--lockout-account-limit", "4",
		"--cache-ttl", "1h", "--tenant-signin-limit", "100000"}
	var a, b *process
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); a = startProcess(t, "A", args...) }()
	go func() { defer wg.Done(); b = startProcess(t, "B", args...) }()
	wg.Wait()
	if a == nil || a.url == "" || b == nil || b.url == "" {
		t.FailNow()
	}

	setup(t, a.url)
	createUser(t, b.url, "bob", bobPass) // an identity written through B, read through A below

	t.Run("RevokeOnBRefusedOnA", func(t *testing.T) {
		cookie := influxSignin(t, a.url, "bob", bobPass)
		want(t, "me on B", influxMe(t, b.url, cookie), http.StatusOK)
		want(t, "me on A", influxMe(t, a.url, cookie), http.StatusOK)
		want(t, "signout on B", do(t, request{method: "POST", url: b.url + "/api/v2/signout", cookie: cookie}), http.StatusNoContent)
		signedOut := time.Now()
		want(t, "me on B after the signout", influxMe(t, b.url, cookie), http.StatusUnauthorized)
		refusedWithin(t, signedOut, func() bool { return influxMe(t, a.url, cookie).status == http.StatusUnauthorized })

		// An administrator's revoke of every session of a user, on A,
		// ends a Rocket.Chat login made on B.
		r := rocketLogin(t, b.url, "bob", bobPass)
		want(t, "rocket me on A", rocketMe(t, a.url, r), http.StatusOK)
		admin := influxSignin(t, b.url, "admin", adminPass)
		want(t, "revoke bob's sessions on A", do(t, request{method: "DELETE", url: a.url + "/api/v2/users/" + r.userID + "/sessions", cookie: admin}), http.StatusNoContent)
		revoked := time.Now()
		want(t, "rocket me on A after its revoke", rocketMe(t, a.url, r), http.StatusUnauthorized)
		refusedWithin(t, revoked, func() bool { return rocketMe(t, b.url, r).status == http.StatusUnauthorized })
	})

	t.Run("RevokeWindow", func(t *testing.T) {
		// Many sessions, each signed in on A (a guest of a tenant: no
		// password hash), checked twice on B (cached there), revoked on A,
		// then checked on B until refused: the window between A's answer
		// and B's first refusal is the invalidation's way through Redis.
		x := createTenant(t, a.url, "revokes")
		n := 2000
		if testing.Short() {
			n = 200
		}
		hitsBefore := cacheHits(t, b)
		var took []time.Duration
		served := 0 // checks on B that still served a revoked session
		for i := range n {
			tok := guestSignin(t, a.url, x)
			for range 2 {
				want(t, "tenant me on B", tenantMe(t, b.url, x, tok), http.StatusOK)
			}
			want(t, "revoke on A", do(t, request{method: "DELETE", url: a.url + "/api/v2/sessions/" + sessionOf(t, tok), headers: token(operToken)}), http.StatusNoContent)
			start := time.Now()
			took = append(took, refusedWithin(t, start, func() bool {
				switch st := tenantMe(t, b.url, x, tok).status; st {
				case http.StatusOK:
					served++
					return false
				case http.StatusUnauthorized:
					return true
				default:
					t.Fatalf("session %d on B after the revoke: status %d", i, st)
					return true
				}
			}))
		}
		// Most second checks on B were answered from its cache (a late
		// heartbeat under load sends one to Redis), so the revokes had
		// cached copies to reach.
		if hits := cacheHits(t, b) - hitsBefore; hits < float64(n)/2 {
			t.Fatalf("%v cache hits on B for %d sessions checked twice", hits, n)
		}
		slices.Sort(took)
		t.Logf("revoke on A refused on B after: p50 %v, p99 %v, max %v (%d revokes; %d checks on B served a revoked session; bound %v)",
			took[len(took)/2], took[len(took)*99/100], took[len(took)-1], n, served, redisstore.StaleBound)
	})

	t.Run("RateLimitIsOneBudget", func(t *testing.T) {
		// GET /api/v1/me allows 10 calls per minute and client IP (the
		// route was called above already): alternate between A and B, and
		// each call takes one from the same budget.
		r := rocketLogin(t, a.url, "bob", bobPass)
		first := rocketMe(t, a.url, r)
		want(t, "first call on A", first, http.StatusOK)
		left := 0
		fmt.Sscan(first.header.Get("X-RateLimit-Remaining"), &left)
		if left < 5 {
			t.Fatalf("X-RateLimit-Remaining %q on the first call", first.header.Get("X-RateLimit-Remaining"))
		}
		for i := 1; i <= left; i++ {
			p := []*process{a, b}[i%2]
			got := rocketMe(t, p.url, r)
			want(t, fmt.Sprintf("call %d on %s", i+1, p.name), got, http.StatusOK)
			if rem := got.header.Get("X-RateLimit-Remaining"); rem != fmt.Sprint(left-i) {
				t.Fatalf("call %d on %s: X-RateLimit-Remaining %q, want %d", i+1, p.name, rem, left-i)
			}
		}
		for _, p := range []*process{a, b} {
			want(t, "call past the limit on "+p.name, rocketMe(t, p.url, r), http.StatusTooManyRequests)
		}
	})

	t.Run("LockoutIsShared", func(t *testing.T) {
		// Four attempts per account (--lockout-account-limit 4), made on
		// both instances, lock the account on both; B lists the lock and A
		// clears it for both.
		id := createUser(t, a.url, "carol", "carol-password")
		for i := range 4 {
			p := []*process{a, b}[i%2]
			want(t, "wrong password on "+p.name, do(t, request{method: "POST", url: p.url + "/api/v2/signin", basic: []string{"carol", "wrong-password"}}), http.StatusUnauthorized)
		}
		for _, p := range []*process{a, b} {
			want(t, "right password on "+p.name+" while locked", do(t, request{method: "POST", url: p.url + "/api/v2/signin", basic: []string{"carol", "carol-password"}}), http.StatusUnauthorized)
		}
		l := do(t, request{method: "GET", url: b.url + "/api/v2/lockouts", headers: token(operToken)})
		want(t, "lockouts on B", l, http.StatusOK)
		var key string
		for _, x := range l.json(t)["lockouts"].([]any) {
			if m := x.(map[string]any); m["userID"] == id && m["locked"] == true {
				key, _ = m["key"].(string)
			}
		}
		if key == "" {
			t.Fatalf("B does not list carol's lock: %s", l.body)
		}
		want(t, "clear on A", do(t, request{method: "DELETE", url: a.url + "/api/v2/lockouts/" + key, headers: token(operToken)}), http.StatusNoContent)
		influxSignin(t, b.url, "carol", "carol-password")
	})

	t.Run("TenantMadeOnAWorksOnB", func(t *testing.T) {
		x := createTenant(t, a.url, "shop")
		tok := tenantAuth(t, b.url, "/auth/signup", x, "ann@example.com")
		want(t, "tenant me on B", tenantMe(t, b.url, x, tok), http.StatusOK)
		want(t, "tenant me on A", tenantMe(t, a.url, x, tok), http.StatusOK)
		tok2 := tenantAuth(t, a.url, "/auth/signin", x, "ann@example.com")
		want(t, "tenant me on B, signed in on A", tenantMe(t, b.url, x, tok2), http.StatusOK)
	})

	t.Run("ChangesReachTheOtherInstance", func(t *testing.T) {
		// A tenant's restriction set on A refuses on B, and lifted on A
		// serves on B; a user renamed on A shows renamed on B. Each change
		// is timed from A's answer to B's first answer showing it.
		x := createTenant(t, a.url, "propagation")
		tok := tenantAuth(t, a.url, "/auth/signup", x, "pat@example.com")
		want(t, "tenant me on B", tenantMe(t, b.url, x, tok), http.StatusOK)
		const rounds = 40
		var took []time.Duration
		for i := range rounds {
			list, wantStatus := `["me"]`, http.StatusForbidden
			if i%2 == 1 {
				list, wantStatus = `[]`, http.StatusOK
			}
			want(t, "restrict on A", do(t, request{method: "PATCH", url: a.url + "/api/v2/tenants/" + x.id,
				body: `{"restrictedCapabilities":` + list + `}`, headers: token(operToken)}), http.StatusOK)
			took = append(took, until(t, func() bool { return tenantMe(t, b.url, x, tok).status == wantStatus }))
		}
		cookie := influxSignin(t, b.url, "bob", bobPass)
		bobID := rocketLogin(t, a.url, "bob", bobPass).userID
		for i := range rounds {
			name := fmt.Sprintf("bob%d", i)
			want(t, "rename on A", do(t, request{method: "PATCH", url: a.url + "/api/v2/users/" + bobID,
				body: `{"name":"` + name + `"}`, headers: token(operToken)}), http.StatusOK)
			took = append(took, until(t, func() bool { return strings.Contains(influxMe(t, b.url, cookie).body, `"`+name+`"`) }))
		}
		want(t, "rename back", do(t, request{method: "PATCH", url: a.url + "/api/v2/users/" + bobID,
			body: `{"name":"bob"}`, headers: token(operToken)}), http.StatusOK)
		slices.Sort(took)
		t.Logf("a change on A seen on B after: p50 %v, p99 %v, max %v (%d changes; tenants and users)",
			took[len(took)/2], took[len(took)*99/100], took[len(took)-1], len(took))
	})

	t.Run("ReadyAndMetrics", func(t *testing.T) {
		for _, p := range []*process{a, b} {
			r := do(t, request{method: "GET", url: p.url + "/ready"})
			want(t, "ready on "+p.name, r, http.StatusOK)
			for _, engine := range []string{`"postgres"`, `"redis"`} {
				if !strings.Contains(r.body, engine) {
					t.Fatalf("ready on %s does not report %s: %s", p.name, engine, r.body)
				}
			}
			m := do(t, request{method: "GET", url: p.url + "/metrics"})
			want(t, "metrics on "+p.name, m, http.StatusOK)
			for _, s := range []string{
				`sessiond_store_duration_seconds_bucket{engine="redis",op="SessionByTokenHash"`,
				`sessiond_store_duration_seconds_bucket{engine="postgres",op="UserByID"`,
				`sessiond_store_duration_seconds_count{engine="redis",op="LimitHit"}`,
				`sessiond_session_cache_reads_total{result="hit"}`,
			} {
				if !strings.Contains(m.body, s) {
					t.Errorf("metrics on %s lack %s", p.name, s)
				}
			}
		}
	})
}

// guestSignin signs a guest in to tenant x through base and returns the
// access token.
func guestSignin(t *testing.T, base string, x tenant) string {
	t.Helper()
	a := do(t, request{method: "POST", url: base + "/auth/signin", headers: x.headers(""), body: `{"method":"guest"}`})
	want(t, "guest signin", a, http.StatusCreated)
	data, _ := a.json(t)["data"].(map[string]any)
	tok, _ := data["accessToken"].(string)
	if tok == "" {
		t.Fatalf("guest signin: no access token in %s", a.body)
	}
	return tok
}

// sessionOf returns the session a tenant access token names (its sid).
func sessionOf(t *testing.T, tok string) string {
	t.Helper()
	parts := strings.Split(tok, ".")
	var c struct{ Sid string }
	if len(parts) != 3 {
		t.Fatalf("access token %q is not a JWT", tok)
	}
	if b, err := base64.RawURLEncoding.DecodeString(parts[1]); err != nil || json.Unmarshal(b, &c) != nil || c.Sid == "" {
		t.Fatalf("no sid in access token %q", tok)
	}
	return c.Sid
}

// metricOf is p's value of series (its whole name with labels, as
// /metrics prints it); the test fails when p has no such series.
func metricOf(t testing.TB, p *process, series string) float64 {
	t.Helper()
	m := do(t, request{method: "GET", url: p.url + "/metrics"})
	want(t, "metrics on "+p.name, m, http.StatusOK)
	for _, line := range strings.Split(m.body, "\n") {
		if v, ok := strings.CutPrefix(line, series+" "); ok {
			var f float64
			if _, err := fmt.Sscan(v, &f); err != nil {
				t.Fatalf("metrics on %s: %q", p.name, line)
			}
			return f
		}
	}
	t.Fatalf("metrics on %s lack %s", p.name, series)
	return 0
}

// cacheHits is p's count of session reads its client-side cache answered.
func cacheHits(t *testing.T, p *process) float64 {
	t.Helper()
	return metricOf(t, p, `sessiond_session_cache_reads_total{result="hit"}`)
}
