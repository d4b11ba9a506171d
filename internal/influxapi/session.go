package influxapi

import (
	"net/http"

	"github.com/sessiond/sessiond/internal/auth"
	"github.com/sessiond/sessiond/internal/httpkit"
)

// handleSignin is POST /api/v2/signin: Basic credentials in, a session
// cookie out. Every failure to authenticate looks the same.
func (h *Handler) handleSignin(w http.ResponseWriter, r *http.Request) {
	user, pass, ok := r.BasicAuth()
	if !ok {
		writeError(w, errUnauthorized, true)
		return
	}
	in, err := h.svc.SignIn(r.Context(), auth.Attempt{
		TenantID: tenant, Login: user, Credential: auth.Password{Secret: pass},
		Origin: auth.OriginInflux, Client: httpkit.Client(r), Format: auth.InfluxTokenFormat,
	})
	switch auth.ErrorCode(err) {
	case "":
	case auth.EUnauthorized, auth.ELocked, auth.EInvalid:
		// A lockout answers exactly as a wrong password: it must not tell
		// an attacker that the login is being guessed. An empty name or
		// password is a wrong one too, as in InfluxDB.
		writeError(w, errUnauthorized, true)
		return
	case auth.EInactive:
		writeError(w, errInactive, true)
		return
	case auth.ESecondFactor:
		// The right password of a user with a second factor: InfluxDB's
		// Basic sign-in has no place for the second one (errors.go).
		writeError(w, errSecondFactor, true)
		return
	default:
		h.fail(w, r, err)
		return
	}
	http.SetCookie(w, &http.Cookie{
		Name: CookieName, Value: in.Token, Path: "/api/", Expires: in.Session.ExpiresAt,
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil,
	})
	w.WriteHeader(http.StatusNoContent)
}

// handleSignout is POST /api/v2/signout: it expires the cookie's session
// server-side and, as InfluxDB, sets no cookie.
func (h *Handler) handleSignout(w http.ResponseWriter, r *http.Request) {
	key, ok := cookie(r)
	if !ok {
		writeError(w, errUnauthorized, true)
		return
	}
	if h.crossOrigin(r) {
		writeError(w, errCrossOrigin, false)
		return
	}
	if _, err := h.svc.SignOut(r.Context(), key); err != nil {
		h.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (h *Handler) handleMe(w http.ResponseWriter, r *http.Request, c *caller) {
	if c.token != nil && !c.can("read", "users", c.user.ID) {
		writeError(w, denied("read", "users", c.user.ID), true)
		return
	}
	respondUser(w, http.StatusOK, newUserResponse(c.user))
}

// handleMePassword is PUT /api/v2/me/password: the session cookie names
// the user, Basic credentials carry the old password (their user name is
// ignored, as in InfluxDB), the body the new one.
func (h *Handler) handleMePassword(w http.ResponseWriter, r *http.Request, c *caller) {
	h.changePassword(w, r, c, c.user.ID)
}

func (h *Handler) handleChangeUserPassword(w http.ResponseWriter, r *http.Request, c *caller) {
	id, ok := h.targetUser(w, r, c, "write")
	if !ok {
		return
	}
	h.changePassword(w, r, c, id)
}

func (h *Handler) changePassword(w http.ResponseWriter, r *http.Request, c *caller, id string) {
	_, old, ok := r.BasicAuth()
	if !ok {
		writeError(w, apiError{codeInvalid, "error decoding password reset request: invalid basic auth"}, true)
		return
	}
	pw, keep, ok := h.newPassword(w, r, c, id)
	if !ok {
		return
	}
	err := h.svc.ChangePassword(r.Context(), tenant, id, old, pw, h.opt.EndSessionsOnPasswordChange, keep)
	if auth.ErrorCode(err) == auth.ELocked {
		err = auth.ErrWrongOldPassword // a lockout answers as a wrong old password
	}
	if err != nil {
		h.userFail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// newPassword reads a {"password"} body and names the session to keep
// when the caller changes their own password from it.
func (h *Handler) newPassword(w http.ResponseWriter, r *http.Request, c *caller, id string) (pw, keep string, ok bool) {
	var body passwordRequest
	if err := h.decode(w, r, &body); err != nil {
		h.fail(w, r, err)
		return "", "", false
	}
	if body.Password == nil {
		writeError(w, apiError{codeInvalid, "password is required"}, true)
		return "", "", false
	}
	if c.session != nil && c.session.UserID == id {
		keep = c.session.ID
	}
	return *body.Password, keep, true
}
