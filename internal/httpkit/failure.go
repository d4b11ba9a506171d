package httpkit

import (
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/sessiond/sessiond/internal/auth"
)

// LogFailure logs a request that failed on the server's side: an internal
// error at ERROR with its cause, an engine or hash-queue refusal (which a
// flood makes by the thousand, and which the client is told to retry) at
// WARN. A client's mistake is not logged, nor, but at DEBUG, a request
// whose client went away (its context ended, so whatever failed after
// that is no fault of the server's). Repeats of one cause are collapsed
// by the server's log handler (see server.dedupHandler).
func LogFailure(log *slog.Logger, r *http.Request, err error) {
	if r.Context().Err() != nil {
		log.Debug("request abandoned by the client", "route", r.Pattern, "err", err)
		return
	}
	switch auth.ErrorCode(err) {
	case auth.EInternal:
		log.Error("request failed", "request_id", RequestID(r.Context()), "route", r.Pattern, "err", err)
	case auth.EUnavailable:
		log.Warn("request refused: service unavailable", "route", r.Pattern, "err", err)
	}
}

// SetRetryAfter sets Retry-After (whole seconds, at least 1) when the
// core says how long a refused client should wait.
func SetRetryAfter(w http.ResponseWriter, err error) {
	if d, ok := auth.RetryAfter(err); ok {
		w.Header().Set("Retry-After", strconv.FormatInt(Seconds(d), 10))
	}
}

// Seconds is d in whole seconds, rounded up, at least 1: a Retry-After
// value.
func Seconds(d time.Duration) int64 {
	if d <= 0 {
		return 1
	}
	return int64((d + time.Second - 1) / time.Second)
}
