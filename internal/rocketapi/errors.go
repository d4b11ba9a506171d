package rocketapi

import (
	"bytes"
	"encoding/json"
	"net/http"
	"sync"

	"github.com/sessiond/sessiond/internal/auth"
)

// Rocket.Chat's fixed messages. The 401 of authenticated routes carries both
// the current keys (success, error) and the legacy ones (status, message),
// as Rocket.Chat 8.x sends them.
const (
	msgLoggedOut        = "You must be logged in to do this."
	msgSessionNotFound  = "Session not found"
	msgForbidden        = "User does not have the permissions required for this action [error-unauthorized]"
	msgInternal         = "Internal server error"
	msgNotFound         = "API endpoint does not exist"
	msgUnavailable      = "Service unavailable, try again later"
	msgLogoutDone       = "You've been logged out!"
	msgLoginUnknown     = "Unauthorized"
	msgResumeFailed     = "You've been logged out by the server. Please log in again."
	msgUnrecognized     = "Unrecognized options for login request"
	msgUserNotActivated = "User is not activated"
)

// Error types (Meteor.Error codes) that Rocket.Chat sends as errorType.
const (
	typeInvalidParams = "invalid-params"
	typeInvalidSort   = "error-invalid-sort"
	typeTooMany       = "error-too-many-requests"
	typeTooLarge      = "error-request-too-large"
)

// failure is Rocket.Chat's error body: {success:false, error, errorType?,
// details?}, extended with the legacy status/message pair where a route
// sends it.
type failure struct {
	Success   bool           `json:"success"`
	Error     any            `json:"error"` // a string, or Meteor's numeric code on login
	ErrorType string         `json:"errorType,omitempty"`
	Details   map[string]any `json:"details,omitempty"`
	Status    string         `json:"status,omitempty"`
	Message   string         `json:"message,omitempty"`
}

// apiError is a failure with its HTTP status.
type apiError struct {
	status int
	body   failure
}

func (e *apiError) Error() string {
	if s, ok := e.body.Error.(string); ok {
		return s
	}
	return e.body.Message
}

// meteorError is Meteor.Error(errorType, reason) as the action wrapper
// sends it: 400, error "<reason> [<type>]", errorType.
func meteorError(errorType, reason string) *apiError {
	return &apiError{http.StatusBadRequest, failure{Error: reason + " [" + errorType + "]", ErrorType: errorType}}
}

func invalidParams(reason string) *apiError { return meteorError(typeInvalidParams, reason) }

var (
	errLoggedOut = &apiError{http.StatusUnauthorized, failure{Error: msgLoggedOut, Status: "error", Message: msgLoggedOut}}
	errForbidden = &apiError{http.StatusForbidden, failure{Error: msgForbidden}}
	errNoSession = &apiError{http.StatusNotFound, failure{Error: msgSessionNotFound}}
	errInternal  = &apiError{http.StatusInternalServerError, failure{Error: msgInternal}}
	errNotFound  = &apiError{http.StatusNotFound, failure{Error: msgNotFound, Status: "error", Message: msgNotFound}}
	errBusy      = &apiError{http.StatusServiceUnavailable, failure{Error: msgUnavailable}}
	errSortKeys  = &apiError{http.StatusBadRequest, failure{Error: "error-invalid-sort-keys"}}

	// Login failures: 401 with the Meteor error copied in. An unknown user
	// and a wrong password give this same body, so a client cannot tell
	// them apart (Rocket.Chat itself says "Incorrect password" for the
	// second; see docs/rocketchat-api.md).
	errLoginFailed  = &apiError{http.StatusUnauthorized, failure{Error: msgLoginUnknown, Status: "error", Message: msgLoginUnknown}}
	errResumeFailed = &apiError{http.StatusUnauthorized, failure{Error: 403, Status: "error", Message: msgResumeFailed}}
	errUnrecognized = &apiError{http.StatusUnauthorized, failure{Error: 400, Status: "error", Message: msgUnrecognized}}
	errNotActivated = &apiError{http.StatusUnauthorized, failure{Error: "error-user-is-not-activated", Status: "error", Message: msgUserNotActivated}}
)

// translate turns a core error into Rocket.Chat's terms. notFound is the
// answer for ENotFound on the route at hand. Internal causes never reach
// the client.
func translate(err error, notFound *apiError) *apiError {
	if e, ok := err.(*apiError); ok {
		return e
	}
	switch auth.ErrorCode(err) {
	case auth.ENotFound:
		if notFound != nil {
			return notFound
		}
		return errNotFound
	case auth.EUnauthorized, auth.EInactive:
		return errLoggedOut
	case auth.EForbidden, auth.ERestricted:
		return errForbidden
	case auth.EInvalid, auth.EPasswordRule:
		return invalidParams(auth.ErrorMessage(err))
	case auth.ETooLarge:
		return &apiError{http.StatusRequestEntityTooLarge, failure{Error: auth.ErrorMessage(err) + " [" + typeTooLarge + "]", ErrorType: typeTooLarge}}
	case auth.ERateLimited, auth.ELocked:
		return &apiError{http.StatusTooManyRequests, failure{Error: "Too many requests", ErrorType: typeTooMany}}
	case auth.EUnavailable:
		return errBusy
	}
	return errInternal
}

// setJSONHeaders sets what Rocket.Chat's router puts on every JSON answer.
func setJSONHeaders(h http.Header) {
	h["Content-Type"] = jsonContentType
	h["Cache-Control"] = noStore
	h["Pragma"] = noCache
}

// Header values shared by every response; net/http only reads them.
var (
	jsonContentType = []string{"application/json"}
	noStore         = []string{"no-store"}
	noCache         = []string{"no-cache"}
)

// respond writes v as compact JSON, without HTML escaping (as
// JSON.stringify writes it).
func respond(w http.ResponseWriter, status int, v any) {
	buf := bufs.Get().(*bytes.Buffer)
	defer func() {
		if buf.Cap() <= 64<<10 {
			buf.Reset()
			bufs.Put(buf)
		}
	}()
	enc := json.NewEncoder(buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		status = http.StatusInternalServerError
		buf.Reset()
		buf.WriteString(`{"success":false,"error":"Internal server error"}`)
	}
	setJSONHeaders(w.Header())
	w.WriteHeader(status)
	w.Write(bytes.TrimSuffix(buf.Bytes(), newline))
}

// bufs recycles response buffers across requests.
var bufs = sync.Pool{New: func() any { return new(bytes.Buffer) }}

var newline = []byte("\n")

func writeError(w http.ResponseWriter, e *apiError) { respond(w, e.status, e.body) }
