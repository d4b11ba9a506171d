package influxapi

import (
	"math/rand/v2"
	"net/http"
	"strings"
	"testing"
)

// netHTTPCookie is what cookie answered when it called Request.Cookie.
func netHTTPCookie(r *http.Request) (string, bool) {
	c, err := r.Cookie(CookieName)
	if err != nil || c.Value == "" {
		return "", false
	}
	return c.Value, true
}

// TestCookieAsNetHTTP: the session cookie read in place is what
// Request.Cookie reads, over random Cookie headers made of the pieces
// its parser treats apart.
func TestCookieAsNetHTTP(t *testing.T) {
	pieces := []string{CookieName, "=", ";", " ", "\t", `"`, "\\", "abc", "x", "other", "\x7f", "\x01", "é", ",", "==", CookieName + "x",
		" " + CookieName, "tok_+/=", strings.Repeat("k", 40)}
	r := rand.New(rand.NewPCG(7, 8))
	for i := range 50_000 {
		var lines []string
		for range 1 + r.IntN(2) {
			var b strings.Builder
			for range r.IntN(12) {
				b.WriteString(pieces[r.IntN(len(pieces))])
			}
			lines = append(lines, b.String())
		}
		if i%3 != 0 {
			lines = lines[:1]
		}
		if i%50 == 0 {
			lines[0] = strings.Repeat("a=b;", 3100) + CookieName + "=late"
		}
		req := &http.Request{Header: http.Header{"Cookie": lines}}
		gotV, gotOK := cookie(req)
		wantV, wantOK := netHTTPCookie(req)
		if gotV != wantV || gotOK != wantOK {
			t.Fatalf("Cookie %q: got %q %t, net/http %q %t", lines, gotV, gotOK, wantV, wantOK)
		}
	}
}

// FuzzCookieAsNetHTTP is TestCookieAsNetHTTP over any one-line header.
// The seed corpus is in testdata/fuzz/FuzzCookieAsNetHTTP.
func FuzzCookieAsNetHTTP(f *testing.F) {
	for _, s := range []string{CookieName + "=abc", CookieName + `="q"`, " ; " + CookieName + " = v ;", CookieName + "=a\\b; " + CookieName + "=c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		req := &http.Request{Header: http.Header{"Cookie": {line}}}
		gotV, gotOK := cookie(req)
		wantV, wantOK := netHTTPCookie(req)
		if gotV != wantV || gotOK != wantOK {
			t.Fatalf("Cookie %q: got %q %t, net/http %q %t", line, gotV, gotOK, wantV, wantOK)
		}
	})
}
