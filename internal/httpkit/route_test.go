package httpkit_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/sessiond/sessiond/internal/httpkit"
)

// TestRouted: routes are served; misses, wrong methods, paths ServeMux
// would redirect (cleaned, or sent on to a trailing slash) and unknown
// query parameters of changes are answered by the dialect's functions,
// never by net/http's plain text or HTML redirects.
func TestRouted(t *testing.T) {
	mux := http.NewServeMux()
	ok := func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("route " + r.Pattern + " " + r.PathValue("id")))
	}
	mux.HandleFunc("GET /a", ok)
	mux.HandleFunc("POST /a", ok)
	mux.HandleFunc("GET /tree/", ok)
	mux.HandleFunc("DELETE /items/{id}", ok)
	mux.HandleFunc("DELETE /items", ok)
	mux.HandleFunc("GET /x/y", ok)
	mux.HandleFunc("GET other.example/x/y", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("other host")) })
	// A router of its own below a prefix: its patterns are not the outer
	// mux's, whose route for those paths is the prefix.
	nested := http.NewServeMux()
	nested.HandleFunc("GET /nested/x", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("nested " + r.Pattern)) })
	nested.HandleFunc("GET /nested/y", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("nested " + r.Pattern)) })
	mux.Handle("/nested/", nested)
	h := httpkit.Routed(mux,
		func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(404); w.Write([]byte("not found")) },
		func(w http.ResponseWriter, r *http.Request, allow []string) {
			w.WriteHeader(405)
			w.Write([]byte("allow " + strings.Join(allow, ",")))
		},
		httpkit.KnownQuery(map[string][]string{"DELETE /items": {"all"}}, func(w http.ResponseWriter, r *http.Request, name string) {
			w.WriteHeader(400)
			w.Write([]byte("bad query " + name))
		}))
	tests := []struct {
		method, target string
		status         int
		body           string
	}{
		{"GET", "/a", 200, "route GET /a "},
		{"GET", "/a?x=1", 200, "route GET /a "},
		{"PUT", "/a", 405, "allow GET,HEAD,POST"},
		{"GET", "/b", 404, "not found"},
		{"GET", "/tree/", 200, "route GET /tree/ "},
		{"GET", "/tree", 404, "not found"},
		{"GET", "/tree?x=1", 404, "not found"},
		{"GET", "/a/../a", 404, "not found"},
		{"GET", "/./a", 404, "not found"},
		{"GET", "//a", 404, "not found"},
		{"GET", "/tree/x/..", 404, "not found"},
		{"DELETE", "/items/7", 200, "route DELETE /items/{id} 7"},
		{"DELETE", "/items/7?all=1", 400, "bad query all"},
		{"DELETE", "/items?all=1", 200, "route DELETE /items "},
		{"DELETE", "/items?all=1&more=2", 400, "bad query more"},
		{"DELETE", "/items?all%zz=1", 400, "bad query "},
		{"POST", "/a?" + strings.Repeat("k", 100) + "=1", 400, "bad query "},
		{"HEAD", "/a", 200, "route GET /a "},
		{"GET", "/x/y", 200, "route GET /x/y "},
		{"GET", "/x%2Fy", 404, "not found"}, // one segment to ServeMux, though its path is /x/y
		{"GET", "http://other.example/x/y", 200, "other host"},
		{"DELETE", "/items/{id}", 200, "route DELETE /items/{id} {id}"},
		{"GET", "/nested/x", 200, "nested GET /nested/x"},
		{"GET", "/nested/y", 200, "nested GET /nested/y"},
	}
	// Each request is made twice: the second finds the static routes the
	// first one learnt, and must be answered alike.
	tests = append(tests, tests...)
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.target, func(t *testing.T) {
			target := tt.target
			if !strings.HasPrefix(target, "http://") {
				target = "http://x" + target
			}
			r := httptest.NewRequest(tt.method, target, nil)
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != tt.status || w.Body.String() != tt.body || w.Header().Get("Location") != "" {
				t.Fatalf("got %d %q (Location %q), want %d %q", w.Code, w.Body.String(), w.Header().Get("Location"), tt.status, tt.body)
			}
		})
	}
}

// TestUncleanAsServeMux: Routed calls a path not found exactly when
// ServeMux would redirect it to its cleaned form.
func TestUncleanAsServeMux(t *testing.T) {
	bare := http.NewServeMux()
	bare.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {})
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{p...}", func(w http.ResponseWriter, r *http.Request) {})
	routed := httpkit.Routed(mux, func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(404) }, func(w http.ResponseWriter, r *http.Request, _ []string) {})
	for _, p := range []string{"/", "/a", "/a/", "//", "/a//b", "/.", "/..", "/a/.", "/a/..", "/a/./b", "/a/../b", "/.a", "/a.", "/a/.b", "/..a/", "/a/b/../", "/%2e%2e/a", "/a/..%2f", "///"} {
		r := httptest.NewRequest("GET", "http://x"+p, nil)
		w := httptest.NewRecorder()
		bare.ServeHTTP(w, r)
		redirects := w.Code == http.StatusTemporaryRedirect || w.Code == http.StatusMovedPermanently
		w = httptest.NewRecorder()
		routed.ServeHTTP(w, httptest.NewRequest("GET", "http://x"+p, nil))
		if got := w.Code == 404; got != redirects {
			t.Errorf("%q: ServeMux redirects %t, Routed not found %t", p, redirects, got)
		}
	}
}
