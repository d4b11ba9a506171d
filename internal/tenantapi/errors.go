package tenantapi

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/sessiond/sessiond/internal/auth"
	"github.com/sessiond/sessiond/internal/httpkit"
)

// The reference's error codes, and the ones sessiond adds in its style
// (see docs/tenant-api.md).
const (
	codeBadRequest          = "BAD_REQUEST"
	codeForbidden           = "FORBIDDEN"
	codeNotFound            = "NOT_FOUND"
	codeMethodNotAllowed    = "METHOD_NOT_ALLOWED"
	codeConflict            = "CONFLICT"
	codeTooLarge            = "PAYLOAD_TOO_LARGE"
	codeTooManyRequests     = "TOO_MANY_REQUESTS"
	codeInternal            = "INTERNAL_SERVER"
	codeUnavailable         = "SERVICE_UNAVAILABLE"
	codeUnexpectedState     = "UNEXPECTED_STATE"
	codeValidation          = "VALIDATION_ERROR"
	codeRestricted          = "RESTRICTED_CAPABILITY"
	codeInvalidCredentials  = "INVALID_CREDENTIALS"
	codeInvalidRefreshToken = "INVALID_REFRESH_TOKEN"
	codeMissingTenantToken  = "MISSING_TENANT_TOKEN"
	codeInvalidTenantToken  = "INVALID_TENANT_TOKEN"
	codeMissingUserToken    = "MISSING_USER_TOKEN"
	codeInvalidUserToken    = "INVALID_USER_TOKEN"
	codeUserTokenExpired    = "USER_TOKEN_EXPIRED"
	codeUserSuspended       = "USER_SUSPENDED"
	codeUserTerminated      = "USER_TERMINATED"
	codeUserExists          = "USER_ALREADY_EXISTS"
)

var (
	errNotFound            = &apiError{"Not Found", codeNotFound, http.StatusNotFound, nil}
	errSessionNotFound     = &apiError{"Session not found", codeNotFound, http.StatusNotFound, nil}
	errInternal            = &apiError{"Something went wrong on our side.", codeInternal, http.StatusInternalServerError, nil}
	errUnavailable         = &apiError{"Service Unavailable", codeUnavailable, http.StatusServiceUnavailable, nil}
	errMissingUser         = &apiError{"Missing user context", codeUnexpectedState, http.StatusInternalServerError, nil}
	errTooManyRequests     = &apiError{"Too many requests", codeTooManyRequests, http.StatusTooManyRequests, nil}
	errInvalidCredentials  = &apiError{"Invalid credentials", codeInvalidCredentials, http.StatusUnauthorized, nil}
	errInvalidRefreshToken = &apiError{"Invalid refresh token", codeInvalidRefreshToken, http.StatusUnauthorized, nil}
	errMissingTenantToken  = &apiError{"Missing tenant token", codeMissingTenantToken, http.StatusUnauthorized, nil}
	errInvalidTenantToken  = &apiError{"Invalid tenant token", codeInvalidTenantToken, http.StatusUnauthorized, nil}
	errTenantDisabled      = &apiError{"Tenant is disabled", codeInvalidTenantToken, http.StatusUnauthorized, nil}
	errMissingUserToken    = &apiError{"Missing user token", codeMissingUserToken, http.StatusUnauthorized, nil}
	errInvalidUserToken    = &apiError{"Invalid user token", codeInvalidUserToken, http.StatusUnauthorized, nil}
	errUserTokenExpired    = &apiError{"User token has expired", codeUserTokenExpired, http.StatusUnauthorized, nil}
	errUserSuspended       = &apiError{"User is suspended", codeUserSuspended, http.StatusForbidden, nil}
	errUserTerminated      = &apiError{"User is terminated", codeUserTerminated, http.StatusUnauthorized, nil}
	errUserExists          = &apiError{"User already exists", codeUserExists, http.StatusConflict, nil}
)

// validationMessage is the reference's VALIDATION_ERROR message.
const validationMessage = "The request could not be processed"

func validationError(fields map[string][]string) *apiError {
	return &apiError{validationMessage, codeValidation, http.StatusBadRequest, fields}
}

func methodNotAllowed() *apiError {
	return &apiError{"Method Not Allowed", codeMethodNotAllowed, http.StatusMethodNotAllowed, nil}
}

// translate turns a core error into the reference's terms. Internal
// errors never show their cause.
func translate(err error) *apiError {
	var ae *apiError
	if errors.As(err, &ae) {
		return ae
	}
	if e := otpError(err); e != nil {
		return e
	}
	msg := auth.ErrorMessage(err)
	switch auth.ErrorCode(err) {
	case auth.EInvalid:
		if f := auth.FieldErrors(err); f != nil {
			return validationError(wireFields(f))
		}
		return &apiError{msg, codeBadRequest, http.StatusBadRequest, nil}
	case auth.EPasswordRule:
		return validationError(map[string][]string{"password": {msg}})
	case auth.ETooLarge:
		return &apiError{msg, codeTooLarge, http.StatusRequestEntityTooLarge, nil}
	case auth.ENotFound:
		return errNotFound
	case auth.EConflict:
		return &apiError{msg, codeConflict, http.StatusConflict, nil}
	case auth.EUnauthorized:
		return errInvalidUserToken
	case auth.EInactive:
		return errUserSuspended
	case auth.ERestricted:
		return &apiError{msg, codeRestricted, http.StatusForbidden, nil}
	case auth.EForbidden:
		return &apiError{"Forbidden", codeForbidden, http.StatusForbidden, nil}
	case auth.ERateLimited, auth.ELocked:
		return errTooManyRequests
	case auth.EUnavailable:
		return errUnavailable
	case auth.ESecondFactor:
		// The tenant API has no second step: a user with a second factor
		// signs in on the account pages.
		return &apiError{"This account has a second factor: sign in on the account pages", codeInvalidCredentials, http.StatusUnauthorized, nil}
	}
	return errInternal
}

// Error lets an *apiError travel as an error through a handler.
func (e *apiError) Error() string { return e.Code + ": " + e.Message }

// write writes an envelope with status.
func (h *Handler) write(w http.ResponseWriter, r *http.Request, status int, env envelope) {
	env.Meta = meta{RequestID: httpkit.RequestID(r.Context()), Timestamp: stamp(h.svc.Now())}
	b, err := encode(env)
	if err != nil {
		h.log.Error("encode response", "request_id", env.Meta.RequestID, "err", err)
		b, _ = json.Marshal(envelope{Meta: env.Meta, Error: errInternal})
		status = http.StatusInternalServerError
	}
	writeJSON(w, status, b)
}

// writeJSON writes a JSON body with status.
func writeJSON(w http.ResponseWriter, status int, b []byte) {
	hd := w.Header()
	hd["Content-Type"] = jsonContentType
	hd["Cache-Control"] = noStore
	w.WriteHeader(status)
	w.Write(b)
}

// Header values shared by every response; net/http only reads them.
var (
	jsonContentType = []string{"application/json; charset=utf-8"}
	noStore         = []string{"no-store"}
)

// respondMe writes the answer to GET /auth/me as respond would, from a
// pooled buffer.
func (h *Handler) respondMe(w http.ResponseWriter, r *http.Request, me *meResponse) {
	bp := bodies.Get().(*[]byte)
	b := appendEnvelopeHead((*bp)[:0], meta{RequestID: httpkit.RequestID(r.Context()), Timestamp: stamp(h.svc.Now())})
	b = me.appendJSON(b)
	b = append(b, '}')
	writeJSON(w, http.StatusOK, b)
	if cap(b) <= 16<<10 {
		*bp = b
		bodies.Put(bp)
	}
}

// respond writes data with status.
func (h *Handler) respond(w http.ResponseWriter, r *http.Request, status int, data any) {
	h.write(w, r, status, envelope{Data: data})
}

// wireFields renames the core's field names to this API's.
func wireFields(f map[string][]string) map[string][]string {
	out := make(map[string][]string, len(f))
	for k, v := range f {
		switch k {
		case auth.FieldLogin:
			k = "email"
		case auth.FieldDevice:
			k = "x-device-id"
		}
		out[k] = append(out[k], v...)
	}
	return out
}

// fail writes err in the envelope, logging what an operator must see,
// with Retry-After when the core says when to retry.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	httpkit.LogFailure(h.log, r, err)
	httpkit.SetRetryAfter(w, err)
	e := translate(err)
	h.write(w, r, e.Status, envelope{Error: e})
}
