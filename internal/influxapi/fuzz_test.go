package influxapi_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// fuzzServe sends one request straight to the handler (middleware
// included, so a panic would show as a 500) and checks the answer's shape.
func fuzzServe(t *testing.T, e *env, r *http.Request, allowed ...int) {
	t.Helper()
	w := httptest.NewRecorder()
	e.app.Handler().ServeHTTP(w, r)
	ok := false
	for _, s := range allowed {
		ok = ok || w.Code == s
	}
	if !ok {
		t.Fatalf("status %d for %q: %s", w.Code, r.Header, w.Body)
	}
	if w.Code >= 400 {
		var body struct{ Code, Message string }
		if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil || body.Code == "" || body.Message == "" {
			t.Fatalf("error body %q is not InfluxDB's {code, message}", w.Body)
		}
	}
}

// FuzzSigninBasic: any Authorization header on POST /api/v2/signin gives
// 204 (the right credentials) or 401, never a panic or another status.
// The seed corpus is in testdata/fuzz/FuzzSigninBasic.
func FuzzSigninBasic(f *testing.F) {
	e := start(f, "")
	e.seed()
	for _, s := range []string{"Basic Ym9iOmJvYi1wYXNzd29yZA==", "Basic", "Basic ", "basic Ym9i", "Basic !!!!", "Token x", "Basic " + strings.Repeat("A", 1000)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, header string) {
		r := httptest.NewRequest("POST", "/api/v2/signin", nil)
		r.Header.Set("Authorization", header)
		fuzzServe(t, e, r, http.StatusNoContent, http.StatusUnauthorized)
	})
}

// FuzzCookie: any Cookie header on GET /api/v2/me and POST
// /api/v2/signout gives 401 (no live session in it) and never a panic.
// The seed corpus is in testdata/fuzz/FuzzCookie.
func FuzzCookie(f *testing.F) {
	e := start(f, "")
	e.seed()
	for _, s := range []string{"influxdb-oss-session=abc", "influxdb-oss-session=", "influxdb-oss-session", "; ;=;", `influxdb-oss-session="quoted"`, "influxdb-oss-session=a; influxdb-oss-session=b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, header string) {
		for _, m := range []string{"GET /api/v2/me", "POST /api/v2/signout"} {
			method, path, _ := strings.Cut(m, " ")
			r := httptest.NewRequest(method, path, nil)
			r.Header.Set("Cookie", header)
			fuzzServe(t, e, r, http.StatusUnauthorized)
		}
	})
}
