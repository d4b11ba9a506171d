package ui

import (
	"net/http"
	"strings"
	"time"

	"github.com/sessiond/sessiond/internal/auth"
	"github.com/sessiond/sessiond/internal/httpkit"
)

// "Forgot your password?": the same reset flow as the tenant API's
// /auth/reset-password, through the core. The first page takes an email
// (and the tenant, unless the host names it) and always goes on to the
// second, whether or not an account has that email; the second takes the
// emailed code and the new password together. Both forms are guarded by
// the sign-in form's pre-session CSRF token.

func (h *Handler) resetRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /ui/reset", h.handleResetPage)
	mux.HandleFunc("POST /ui/reset", h.handleReset)
	mux.HandleFunc("POST /ui/reset/confirm", h.handleResetConfirm)
	mux.HandleFunc("POST /ui/reset/resend", h.handleResetResend)
}

// Messages of the reset pages. A wrong, expired, replaced or unknown
// code all read the same, so the pages reveal no account.
const (
	msgResetCode     = "That code is not right, or it has expired. Check the latest email, or send a new code."
	msgResetTooMany  = "Too many wrong codes. Send a new code, or start again."
	msgResetOff      = "Password reset is not available here. Please ask your administrator."
	msgResetBadEmail = "Enter a valid email address."
)

type resetData struct {
	Email       string
	Tenant      string // the tenant field as typed
	TenantFixed string // the tenant the host chose
}

type resetCodeData struct {
	ID       string // the reset's OTP
	TenantID string
	Email    string
	Minutes  int
	Min, Max int
}

func (h *Handler) handleResetPage(w http.ResponseWriter, r *http.Request) {
	t, err := h.hostTenant(r.Context(), r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	d := resetData{}
	if t != nil {
		d.TenantFixed = t.Name
	}
	h.render(w, r, http.StatusOK, "reset", view{Title: "Forgot your password?", CSRF: h.signInToken(w, r), Data: d})
}

func (h *Handler) codeData(id, tenantID, email string) resetCodeData {
	p := h.svc.Policy()
	return resetCodeData{ID: id, TenantID: tenantID, Email: email, Minutes: int(h.svc.OTPPolicy().TTL / time.Minute), Min: p.MinBytes, Max: p.MaxBytes}
}

// handleReset asks for a code and shows the code page, for any email.
func (h *Handler) handleReset(w http.ResponseWriter, r *http.Request) {
	if !h.parseForm(w, r) {
		return
	}
	ctx := r.Context()
	d := resetData{Email: strings.TrimSpace(r.PostFormValue("email")), Tenant: strings.TrimSpace(r.PostFormValue("tenant"))}
	again := func(status int, msg string) {
		h.render(w, r, status, "reset", view{Title: "Forgot your password?", Error: msg, CSRF: h.signInToken(w, r), Data: d})
	}
	if !validCSRF(readCookie(r, cookieSignIn), purposeSignIn, r.PostFormValue("csrf")) {
		again(http.StatusForbidden, "This form has expired, or your browser is blocking cookies. Please try again.")
		return
	}
	sd := signInData{Tenant: d.Tenant}
	tenantID, err := h.signInTenant(ctx, r, &sd)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	d.TenantFixed = sd.TenantFixed
	id := auth.NewID() // what a tenant that does not exist answers
	o, err := h.svc.StartPasswordReset(ctx, auth.ResetRequest{TenantID: tenantID, Email: d.Email, Client: httpkit.Client(r)})
	switch auth.ErrorCode(err) {
	case "":
		id = o.ID
	case auth.ENotFound: // the tenant field named no tenant: as an unknown email
	case auth.EInvalid:
		again(http.StatusUnprocessableEntity, msgResetBadEmail)
		return
	case auth.ERestricted:
		again(http.StatusForbidden, msgResetOff)
		return
	case auth.ERateLimited:
		again(http.StatusTooManyRequests, h.tryAgain(w, "Too many codes were sent to this address.", h.retryAt(err)))
		return
	default:
		h.fail(w, r, err)
		return
	}
	v := view{Title: "Choose a new password", CSRF: h.signInToken(w, r), Data: h.codeData(id, tenantID, strings.ToLower(d.Email))}
	h.render(w, r, http.StatusOK, "resetcode", v)
}

// retryAt is when a throttled request may be sent again.
func (h *Handler) retryAt(err error) time.Time {
	d, ok := auth.RetryAfter(err)
	if !ok {
		d = time.Minute
	}
	return h.svc.Now().Add(d)
}

// codeForm reads the hidden fields of the code page.
func (h *Handler) codeForm(r *http.Request) resetCodeData {
	return h.codeData(r.PostFormValue("id"), r.PostFormValue("tenant"), r.PostFormValue("email"))
}

// handleResetConfirm checks the code and sets the new password: every
// session of the user ends, in every API, and the browser goes to sign in.
func (h *Handler) handleResetConfirm(w http.ResponseWriter, r *http.Request) {
	if !h.parseForm(w, r) {
		return
	}
	d := h.codeForm(r)
	again := func(status int, msg string) {
		h.render(w, r, status, "resetcode", view{Title: "Choose a new password", Error: msg, CSRF: h.signInToken(w, r), Data: d})
	}
	if !validCSRF(readCookie(r, cookieSignIn), purposeSignIn, r.PostFormValue("csrf")) {
		again(http.StatusForbidden, "This form has expired, or your browser is blocking cookies. Please try again.")
		return
	}
	code, next := strings.TrimSpace(r.PostFormValue("code")), r.PostFormValue("new")
	if next != r.PostFormValue("confirm") {
		again(http.StatusUnprocessableEntity, "The new password and its confirmation do not match.")
		return
	}
	if err := h.svc.Policy().Check(next); err != nil {
		again(http.StatusUnprocessableEntity, sentence(auth.ErrorMessage(err)))
		return
	}
	err := h.svc.CompletePasswordReset(r.Context(), d.TenantID, d.ID, code, next, httpkit.Client(r))
	switch auth.ErrorCode(err) {
	case "":
	case auth.ENotFound, auth.EOTPInvalidCode, auth.EOTPExpired, auth.EOTPInvalidState:
		again(http.StatusUnprocessableEntity, msgResetCode)
		return
	case auth.EInvalid: // a code that is not six digits
		again(http.StatusUnprocessableEntity, msgResetCode)
		return
	case auth.EOTPMaxAttempts:
		again(http.StatusUnprocessableEntity, msgResetTooMany)
		return
	case auth.EPasswordRule:
		again(http.StatusUnprocessableEntity, sentence(auth.ErrorMessage(err)))
		return
	default:
		h.fail(w, r, err)
		return
	}
	clearCookie(w, r, cookieSignIn)
	// The browser's own UI session, if any, ended with the others.
	if readCookie(r, cookieSession) != "" {
		clearCookie(w, r, cookieSession)
	}
	h.redirect(w, r, "/ui/signin?m=reset")
}

// handleResetResend sends a new code, at most three times, a minute
// apart; it answers alike for every email.
func (h *Handler) handleResetResend(w http.ResponseWriter, r *http.Request) {
	if !h.parseForm(w, r) {
		return
	}
	d := h.codeForm(r)
	v := view{Title: "Choose a new password", Data: d}
	if !validCSRF(readCookie(r, cookieSignIn), purposeSignIn, r.PostFormValue("csrf")) {
		v.Error, v.CSRF = "This form has expired, or your browser is blocking cookies. Please try again.", h.signInToken(w, r)
		h.render(w, r, http.StatusForbidden, "resetcode", v)
		return
	}
	v.CSRF = h.signInToken(w, r)
	status := http.StatusOK
	_, err := h.svc.ResendOTP(r.Context(), d.TenantID, d.ID, auth.ScopeResetPassword, httpkit.Client(r))
	switch auth.ErrorCode(err) {
	case "", auth.ENotFound: // a tenant that does not exist answers as a resend
		v.Flash = "We sent a new code. Only the newest code works."
	case auth.EOTPResendTooSoon, auth.ERateLimited:
		status, v.Error = http.StatusTooManyRequests, h.tryAgain(w, "A code was sent moments ago.", h.retryAt(err))
	case auth.EOTPMaxResends:
		status, v.Error = http.StatusUnprocessableEntity, "No more codes can be sent for this request. Please start again."
	case auth.EOTPExpired, auth.EOTPInvalidState, auth.EOTPMaxAttempts:
		status, v.Error = http.StatusUnprocessableEntity, "This request has ended. Please start again."
	default:
		h.fail(w, r, err)
		return
	}
	h.render(w, r, status, "resetcode", v)
}
