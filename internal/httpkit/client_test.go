package httpkit_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/sessiond/sessiond/internal/httpkit"
)

// clientOf serves r through Wrap with proxies and returns the client
// address the handler saw, by both ways of reading it.
func clientOf(t *testing.T, p *httpkit.Proxies, r *http.Request) string {
	t.Helper()
	var got, fromCtx string
	h := httpkit.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, fromCtx = httpkit.ClientIP(r), httpkit.ClientIPFrom(r.Context())
		if c := httpkit.Client(r); c.IP != got {
			t.Errorf("Client's IP %q, ClientIP %q", c.IP, got)
		}
	}), httpkit.WrapOptions{Proxies: p})
	h.ServeHTTP(httptest.NewRecorder(), r)
	if got != fromCtx {
		t.Fatalf("ClientIP %q and ClientIPFrom %q differ", got, fromCtx)
	}
	return got
}

// The client address is resolved once, in Wrap: the socket peer, or,
// behind a trusted proxy, the right-most address of the configured
// header that is not a trusted proxy itself.
func TestClientAddress(t *testing.T) {
	trusted, err := httpkit.ParseProxies("10.0.0.0/8, 192.0.2.1, 2001:db8::/32")
	if err != nil {
		t.Fatal(err)
	}
	xff := &httpkit.Proxies{Trusted: trusted, Header: httpkit.HeaderXForwardedFor}
	fwd := &httpkit.Proxies{Trusted: trusted, Header: httpkit.HeaderForwarded}
	tests := []struct {
		name    string
		proxies *httpkit.Proxies
		peer    string
		headers map[string][]string
		want    string
	}{
		{"no proxies configured", nil, "10.1.2.3:1234", map[string][]string{"X-Forwarded-For": {"203.0.113.1"}}, "10.1.2.3"},
		{"peer not a proxy", xff, "198.51.100.9:1234", map[string][]string{"X-Forwarded-For": {"203.0.113.1"}}, "198.51.100.9"},
		{"one proxy", xff, "10.1.2.3:1234", map[string][]string{"X-Forwarded-For": {"203.0.113.1"}}, "203.0.113.1"},
		{"spoofed left entry", xff, "10.1.2.3:1234", map[string][]string{"X-Forwarded-For": {"1.1.1.1, 203.0.113.1"}}, "203.0.113.1"},
		{"two header lines", xff, "10.1.2.3:1234", map[string][]string{"X-Forwarded-For": {"1.1.1.1", "203.0.113.1"}}, "203.0.113.1"},
		{"two proxies", xff, "192.0.2.1:1234", map[string][]string{"X-Forwarded-For": {"203.0.113.1, 10.9.9.9"}}, "203.0.113.1"},
		{"only proxies", xff, "10.1.2.3:1234", map[string][]string{"X-Forwarded-For": {"10.2.2.2"}}, "10.2.2.2"},
		{"garbage hop", xff, "10.1.2.3:1234", map[string][]string{"X-Forwarded-For": {"203.0.113.1, not-an-ip"}}, "10.1.2.3"},
		{"no header", xff, "10.1.2.3:1234", nil, "10.1.2.3"},
		{"IPv6 proxy and client", xff, "[2001:db8::5]:443", map[string][]string{"X-Forwarded-For": {"2001:db9::7"}}, "2001:db9::7"},
		{"Forwarded ignored when X-Forwarded-For is read", xff, "10.1.2.3:1234", map[string][]string{"Forwarded": {"for=203.0.113.1"}}, "10.1.2.3"},
		{"Forwarded", fwd, "10.1.2.3:1234", map[string][]string{"Forwarded": {"for=203.0.113.1;proto=https"}}, "203.0.113.1"},
		{"Forwarded, quoted IPv6 with port", fwd, "10.1.2.3:1234", map[string][]string{"Forwarded": {`for="[2001:db9::7]:4711"`}}, "2001:db9::7"},
		{"Forwarded, IPv4 with port, two elements", fwd, "10.1.2.3:1234", map[string][]string{"Forwarded": {`for=1.1.1.1, for="203.0.113.1:80";by=10.1.2.3`}}, "203.0.113.1"},
		{"Forwarded, past a trusted hop", fwd, "10.1.2.3:1234", map[string][]string{"Forwarded": {"for=203.0.113.1", "for=10.7.7.7"}}, "203.0.113.1"},
		{"Forwarded, unknown node", fwd, "10.1.2.3:1234", map[string][]string{"Forwarded": {"for=203.0.113.1, for=unknown"}}, "10.1.2.3"},
		{"Forwarded, no for", fwd, "10.1.2.3:1234", map[string][]string{"Forwarded": {"proto=https"}}, "10.1.2.3"},
		{"X-Forwarded-For ignored when Forwarded is read", fwd, "10.1.2.3:1234", map[string][]string{"X-Forwarded-For": {"203.0.113.1"}}, "10.1.2.3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = tt.peer
			for k, vs := range tt.headers {
				for _, v := range vs {
					r.Header.Add(k, v)
				}
			}
			if got := clientOf(t, tt.proxies, r); got != tt.want {
				t.Fatalf("got %s, want %s", got, tt.want)
			}
		})
	}
	if _, err := httpkit.ParseProxies("10.0.0.0/8, nonsense"); err == nil {
		t.Fatal("ParseProxies accepted nonsense")
	}
	for in, want := range map[string]string{"": "X-Forwarded-For", "x-forwarded-for": "X-Forwarded-For", "FORWARDED": "Forwarded", "X-Real-IP": ""} {
		if got, _ := httpkit.ProxyHeader(in); got != want {
			t.Errorf("ProxyHeader(%q) = %q, want %q", in, got, want)
		}
	}
}
