package influxapi

import (
	"bytes"
	"encoding/json"
	"net/http"
	"sync"

	"github.com/sessiond/sessiond/internal/auth"
)

// InfluxDB's error codes (the seed's list).
const (
	codeInternal         = "internal error"
	codeNotImplemented   = "not implemented"
	codeNotFound         = "not found"
	codeConflict         = "conflict"
	codeInvalid          = "invalid"
	codeUnprocessable    = "unprocessable entity"
	codeEmptyValue       = "empty value"
	codeUnavailable      = "unavailable"
	codeForbidden        = "forbidden"
	codeTooManyRequests  = "too many requests"
	codeUnauthorized     = "unauthorized"
	codeMethodNotAllowed = "method not allowed"
	codeTooLarge         = "request too large"
	codeUnsupportedMedia = "unsupported media type"
)

// statusOf is InfluxDB's code-to-status table (conflict is 422).
var statusOf = map[string]int{
	codeInternal:         http.StatusInternalServerError,
	codeNotImplemented:   http.StatusNotImplemented,
	codeNotFound:         http.StatusNotFound,
	codeConflict:         http.StatusUnprocessableEntity,
	codeInvalid:          http.StatusBadRequest,
	codeUnprocessable:    http.StatusUnprocessableEntity,
	codeEmptyValue:       http.StatusBadRequest,
	codeUnavailable:      http.StatusServiceUnavailable,
	codeForbidden:        http.StatusForbidden,
	codeTooManyRequests:  http.StatusTooManyRequests,
	codeUnauthorized:     http.StatusUnauthorized,
	codeMethodNotAllowed: http.StatusMethodNotAllowed,
	codeTooLarge:         http.StatusRequestEntityTooLarge,
	codeUnsupportedMedia: http.StatusUnsupportedMediaType,
}

// codeOf maps core error codes to InfluxDB's.
var codeOf = map[string]string{
	auth.EInvalid:      codeInvalid,
	auth.ENotFound:     codeNotFound,
	auth.EConflict:     codeConflict,
	auth.EUnauthorized: codeUnauthorized,
	auth.EForbidden:    codeForbidden,
	auth.EInactive:     codeForbidden,
	auth.ERateLimited:  codeTooManyRequests,
	auth.EUnavailable:  codeUnavailable,
	auth.EInternal:     codeInternal,
	auth.ERestricted:   codeForbidden,
	auth.EPasswordRule: codeInvalid,
	auth.ETooLarge:     codeTooLarge,
	// A lockout looks like any failed authentication.
	auth.ELocked:         codeUnauthorized,
	auth.ENotImplemented: codeNotImplemented,
}

// apiError is an error already in InfluxDB's terms.
type apiError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

var (
	errUnauthorized = apiError{codeUnauthorized, "unauthorized access"}
	errInactive     = apiError{codeForbidden, "User is inactive"}
	// errSecondFactor answers the right password of a user who has a
	// second factor: the same 401 as a wrong one, with a message saying
	// where such a user signs in.
	errSecondFactor = apiError{codeUnauthorized, "this account has a second factor: sign in on the account pages (/ui/) or use an API token"}
	errUserNotFound = apiError{codeNotFound, "user not found"}
)

// userFail answers err from a call about one user: no such user as
// InfluxDB answers it, anything else as fail does.
func (h *Handler) userFail(w http.ResponseWriter, r *http.Request, err error) {
	if auth.ErrorCode(err) == auth.ENotFound {
		writeError(w, errUserNotFound, true)
		return
	}
	h.fail(w, r, err)
}

// translate turns a core error into InfluxDB's code and message. Internal
// errors never show their cause.
func translate(err error) apiError {
	code := auth.ErrorCode(err)
	switch code {
	case auth.EUnauthorized, auth.ELocked:
		return errUnauthorized
	case auth.EInactive:
		return errInactive
	case auth.EInternal:
		return apiError{codeInternal, "An internal error has occurred - check server logs"}
	case auth.EUnavailable:
		return apiError{codeUnavailable, "service unavailable, try again later"}
	}
	c, ok := codeOf[code]
	if !ok {
		c = codeInternal
	}
	return apiError{c, auth.ErrorMessage(err)}
}

// writeError writes e with X-Platform-Error-Code. Handler errors are
// tab-indented as InfluxDB's API.Err writes them; errors of the
// authentication layer and the router are compact.
func writeError(w http.ResponseWriter, e apiError, indent bool) {
	var b []byte
	if indent {
		b, _ = json.MarshalIndent(e, "", "\t")
	} else {
		b, _ = json.Marshal(e)
	}
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("X-Platform-Error-Code", e.Code)
	status, ok := statusOf[e.Code]
	if !ok {
		status = http.StatusInternalServerError
	}
	w.WriteHeader(status)
	w.Write(b)
}

// respond writes v as tab-indented JSON, as InfluxDB does.
func respond(w http.ResponseWriter, status int, v any) {
	buf := bufs.Get().(*bytes.Buffer)
	defer func() {
		if buf.Cap() <= 64<<10 {
			buf.Reset()
			bufs.Put(buf)
		}
	}()
	enc := json.NewEncoder(buf)
	enc.SetIndent("", "\t")
	if err := enc.Encode(v); err != nil {
		writeError(w, apiError{codeInternal, "An internal error has occurred - check server logs"}, true)
		return
	}
	w.Header()["Content-Type"] = jsonContentType
	w.WriteHeader(status)
	w.Write(bytes.TrimSuffix(buf.Bytes(), newline)) // as json.MarshalIndent writes it
}

// bufs recycles response buffers across requests.
var bufs = sync.Pool{New: func() any { return new(bytes.Buffer) }}

var (
	jsonContentType = []string{"application/json; charset=utf-8"}
	newline         = []byte("\n")
)
