package ui

import (
	"net/http"
	"unicode"
	"unicode/utf8"

	"github.com/sessiond/sessiond/internal/auth"
	"github.com/sessiond/sessiond/internal/httpkit"
)

type passwordData struct {
	Forced    bool // the server ends other sessions on every change
	EndOthers bool // the box's state
	Min, Max  int
}

func (h *Handler) passwordData() passwordData {
	p := h.svc.Policy()
	return passwordData{Forced: h.opt.EndSessionsOnPasswordChange, EndOthers: true, Min: p.MinBytes, Max: p.MaxBytes}
}

func (h *Handler) handlePasswordPage(w http.ResponseWriter, r *http.Request, c *caller) {
	v := signedIn(c, "Change your password", "password")
	v.Data = h.passwordData()
	h.render(w, r, http.StatusOK, "password", v)
}

// handlePassword changes the password after checking the current one.
// Wrong guesses at the current password share the sign-in budget's size,
// counted per user. On success the UI session is replaced by a new one, so
// a token seen before the change stops working.
func (h *Handler) handlePassword(w http.ResponseWriter, r *http.Request, c *caller) {
	ctx := r.Context()
	d := h.passwordData()
	d.EndOthers = d.Forced || r.PostFormValue("end_others") != ""
	again := func(status int, msg string) {
		v := signedIn(c, "Change your password", "password")
		v.Error, v.Data = msg, d
		h.render(w, r, status, "password", v)
	}
	cur, next, confirm := r.PostFormValue("current"), r.PostFormValue("new"), r.PostFormValue("confirm")
	if next != confirm {
		again(http.StatusUnprocessableEntity, "The new password and its confirmation do not match.")
		return
	}
	if err := h.svc.Policy().Check(next); err != nil {
		again(http.StatusUnprocessableEntity, sentence(auth.ErrorMessage(err)))
		return
	}
	err := h.svc.ChangePassword(ctx, c.sess.TenantID, c.user.ID, cur, next, d.EndOthers, c.sess.ID)
	switch auth.ErrorCode(err) {
	case "":
	case auth.EForbidden:
		again(http.StatusUnprocessableEntity, "Your current password is incorrect.")
		return
	case auth.ELocked:
		// Wrong current passwords count against the user's name as failed
		// sign-ins do.
		again(http.StatusTooManyRequests, h.tryAgain(w, "Too many attempts.", h.lockEnd(err)))
		return
	case auth.EPasswordRule:
		again(http.StatusUnprocessableEntity, sentence(auth.ErrorMessage(err)))
		return
	default:
		h.fail(w, r, err)
		return
	}
	if err := h.renew(w, r, c); err != nil {
		h.fail(w, r, err)
		return
	}
	m := "password"
	if d.EndOthers {
		m = "password-all"
	}
	h.redirect(w, r, "/ui/sessions?m="+m)
}

// renew replaces the caller's UI session with a fresh one and sets its
// cookie.
func (h *Handler) renew(w http.ResponseWriter, r *http.Request, c *caller) error {
	_, token, err := h.svc.RotateSession(r.Context(), c.token, httpkit.Client(r))
	if err != nil {
		return err
	}
	setCookie(w, r, cookieSession, token)
	return nil
}

// sentence capitalises a core message and ends it with a full stop.
func sentence(s string) string {
	if s == "" {
		return s
	}
	r, n := utf8.DecodeRuneInString(s)
	s = string(unicode.ToUpper(r)) + s[n:]
	if s[len(s)-1] != '.' {
		s += "."
	}
	return s
}
