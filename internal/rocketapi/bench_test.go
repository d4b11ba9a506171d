package rocketapi_test

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// BenchmarkMe measures GET /api/v1/me with X-User-Id and X-Auth-Token
// through the whole handler (middleware, session check, encoding), without
// the network.
func BenchmarkMe(b *testing.B) {
	e := start(b)
	c := e.login(bobName, bobPass, chromeUA)
	h := e.app.Handler()
	req := httptest.NewRequest("GET", "/api/v1/me", nil)
	req.Host = host
	req.Header.Set("X-User-Id", c.userID)
	req.Header.Set("X-Auth-Token", c.token)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != http.StatusOK {
			b.Fatalf("status %d: %s", w.Code, w.Body)
		}
	}
}
