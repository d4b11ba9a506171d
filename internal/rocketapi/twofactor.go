package rocketapi

import (
	"net/http"

	"github.com/sessiond/sessiond/internal/auth"
	"github.com/sessiond/sessiond/internal/httpkit"
)

// Rocket.Chat's 2FA error types and reasons (app/2fa/server/code/index.ts).
const (
	typeTOTPRequired = "totp-required"
	typeTOTPInvalid  = "totp-invalid"
	reasonRequired   = "TOTP Required"
	reasonInvalid    = "TOTP Invalid"
)

// twoFactorDetails is Meteor.Error's details of a 2FA error: the method
// asked for, what its processInvalidCode added (codeGenerated, and for
// email codeCount, codeExpires, emailOrUsername), availableMethods.
func twoFactorDetails(ch *auth.Challenge, u *auth.User) map[string]any {
	methods := make([]string, 0, len(ch.Methods))
	for _, m := range ch.Methods {
		if m == auth.FactorMethodTOTP || m == auth.FactorMethodEmail {
			methods = append(methods, string(m))
		}
	}
	d := map[string]any{"method": string(ch.Method), "codeGenerated": ch.CodeSent, "availableMethods": methods}
	if ch.Method == auth.FactorMethodEmail {
		d["emailOrUsername"] = u.Name
		d["codeCount"] = 0
		d["codeExpires"] = []isoTime{}
		if !ch.CodeExpires.IsZero() {
			d["codeCount"] = 1
			d["codeExpires"] = []isoTime{isoTime(ch.CodeExpires)}
		}
	}
	return d
}

// routeTwoFactorError is the answer of a twoFactorRequired route without
// a good code: the action wrapper's 400, "TOTP Required [totp-required]".
func routeTwoFactorError(ch *auth.Challenge, u *auth.User) *apiError {
	typ, reason := typeTOTPRequired, reasonRequired
	if ch.Invalid {
		typ, reason = typeTOTPInvalid, reasonInvalid
	}
	return &apiError{http.StatusBadRequest, failure{Error: reason + " [" + typ + "]", ErrorType: typ, Details: twoFactorDetails(ch, u)}}
}

// loginTwoFactorError is the answer of a login without a good code: the
// login's 401 with the Meteor error copied in.
func loginTwoFactorError(ch *auth.Challenge, u *auth.User) *apiError {
	typ, reason := typeTOTPRequired, reasonRequired
	if ch.Invalid {
		typ, reason = typeTOTPInvalid, reasonInvalid
	}
	return &apiError{http.StatusUnauthorized, failure{Error: typ, Status: "error", Details: twoFactorDetails(ch, u), Message: reason}}
}

// twoFactor marks a route twoFactorRequired: before the action, the core
// checks the x-2fa-code and x-2fa-method headers (both, or neither) as
// Rocket.Chat's checkCodeForUser does, with the password fallback and the
// remember window; noRemember is the route's disableRememberMe. A good
// code leaves a proof on the caller for the operations that need one.
func (h *Handler) twoFactor(fn routeFunc, noRemember bool) routeFunc {
	return func(w http.ResponseWriter, r *http.Request, c *caller) {
		code, method := r.Header.Get("X-2fa-Code"), r.Header.Get("X-2fa-Method")
		if code == "" || method == "" {
			code, method = "", ""
		}
		proof, err := h.svc.StepUp(r.Context(), auth.StepUp{
			Session: c.session, User: c.user, Code: code, Method: auth.FactorMethod(method),
			PasswordFallback: h.opt.TwoFactorPasswordFallback, Remember: h.opt.TwoFactorRemember, NoRemember: noRemember,
			Bypass: c.pat != nil && c.pat.BypassTwoFactor, Client: httpkit.Client(r), Origin: auth.OriginRocket,
		})
		if ch, ok := auth.ChallengeOf(err); ok {
			writeError(w, routeTwoFactorError(ch, c.user))
			return
		}
		if err != nil {
			h.failErr(w, r, err, nil)
			return
		}
		c.proof = proof
		fn(w, r, c)
	}
}
