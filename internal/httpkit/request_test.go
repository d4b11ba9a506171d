package httpkit_test

import (
	"net/http"
	"net/http/httptest"
	"regexp"
	"testing"

	"github.com/sessiond/sessiond/internal/httpkit"
)

// TestRequestID: Wrap gives a request without an ID of its own 24
// lowercase hex characters, in the X-Request-Id header and on the
// context, different on every request; a plain ID sent is kept.
func TestRequestID(t *testing.T) {
	var seen string
	h := httpkit.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen = httpkit.RequestID(r.Context())
	}), httpkit.WrapOptions{})
	hexID := regexp.MustCompile(`^[0-9a-f]{24}$`)
	ids := map[string]bool{}
	for range 10_000 {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest("GET", "/", nil))
		id := w.Header().Get(httpkit.RequestIDHeader)
		if !hexID.MatchString(id) || seen != id {
			t.Fatalf("request ID %q in the header, %q on the context", id, seen)
		}
		if ids[id] {
			t.Fatalf("request ID %q given twice", id)
		}
		ids[id] = true
	}
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set(httpkit.RequestIDHeader, "client-chosen.1")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if got := w.Header().Get(httpkit.RequestIDHeader); got != "client-chosen.1" || seen != got {
		t.Fatalf("a plain request ID sent became %q (context %q)", got, seen)
	}
}
