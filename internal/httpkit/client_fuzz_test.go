package httpkit_test

import (
	"net"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"unicode"

	"github.com/sessiond/sessiond/internal/httpkit"
)

// FuzzClientAddr: whatever the socket peer, the proxy headers and the
// trusted list, resolving the client address never panics, and:
//   - from a peer that is not a trusted proxy the address is the peer,
//     whatever the headers say;
//   - from a trusted peer it is the peer or an address written in the
//     configured header, never anything else;
//   - the header that is not configured changes nothing.
//
// The seed corpus is in testdata/fuzz/FuzzClientAddr.
func FuzzClientAddr(f *testing.F) {
	for _, s := range []struct {
		peer, xff, fwd, trusted string
		forwarded               bool
	}{
		{"10.1.2.3:1234", "203.0.113.1", "for=198.51.100.1", "10.0.0.0/8", false},
		{"10.1.2.3:1234", "1.1.1.1, 203.0.113.1, 10.9.9.9", "", "10.0.0.0/8", false},
		{"[2001:db8::5]:443", "2001:db9::7", `for="[2001:db9::8]:4711"`, "2001:db8::/32", true},
		{"192.0.2.1:80", "", `for=1.1.1.1, for="203.0.113.1:80";by=10.1.2.3`, "192.0.2.1", true},
		{"10.1.2.3:1", "::ffff:10.1.2.4, not-an-ip", "for=unknown", "10.0.0.0/8,::ffff:0:0/96", false},
		{"garbage", "203.0.113.1", "for=203.0.113.1", "0.0.0.0/0", true},
		{"[::ffff:10.0.0.1]:9", "0.0.0.0, ::", "for=_hidden", "::/0, 0.0.0.0/0", false},
	} {
		f.Add(s.peer, s.xff, s.fwd, s.trusted, s.forwarded)
	}
	f.Fuzz(func(t *testing.T, peer, xff, fwd, trusted string, forwarded bool) {
		prefixes, err := httpkit.ParseProxies(trusted)
		if err != nil {
			return
		}
		header, other := httpkit.HeaderXForwardedFor, httpkit.HeaderForwarded
		read, ignored := xff, fwd
		if forwarded {
			header, other = other, header
			read, ignored = fwd, xff
		}
		p := &httpkit.Proxies{Trusted: prefixes, Header: header}
		ask := func(withOther bool) string {
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = peer
			r.Header[header] = []string{read}
			if withOther {
				r.Header[other] = []string{ignored}
			}
			return clientOf(t, p, r)
		}
		got := ask(true)
		if again := ask(false); again != got {
			t.Fatalf("the %s header, which is not read, moved the address from %q to %q", other, again, got)
		}
		host := peer
		if h, _, err := net.SplitHostPort(peer); err == nil {
			host = h
		}
		pa, err := netip.ParseAddr(host)
		if err != nil || !trustedBy(prefixes, pa) {
			if got != host {
				t.Fatalf("peer %q is not a trusted proxy, yet the address is %q", peer, got)
			}
			return
		}
		a, err := netip.ParseAddr(got)
		if err != nil {
			t.Fatalf("from trusted peer %q: %q is not an address", peer, got)
		}
		if a == pa.Unmap() || written(read, a) {
			return
		}
		t.Fatalf("from trusted peer %q and %s %q: %q is neither the peer nor written in the header", peer, header, read, got)
	})
}

func trustedBy(prefixes []netip.Prefix, a netip.Addr) bool {
	for _, p := range prefixes {
		if p.Contains(a.Unmap()) {
			return true
		}
	}
	return false
}

// written reports whether some token of the header text, alone or with a
// port, is the address a.
func written(text string, a netip.Addr) bool {
	for _, tok := range strings.FieldsFunc(text, func(r rune) bool { return strings.ContainsRune(",;=\"[]", r) || unicode.IsSpace(r) }) {
		if b, err := netip.ParseAddr(tok); err == nil && b.Unmap() == a {
			return true
		}
		if h, _, err := net.SplitHostPort(tok); err == nil {
			if b, err := netip.ParseAddr(h); err == nil && b.Unmap() == a {
				return true
			}
		}
	}
	return false
}
