package tenantapi

import (
	"net/http"
	"strconv"
	"time"

	"github.com/sessiond/sessiond/internal/auth"
)

// limit counts one request of capability c from ip against the tenant's
// hourly limit n and writes the rate-limit headers: the IETF draft's
// RateLimit-Policy and RateLimit, and the de-facto X-RateLimit-*. It
// reports whether the request may go on; when not, it has answered 429
// (or the limiter's failure).
func (h *Handler) limit(w http.ResponseWriter, r *http.Request, t *auth.Tenant, c, ip string, n int) bool {
	key := "tenantapi|" + t.ID + "|" + c + "|" + ip
	res, err := h.limiter.Hit(r.Context(), key, n, limitWindow)
	if err != nil {
		h.fail(w, r, err)
		return false
	}
	var secs int64 = 1
	if !res.Reset.IsZero() {
		secs = retryAfter(res.Reset.Sub(h.svc.Now()))
	}
	reset := strconv.FormatInt(secs, 10)
	limit, remaining := strconv.Itoa(n), strconv.Itoa(res.Remaining)
	name := `"` + c + `-ip"`
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

// retryAfter is d in whole seconds, rounded up, at least 1.
func retryAfter(d time.Duration) int64 {
	if d <= 0 {
		return 1
	}
	return int64((d + time.Second - 1) / time.Second)
}
