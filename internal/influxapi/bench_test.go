package influxapi_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/sessiond/sessiond/internal/auth"
	"github.com/sessiond/sessiond/internal/config"
	"github.com/sessiond/sessiond/internal/server/servertest"
)

// newBenchEnv serves in-process, without a network, so the figures are
// the handler's own cost. With realCost, sign-ins use the production
// argon2id parameters.
func newBenchEnv(b *testing.B, realCost bool) *env {
	e := start(b, b.TempDir(), func(cfg *config.Config) {
		if realCost {
			def := auth.DefaultArgon2
			cfg.PasswordHashCost = &def
		}
	})
	e.seed()
	return e
}

func BenchmarkSessionCheck(b *testing.B) {
	e := newBenchEnv(b, false)
	key := e.signin(userName, userPass)
	h := e.app.Handler()
	r := httptest.NewRequest("GET", "/api/v2/me", nil)
	r.AddCookie(&http.Cookie{Name: sessionKey, Value: key})
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != 200 {
			b.Fatalf("status %d", w.Code)
		}
	}
}

func BenchmarkSignin(b *testing.B) {
	e := newBenchEnv(b, true)
	h := e.app.Handler()
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			r := httptest.NewRequest("POST", "/api/v2/signin", nil)
			r.SetBasicAuth(userName, userPass)
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != 204 {
				b.Fatalf("status %d", w.Code)
			}
		}
	})
}

func BenchmarkSignout(b *testing.B) {
	e := newBenchEnv(b, false)
	h := e.app.Handler()
	keys := make([]string, b.N)
	u, _ := e.app.Service().UserByName(b.Context(), auth.DefaultTenantID, userName)
	for i := range keys {
		_, keys[i] = servertest.SeedSession(b, e.app, u, auth.OriginInflux, auth.Client{}, auth.InfluxTokenFormat, 0)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r := httptest.NewRequest("POST", "/api/v2/signout", nil)
		r.AddCookie(&http.Cookie{Name: sessionKey, Value: keys[i]})
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != 204 {
			b.Fatalf("status %d", w.Code)
		}
	}
}
