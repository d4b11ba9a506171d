package ui

import (
	"net/http"
	"strings"

	"github.com/sessiond/sessiond/internal/auth"
)

// The set-up page: on a server with no user yet, /ui/ leads here, as
// InfluxDB's UI leads to its onboarding. It makes the first (admin)
// user, names the organization and shows the operator token once, like
// `sessiond setup`. Whoever reaches a new server first sets it up, as with
// InfluxDB; once a user exists the page is gone (a redirect to sign-in).

const purposeSetup = "setup"

type setupData struct {
	Username string
	Org      string
	Min, Max int
}

type setupDoneData struct {
	Username string
	Token    string
}

// handleSetupPage is GET /ui/setup.
func (h *Handler) handleSetupPage(w http.ResponseWriter, r *http.Request) {
	ok, err := h.svc.SetupAllowed(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if !ok {
		h.redirect(w, r, "/ui/signin")
		return
	}
	h.renderSetup(w, r, http.StatusOK, setupData{}, "")
}

func (h *Handler) renderSetup(w http.ResponseWriter, r *http.Request, status int, d setupData, msg string) {
	pre := readCookie(r, cookieSignIn)
	if pre == "" || status == http.StatusForbidden {
		pre = auth.NewToken(auth.DefaultTokenFormat)
		setCookie(w, r, cookieSignIn, pre)
	}
	p := h.svc.Policy()
	d.Min, d.Max = p.MinBytes, p.MaxBytes
	h.render(w, r, status, "setup", view{Title: "Set up sessiond", CSRF: csrfToken(pre, purposeSetup), Error: msg, Data: d})
}

// handleSetup is POST /ui/setup.
func (h *Handler) handleSetup(w http.ResponseWriter, r *http.Request) {
	if !h.parseForm(w, r) {
		return
	}
	if ok, err := h.svc.SetupAllowed(r.Context()); err != nil {
		h.fail(w, r, err)
		return
	} else if !ok {
		h.redirect(w, r, "/ui/signin")
		return
	}
	d := setupData{Username: strings.TrimSpace(r.PostFormValue("username")), Org: strings.TrimSpace(r.PostFormValue("org"))}
	if !validCSRF(readCookie(r, cookieSignIn), purposeSetup, r.PostFormValue("csrf")) {
		h.renderSetup(w, r, http.StatusForbidden, d, "This form has expired, or your browser is blocking cookies. Please try again.")
		return
	}
	password := r.PostFormValue("password")
	switch {
	case d.Username == "" || d.Org == "" || password == "":
		h.renderSetup(w, r, http.StatusBadRequest, d, "Fill in the user name, the password and the organization.")
		return
	case password != r.PostFormValue("password2"):
		h.renderSetup(w, r, http.StatusBadRequest, d, "The two passwords differ.")
		return
	}
	res, err := h.svc.Setup(r.Context(), auth.SetupRequest{Username: d.Username, Password: password, Org: d.Org, Permissions: h.opt.SetupPermissions})
	switch auth.ErrorCode(err) {
	case "":
	case auth.EConflict:
		h.redirect(w, r, "/ui/signin")
		return
	case auth.EInvalid, auth.EPasswordRule:
		h.renderSetup(w, r, http.StatusBadRequest, d, auth.ErrorMessage(err))
		return
	default:
		h.fail(w, r, err)
		return
	}
	clearCookie(w, r, cookieSignIn)
	h.render(w, r, http.StatusOK, "setupdone", view{Title: "sessiond is set up", Data: setupDoneData{Username: res.User.Name, Token: res.Secret}})
}
