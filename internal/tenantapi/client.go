package tenantapi

import (
	"fmt"
	"net/http"
	"net/netip"
	"strings"

	"github.com/sessiond/sessiond/internal/auth"
	"github.com/sessiond/sessiond/internal/httpkit"
)

// clientHeaders are the reference's client headers, kept on the session.
var clientHeaders = []string{"x-locale", "x-country", "x-device-id", "x-client-version", "x-platform", "x-platform-version"}

// Canonical forms of the headers read on every request: Header.Get
// allocates to canonicalize a lower-case name, never a canonical one.
var (
	tenantTokenKey   = http.CanonicalHeaderKey(TenantTokenHeader)
	userTokenKey     = http.CanonicalHeaderKey(UserTokenHeader)
	clientHeaderKeys = canonical(clientHeaders)
)

func canonical(names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = http.CanonicalHeaderKey(n)
	}
	return out
}

// maxHeaderValue is the longest client header value accepted.
const maxHeaderValue = 128

// ParseProxies reads a comma-separated list of trusted proxy addresses or
// CIDR prefixes.
func ParseProxies(list string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.Split(list, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if p, err := netip.ParsePrefix(f); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(f)
		if err != nil {
			return nil, fmt.Errorf("%q is neither an IP address nor a CIDR prefix", f)
		}
		out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
	}
	return out, nil
}

func (h *Handler) trusted(a netip.Addr) bool {
	a = a.Unmap()
	for _, p := range h.proxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// clientIP is the socket peer, unless that peer is a trusted proxy: then
// the right-most X-Forwarded-For address that is not itself a trusted
// proxy. Nothing a client sends can move the address otherwise.
func (h *Handler) clientIP(r *http.Request) string {
	peer := httpkit.ClientIP(r)
	a, err := netip.ParseAddr(peer)
	if err != nil || len(h.proxies) == 0 || !h.trusted(a) {
		return peer
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		hop, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			return a.Unmap().String() // a malformed hop: trust nothing beyond the proxy
		}
		if !h.trusted(hop) {
			return hop.Unmap().String()
		}
		a = hop
	}
	return a.Unmap().String()
}

// readClient reads the caller's client headers. Malformed values are
// always refused; missing ones only when the tenant requires them. The
// values are kept in Device only when keep is set (routes that start a
// session); other routes just check them.
func readClient(r *http.Request, ip string, require, keep bool) (auth.Client, map[string][]string) {
	c := httpkit.Client(r)
	c.IP = ip
	var bad map[string][]string
	problem := func(name, msg string) {
		if bad == nil {
			bad = map[string][]string{}
		}
		bad[name] = append(bad[name], msg)
	}
	for i, name := range clientHeaders {
		v := r.Header.Get(clientHeaderKeys[i])
		if v == "" {
			if require {
				problem(name, "is required")
			}
			continue
		}
		if len(v) > maxHeaderValue || !printable(v) {
			problem(name, fmt.Sprintf("must be at most %d printable ASCII characters", maxHeaderValue))
			continue
		}
		if name == "x-country" {
			if len(v) != 2 || !letters(v) {
				problem(name, "must be an ISO 3166-1 alpha-2 country code")
				continue
			}
			v = strings.ToUpper(v)
		}
		if !keep {
			continue
		}
		if c.Device == nil {
			c.Device = make(map[string]string, len(clientHeaders))
		}
		c.Device[name] = v
	}
	return c, bad
}

func printable(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

func letters(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i] | 0x20; c < 'a' || c > 'z' {
			return false
		}
	}
	return true
}
