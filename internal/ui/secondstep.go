package ui

import (
	"net/http"
	"strings"

	"github.com/sessiond/sessiond/internal/auth"
	"github.com/sessiond/sessiond/internal/httpkit"
)

// cookieTicket holds the sign-in ticket between the password and the
// second step (a few minutes; it proves nothing without the factor).
const cookieTicket = "sessiond_ui_2fa"

type secondData struct {
	Code    bool // a code is accepted (TOTP or recovery)
	TOTP    bool
	Passkey bool
}

// secondStep shows the second step after a right password, keeping the
// ticket in a cookie.
func (h *Handler) secondStep(w http.ResponseWriter, r *http.Request, ch *auth.Challenge, status int, msg string) {
	if ch.Ticket != "" {
		setCookie(w, r, cookieTicket, ch.Ticket)
	}
	d := secondData{TOTP: ch.Has(auth.FactorMethodTOTP), Passkey: ch.Has(auth.FactorMethodPasskey)}
	d.Code = d.TOTP || ch.Has(auth.FactorMethodRecovery) || ch.Has(auth.FactorMethodEmail)
	v := view{Title: "Second step", Error: msg, Data: d, CSRF: h.signInToken(w, r)}
	h.render(w, r, status, "signin2", v)
}

// handleSecondOptions starts a passkey assertion for the second step.
func (h *Handler) handleSecondOptions(w http.ResponseWriter, r *http.Request) {
	if !h.signInForm(w, r) {
		return
	}
	tenantID, userID, ok := h.svc.TicketUser(readCookie(r, cookieTicket))
	if !ok {
		http.Error(w, "the sign-in has expired", http.StatusUnauthorized)
		return
	}
	u, err := h.svc.User(r.Context(), tenantID, userID)
	if err != nil {
		http.Error(w, "the sign-in has expired", http.StatusUnauthorized)
		return
	}
	opts, state, err := h.svc.BeginPasskeyLogin(r.Context(), tenantID, u, relyingParty(r))
	if err != nil {
		http.Error(w, "no passkey", http.StatusNotFound)
		return
	}
	writeCeremony(w, opts, state)
}

// handleSecond is the second step: the ticket and a code or a passkey.
func (h *Handler) handleSecond(w http.ResponseWriter, r *http.Request) {
	if !h.signInForm(w, r) {
		return
	}
	second := &auth.SecondFactor{Code: strings.TrimSpace(r.PostFormValue("code"))}
	if st := r.PostFormValue("state"); st != "" {
		response, err := passkeyResponse(r)
		if err != nil {
			h.errorPage(w, r, http.StatusBadRequest, formError(err))
			return
		}
		second = &auth.SecondFactor{Method: auth.FactorMethodPasskey, Passkey: &auth.PasskeyAssertion{RP: relyingParty(r), State: st, Response: response}}
	}
	ticket := readCookie(r, cookieTicket)
	tenantID, _, ok := h.svc.TicketUser(ticket)
	if !ok {
		h.redirect(w, r, "/ui/signin?m=ended")
		return
	}
	in, err := h.svc.SignIn(r.Context(), auth.Attempt{
		TenantID: tenantID, Credential: auth.Ticket{Token: ticket}, Second: second,
		Origin: auth.OriginUI, Client: httpkit.Client(r),
	})
	if ch, ok := auth.ChallengeOf(err); ok {
		h.secondStep(w, r, ch, http.StatusUnauthorized, "That code did not work. Try the code your app shows now, or a recovery code.")
		return
	}
	switch auth.ErrorCode(err) {
	case "":
	case auth.ELocked:
		clearCookie(w, r, cookieTicket)
		v := view{Title: "Sign in", Error: h.tryAgain(w, "Too many sign-in attempts.", h.lockEnd(err)), Data: signInData{}, CSRF: h.signInToken(w, r)}
		h.render(w, r, http.StatusTooManyRequests, "signin", v)
		return
	case auth.EInternal, auth.EUnavailable:
		h.fail(w, r, err)
		return
	default:
		clearCookie(w, r, cookieTicket)
		h.redirect(w, r, "/ui/signin?m=ended")
		return
	}
	clearCookie(w, r, cookieTicket)
	h.signedIn(w, r, in)
}

// signInForm reads the form of a step of signing in, checking the
// sign-in CSRF token (403 otherwise).
func (h *Handler) signInForm(w http.ResponseWriter, r *http.Request) bool {
	if !h.parseForm(w, r) {
		return false
	}
	if !validCSRF(readCookie(r, cookieSignIn), purposeSignIn, r.PostFormValue("csrf")) {
		h.forbidden(w, r)
		return false
	}
	return true
}

// passkeyForm is signInForm for a sign-in with a passkey alone, with the
// tenant it is for.
func (h *Handler) passkeyForm(w http.ResponseWriter, r *http.Request) (signInData, string, bool) {
	if !h.signInForm(w, r) {
		return signInData{}, "", false
	}
	d := signInData{Tenant: strings.TrimSpace(r.PostFormValue("tenant"))}
	tenantID, err := h.signInTenant(r.Context(), r, &d)
	if err != nil {
		h.fail(w, r, err)
		return signInData{}, "", false
	}
	return d, tenantID, true
}

// handlePasskeyOptionsSignIn starts a sign-in with a passkey alone.
func (h *Handler) handlePasskeyOptionsSignIn(w http.ResponseWriter, r *http.Request) {
	_, tenantID, ok := h.passkeyForm(w, r)
	if !ok {
		return
	}
	opts, state, err := h.svc.BeginPasskeyLogin(r.Context(), tenantID, nil, relyingParty(r))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeCeremony(w, opts, state)
}

// handlePasskeySignIn signs in with a passkey alone.
func (h *Handler) handlePasskeySignIn(w http.ResponseWriter, r *http.Request) {
	d, tenantID, ok := h.passkeyForm(w, r)
	if !ok {
		return
	}
	response, err := passkeyResponse(r)
	if err != nil {
		h.errorPage(w, r, http.StatusBadRequest, formError(err))
		return
	}
	in, err := h.svc.SignIn(r.Context(), auth.Attempt{
		TenantID: tenantID, Origin: auth.OriginUI, Client: httpkit.Client(r),
		Credential: auth.Passkey{PasskeyAssertion: auth.PasskeyAssertion{RP: relyingParty(r), State: r.PostFormValue("state"), Response: response}},
	})
	switch auth.ErrorCode(err) {
	case "":
	case auth.EInternal, auth.EUnavailable:
		h.fail(w, r, err)
		return
	default:
		v := view{Title: "Sign in", Error: "Sign-in failed: that passkey is not one of this site's.", Data: d, CSRF: h.signInToken(w, r)}
		h.render(w, r, http.StatusUnauthorized, "signin", v)
		return
	}
	h.signedIn(w, r, in)
}

// signedIn finishes any sign-in of the pages: one browser, one session.
func (h *Handler) signedIn(w http.ResponseWriter, r *http.Request, in *auth.SignedIn) {
	if old := readCookie(r, cookieSession); old != "" {
		if _, err := h.svc.SignOut(r.Context(), old); err != nil && auth.ErrorCode(err) != auth.EUnauthorized {
			h.log.Warn("ui sign-out of replaced session failed", "request_id", httpkit.RequestID(r.Context()), "err", err)
		}
	}
	setCookie(w, r, cookieSession, in.Token)
	clearCookie(w, r, cookieSignIn)
	h.redirect(w, r, "/ui/sessions")
}
