package tenantapi

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/sessiond/sessiond/internal/auth"
)

// Presence statuses kept in auth.User.Presence; an empty one is logged_in.
const (
	presenceLoggedIn  = "logged_in"
	presenceLoggedOut = "logged_out"
)

// metricsAPI labels this dialect's sign-ins in sessiond_signins_total.
const metricsAPI = "tenant"

// guestPrefix starts the user name of a guest; no valid email has a space.
const guestPrefix = "guest "

func isGuest(u *auth.User) bool { return strings.HasPrefix(u.Name, guestPrefix) }

// status is the user's status in the reference's terms.
func status(u *auth.User) string {
	switch u.State {
	case auth.StateActive:
		if u.Presence == presenceLoggedOut {
			return presenceLoggedOut
		}
		return presenceLoggedIn
	case auth.StateTerminated:
		return string(auth.StateTerminated)
	}
	return string(auth.StateSuspended)
}

// checkMethod answers RESTRICTED_CAPABILITY for a method the capability
// does not allow, sessiond does not serve, or the tenant switched off.
func checkMethod(t *auth.Tenant, method string, allowed ...string) error {
	ok := false
	for _, m := range allowed {
		ok = ok || m == method
	}
	if !ok || !served(method) || restricted(t, "", method) {
		return restrictedError(method)
	}
	return nil
}

// handleSignup is POST /auth/signup {method:"password", email, password}:
// a new user, signed in at once.
func (h *Handler) handleSignup(w http.ResponseWriter, r *http.Request, rq *request) {
	f, err := h.decode(w, r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	method := f.oneOf("method", methods)
	email := strings.ToLower(strings.TrimSpace(f.str("email", true)))
	password := f.str("password", true)
	if email != "" && !validEmail(email) {
		f.problem("email", "must be a valid email")
	}
	h.checkPassword(f, password)
	if err := f.err(); err != nil {
		h.fail(w, r, err)
		return
	}
	if err := checkMethod(rq.tenant, method, MethodPassword); err != nil {
		h.fail(w, r, err)
		return
	}
	u, err := h.svc.CreateUser(r.Context(), auth.NewUser{TenantID: rq.tenant.ID, Name: email, Email: email, Password: password})
	if auth.ErrorCode(err) == auth.EConflict {
		err = errUserExists
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.startSession(w, r, rq, u, true)
}

func (h *Handler) checkPassword(f *form, pw string) {
	if pw == "" {
		return
	}
	if err := h.svc.Policy().Check(pw); err != nil {
		f.problem("password", auth.ErrorMessage(err))
	}
}

// handleSignin is POST /auth/signin: method password (email and password;
// never creates a user) or guest (the user of x-device-id, created on
// first use). The other methods of the reference are restricted.
func (h *Handler) handleSignin(w http.ResponseWriter, r *http.Request, rq *request) {
	f, err := h.decode(w, r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	method := f.oneOf("method", methods)
	switch method {
	case MethodPassword:
	case MethodGuest:
		if err := f.err(); err != nil {
			h.fail(w, r, err)
			return
		}
		if err := checkMethod(rq.tenant, method, methods...); err != nil {
			h.fail(w, r, err)
			return
		}
		h.guestSignin(w, r, rq)
		return
	default:
		// Methods sessiond does not serve are refused whatever their
		// fields say.
		for k := range f.raw {
			f.seen = append(f.seen, k)
		}
		err := f.err()
		if err == nil {
			err = checkMethod(rq.tenant, method, methods...)
		}
		h.fail(w, r, err)
		return
	}
	email := strings.ToLower(strings.TrimSpace(f.str("email", true)))
	password := f.str("password", true)
	if email != "" && !validEmail(email) {
		f.problem("email", "must be a valid email")
	}
	if err := f.err(); err != nil {
		h.fail(w, r, err)
		return
	}
	if err := checkMethod(rq.tenant, method, methods...); err != nil {
		h.fail(w, r, err)
		return
	}
	sess, _, u, err := h.svc.SignIn(r.Context(), auth.SignInRequest{
		TenantID: rq.tenant.ID, Login: email, Password: password, ByEmail: true,
		Origin: auth.OriginTenant, Client: rq.client, Length: refreshTTL(rq.tenant),
	})
	switch auth.ErrorCode(err) {
	case "":
		h.metrics.SignIn(metricsAPI, "success")
	case auth.EUnauthorized:
		h.metrics.SignIn(metricsAPI, "failure")
		h.fail(w, r, errInvalidCredentials)
		return
	case auth.EInactive:
		// The password was right: say why the account cannot sign in.
		h.metrics.SignIn(metricsAPI, "inactive")
		h.fail(w, r, h.inactive(r.Context(), rq.tenant.ID, email))
		return
	case auth.ELocked:
		// Too many failed sign-ins for the account or the address: the
		// reference's 429, with when to try again.
		h.metrics.SignIn(metricsAPI, "locked")
		if until, ok := auth.LockedUntil(err); ok {
			w.Header().Set("Retry-After", strconv.FormatInt(retryAfter(until.Sub(h.svc.Now())), 10))
		}
		h.fail(w, r, errTooManyRequests)
		return
	default:
		h.metrics.SignIn(metricsAPI, "error")
		h.fail(w, r, err)
		return
	}
	if c := userRestriction(rq.tenant, u.ID, CapSignin, MethodPassword); c != "" {
		h.svc.RevokeSession(context.WithoutCancel(r.Context()), rq.tenant.ID, u.ID, sess.ID)
		h.fail(w, r, restrictedError(c))
		return
	}
	h.signedIn(w, r, rq, u, sess, false)
}

// userRestriction returns the first of caps restricted for the user.
func userRestriction(t *auth.Tenant, userID string, caps ...string) string {
	for _, c := range caps {
		if restricted(t, userID, c) {
			return c
		}
	}
	return ""
}

// inactive explains a refused sign-in of a user who is not active.
func (h *Handler) inactive(ctx context.Context, tenantID, login string) error {
	u, err := h.svc.UserByLogin(ctx, tenantID, login)
	if err != nil {
		return errUserSuspended
	}
	if e := stateError(u); e != nil {
		return e
	}
	return errUserSuspended
}

// guestSignin signs in the guest of x-device-id, creating it on first use.
func (h *Handler) guestSignin(w http.ResponseWriter, r *http.Request, rq *request) {
	ctx := r.Context()
	device := rq.client.Device["x-device-id"]
	if device == "" {
		h.fail(w, r, validationError(map[string][]string{"x-device-id": {"is required for guest sign-in"}}))
		return
	}
	name := guestPrefix + device
	u, err := h.svc.UserByName(ctx, rq.tenant.ID, name)
	newUser := false
	if auth.ErrorCode(err) == auth.ENotFound {
		u, err = h.svc.CreateUser(ctx, auth.NewUser{TenantID: rq.tenant.ID, Name: name})
		newUser = err == nil
		if auth.ErrorCode(err) == auth.EConflict { // a parallel first sign-in made it
			u, err = h.svc.UserByName(ctx, rq.tenant.ID, name)
		}
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if e := stateError(u); e != nil {
		h.fail(w, r, e)
		return
	}
	if c := userRestriction(rq.tenant, u.ID, CapSignin, MethodGuest); c != "" {
		h.fail(w, r, restrictedError(c))
		return
	}
	h.startSession(w, r, rq, u, newUser)
}

// startSession starts a core session for an authenticated user and
// answers the token pair.
func (h *Handler) startSession(w http.ResponseWriter, r *http.Request, rq *request, u *auth.User, newUser bool) {
	sess, _, err := h.svc.StartSession(r.Context(), u, auth.OriginTenant, rq.client, auth.DefaultTokenFormat, refreshTTL(rq.tenant))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.metrics.SignIn(metricsAPI, "success")
	h.signedIn(w, r, rq, u, sess, newUser)
}

// signedIn marks the user logged in and answers 201 with the token pair.
// The session's own secret is never handed out: the tokens name the
// session, and only its revocation or expiry ends them.
func (h *Handler) signedIn(w http.ResponseWriter, r *http.Request, rq *request, u *auth.User, sess *auth.Session, newUser bool) {
	if u.Presence == presenceLoggedOut {
		if err := h.svc.SetPresence(r.Context(), rq.tenant.ID, u.ID, presenceLoggedIn); err != nil {
			h.fail(w, r, err)
			return
		}
	}
	resp, err := h.pair(r.Context(), rq.tenant, sess, &newUser)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.respond(w, r, http.StatusCreated, resp)
}

// handleRefresh is POST /auth/refresh-token {refreshToken}: a new access
// token for the refresh token's live session. The refresh token is not
// rotated: the same one comes back and stays valid until it expires.
func (h *Handler) handleRefresh(w http.ResponseWriter, r *http.Request, rq *request) {
	f, err := h.decode(w, r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	raw := f.str("refreshToken", true)
	if err := f.err(); err != nil {
		h.fail(w, r, err)
		return
	}
	c, err := h.verify(r.Context(), rq.tenant, raw, typRefresh)
	if err != nil {
		h.fail(w, r, errInvalidRefreshToken)
		return
	}
	ctx := r.Context()
	sess, u, err := h.svc.AuthenticateSession(ctx, rq.tenant.ID, c.userID, c.sessionID, auth.CheckOptions{AllowInactive: true})
	if err != nil {
		h.fail(w, r, h.sessionFailure(ctx, rq.tenant.ID, c.userID, u, err, errInvalidRefreshToken))
		return
	}
	if restricted(rq.tenant, u.ID, CapRefresh) {
		h.fail(w, r, restrictedError(CapRefresh))
		return
	}
	if u.Presence == presenceLoggedOut {
		if err := h.svc.SetPresence(ctx, rq.tenant.ID, u.ID, presenceLoggedIn); err != nil {
			h.fail(w, r, err)
			return
		}
	}
	access, _ := ttls(rq.tenant)
	at, err := h.issue(ctx, rq.tenant, sess, typAccess, earliest(h.svc.Now().Add(access), sess.ExpiresAt))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.respond(w, r, http.StatusCreated, &tokenResponse{
		AccessToken: at.token, AccessTokenExpireAt: stamp(at.exp),
		RefreshToken: raw, RefreshTokenExpireAt: stamp(c.expiry()), UserID: u.ID,
	})
}

func refreshTTL(t *auth.Tenant) (d time.Duration) {
	_, d = ttls(t)
	return d
}
