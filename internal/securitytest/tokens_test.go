package securitytest

import (
	"encoding/base64"
	"net/http"
	"strings"
	"sync"
	"testing"
)

// Point 1: tokens have at least 128 bits of entropy. sessiond's session
// key is 64 bytes from crypto/rand (512 bits), padded base64url (88
// characters, InfluxDB's format). Across 10,000 sign-ins: no duplicate,
// every key decodes to 64 bytes, and no two keys share a long substring.
func TestD01TokenEntropy(t *testing.T) {
	e := start(t, options{tune: noLockout})
	e.seed()
	const n = 10000
	keys := make([]string, n)
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += 4 {
				keys[i] = e.signin(bobName, bobPass)
			}
		}()
	}
	wg.Wait()
	seen := map[string]bool{}
	chunks := map[string]int{}
	for i, k := range keys {
		if seen[k] {
			t.Fatalf("key %d issued twice", i)
		}
		seen[k] = true
		raw, err := base64.URLEncoding.DecodeString(k)
		if err != nil || len(raw) != 64 || len(k) != 88 {
			t.Fatalf("key %d: %d characters, %d bytes, %v", i, len(k), len(raw), err)
		}
		// 12 base64 characters are 72 bits: a shared one would be a
		// pattern, not chance.
		for j := 0; j+12 <= 86; j += 12 {
			c := k[j : j+12]
			if prev, ok := chunks[c]; ok && prev != i {
				t.Fatalf("keys %d and %d share %q", prev, i, c)
			}
			chunks[c] = i
		}
	}
}

// Point 2: sign-in always issues a new key, and a key the client invented
// or held before is never adopted.
func TestD02NewTokenOnLogin(t *testing.T) {
	e := start(t, options{})
	e.seed()
	invented := base64.URLEncoding.EncodeToString([]byte(strings.Repeat("x", 64)))
	r := e.do(req{method: "POST", path: "/api/v2/signin", basic: []string{bobName, bobPass}, cookie: invented})
	if r.StatusCode != http.StatusNoContent {
		t.Fatalf("signin with a planted cookie: %d", r.StatusCode)
	}
	var got string
	for _, c := range r.Cookies() {
		if c.Name == cookieKey {
			got = c.Value
		}
	}
	if got == "" || got == invented {
		t.Fatalf("sign-in adopted the planted key or set none: %q", got)
	}
	if e.live(invented) {
		t.Fatal("the planted key authenticates")
	}
	again := e.signin(bobName, bobPass)
	if again == got {
		t.Fatal("a second sign-in returned the same key")
	}
}

// Point 4 (departs for compatibility): InfluxDB's cookie is
// influxdb-oss-session with Path=/api/, Secure only over TLS, HttpOnly and
// SameSite=Strict; no Domain; no __Host- prefix (the clients look the name
// up). What can hold, holds.
func TestD04CookieAttributes(t *testing.T) {
	for _, overTLS := range []bool{false, true} {
		e := start(t, options{tls: overTLS})
		e.seed()
		r := e.signinResp(bobName, bobPass)
		sc := r.Header.Values("Set-Cookie")
		if len(sc) != 1 {
			t.Fatalf("want one Set-Cookie, got %q", sc)
		}
		c := r.Cookies()[0]
		if c.Name != cookieKey || c.Path != "/api/" || !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Domain != "" || c.Secure != overTLS {
			t.Fatalf("tls=%v: cookie %q", overTLS, sc[0])
		}
	}
}

// Point 5: the key never appears in a URL, a Location header or an error
// body, and a key sent in the query string is not accepted.
func TestD05TokenNeverInURL(t *testing.T) {
	e := start(t, options{})
	e.seed()
	key := e.signin(bobName, bobPass)
	for _, r := range []req{
		{method: "GET", path: "/api/v2/me", cookie: key},
		{method: "GET", path: "/api/v2/sessions", cookie: key},
		{method: "GET", path: "/api/v2/nothing", cookie: key},
		{method: "PUT", path: "/api/v2/me/password", cookie: key, body: `{"password":`},
		{method: "GET", path: "/api/v2/users/zz", cookie: key},
	} {
		res := e.do(r)
		if strings.Contains(res.body, key) || strings.Contains(res.Header.Get("Location"), key) {
			t.Fatalf("%s %s echoes the key", r.method, r.path)
		}
	}
	for _, q := range []string{"?token=", "?" + cookieKey + "=", "?session="} {
		if s := e.status(req{method: "GET", path: "/api/v2/me" + q + key}); s != http.StatusUnauthorized {
			t.Fatalf("key in the query %q accepted: %d", q, s)
		}
	}
}

// Point 6: session lists show public IDs, never keys or their hashes.
func TestD06SessionListShowsIDsNotTokens(t *testing.T) {
	e := start(t, options{})
	e.seed()
	key := e.signin(bobName, bobPass)
	for _, r := range []req{
		{method: "GET", path: "/api/v2/sessions", cookie: key},
		{method: "GET", path: "/api/v2/sessions?userID=" + bobID, token: operToken},
	} {
		res := e.do(r)
		if res.StatusCode != 200 || !strings.Contains(res.body, `"id"`) {
			t.Fatalf("list: %d %s", res.StatusCode, res.body)
		}
		if strings.Contains(res.body, key) || strings.Contains(res.body, hashOf(key)) {
			t.Fatal("a session list shows a key or its hash")
		}
	}
}

// Point 7: authenticated answers are not cached and vary by credentials.
func TestD07NoStore(t *testing.T) {
	e := start(t, options{})
	e.seed()
	key := e.signin(bobName, bobPass)
	for _, r := range []req{
		{method: "GET", path: "/api/v2/me", cookie: key},
		{method: "GET", path: "/api/v2/me", token: operToken},
		{method: "GET", path: "/api/v2/sessions", cookie: key},
		{method: "GET", path: "/api/v2/me"},
	} {
		res := e.do(r)
		if res.Header.Get("Cache-Control") != "no-store" || !strings.Contains(res.Header.Get("Vary"), "Cookie") {
			t.Fatalf("%s: Cache-Control %q, Vary %q", r.path, res.Header.Get("Cache-Control"), res.Header.Get("Vary"))
		}
	}
}

// Point 8: a key with a flipped bit, truncated or padded is refused, and
// every refusal is the same answer as for an unknown key.
func TestD08TamperedTokens(t *testing.T) {
	e := start(t, options{})
	e.seed()
	key := e.signin(bobName, bobPass)
	raw, _ := base64.URLEncoding.DecodeString(key)
	raw[10] ^= 1
	flipped := base64.URLEncoding.EncodeToString(raw)
	want := e.do(req{method: "GET", path: "/api/v2/me", cookie: base64.URLEncoding.EncodeToString(make([]byte, 64))})
	for name, k := range map[string]string{"flipped": flipped, "truncated": key[:87], "padded": key + "A", "garbage": "%%%"} {
		got := e.do(req{method: "GET", path: "/api/v2/me", cookie: k})
		if got.StatusCode != http.StatusUnauthorized || got.body != want.body {
			t.Fatalf("%s: %d %s, want %d %s", name, got.StatusCode, got.body, want.StatusCode, want.body)
		}
	}
	if !e.live(key) {
		t.Fatal("the real key stopped working")
	}
}
