package ui

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"net/http"

	"github.com/sessiond/sessiond/internal/auth"
	"github.com/sessiond/sessiond/internal/httpkit"
)

// Cookie names. Over TLS they carry the __Secure- prefix, which browsers
// accept only on Secure cookies from a secure origin. (__Host- would need
// Path=/, and the pages keep their cookies to /ui/.)
const (
	cookieSession = "sessiond_ui"        // the UI session's secret token
	cookieSignIn  = "sessiond_ui_signin" // the pre-session secret behind the sign-in form's CSRF token
)

// CSRF token purposes: one token per session for every signed-in form,
// one per pre-session secret for the sign-in form.
const (
	purposeSession = "session"
	purposeSignIn  = "signin"
)

func cookieName(r *http.Request, base string) string {
	if r.TLS != nil {
		return "__Secure-" + base
	}
	return base
}

func readCookie(r *http.Request, base string) string {
	c, err := r.Cookie(cookieName(r, base))
	if err != nil {
		return ""
	}
	return c.Value
}

// setCookie sets a browser-session cookie (no Expires: it ends when the
// browser closes; the server enforces the session's own expiry).
func setCookie(w http.ResponseWriter, r *http.Request, base, value string) {
	http.SetCookie(w, &http.Cookie{
		Name: cookieName(r, base), Value: value, Path: Prefix,
		HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteLaxMode,
	})
}

func clearCookie(w http.ResponseWriter, r *http.Request, base string) {
	http.SetCookie(w, &http.Cookie{
		Name: cookieName(r, base), Value: "", Path: Prefix, MaxAge: -1,
		HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteLaxMode,
	})
}

// csrfToken derives the synchronizer token of a secret (the session token,
// or the sign-in pre-session secret): HMAC-SHA256 keyed by the secret. It
// is unpredictable without the secret, which lives only in an HttpOnly
// cookie and (hashed) in the session store; it changes with every session
// and dies with it; and it reveals nothing about the secret.
func csrfToken(secret, purpose string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte("sessiond/ui csrf\x00" + purpose))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

func validCSRF(secret, purpose, got string) bool {
	if secret == "" || got == "" {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(csrfToken(secret, purpose)), []byte(got)) == 1
}

// caller is the signed-in user of a request.
type caller struct {
	sess  *auth.Session
	user  *auth.User
	token string
	csrf  string
}

// current finds the UI session of r's cookie. ok is false when there is
// none or it has ended; err is set only for failures other than that.
func (h *Handler) current(r *http.Request) (*caller, bool, bool, error) {
	tok := readCookie(r, cookieSession)
	if tok == "" {
		return nil, false, false, nil
	}
	sess, u, err := h.svc.Authenticate(r.Context(), tok, auth.CheckOptions{Renew: true})
	switch auth.ErrorCode(err) {
	case "":
	case auth.EUnauthorized, auth.EInactive:
		return nil, true, false, nil
	default:
		return nil, true, false, err
	}
	if sess.Origin != auth.OriginUI {
		// Only sessions the pages started may use them: an API token
		// copied into this cookie does not open the pages.
		return nil, true, false, nil
	}
	return &caller{sess: sess, user: u, token: tok, csrf: csrfToken(tok, purposeSession)}, true, true, nil
}

type pageFunc func(w http.ResponseWriter, r *http.Request, c *caller)

// authed serves a page to a signed-in user and sends anyone else to the
// sign-in page.
func (h *Handler) authed(next pageFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, hadCookie, ok, err := h.current(r)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		if !ok {
			h.signedOut(w, r, hadCookie)
			return
		}
		next(w, withActor(r, c), c)
	})
}

// form serves a POST from a signed-in user after checking that it is
// same-origin and carries the session's CSRF token.
func (h *Handler) form(next pageFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !h.parseForm(w, r) {
			return
		}
		c, hadCookie, ok, err := h.current(r)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		if !ok {
			h.signedOut(w, r, hadCookie)
			return
		}
		if !validCSRF(c.token, purposeSession, r.PostFormValue("csrf")) {
			h.forbidden(w, r)
			return
		}
		next(w, withActor(r, c), c)
	})
}

// admin serves a page to a signed-in admin; others get 403.
func (h *Handler) admin(next pageFunc) http.Handler {
	return h.authed(func(w http.ResponseWriter, r *http.Request, c *caller) {
		if !c.user.Admin {
			h.errorPageFor(w, r, c, http.StatusForbidden, "This page is for administrators.")
			return
		}
		next(w, r, c)
	})
}

// adminForm is form for admins only.
func (h *Handler) adminForm(next pageFunc) http.Handler {
	return h.form(func(w http.ResponseWriter, r *http.Request, c *caller) {
		if !c.user.Admin {
			h.errorPageFor(w, r, c, http.StatusForbidden, "This action is for administrators.")
			return
		}
		next(w, r, c)
	})
}

// parseForm reads a size-capped URL-encoded body after refusing
// cross-origin requests (Sec-Fetch-Site or Origin naming another site).
// A field that is not UTF-8 is refused (400), never compared or stored.
func (h *Handler) parseForm(w http.ResponseWriter, r *http.Request) bool {
	if err := h.cop.Check(r); err != nil {
		h.forbidden(w, r)
		return false
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	if err := r.ParseForm(); err != nil {
		h.errorPage(w, r, http.StatusBadRequest, "The form could not be read.")
		return false
	}
	if err := httpkit.ValidForm(r.Form); err != nil {
		h.errorPage(w, r, http.StatusBadRequest, "The form could not be read: it holds text that is not valid UTF-8.")
		return false
	}
	return true
}

// signedOut clears a dead session cookie and sends the browser to sign in.
func (h *Handler) signedOut(w http.ResponseWriter, r *http.Request, hadCookie bool) {
	if hadCookie {
		clearCookie(w, r, cookieSession)
		h.redirect(w, r, "/ui/signin?m=ended")
		return
	}
	h.redirect(w, r, "/ui/signin")
}

func (h *Handler) forbidden(w http.ResponseWriter, r *http.Request) {
	h.errorPage(w, r, http.StatusForbidden, "This form has expired or did not come from this site. Please go back, reload the page and try again.")
}

// withActor names the signed-in user on the request context for audit
// events.
func withActor(r *http.Request, c *caller) *http.Request {
	return httpkit.SetActor(r, auth.Actor{UserID: c.user.ID, TenantID: c.user.TenantID, SessionID: c.sess.ID})
}
