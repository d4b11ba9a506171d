package tenantapi

import (
	"context"
	"errors"
	"net/http"

	"github.com/sessiond/sessiond/internal/auth"
)

// The OTP module (webmixhub.md §3): POST /otp/create|verify|resend|cancel,
// tenant authentication only, every answer 201 in the envelope.

func (h *Handler) otpRoutes(mux *http.ServeMux) {
	mux.Handle("POST /otp/create", h.endpoint(route{auth.CapOTPCreate, false, true}, h.handleOTPCreate))
	mux.Handle("POST /otp/verify", h.endpoint(route{auth.CapOTPVerify, false, true}, h.handleOTPVerify))
	mux.Handle("POST /otp/resend", h.endpoint(route{auth.CapOTPResend, false, true}, h.handleOTPResend))
	mux.Handle("POST /otp/cancel", h.endpoint(route{auth.CapOTPCancel, false, true}, h.handleOTPCancel))
}

// The OTP module's error codes.
const (
	codeOTPNotFound      = "OTP_NOT_FOUND"
	codeOTPExpired       = "OTP_EXPIRED"
	codeOTPInvalidCode   = "OTP_INVALID_CODE"
	codeOTPMaxAttempts   = "OTP_MAX_ATTEMPTS"
	codeOTPResendTooSoon = "OTP_RESEND_TOO_SOON"
	codeOTPMaxResends    = "OTP_MAX_RESENDS"
	codeOTPInvalidState  = "OTP_INVALID_STATE"
)

// otpError is the OTP module's answer for a core error, or nil when err
// is not the module's.
func otpError(err error) *apiError {
	if errors.Is(err, auth.ErrOTPNotFound) {
		return &apiError{"OTP not found", codeOTPNotFound, http.StatusNotFound, nil}
	}
	msg := auth.ErrorMessage(err)
	switch auth.ErrorCode(err) {
	case auth.EOTPExpired:
		return &apiError{msg, codeOTPExpired, http.StatusBadRequest, nil}
	case auth.EOTPInvalidCode:
		return &apiError{msg, codeOTPInvalidCode, http.StatusBadRequest, nil}
	case auth.EOTPMaxAttempts:
		return &apiError{msg, codeOTPMaxAttempts, http.StatusTooManyRequests, nil}
	case auth.EOTPResendTooSoon:
		return &apiError{msg, codeOTPResendTooSoon, http.StatusTooManyRequests, nil}
	case auth.EOTPMaxResends:
		return &apiError{msg, codeOTPMaxResends, http.StatusTooManyRequests, nil}
	case auth.EOTPInvalidState:
		return &apiError{msg, codeOTPInvalidState, http.StatusConflict, nil}
	}
	return nil
}

// otpResponse is an OTP as create and the challenge steps answer it.
type otpResponse struct {
	ID             string `json:"id"`
	ExpireAt       stamp  `json:"expireAt"`
	ResendInterval int    `json:"resendInterval"` // seconds
	LastSentAt     stamp  `json:"lastSentAt"`
}

func (h *Handler) newOTPResponse(o *auth.OTP) *otpResponse {
	return &otpResponse{ID: o.ID, ExpireAt: stamp(o.ExpiresAt), ResendInterval: int(h.svc.ResendInterval().Seconds()), LastSentAt: stamp(o.LastSentAt)}
}

// otpFields renames the core's field names to this API's: the channel is
// the body's method field (otpMethod in a sign-in, whose method is otp).
func otpFields(err error, channel string) error {
	f := auth.FieldErrors(err)
	if f == nil {
		return err
	}
	out := map[string][]string{}
	for k, v := range f {
		if k == auth.FieldChannel {
			k = channel
		}
		out[k] = append(out[k], v...)
	}
	return validationError(wireFields(out))
}

// handleOTPCreate is POST /otp/create {scope, scopeId?, method, recipient}:
// a code for email_verification (by email) or phone_verification (by
// SMS). Earlier pending codes for the same scope, method and recipient
// are cancelled.
func (h *Handler) handleOTPCreate(w http.ResponseWriter, r *http.Request, rq *request) {
	f, err := h.decode(w, r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	req := auth.OTPRequest{
		TenantID: rq.tenant.ID, Scope: auth.OTPScope(f.str("scope", false)), ScopeID: f.str("scopeId", false),
		Channel: auth.Channel(f.str("method", false)), Recipient: f.str("recipient", false), Client: rq.client,
	}
	req.Problems = f.problems()
	o, err := h.svc.CreateOTP(r.Context(), req)
	if err != nil {
		h.fail(w, r, otpFields(err, "method"))
		return
	}
	h.respond(w, r, http.StatusCreated, h.newOTPResponse(o))
}

// otpRef reads the {id, scope} every other OTP route names an OTP by.
func otpRef(f *form) (string, auth.OTPScope) {
	id := f.str("id", true)
	names := make([]string, len(auth.Scopes))
	for i, s := range auth.Scopes {
		names[i] = string(s)
	}
	return id, auth.OTPScope(f.oneOf("scope", names))
}

// otpStep is the shape of verify, resend and cancel: the body names an
// OTP by {id, scope} (and carries its code, for a step withCode), call
// makes the one core call, and success is {success: true}, 201.
func (h *Handler) otpStep(w http.ResponseWriter, r *http.Request, withCode bool, call func(ctx context.Context, id string, scope auth.OTPScope, code string) error) {
	f, err := h.decode(w, r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	id, scope := otpRef(f)
	code := ""
	if withCode {
		code = f.str("code", true)
	}
	if err := f.err(); err != nil {
		h.fail(w, r, err)
		return
	}
	if err := call(r.Context(), id, scope, code); err != nil {
		h.fail(w, r, err)
		return
	}
	h.respond(w, r, http.StatusCreated, successResponse{Success: true})
}

// handleOTPVerify is POST /otp/verify {id, scope, code}: a pending OTP
// with the right code becomes verified; verifying it again succeeds.
func (h *Handler) handleOTPVerify(w http.ResponseWriter, r *http.Request, rq *request) {
	h.otpStep(w, r, true, func(ctx context.Context, id string, scope auth.OTPScope, code string) error {
		_, err := h.svc.VerifyOTP(ctx, rq.tenant.ID, id, scope, code, rq.client)
		return err
	})
}

// handleOTPResend is POST /otp/resend {id, scope}: a new code for a
// pending OTP, at most three times, a minute apart.
func (h *Handler) handleOTPResend(w http.ResponseWriter, r *http.Request, rq *request) {
	h.otpStep(w, r, false, func(ctx context.Context, id string, scope auth.OTPScope, _ string) error {
		_, err := h.svc.ResendOTP(ctx, rq.tenant.ID, id, scope, rq.client)
		return err
	})
}

// handleOTPCancel is POST /otp/cancel {id, scope}: a pending OTP is
// cancelled; cancelling it again succeeds.
func (h *Handler) handleOTPCancel(w http.ResponseWriter, r *http.Request, rq *request) {
	h.otpStep(w, r, false, func(ctx context.Context, id string, scope auth.OTPScope, _ string) error {
		_, err := h.svc.CancelOTP(ctx, rq.tenant.ID, id, scope)
		return err
	})
}
