package ui

import (
	"net/http"

	"github.com/sessiond/sessiond/internal/auth"
)

// securityRoutes mounts the pages of second factors, passkeys,
// re-authentication, the sign-in's second step and personal tokens.
func (h *Handler) securityRoutes(mux *http.ServeMux) {
	mux.Handle("GET /ui/security", h.authed(h.handleSecurity))
	mux.Handle("POST /ui/security/totp", h.form(h.handleTOTPStart))
	mux.Handle("POST /ui/security/totp/confirm", h.form(h.handleTOTPConfirm))
	mux.Handle("POST /ui/security/recovery", h.form(h.handleRecovery))
	mux.Handle("POST /ui/security/factors/{id}/remove", h.form(h.handleFactorRemove))
	mux.Handle("POST /ui/security/factors/{id}/rename", h.form(h.handleFactorRename))
	mux.Handle("POST /ui/security/passkeys/options", h.form(h.handlePasskeyOptions))
	mux.Handle("POST /ui/security/passkeys", h.form(h.handlePasskeyAdd))
	mux.Handle("GET /ui/reauth", h.authed(h.handleReauthPage))
	mux.Handle("POST /ui/reauth", h.form(h.handleReauth))
	mux.HandleFunc("POST /ui/signin/second", h.handleSecond)
	mux.HandleFunc("POST /ui/signin/second/options", h.handleSecondOptions)
	mux.HandleFunc("POST /ui/signin/passkey/options", h.handlePasskeyOptionsSignIn)
	mux.HandleFunc("POST /ui/signin/passkey", h.handlePasskeySignIn)
	mux.Handle("POST /ui/tokens/{id}/revoke", h.form(h.handleTokenRevoke))
	mux.Handle("POST /ui/admin/users/{id}/factors/reset", h.adminForm(h.handleUserFactorsReset))
}

// handleTokenRevoke revokes one of the user's personal access tokens
// from the session list.
func (h *Handler) handleTokenRevoke(w http.ResponseWriter, r *http.Request, c *caller) {
	err := h.svc.RevokePersonalToken(r.Context(), auth.Reach{TenantID: c.sess.TenantID, UserID: c.user.ID}, r.PathValue("id"))
	switch auth.ErrorCode(err) {
	case "":
		h.redirect(w, r, "/ui/sessions?m=token-revoked")
	case auth.ENotFound:
		h.redirect(w, r, "/ui/sessions?m=gone")
	default:
		h.fail(w, r, err)
	}
}

// handleUserFactorsReset removes every second factor of a user (one who
// lost them and their recovery codes). It needs the admin's own recent
// proof.
func (h *Handler) handleUserFactorsReset(w http.ResponseWriter, r *http.Request, c *caller) {
	id := r.PathValue("id")
	if !h.recent(w, r, c, "/ui/admin/users/"+id) {
		return
	}
	_, err := h.svc.ResetSecondFactors(r.Context(), c.sess.TenantID, id)
	switch auth.ErrorCode(err) {
	case "":
		h.redirect(w, r, "/ui/admin/users/"+id+"?m=factors-reset")
	case auth.ENotFound:
		h.errorPageFor(w, r, c, http.StatusNotFound, "There is no such user.")
	default:
		h.fail(w, r, err)
	}
}
