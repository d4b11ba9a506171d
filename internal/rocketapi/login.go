package rocketapi

import (
	"context"
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
}

// readCredentials maps the body to one login: {resume}, or an identity
// (user as a name, an address or {username}|{email}; username; email) and
// a password (plain, {hashed} or Meteor's {digest, algorithm:"sha-256"}).
// The 2FA code and anything else is ignored: sessiond has no second factor.
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

// handleLogin is POST /api/v1/login. Every password login starts a core
// session of origin rocketchat lasting LoginExpiration; a {resume} login
// answers with the same token and session, as Meteor's resume handler
// does, without extending it.
func (h *Handler) handleLogin(w http.ResponseWriter, r *http.Request, _ *caller) {
	p, err := h.bodyParams(w, r)
	if err != nil {
		h.failErr(w, r, err, nil)
		return
	}
	cred, e := readCredentials(p)
	if e != nil {
		h.opt.Metrics.SignIn("rocketchat", "failure")
		writeError(w, e)
		return
	}
	ctx := r.Context()
	var (
		sess  *auth.Session
		token string
		u     *auth.User
	)
	switch {
	case cred.resume != "":
		sess, u, err = h.svc.Authenticate(ctx, cred.resume, auth.CheckOptions{})
		if err == nil && sess.TenantID != tenant {
			err = auth.ErrUnauthenticated
		}
		token = cred.resume
	case cred.plain != nil:
		sess, token, u, err = h.svc.SignIn(ctx, auth.SignInRequest{
			TenantID: tenant, Login: cred.login, Password: *cred.plain, ByEmail: cred.byEmail,
			Origin: auth.OriginRocket, Client: client(r), Format: auth.DefaultTokenFormat, Length: h.opt.LoginExpiration,
		})
		if err == nil {
			h.keepVerifier(ctx, u, *cred.plain)
		}
	default:
		sess, token, u, err = h.signInHashed(ctx, r, cred)
	}
	switch code := auth.ErrorCode(err); {
	case err == nil:
		h.opt.Metrics.SignIn("rocketchat", "success")
	case cred.resume != "" && (code == auth.EUnauthorized || code == auth.EInactive):
		h.opt.Metrics.SignIn("rocketchat", "failure")
		writeError(w, errResumeFailed)
		return
	case code == auth.EUnauthorized || code == auth.ELocked:
		// A locked account answers exactly as a wrong password, so that
		// a lockout does not reveal that the account exists.
		outcome := "failure"
		if code == auth.ELocked {
			outcome = "locked"
		}
		h.opt.Metrics.SignIn("rocketchat", outcome)
		writeError(w, errLoginFailed)
		return
	case code == auth.EInactive:
		h.opt.Metrics.SignIn("rocketchat", "inactive")
		writeError(w, errNotActivated)
		return
	default:
		h.opt.Metrics.SignIn("rocketchat", "error")
		h.failErr(w, r, err, nil)
		return
	}
	respond(w, http.StatusOK, loginResponse{
		Status: "success", Data: loginData{UserID: u.ID, AuthToken: token, Me: newMe(u, r)}, Success: true,
	})
}

// keepVerifier makes the {hashed} verifier of u after a plain-password
// login, unless one already exists for its current password hash. It
// costs one more password hash, once per user and password; a failure
// only means {hashed} logins keep failing for now.
func (h *Handler) keepVerifier(ctx context.Context, u *auth.User, pw string) {
	if !h.hashed.enabled() || u.PasswordHash == "" {
		return
	}
	if _, ok := h.hashed.get(u.ID, u.PasswordHash); ok {
		return
	}
	v, err := h.svc.Hasher().Hash(ctx, digest(pw))
	if err != nil {
		h.log.Debug("hashed-password verifier not made", "user", u.ID, "err", err)
		return
	}
	h.hashed.put(u.ID, u.PasswordHash, v)
}

// signInHashed checks a {hashed} password against the verifier kept for
// the user, through the core's sign-in so the lockout, the dummy hash for
// unknown users, the audit event and the new session are SignIn's.
// Failures look like SignIn's.
func (h *Handler) signInHashed(ctx context.Context, r *http.Request, cred credentials) (*auth.Session, string, *auth.User, error) {
	req := auth.SignInRequest{
		TenantID: tenant, Login: cred.login, Password: cred.digest, ByEmail: cred.byEmail,
		Origin: auth.OriginRocket, Client: client(r), Format: auth.DefaultTokenFormat, Length: h.opt.LoginExpiration,
	}
	return h.svc.SignInWith(ctx, req, func(ctx context.Context, u *auth.User) error {
		verifier, ok := h.hashed.get(u.ID, u.PasswordHash)
		if !ok {
			if err := h.svc.Hasher().VerifyDummy(ctx, cred.digest); err != nil {
				return err
			}
			return auth.ErrBadCredentials
		}
		good, _, err := h.svc.Hasher().Verify(ctx, verifier, cred.digest)
		if err != nil {
			return err
		}
		if !good {
			return auth.ErrBadCredentials
		}
		return nil
	})
}

// handleLogout is GET and POST /api/v1/logout: it ends the session of the
// current token only and answers the documented body, which has no
// success key.
func (h *Handler) handleLogout(w http.ResponseWriter, r *http.Request, c *caller) {
	if _, err := h.svc.SignOut(r.Context(), c.token); err != nil {
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
	respond(w, http.StatusOK, meResponse{meUser: newMe(c.user, r), Success: true})
}
