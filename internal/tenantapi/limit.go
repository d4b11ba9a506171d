package tenantapi

import (
	"net/http"
	"strconv"
	"time"

	"github.com/sessiond/sessiond/internal/auth"
	"github.com/sessiond/sessiond/internal/httpkit"
)

// limit counts one request of capability c from ip against the tenant's
// hourly limit n and writes the rate-limit headers: the IETF draft's
// RateLimit-Policy and RateLimit, and the de-facto X-RateLimit-*. It
// reports whether the request may go on; when not, it has answered 429
// (or the limiter's failure).
func (h *Handler) limit(w http.ResponseWriter, r *http.Request, t *auth.Tenant, c auth.Capability, ip string, n int) bool {
	key := "tenantapi|" + t.ID + "|" + string(c) + "|" + ip
	res, err := h.limiter.Hit(r.Context(), key, n, limitWindow)
	if err != nil {
		h.fail(w, r, err)
		return false
	}
	var secs int64 = 1
	if !res.Reset.IsZero() {
		secs = httpkit.Seconds(res.Reset.Sub(h.svc.Now()))
	}
	reset := strconv.FormatInt(secs, 10)
	limit, remaining := strconv.Itoa(n), strconv.Itoa(res.Remaining)
	name := `"` + string(c) + `-ip"`
	hd := w.Header()
	hd.Set("RateLimit-Policy", name+";q="+limit+";w="+strconv.Itoa(int(limitWindow/time.Second)))
	hd.Set("RateLimit", name+";r="+remaining+";t="+reset)
	hd.Set("X-RateLimit-Limit", limit)
	hd.Set("X-RateLimit-Remaining", remaining)
	hd.Set("X-RateLimit-Reset", reset)
	if !res.Allowed {
		hd.Set("Retry-After", reset)
		h.write(w, r, http.StatusTooManyRequests, envelope{Error: errTooManyRequests})
		return false
	}
	return true
}

// limitWindow is the window of every per-address limit of this API.
const limitWindow = time.Hour

// limitFor returns the hourly per-IP limit of capability c in tenant t
// (0: not limited): the tenant's own, else the server's.
func (h *Handler) limitFor(t *auth.Tenant, c auth.Capability) int {
	if n, ok := t.RateLimit(c); ok {
		return n
	}
	return h.limits[c]
}
