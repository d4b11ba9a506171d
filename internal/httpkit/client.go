package httpkit

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// Proxies says which peers are trusted proxies and which header they
// write the client's address in. The client address of every request is
// resolved once, by Wrap, from the socket peer and, when that peer is a
// trusted proxy, from that header; every API and the account pages read
// it back (ClientIP, Client), so rate limits, lockouts, sessions and the
// audit log all see the same client.
type Proxies struct {
	Trusted []netip.Prefix
	// Header is HeaderXForwardedFor (the default) or HeaderForwarded.
	// Only that header is read: a proxy that writes one must not let a
	// client's copy of the other decide the address.
	Header string
}

// The headers a proxy may give the client address in.
const (
	HeaderXForwardedFor = "X-Forwarded-For"
	HeaderForwarded     = "Forwarded" // RFC 7239
)

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

// ProxyHeader returns the canonical name of a proxy header given in any
// case, and whether it is one sessiond reads.
func ProxyHeader(name string) (string, bool) {
	switch {
	case name == "" || strings.EqualFold(name, HeaderXForwardedFor):
		return HeaderXForwardedFor, true
	case strings.EqualFold(name, HeaderForwarded):
		return HeaderForwarded, true
	}
	return "", false
}

func (p *Proxies) trusted(a netip.Addr) bool {
	a = a.Unmap()
	for _, t := range p.Trusted {
		if t.Contains(a) {
			return true
		}
	}
	return false
}

// clientAddr is the socket peer of r, unless that peer is a trusted
// proxy: then the right-most address of the proxy header that is not
// itself a trusted proxy. Nothing a client sends can move the address
// otherwise; a malformed hop stops the walk at the last trusted one.
func (p *Proxies) clientAddr(r *http.Request) string {
	peer := peerIP(r)
	if p == nil || len(p.Trusted) == 0 {
		return peer
	}
	a, err := netip.ParseAddr(peer)
	if err != nil || !p.trusted(a) {
		return peer
	}
	var hops []string
	if p.Header == HeaderForwarded {
		hops = forwardedFor(r.Header.Values(HeaderForwarded))
	} else {
		for _, v := range r.Header.Values(HeaderXForwardedFor) {
			hops = append(hops, strings.Split(v, ",")...)
		}
	}
	for i := len(hops) - 1; i >= 0; i-- {
		hop, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			break
		}
		if !p.trusted(hop) {
			return hop.Unmap().String()
		}
		a = hop
	}
	return a.Unmap().String()
}

// forwardedFor returns the for= node of every element of RFC 7239
// Forwarded headers, in order, without quotes, brackets or ports. A node
// that is not an address ("unknown", an obfuscated name) is kept as is,
// so the caller stops there.
func forwardedFor(values []string) []string {
	var out []string
	for _, v := range values {
		for _, elem := range strings.Split(v, ",") {
			node := "unknown"
			for _, pair := range strings.Split(elem, ";") {
				k, val, ok := strings.Cut(strings.TrimSpace(pair), "=")
				if !ok || !strings.EqualFold(k, "for") {
					continue
				}
				node = strings.Trim(strings.TrimSpace(val), `"`)
			}
			out = append(out, forwardedNode(node))
		}
	}
	return out
}

// forwardedNode strips the port (and IPv6 brackets) from a Forwarded node.
func forwardedNode(node string) string {
	if strings.HasPrefix(node, "[") {
		if end := strings.IndexByte(node, ']'); end > 0 {
			return node[1:end]
		}
		return node
	}
	if host, _, err := net.SplitHostPort(node); err == nil {
		return host
	}
	return node
}

// peerIP returns the address of the socket peer of r, without the port.
func peerIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
