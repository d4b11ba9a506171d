package tenantapi

import (
	"net/http"

	"github.com/sessiond/sessiond/internal/auth"
)

// methodCredential reads the credential of an otp or social sign-in into
// a. The otp method's challenge step is no sign-in yet: it is answered
// here (201 with the OTP, as /otp/create answers) and methodCredential
// reports true.
//
//   - otp: {"step":"challenge","otpMethod":"email"|"sms","recipient"}, then
//     POST /otp/verify with scope otp_signin, then
//     {"step":"confirm","token":"<otp id>"};
//   - google, apple: {"token":"<ID token>","nonce"?};
//   - facebook: the same, with "tokenType":"idToken" (Limited Login's ID
//     token; an accessToken cannot be verified without the app secret).
func (h *Handler) methodCredential(w http.ResponseWriter, r *http.Request, rq *request, f *form, a *auth.Attempt) bool {
	if a.Method != auth.MethodOTP {
		cred := auth.IDToken{Provider: a.Method, Token: f.str("token", false), Nonce: f.str("nonce", false)}
		if a.Method == auth.MethodFacebook {
			switch f.str("tokenType", false) {
			case "", "idToken":
			case "accessToken":
				f.problem("tokenType", "accessToken is not supported: send Limited Login's ID token with tokenType idToken")
			default:
				f.problem("tokenType", "must be one of idToken, accessToken")
			}
		}
		a.Credential = cred
		return false
	}
	if f.oneOf("step", steps) != stepChallenge {
		a.Credential = auth.VerifiedOTP{ID: f.str("token", false)}
		return false
	}
	req := auth.OTPRequest{
		TenantID: rq.tenant.ID, Channel: auth.Channel(f.str("otpMethod", false)), Recipient: f.str("recipient", false), Client: rq.client,
	}
	req.Problems = f.problems()
	o, err := h.svc.StartOTPSignIn(r.Context(), req)
	if err != nil {
		h.fail(w, r, otpFields(err, "otpMethod"))
		return true
	}
	h.respond(w, r, http.StatusCreated, h.newOTPResponse(o))
	return true
}
