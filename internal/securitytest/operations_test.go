package securitytest

import (
	"bufio"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sessiond/sessiond/internal/config"
)

// Point 37: a state change made with the session cookie from another
// origin is refused (403, InfluxDB's error shape); same-origin requests,
// requests without Origin (the InfluxDB clients) and token requests pass.
func TestD37CrossOriginRefused(t *testing.T) {
	e := start(t, options{})
	e.seed()
	key := e.signin(bobName, bobPass)
	change := func(h map[string]string, cookie, token string) resp {
		return e.do(req{method: "PATCH", path: "/api/v2/users/" + bobID, cookie: cookie, token: token, headers: h, body: `{"name":"bob"}`})
	}
	evil := map[string]string{"Origin": "https://evil.example"}
	if r := change(evil, key, ""); r.StatusCode != http.StatusForbidden || !strings.Contains(r.body, `"code":"forbidden"`) {
		t.Fatalf("cross-origin PATCH with the cookie: %d %s", r.StatusCode, r.body)
	}
	if r := change(map[string]string{"Sec-Fetch-Site": "cross-site"}, key, ""); r.StatusCode != http.StatusForbidden {
		t.Fatalf("Sec-Fetch-Site cross-site: %d", r.StatusCode)
	}
	if s := e.status(req{method: "POST", path: "/api/v2/signout", cookie: key, headers: evil}); s != http.StatusForbidden {
		t.Fatalf("cross-origin signout: %d", s)
	}
	if !e.live(key) {
		t.Fatal("a refused cross-origin signout ended the session")
	}
	same := map[string]string{"Origin": e.srv.URL}
	for name, h := range map[string]map[string]string{"same origin": same, "no Origin": nil, "Sec-Fetch-Site same-origin": {"Sec-Fetch-Site": "same-origin"}} {
		if r := change(h, key, ""); r.StatusCode != http.StatusOK {
			t.Fatalf("%s: %d %s", name, r.StatusCode, r.body)
		}
	}
	if r := change(evil, "", operToken); r.StatusCode != http.StatusOK {
		t.Fatalf("token request with a foreign Origin (not a CSRF vector): %d", r.StatusCode)
	}
	if r := e.do(req{method: "GET", path: "/api/v2/me", cookie: key, headers: evil}); r.StatusCode != http.StatusOK {
		t.Fatalf("cross-origin GET: %d", r.StatusCode)
	}
}

// Point 38: /health, /ready and /ping answer without credentials and show
// no secret; no log line, metric or audit event holds a key, a password or
// a cookie. (Departs: /metrics is served on the public listener without
// credentials, as InfluxDB serves it; it holds no secret.)
func TestD38NoSecretsInLogsMetricsOrAudit(t *testing.T) {
	auditPath := filepath.Join(t.TempDir(), "audit.log")
	e := start(t, options{tune: func(c *config.Config) { c.AuditLog = auditPath; c.LockoutAccountLimit = 3 }})
	e.seed()
	for _, p := range []string{"/health", "/ready", "/ping"} {
		if r := e.do(req{method: "GET", path: p}); r.StatusCode >= 300 || strings.Contains(r.body, operToken) {
			t.Fatalf("%s: %d %s", p, r.StatusCode, r.body)
		}
	}
	// A full life: failures, a lockout, sign-in, checks, a password change,
	// sessions listed and revoked, sign-out.
	secrets := []string{bobPass, carolPass, "wrong-password-1", "a brand new passphrase", operToken}
	for range 4 {
		e.signinResp(carolName, "wrong-password-1")
	}
	e.signinResp("nobody", "wrong-password-1")
	key := e.signin(bobName, bobPass)
	other := e.signin(bobName, bobPass)
	secrets = append(secrets, key, other, hashOf(key))
	e.do(req{method: "GET", path: "/api/v2/me", cookie: key})
	e.do(req{method: "GET", path: "/api/v2/me", cookie: key, headers: map[string]string{"X-Request-Id": "req-" + "abc"}})
	e.do(req{method: "GET", path: "/api/v2/me", token: operToken})
	e.do(req{method: "GET", path: "/api/v2/me?token=" + key})
	e.do(req{method: "PUT", path: "/api/v2/me/password", cookie: key, basic: []string{"x", bobPass}, body: `{"password":"a brand new passphrase"}`})
	e.do(req{method: "GET", path: "/api/v2/sessions", cookie: key})
	e.do(req{method: "GET", path: "/api/v2/lockouts", token: operToken})
	e.do(req{method: "DELETE", path: "/api/v2/users/" + carolID + "/sessions", token: operToken})
	e.do(req{method: "POST", path: "/api/v2/signout", cookie: key})
	e.do(req{method: "GET", path: "/api/v2/me", cookie: key})
	metrics := e.do(req{method: "GET", path: "/metrics"}).body
	e.app.Close() // flush and close the audit log
	b, err := os.ReadFile(auditPath)
	if err != nil {
		t.Fatal(err)
	}
	audit := string(b)
	logs := e.logs.String()
	if !strings.Contains(logs, `"level":"DEBUG"`) || !strings.Contains(metrics, "sessiond_signins_total") {
		t.Fatal("the debug log or the metrics are empty: the test would prove nothing")
	}
	for name, out := range map[string]string{"log": logs, "metrics": metrics, "audit log": audit} {
		for _, s := range secrets {
			if strings.Contains(out, s) {
				t.Fatalf("the %s holds a secret (%.6s...)", name, s)
			}
		}
	}
	// The audit log is JSON lines with the events of that life.
	seen := map[string]bool{}
	sc := bufio.NewScanner(strings.NewReader(audit))
	for sc.Scan() {
		var ev struct {
			Event, Outcome, IP string
			RequestID          string `json:"request_id"`
		}
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			t.Fatalf("audit line %q: %v", sc.Text(), err)
		}
		seen[ev.Event+"/"+ev.Outcome] = true
		if ev.Event == "signin" && (ev.IP == "" || ev.RequestID == "") {
			t.Fatalf("sign-in event without address or request ID: %s", sc.Text())
		}
	}
	for _, want := range []string{"signin/failure", "signin/locked", "signin/success", "lockout/", "password.change/success", "session.revoke_all/", "signout/", "user.create/"} {
		if !seen[want] {
			t.Fatalf("no %s event in the audit log:\n%s", want, audit)
		}
	}
}
