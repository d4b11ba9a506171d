package ui

import (
	"encoding/base64"
	"encoding/json"
	"html/template"
	"net"
	"net/http"
	"net/url"
	"time"

	"github.com/sessiond/sessiond/internal/auth"
	"github.com/sessiond/sessiond/internal/httpkit"
)

type securityData struct {
	TOTP      *auth.Factor
	Passkeys  []*auth.Factor
	HasFactor bool
	CodesLeft int
	Window    string
}

// relyingParty is the WebAuthn relying party as the browser reached us.
func relyingParty(r *http.Request) auth.RelyingParty {
	host := r.Host
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return auth.RelyingParty{ID: host, Origin: scheme + "://" + r.Host}
}

func (h *Handler) handleSecurity(w http.ResponseWriter, r *http.Request, c *caller) {
	fs, err := h.svc.Factors(r.Context(), c.sess.TenantID, c.user.ID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	d := securityData{Window: waitWords(time.Time{}, time.Time{}.Add(h.svc.ReauthWindow()))}
	for _, f := range fs {
		if !f.Confirmed {
			continue
		}
		d.HasFactor = true
		switch f.Kind {
		case auth.FactorTOTP:
			d.TOTP = f
		case auth.FactorPasskey:
			d.Passkeys = append(d.Passkeys, f)
		}
	}
	if d.CodesLeft, err = h.svc.RecoveryCodesLeft(r.Context(), c.sess.TenantID, c.user.ID); err != nil {
		h.fail(w, r, err)
		return
	}
	v := signedIn(c, "Sign-in security", "security")
	v.Flash, v.Data = flash(r), d
	h.render(w, r, http.StatusOK, "security", v)
}

// recent sends the browser to re-authenticate, back to next afterwards,
// when the session's proof is older than the window; it reports whether
// the caller may go on.
func (h *Handler) recent(w http.ResponseWriter, r *http.Request, c *caller, next string) bool {
	if h.svc.Recent(c.sess) != nil {
		return true
	}
	h.redirect(w, r, "/ui/reauth?next="+url.QueryEscape(next))
	return false
}

type totpData struct {
	QR     template.URL
	Secret string
}

// handleTOTPStart begins a TOTP enrolment and shows the key as a QR code
// and as text.
func (h *Handler) handleTOTPStart(w http.ResponseWriter, r *http.Request, c *caller) {
	if !h.recent(w, r, c, "/ui/security") {
		return
	}
	en, err := h.svc.BeginTOTP(r.Context(), c.sess.TenantID, c.user.ID)
	switch auth.ErrorCode(err) {
	case "":
	case auth.EConflict:
		h.redirect(w, r, "/ui/security")
		return
	case auth.ENotImplemented:
		h.errorPageFor(w, r, c, http.StatusNotImplemented, "Authenticator apps are not available on this server: it has no factor key.")
		return
	default:
		h.fail(w, r, err)
		return
	}
	h.renderTOTP(w, r, c, en.URL, en.Secret, "")
}

func (h *Handler) renderTOTP(w http.ResponseWriter, r *http.Request, c *caller, otpURL, secret, msg string) {
	png, err := auth.TOTPImage(otpURL, 200)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	v := signedIn(c, "Set up an authenticator app", "security")
	v.Error = msg
	v.Data = totpData{QR: template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(png)), Secret: secret}
	status := http.StatusOK
	if msg != "" {
		status = http.StatusUnprocessableEntity
	}
	h.render(w, r, status, "totp", v)
}

type codesData struct{ Codes []string }

// handleTOTPConfirm completes the enrolment with a code from the app.
func (h *Handler) handleTOTPConfirm(w http.ResponseWriter, r *http.Request, c *caller) {
	codes, err := h.svc.ConfirmTOTP(r.Context(), c.sess.TenantID, c.user.ID, r.PostFormValue("code"))
	switch auth.ErrorCode(err) {
	case "":
	case auth.EInvalid:
		// Show the same key again (it is still pending).
		en, err := h.svc.PendingTOTP(r.Context(), c.sess.TenantID, c.user.ID)
		if err != nil {
			h.redirect(w, r, "/ui/security")
			return
		}
		h.renderTOTP(w, r, c, en.URL, en.Secret, "That code is wrong or has expired. Check the app and try the code it shows now.")
		return
	case auth.ENotFound:
		h.redirect(w, r, "/ui/security")
		return
	default:
		h.fail(w, r, err)
		return
	}
	if len(codes) == 0 {
		h.redirect(w, r, "/ui/security?m=totp")
		return
	}
	h.showCodes(w, r, c, codes, "Your authenticator app is set up.")
}

func (h *Handler) showCodes(w http.ResponseWriter, r *http.Request, c *caller, codes []string, msg string) {
	v := signedIn(c, "Your recovery codes", "security")
	v.Flash, v.Data = msg, codesData{Codes: codes}
	h.render(w, r, http.StatusOK, "codes", v)
}

// handleRecovery makes a new set of recovery codes.
func (h *Handler) handleRecovery(w http.ResponseWriter, r *http.Request, c *caller) {
	if !h.recent(w, r, c, "/ui/security") {
		return
	}
	codes, err := h.svc.RegenerateRecoveryCodes(r.Context(), c.sess.TenantID, c.user.ID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.showCodes(w, r, c, codes, "New recovery codes; the old ones no longer work.")
}

// handleFactorRemove removes one factor, which needs a recent proof.
func (h *Handler) handleFactorRemove(w http.ResponseWriter, r *http.Request, c *caller) {
	err := h.svc.RemoveFactor(r.Context(), c.sess, h.svc.Recent(c.sess), r.PathValue("id"))
	switch auth.ErrorCode(err) {
	case "":
		h.redirect(w, r, "/ui/security?m=factor-gone")
	case auth.EReauth:
		h.redirect(w, r, "/ui/reauth?next="+url.QueryEscape("/ui/security"))
	case auth.ENotFound:
		h.redirect(w, r, "/ui/security")
	default:
		h.fail(w, r, err)
	}
}

// handleFactorRename renames a passkey.
func (h *Handler) handleFactorRename(w http.ResponseWriter, r *http.Request, c *caller) {
	err := h.svc.RenamePasskey(r.Context(), c.user, r.PathValue("id"), r.PostFormValue("name"))
	switch auth.ErrorCode(err) {
	case "", auth.ENotFound, auth.EInvalid:
		h.redirect(w, r, "/ui/security")
	default:
		h.fail(w, r, err)
	}
}

type ceremony struct {
	Options json.RawMessage `json:"options"`
	State   string          `json:"state"`
}

func writeCeremony(w http.ResponseWriter, opts []byte, state string) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(ceremony{Options: opts, State: state})
}

// passkeyResponse is the passkey response the page's script put in the
// form (WebAuthn's credential as JSON), checked by the rules of every
// JSON sessiond reads before go-webauthn parses it with encoding/json,
// which would rewrite text that is not UTF-8 (a lone surrogate included)
// and keep the last of two members of one name. A missing response is
// left to the core ("is required"); a bad one is EInvalid, for the 400
// page (formError).
func passkeyResponse(r *http.Request) ([]byte, error) {
	b := []byte(r.PostFormValue("response"))
	if len(b) == 0 {
		return b, nil
	}
	if err := httpkit.ValidJSON(`field "response"`, b); err != nil {
		return nil, err
	}
	return b, nil
}

// formError is the 400 page's text for a form field the strict rules
// refused.
func formError(err error) string {
	return "The form could not be read: " + auth.ErrorMessage(err) + "."
}

// handlePasskeyOptions starts a passkey registration (JSON for the page's
// script).
func (h *Handler) handlePasskeyOptions(w http.ResponseWriter, r *http.Request, c *caller) {
	if h.svc.Recent(c.sess) == nil {
		// The page's script goes to re-authenticate first.
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusForbidden)
		json.NewEncoder(w).Encode(map[string]string{"reauth": "/ui/reauth?next=" + url.QueryEscape("/ui/security")})
		return
	}
	opts, state, err := h.svc.BeginPasskeyRegistration(r.Context(), c.user, relyingParty(r))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeCeremony(w, opts, state)
}

// handlePasskeyAdd finishes a passkey registration from the form the
// page's script filled in.
func (h *Handler) handlePasskeyAdd(w http.ResponseWriter, r *http.Request, c *caller) {
	if !h.recent(w, r, c, "/ui/security") {
		return
	}
	response, err := passkeyResponse(r)
	if err != nil {
		h.errorPageFor(w, r, c, http.StatusBadRequest, formError(err))
		return
	}
	_, codes, err := h.svc.FinishPasskeyRegistration(r.Context(), c.user, relyingParty(r), r.PostFormValue("state"), response, r.PostFormValue("name"))
	switch auth.ErrorCode(err) {
	case "":
	case auth.EInvalid:
		h.redirect(w, r, "/ui/security?m=passkey-error")
		return
	default:
		h.fail(w, r, err)
		return
	}
	if len(codes) > 0 {
		h.showCodes(w, r, c, codes, "Your passkey is added.")
		return
	}
	h.redirect(w, r, "/ui/security?m=passkey-added")
}
