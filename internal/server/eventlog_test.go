package server_test

import (
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/sessiond/sessiond/internal/config"
	"github.com/sessiond/sessiond/internal/server"
)

// serveLogged serves a sessiond whose log (JSON) goes to buf, tuned.
func serveLogged(t *testing.T, buf *lockedBuffer, tune func(*config.Config)) *server.App {
	t.Helper()
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	if tune != nil {
		tune(&cfg)
	}
	app, _, _ := serveConfig(t, cfg, slog.New(slog.NewJSONHandler(buf, nil)))
	logLines(t, buf, "account pages")
	return app
}

func linesWith(lines []map[string]any, msg string) []map[string]any {
	var out []map[string]any
	for _, m := range lines {
		if m["msg"] == msg {
			out = append(out, m)
		}
	}
	return out
}

// TestEventLog: at the default level, every sign-in outcome and every
// revoke is one info line, with no password or token in the log; a
// lockout is a warning; requests are logged only with --access-log.
func TestEventLog(t *testing.T) {
	for _, access := range []bool{false, true} {
		var buf lockedBuffer
		app := serveLogged(t, &buf, func(c *config.Config) { c.LockoutAccountLimit = 2; c.AccessLog = access })
		base := app.URL()
		setup(t, base)
		createUser(t, base, "bob", bobPass)
		cookie := influxSignin(t, base, "bob", bobPass)
		for range 3 {
			do(t, request{method: "POST", url: base + "/api/v2/signin", basic: []string{"bob", "wrong-password-x"}})
		}
		me := do(t, request{method: "GET", url: base + "/api/v2/me", cookie: cookie})
		want(t, "me", me, http.StatusOK)
		a := do(t, request{method: "DELETE", url: base + "/api/v2/sessions", headers: token(operToken)})
		want(t, "revoke all", a, http.StatusNoContent)

		lines := logLines(t, &buf, "revoke")
		signins := linesWith(lines, "sign-in")
		outcomes := map[string]int{}
		for _, l := range signins {
			outcomes[l["outcome"].(string)]++
			if l["level"] != "INFO" || l["api"] != "influxdb" || l["ip"] != "127.0.0.1" || l["request_id"] == nil {
				t.Errorf("sign-in line %v", l)
			}
		}
		if outcomes["success"] != 1 || outcomes["failure"]+outcomes["locked"] != 3 || outcomes["locked"] < 1 {
			t.Errorf("sign-in outcomes %v, want 1 success and 3 failures or locks", outcomes)
		}
		if l := linesWith(lines, "lockout"); len(l) == 0 || l[0]["level"] != "WARN" || l[0]["lock"] != "login" {
			t.Errorf("lockout lines %v", l)
		}
		if l := linesWith(lines, "revoke"); len(l) != 1 || l[0]["event"] != "session.revoke_all" || l[0]["level"] != "INFO" {
			t.Errorf("revoke lines %v", l)
		}
		log := buf.String()
		for _, secret := range []string{bobPass, "wrong-password-x", operToken, cookie.Value} {
			if strings.Contains(log, secret) {
				t.Fatalf("the log holds a secret %q:\n%s", secret, log)
			}
		}
		requests := linesWith(lines, "request")
		if access && len(requests) < 8 || !access && len(requests) != 0 {
			t.Errorf("access log %t: %d request lines", access, len(requests))
		}
		for _, r := range requests {
			if r["level"] != "INFO" || r["route"] == nil || r["status"] == nil {
				t.Errorf("request line %v", r)
			}
		}
	}
}

// TestMetricsOfSecurity: /metrics counts lockouts by kind, rate-limited
// calls by API, and shows the hash pool's queue and waits.
func TestMetricsOfSecurity(t *testing.T) {
	var buf lockedBuffer
	app := serveLogged(t, &buf, func(c *config.Config) { c.LockoutAccountLimit = 2; c.RocketRateLimit = 1 })
	base := app.URL()
	setup(t, base)
	createUser(t, base, "bob", bobPass)
	for range 3 {
		do(t, request{method: "POST", url: base + "/api/v2/signin", basic: []string{"bob", "wrong-password-x"}})
	}
	for range 2 {
		do(t, request{method: "POST", url: base + "/api/v1/login", body: `{"user":"nobody","password":"x"}`})
	}
	a := do(t, request{method: "GET", url: base + "/metrics"})
	for _, want := range []string{
		`sessiond_lockouts_total{kind="login"} 1`,
		`sessiond_rate_limited_total{api="rocketchat"} 1`,
		`sessiond_signins_total{api="influxdb",outcome="failure"} 2`,
		"sessiond_hash_queue_depth 0",
		"sessiond_hash_workers ",
		`sessiond_hash_wait_seconds_bucket{le="0.001"}`,
		"sessiond_hash_wait_seconds_count ",
	} {
		if !strings.Contains(a.body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}
