package httpkit

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestStaticRoutesBounded: a static route is learnt per method, Host and
// path; Host headers are the client's to choose, so past maxStatic the
// router learns no more and still routes every request.
func TestStaticRoutesBounded(t *testing.T) {
	mux := http.NewServeMux()
	served := 0
	mux.HandleFunc("GET /me", func(w http.ResponseWriter, r *http.Request) {
		if r.Pattern != "GET /me" {
			t.Errorf("pattern %q", r.Pattern)
		}
		served++
	})
	mux.HandleFunc("GET /users/{id}", func(w http.ResponseWriter, r *http.Request) { served++ })
	h := Routed(mux, func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(404) }, func(w http.ResponseWriter, r *http.Request, _ []string) { w.WriteHeader(405) })
	rt := h.(*router)
	const hosts = maxStatic + 500
	for i := range hosts {
		for _, p := range []string{"/me", "/users/7"} {
			req := httptest.NewRequest("GET", p, nil)
			req.Host = fmt.Sprintf("h%d.example", i)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != 200 {
				t.Fatalf("%s on host %d: %d", p, i, rec.Code)
			}
		}
	}
	if served != 2*hosts {
		t.Fatalf("served %d of %d", served, 2*hosts)
	}
	m := rt.static.m.Load()
	if m == nil || len(*m) != maxStatic {
		t.Fatalf("learnt %v routes, want %d", m, maxStatic)
	}
	for k, s := range *m {
		if k.path != "/me" || s == nil || s.pattern != "GET /me" {
			t.Fatalf("learnt %+v -> %+v: only the static /me is kept", k, s)
		}
	}
}
