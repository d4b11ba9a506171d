package rocketapi

import (
	"net/http"
	"strings"

	"github.com/sessiond/sessiond/internal/auth"
	"github.com/sessiond/sessiond/internal/httpkit"
)

var errMatchFailed = &apiError{http.StatusUnauthorized, failure{Error: 400, Status: "error", Message: "Match failed"}}

// credentials is a login body read as Rocket.Chat's loginCompatibility
// reads it.
type credentials struct {
	login   string // user name or e-mail address
	byEmail bool   // login may be an e-mail address
	plain   *string
	digest  string // lower-case SHA-256 hex of the password, for {hashed}
	resume  string
	code    string // the 2FA code: body code, else the x-2fa-code header
}

// readCredentials maps the body to one login: {resume}, or an identity
// (user as a name, an address or {username}|{email}; username; email) and
// a password (plain, {hashed} or Meteor's {digest, algorithm:"sha-256"}).
// The 2FA code (body code) is read with the password; anything else is
// ignored. A digest is checked by the core against the verifier it keeps beside
// every password hash.
func readCredentials(p params) (credentials, *apiError) {
	var c credentials
	if v, ok := p["resume"]; ok {
		s, ok := v.(string)
		if !ok || s == "" {
			return c, errMatchFailed
		}
		c.resume = s
		return c, nil
	}
	pw, ok := p["password"]
	if !ok || pw == nil {
		return c, errUnrecognized
	}
	switch x := pw.(type) {
	case string:
		c.plain = &x
	case map[string]any:
		d, _ := x["hashed"].(string)
		if d == "" {
			d, _ = x["digest"].(string)
			if alg, _ := x["algorithm"].(string); alg != "sha-256" {
				d = ""
			}
		}
		if d == "" {
			return c, errMatchFailed
		}
		c.digest = strings.ToLower(d)
	default:
		return c, errMatchFailed
	}
	c.code, _ = p["code"].(string)
	switch u := p["user"].(type) {
	case string:
		c.login, c.byEmail = u, strings.Contains(u, "@")
		return c, nil
	case map[string]any:
		if s, ok := u["username"].(string); ok {
			c.login = s
			return c, nil
		}
		if s, ok := u["email"].(string); ok {
			c.login, c.byEmail = s, true
			return c, nil
		}
		return c, errMatchFailed
	}
	if s, ok := p["username"].(string); ok {
		c.login = s
		return c, nil
	}
	if s, ok := p["email"].(string); ok {
		c.login, c.byEmail = s, true
		return c, nil
	}
	return c, errMatchFailed
}

// client is the caller as recorded on a Rocket.Chat session: address,
// User-Agent and the Host it reached.
func client(r *http.Request) auth.Client {
	c := httpkit.Client(r)
	if host := r.Host; host != "" {
		if len(host) > 255 {
			host = host[:255]
		}
		c.Device = map[string]string{hostKey: host}
	}
	return c
}

// handleLogin is POST /api/v1/login. A password login (plain, or its
// SHA-256 digest) starts a core session of origin rocketchat lasting
// LoginExpiration; a {resume} login answers with the same token and
// session, as Meteor's resume handler does, without extending it, and the
// session records the resuming client. Both are one call to the core's
// sign-in entry, which owns the lockout, the audit event and the metric.
func (h *Handler) handleLogin(w http.ResponseWriter, r *http.Request, _ *caller) {
	p, err := h.bodyParams(w, r)
	if err != nil {
		h.failErr(w, r, err, nil)
		return
	}
	cred, e := readCredentials(p)
	if e != nil {
		writeError(w, e)
		return
	}
	if cred.code == "" && cred.resume == "" {
		cred.code = r.Header.Get("X-2fa-Code")
	}
	a := auth.Attempt{
		TenantID: tenant, Login: cred.login, Origin: auth.OriginRocket, Client: client(r),
		Format: auth.DefaultTokenFormat, Length: h.opt.LoginExpiration,
	}
	if cred.byEmail {
		a.LoginKind = auth.LoginNameOrEmail
	}
	switch {
	case cred.resume != "":
		a.Credential = auth.Resume{Token: cred.resume}
	case cred.plain != nil:
		a.Credential = auth.Password{Secret: *cred.plain}
	default:
		a.Credential = auth.PasswordDigest{SHA256: cred.digest}
	}
	if cred.code != "" {
		// Rocket.Chat checks a login's code with the user's first method.
		a.Second = &auth.SecondFactor{Code: cred.code}
	}
	in, err := h.svc.SignIn(r.Context(), a)
	if ch, ok := auth.ChallengeOf(err); ok {
		u, _ := h.svc.UserByLogin(r.Context(), tenant, cred.login)
		if u == nil {
			u = &auth.User{Name: cred.login}
		}
		writeError(w, loginTwoFactorError(ch, u))
		return
	}
	switch code := auth.ErrorCode(err); {
	case err == nil:
	case cred.resume != "" && (code == auth.EUnauthorized || code == auth.EInactive || code == auth.ELocked || code == auth.EInvalid):
		writeError(w, errResumeFailed)
		return
	case code == auth.EUnauthorized || code == auth.ELocked || code == auth.EInvalid:
		// A locked login answers exactly as a wrong password, so that a
		// lockout does not tell an attacker the login is being guessed.
		writeError(w, errLoginFailed)
		return
	case code == auth.EInactive:
		writeError(w, errNotActivated)
		return
	default:
		h.failErr(w, r, err, nil)
		return
	}
	respond(w, http.StatusOK, loginResponse{
		Status: "success", Data: loginData{UserID: in.User.ID, AuthToken: in.Token, Me: h.me(r, in.User)}, Success: true,
	})
}

// handleLogout is GET and POST /api/v1/logout: it ends the session of the
// current token only and answers the documented body, which has no
// success key.
func (h *Handler) handleLogout(w http.ResponseWriter, r *http.Request, c *caller) {
	if c.pat != nil {
		// Rocket.Chat's logout pulls the token used, whatever it is: a
		// personal access token used to log out is removed.
		if err := h.svc.RemovePersonalToken(r.Context(), tenant, c.user.ID, c.pat.Name); err != nil {
			h.failErr(w, r, err, nil)
			return
		}
	} else if _, err := h.svc.SignOut(r.Context(), c.token); err != nil {
		h.failErr(w, r, err, nil)
		return
	}
	var out logoutResponse
	out.Status = "success"
	out.Data.Message = msgLogoutDone
	respond(w, http.StatusOK, out)
}

// handleMe is GET /api/v1/me.
func (h *Handler) handleMe(w http.ResponseWriter, r *http.Request, c *caller) {
	m := h.me(r, c.user)
	respondMe(w, &m)
}

// me is newMe with the user's second factors in services: totp and
// email2fa, each {enabled}, as getUserInfo filters them. The core keeps
// the kinds with the user it caches for the session check.
func (h *Handler) me(r *http.Request, u *auth.User) meUser {
	m := newMe(u, r)
	ks, err := h.svc.ConfirmedFactorKinds(r.Context(), u)
	if err != nil {
		h.log.Warn("factors of me not read", "user", u.ID, "err", err)
		return m
	}
	if ks.Has(auth.FactorTOTP) {
		m.Services.TOTP = &enabled{Enabled: true}
	}
	if ks.Has(auth.FactorEmail) {
		m.Services.Email2FA = &enabled{Enabled: true}
	}
	return m
}
