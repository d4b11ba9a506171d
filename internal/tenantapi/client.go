package tenantapi

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/sessiond/sessiond/internal/auth"
	"github.com/sessiond/sessiond/internal/httpkit"
)

// clientHeaders are the reference's client headers, kept on the session.
var clientHeaders = []string{"x-locale", "x-country", "x-device-id", "x-client-version", "x-platform", "x-platform-version"}

// Canonical forms of the headers read on every request: Header.Get
// allocates to canonicalize a lower-case name, never a canonical one, and
// header skips even its check of one.
var (
	tenantTokenKey   = http.CanonicalHeaderKey(TenantTokenHeader)
	userTokenKey     = http.CanonicalHeaderKey(UserTokenHeader)
	clientHeaderKeys = canonical(clientHeaders)
)

// header is r.Header.Get(key) for a key in canonical form.
func header(r *http.Request, key string) string {
	if v := r.Header[key]; len(v) > 0 {
		return v[0]
	}
	return ""
}

func canonical(names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = http.CanonicalHeaderKey(n)
	}
	return out
}

// maxHeaderValue is the longest client header value accepted.
const maxHeaderValue = 128

// readClient reads the caller's client headers. Malformed values are
// always refused; missing ones only when the tenant requires them. The
// values are kept in Device only when keep is set (routes that start a
// session); other routes just check them.
func readClient(r *http.Request, require, keep bool) (auth.Client, map[string][]string) {
	c := httpkit.Client(r)
	var bad map[string][]string
	problem := func(name, msg string) {
		if bad == nil {
			bad = map[string][]string{}
		}
		bad[name] = append(bad[name], msg)
	}
	for i, name := range clientHeaders {
		v := header(r, clientHeaderKeys[i])
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
