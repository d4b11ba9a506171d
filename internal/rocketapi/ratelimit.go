package rocketapi

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/sessiond/sessiond/internal/httpkit"
)

// allow runs Rocket.Chat's REST rate limiter for route (method and name)
// and the client's IP: a fixed window that starts at the first call, the
// first RateLimit calls in it pass, and every limited answer carries
// X-RateLimit-Limit, -Remaining and -Reset (epoch milliseconds). Admins
// bypass it (Rocket.Chat's api-bypass-rate-limit permission). It writes
// the 429 itself and returns false when the call is over the limit.
//
// A limiter that fails lets the call through: an outage of the counter
// engine must not lock every client out.
func (h *Handler) allow(w http.ResponseWriter, r *http.Request, route string, c *caller) bool {
	if h.opt.Limiter == nil || h.opt.RateLimit <= 0 || c != nil && c.user.Admin {
		return true
	}
	key := "rocketchat|" + route + "|" + httpkit.ClientIP(r)
	res, err := h.opt.Limiter.Hit(r.Context(), key, h.opt.RateLimit, h.opt.RateWindow)
	if err != nil {
		h.log.Warn("rate limiter failed; call allowed", "request_id", httpkit.RequestID(r.Context()), "err", err)
		return true
	}
	hd := w.Header()
	hd.Set("X-RateLimit-Limit", strconv.Itoa(h.opt.RateLimit))
	hd.Set("X-RateLimit-Remaining", strconv.Itoa(res.Remaining))
	hd.Set("X-RateLimit-Reset", strconv.FormatInt(res.Reset.UnixMilli(), 10))
	if res.Allowed {
		return true
	}
	wait := res.Reset.Sub(h.svc.Now())
	secs := int64((wait + 999_999_999) / 1_000_000_000) // Math.ceil(timeToReset / 1000)
	if secs < 0 {
		secs = 0
	}
	msg := fmt.Sprintf("Error, too many requests. Please slow down. You must wait %d seconds before trying this endpoint again. [%s]", secs, typeTooMany)
	writeError(w, &apiError{http.StatusTooManyRequests, failure{Error: msg, ErrorType: typeTooMany}})
	return false
}
