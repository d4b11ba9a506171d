package server_test

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sessiond/sessiond/internal/config"
	"github.com/sessiond/sessiond/internal/server/servertest"
	"github.com/sessiond/sessiond/internal/store/storetest"
)

// TestSessionCapEveryStore: on every session store, a user at
// --max-sessions-per-user who signs in once more loses the least
// recently used session, and the audit log says so.
func TestSessionCapEveryStore(t *testing.T) {
	stores := []struct {
		name string
		tune func(t *testing.T, c *config.Config)
	}{
		{"memory", func(t *testing.T, c *config.Config) {}},
		{"sqlite", func(t *testing.T, c *config.Config) { c.SessionStore = "sqlite" }},
		{"postgres", func(t *testing.T, c *config.Config) { c.Store, c.SessionStore = storetest.PostgresDSN(t), "postgres" }},
		{"redis", func(t *testing.T, c *config.Config) {
			c.SessionStore, c.RedisKeyPrefix = storetest.RedisAddr(t), storetest.RedisPrefix(t)
		}},
	}
	for _, st := range stores {
		t.Run(st.name, func(t *testing.T) {
			auditLog := filepath.Join(t.TempDir(), "audit.jsonl")
			clk := servertest.NewClock(time.Now().UTC())
			base, _ := serveOn(t, clk, func(c *config.Config) {
				st.tune(t, c)
				c.MaxSessionsPerUser = 2
				c.AuditLog = auditLog
			})
			setup(t, base)
			createUser(t, base, "bob", bobPass)
			first := influxSignin(t, base, "bob", bobPass)
			clk.Advance(2 * time.Minute)
			second := influxSignin(t, base, "bob", bobPass)
			clk.Advance(2 * time.Minute)
			want(t, "first session in use", influxMe(t, base, first), http.StatusOK) // the second is now the least recently used
			clk.Advance(2 * time.Minute)
			third := influxSignin(t, base, "bob", bobPass)
			want(t, "least recently used session", influxMe(t, base, second), http.StatusUnauthorized)
			want(t, "first session", influxMe(t, base, first), http.StatusOK)
			want(t, "new session", influxMe(t, base, third), http.StatusOK)
			b, err := os.ReadFile(auditLog)
			if err != nil {
				t.Fatal(err)
			}
			if n := strings.Count(string(b), `"event":"session.evict"`); n != 1 {
				t.Fatalf("%d session.evict events in the audit log, want 1:\n%s", n, b)
			}
		})
	}
}
