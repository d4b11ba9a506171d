package httpkit_test

import (
	"net/http"
	"net/http/httptest"
	"regexp"
	"testing"

	"github.com/sessiond/sessiond/internal/auth"
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

// TestSetActor: under Wrap the caller is kept on the request's own
// context (the same request comes back) and auth.ActorFrom reads it,
// not before; elsewhere SetActor makes a new context, as auth.WithActor.
func TestSetActor(t *testing.T) {
	a := auth.Actor{UserID: "u1", TenantID: "t1", SessionID: "s1"}
	ran := false
	h := httpkit.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ran = true
		if _, ok := auth.ActorFrom(r.Context()); ok {
			t.Fatal("an actor before SetActor")
		}
		if r2 := httpkit.SetActor(r, a); r2 != r {
			t.Fatal("SetActor copied a request Wrap serves")
		}
		if got, ok := auth.ActorFrom(r.Context()); !ok || got != a {
			t.Fatalf("ActorFrom = %+v, %t; want %+v", got, ok, a)
		}
		// A caller named on a context of its own below wins, as with
		// nested WithActor.
		b := auth.Actor{UserID: "u2"}
		if got, _ := auth.ActorFrom(auth.WithActor(r.Context(), b)); got != b {
			t.Fatalf("ActorFrom under WithActor = %+v, want %+v", got, b)
		}
	}), httpkit.WrapOptions{})
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
	if !ran {
		t.Fatal("handler not run")
	}

	r := httptest.NewRequest("GET", "/", nil)
	r2 := httpkit.SetActor(r, a)
	if got, ok := auth.ActorFrom(r2.Context()); !ok || got != a {
		t.Fatalf("outside Wrap: ActorFrom = %+v, %t; want %+v", got, ok, a)
	}
	if _, ok := auth.ActorFrom(r.Context()); ok {
		t.Fatal("outside Wrap, SetActor changed the request it was given")
	}
}
