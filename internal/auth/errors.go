// Package auth is sessiond's core: tenants, users, sessions, passwords,
// API tokens and the one error type every layer speaks. It imports nothing
// of sessiond's own; storage adapters implement the interfaces declared in
// store.go and the HTTP dialects translate its errors into their own shapes.
package auth

import (
	"errors"
	"fmt"
	"time"
)

// Error codes. Callers branch on these, never on messages. Each dialect maps
// them to its own status codes and bodies.
const (
	EInvalid      = "invalid"       // the request is malformed or breaks a rule
	ENotFound     = "not_found"     // the thing does not exist (or is not the caller's)
	EConflict     = "conflict"      // the thing already exists
	EUnauthorized = "unauthorized"  // no valid credentials
	EForbidden    = "forbidden"     // valid credentials, not allowed
	EInactive     = "inactive"      // the user is not active (disabled, deleted)
	ERateLimited  = "rate_limited"  // too many requests or attempts
	EUnavailable  = "unavailable"   // a backing engine is down; retry later
	EInternal     = "internal"      // anything else; details never reach a client
	ERestricted   = "restricted"    // the capability is switched off for this tenant
	EPasswordRule = "password_rule" // a new password breaks the password policy
	ETooLarge     = "too_large"     // the request body is over the size limit
	// ELocked: too many failed sign-ins for the account or the client
	// address; even a right password is refused until the lock ends
	// (LockedUntil tells when). Dialects that must not reveal a lockout
	// answer it exactly as a wrong password.
	ELocked = "locked"
	// ENotImplemented: the configured engines cannot do this (for example,
	// a Limiter that cannot list its keys).
	ENotImplemented = "not_implemented"
)

// retryAfter marks an EUnavailable error that a client may retry after
// the duration.
type retryAfter time.Duration

func (r retryAfter) Error() string { return "retry after " + time.Duration(r).String() }

// RetryAfter reports how long a client refused by err should wait before
// trying again, when the core knows (a full hash queue), so a dialect
// can send Retry-After.
func RetryAfter(err error) (time.Duration, bool) {
	var r retryAfter
	if errors.As(err, &r) {
		return time.Duration(r), true
	}
	return 0, false
}

// Error is the one error type of sessiond. Code is for programs, Msg for the
// client, Op and Err for operators reading logs.
type Error struct {
	Code string
	Msg  string
	Op   string
	Err  error
	// Fields holds, for an EInvalid error about a request's fields, each
	// field's problems under the core's name of the field (FieldLogin,
	// FieldPassword, FieldDevice ...); dialects rename them.
	Fields map[string][]string
}

// Field names of Error.Fields.
const (
	FieldLogin    = "login"
	FieldPassword = "password"
	FieldDevice   = "device"
	FieldToken    = "token"
)

// FieldErrors returns the field problems of err, or nil.
func FieldErrors(err error) map[string][]string {
	var e *Error
	if errors.As(err, &e) {
		return e.Fields
	}
	return nil
}

// Error returns a message for logs: the client message and the wrapped cause.
func (e *Error) Error() string {
	switch {
	case e.Msg != "" && e.Err != nil:
		return e.Msg + ": " + e.Err.Error()
	case e.Msg != "":
		return e.Msg
	case e.Err != nil:
		return e.Err.Error()
	}
	return e.Code
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Msg: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first *Error in err's chain; any other
// non-nil error is EInternal.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EInternal
}

// ErrorMessage returns the client-facing message of err. Errors that are not
// *Error, and internal ones, give a generic message so nothing leaks.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) && e.Code != EInternal {
		if e.Msg != "" {
			return e.Msg
		}
		return e.Code
	}
	return "internal error"
}

// Internal wraps an unexpected error from a dependency, naming the operation.
func Internal(op string, err error) error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return err
	}
	return &Error{Code: EInternal, Op: op, Err: err}
}

// Unavailable wraps an engine failure that a client should retry.
func Unavailable(op string, err error) error {
	return &Error{Code: EUnavailable, Msg: "service unavailable", Op: op, Err: err}
}

// Sentinels shared by stores and the service.
var (
	ErrNotFound         = &Error{Code: ENotFound, Msg: "not found"}
	ErrUserNotFound     = &Error{Code: ENotFound, Msg: "user not found"}
	ErrTenantNotFound   = &Error{Code: ENotFound, Msg: "tenant not found"}
	ErrSessionNotFound  = &Error{Code: ENotFound, Msg: "session not found"}
	ErrTokenNotFound    = &Error{Code: ENotFound, Msg: "token not found"}
	ErrBadCredentials   = &Error{Code: EUnauthorized, Msg: "invalid credentials"}
	ErrUnauthenticated  = &Error{Code: EUnauthorized, Msg: "unauthenticated"}
	ErrUserInactive     = &Error{Code: EInactive, Msg: "user is inactive"}
	ErrAlreadySetUp     = &Error{Code: EConflict, Msg: "onboarding has already been completed"}
	ErrWrongOldPassword = &Error{Code: EForbidden, Msg: "your username or password is incorrect"}
	ErrHashQueueFull    = &Error{Code: EUnavailable, Msg: "too many sign-ins in progress; try again shortly", Err: retryAfter(QueueFullRetry)}
	ErrLocked           = &Error{Code: ELocked, Msg: "too many failed sign-ins; try again later"}
	ErrUserExists       = &Error{Code: EConflict, Msg: "user already exists"}
)
