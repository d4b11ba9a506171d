package tenantapi_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/sessiond/sessiond/internal/tenantapi"
)

// BenchmarkMe measures the session-check path: GET /auth/me with a tenant
// token and an access token, through the whole server handler (request
// ID, tenant lookup, RS256 verification, session and user check, the
// envelope), without a network in between.
func BenchmarkMe(b *testing.B) {
	e := start(b)
	ten := e.tenant("bench", `{"name":"bench","clientHeaders":"accept"}`)
	tk := e.signup(ten, "user@example.com")
	h := e.app.Handler()
	r := httptest.NewRequest("GET", "/auth/me", nil)
	r.Header.Set(tenantapi.TenantTokenHeader, ten.Token)
	r.Header.Set(tenantapi.UserTokenHeader, tk.AccessToken)
	for k, v := range device {
		r.Header.Set(k, v)
	}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != http.StatusOK {
				b.Fatalf("GET /auth/me: %d %s", w.Code, w.Body)
			}
		}
	})
}
