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
