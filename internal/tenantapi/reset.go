package tenantapi

import (
	"net/http"

	"github.com/sessiond/sessiond/internal/auth"
)

// Steps of the two-step flows (reset-password, and otp sign-in).
const (
	stepChallenge = "challenge"
	stepConfirm   = "confirm"
)

var steps = []string{stepChallenge, stepConfirm}

// handleResetPassword is POST /auth/reset-password, in two steps around
// POST /otp/verify (scope reset_password):
//
//   - {"step":"challenge","email"}: 201 with the OTP, whether or not the
//     email names a user who may reset (the code is emailed only if it
//     does), so the answer reveals no account;
//   - {"step":"confirm","token":"<otp id>","password"}: the verified OTP
//     is consumed, the password set, and every session of the user ends
//     in every API: 201 {"success":true}.
func (h *Handler) handleResetPassword(w http.ResponseWriter, r *http.Request, rq *request) {
	f, err := h.decode(w, r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	switch step := f.oneOf("step", steps); step {
	case stepChallenge:
		req := auth.ResetRequest{TenantID: rq.tenant.ID, Email: f.str("email", false), Client: rq.client}
		req.Problems = f.problems()
		o, err := h.svc.StartPasswordReset(r.Context(), req)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		h.respond(w, r, http.StatusCreated, h.newOTPResponse(o))
	case stepConfirm:
		id := f.str("token", true)
		password := f.str("password", true)
		if err := f.err(); err != nil {
			h.fail(w, r, err)
			return
		}
		if err := h.svc.ResetPassword(r.Context(), rq.tenant.ID, id, password, rq.client); err != nil {
			h.fail(w, r, err)
			return
		}
		h.respond(w, r, http.StatusCreated, successResponse{Success: true})
	default:
		for k := range f.raw {
			f.seen = append(f.seen, k)
		}
		h.fail(w, r, f.err())
	}
}
