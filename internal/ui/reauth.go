package ui

import (
	"net/http"
	"strings"

	"github.com/sessiond/sessiond/internal/auth"
	"github.com/sessiond/sessiond/internal/httpkit"
)

type reauthData struct {
	Next string
	Code bool // the user has an authenticator app
}

// safeNext keeps a post-reauth destination on the pages.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/ui/") || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\r\n") {
		return "/ui/sessions"
	}
	return next
}

func (h *Handler) reauthPage(w http.ResponseWriter, r *http.Request, c *caller, status int, next, msg string) {
	d := reauthData{Next: safeNext(next)}
	if fs, err := h.svc.Factors(r.Context(), c.sess.TenantID, c.user.ID); err == nil {
		for _, f := range fs {
			d.Code = d.Code || f.Confirmed && f.Kind == auth.FactorTOTP
		}
	}
	v := signedIn(c, "Confirm it's you", "")
	v.Error, v.Data = msg, d
	h.render(w, r, status, "reauth", v)
}

func (h *Handler) handleReauthPage(w http.ResponseWriter, r *http.Request, c *caller) {
	h.reauthPage(w, r, c, http.StatusOK, r.URL.Query().Get("next"), "")
}

// handleReauth proves the owner is at the keyboard again (password, or a
// code) and replaces the session, then goes on to next.
func (h *Handler) handleReauth(w http.ResponseWriter, r *http.Request, c *caller) {
	next := safeNext(r.PostFormValue("next"))
	pr := auth.Proof{Password: r.PostFormValue("password")}
	if code := strings.TrimSpace(r.PostFormValue("code")); pr.Password == "" && code != "" {
		pr.Second = &auth.SecondFactor{Code: code}
	}
	sess, token, err := h.svc.Reauthenticate(r.Context(), c.token, httpkit.Client(r), pr)
	switch auth.ErrorCode(err) {
	case "":
	case auth.ELocked:
		h.reauthPage(w, r, c, http.StatusTooManyRequests, next, h.tryAgain(w, "Too many attempts.", h.lockEnd(err)))
		return
	case auth.EUnauthorized, auth.EInvalid:
		h.reauthPage(w, r, c, http.StatusUnauthorized, next, "That did not match. Please try again.")
		return
	default:
		h.fail(w, r, err)
		return
	}
	_ = sess
	setCookie(w, r, cookieSession, token)
	h.redirect(w, r, next)
}
