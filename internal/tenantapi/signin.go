package tenantapi

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/sessiond/sessiond/internal/auth"
	"github.com/sessiond/sessiond/internal/httpkit"
)

// methodNames are the sign-in methods a body may name.
var methodNames = func() []string {
	out := make([]string, len(auth.Methods))
	for i, m := range auth.Methods {
		out[i] = string(m)
	}
	return out
}()

// handleSignup is POST /auth/signup {method:"password", email, password}:
// a new user, signed in at once.
func (h *Handler) handleSignup(w http.ResponseWriter, r *http.Request, rq *request) {
	h.signIn(w, r, rq, auth.CapSignup)
}

// handleSignin is POST /auth/signin: method password (email and password;
// never creates a user), guest (the user of x-device-id, created on
// first use), otp (challenge and confirm steps, signin_methods.go) or an
// identity provider's ID token (google, apple, facebook).
func (h *Handler) handleSignin(w http.ResponseWriter, r *http.Request, rq *request) {
	h.signIn(w, r, rq, auth.CapSignin)
}

// signIn decodes a sign-in or sign-up body into one attempt at the core's
// sign-in entry and answers its outcome. The core gates the method before
// it looks at any other field, so an unserved or restricted method is
// RESTRICTED_CAPABILITY whatever the body holds; the problems found here
// in the other fields travel with the attempt and are reported after the
// gate.
func (h *Handler) signIn(w http.ResponseWriter, r *http.Request, rq *request, c auth.Capability) {
	f, err := h.decode(w, r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	method := auth.Method(f.oneOf("method", methodNames))
	if method == "" {
		// No method to gate. Without one at all, every problem at once,
		// the password method's fields taken for granted; with one that
		// is not a method, that alone.
		if _, named := f.raw["method"]; named {
			for k := range f.raw {
				f.seen = append(f.seen, k)
			}
		} else {
			f.str("email", true)
			f.str("password", true)
		}
		h.fail(w, r, f.err())
		return
	}
	a := auth.Attempt{
		TenantID: rq.tenant.ID, Capability: c, Method: method,
		Origin: auth.OriginTenant, Client: rq.client, Length: refreshTTL(rq.tenant),
	}
	switch method {
	case auth.MethodPassword:
		a.Login, a.LoginKind = f.str("email", false), auth.LoginEmail
		a.Credential = auth.Password{Secret: f.str("password", false)}
	case auth.MethodGuest:
		a.Credential = auth.Guest{Device: rq.client.Device["x-device-id"]}
	case auth.MethodOTP, auth.MethodGoogle, auth.MethodApple, auth.MethodFacebook:
		if c == auth.CapSignin {
			if h.methodCredential(w, r, rq, f, &a) {
				return // the otp challenge, answered
			}
			break
		}
		fallthrough
	default:
		// A method sessiond does not serve: the gate refuses it whatever
		// its fields say, so none is read.
		for k := range f.raw {
			f.seen = append(f.seen, k)
		}
	}
	a.Problems = f.problems()
	in, err := h.svc.SignIn(r.Context(), a)
	switch auth.ErrorCode(err) {
	case "":
	case auth.EUnauthorized:
		h.fail(w, r, errInvalidCredentials)
		return
	case auth.EInactive:
		// The credential was right: say why the account cannot sign in.
		if st, ok := auth.InactiveState(err); ok {
			h.fail(w, r, stateError(&auth.User{State: st}))
			return
		}
		h.fail(w, r, h.inactive(r.Context(), rq.tenant.ID, a.Login, a.Credential))
		return
	case auth.EConflict:
		h.fail(w, r, errUserExists)
		return
	case auth.ELocked:
		// Too many failed sign-ins for the login or the address: the
		// reference's 429, with when to try again.
		if until, ok := auth.LockedUntil(err); ok {
			w.Header().Set("Retry-After", strconv.FormatInt(httpkit.Seconds(until.Sub(h.svc.Now())), 10))
		}
		h.fail(w, r, errTooManyRequests)
		return
	default:
		h.fail(w, r, err)
		return
	}
	h.signedIn(w, r, rq, in.User, in.Session, in.NewUser)
}

// inactive explains a refused sign-in of a user who is not active.
func (h *Handler) inactive(ctx context.Context, tenantID, login string, cred auth.Credential) error {
	if g, ok := cred.(auth.Guest); ok {
		login = "guest " + g.Device
	}
	u, err := h.svc.UserByLogin(ctx, tenantID, login)
	if err != nil {
		return errUserSuspended
	}
	if e := stateError(u); e != nil {
		return e
	}
	return errUserSuspended
}

// signedIn marks the user logged in and answers 201 with the token pair.
// The session's own secret is never handed out: the tokens name the
// session, and only its revocation or expiry ends them.
func (h *Handler) signedIn(w http.ResponseWriter, r *http.Request, rq *request, u *auth.User, sess *auth.Session, newUser bool) {
	if u.Presence == auth.PresenceLoggedOut {
		if err := h.svc.SetPresence(r.Context(), rq.tenant.ID, u.ID, auth.PresenceLoggedIn); err != nil {
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
	if err := rq.tenant.Restricted(auth.CapRefresh, u.ID); err != nil {
		h.fail(w, r, err)
		return
	}
	if u.Presence == auth.PresenceLoggedOut {
		if err := h.svc.SetPresence(ctx, rq.tenant.ID, u.ID, auth.PresenceLoggedIn); err != nil {
			h.fail(w, r, err)
			return
		}
	}
	access, _ := rq.tenant.TokenTTLs()
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
	_, d = t.TokenTTLs()
	return d
}
