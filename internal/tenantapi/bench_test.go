package tenantapi_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/sessiond/sessiond/internal/tenantapi"
)

// BenchmarkMe measures the session-check path: GET /auth/me with a tenant
// token and an access token, through the whole server handler (request
// ID, tenant lookup, token check, session and user check, the envelope),
// without a network in between. The token is the same on every request,
// so after the first its RS256 verification is a hit of the cache of
// verified tokens; the session check runs every time.
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
