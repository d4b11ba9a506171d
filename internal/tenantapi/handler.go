// Package tenantapi serves the WebmixHub-style tenant auth API under /auth
// over the core in package auth: tenant tokens, RS256 JWT access and
// refresh tokens bound to core sessions, logout as a presence change,
// terminate, capabilities and per-IP limits, every answer in the
// {meta, data|error} envelope.
package tenantapi

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"github.com/sessiond/sessiond/internal/auth"
	"github.com/sessiond/sessiond/internal/httpkit"
)

// Headers of the tenant API.
const (
	TenantTokenHeader = "x-tenant-token"
	UserTokenHeader   = "x-token"
)

// Options tune the dialect.
type Options struct {
	Logger *slog.Logger
	// Limiter counts requests per IP (the server's shared one). Required.
	Limiter auth.Limiter
	// MaxBody caps request bodies (httpkit.MaxBody when 0).
	MaxBody int64
	// SigninLimit and SignupLimit are the hourly per-IP limits of those
	// endpoints (30 and 10 when 0); tenants may override them.
	SigninLimit int
	SignupLimit int
}

// Handler serves /auth.
type Handler struct {
	svc     *auth.Service
	log     *slog.Logger
	limiter auth.Limiter
	maxBody int64
	limits  map[auth.Capability]int
	// verified keeps tokens whose signature and claims were checked.
	verified *verifiedCache
	root     http.Handler
}

// defaultLimits are the reference's hourly per-IP limits; an endpoint
// without one is not limited unless its tenant sets one.
func defaultLimits() map[auth.Capability]int {
	return map[auth.Capability]int{
		auth.CapLogout: 30, auth.CapRefresh: 20, auth.CapTerminate: 10,
		auth.CapSignin: 30, auth.CapSignup: 10, auth.CapResetPassword: 10,
		auth.CapOTPCreate: 10, auth.CapOTPVerify: 30, auth.CapOTPResend: 30, auth.CapOTPCancel: 30,
	}
}

// New returns the /auth handler.
func New(svc *auth.Service, opt Options) *Handler {
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	if opt.MaxBody <= 0 {
		opt.MaxBody = httpkit.MaxBody
	}
	h := &Handler{svc: svc, log: opt.Logger, limiter: opt.Limiter, maxBody: opt.MaxBody, limits: defaultLimits(),
		verified: newVerifiedCache(verifiedCacheSize)}
	if opt.SigninLimit > 0 {
		h.limits[auth.CapSignin] = opt.SigninLimit
	}
	if opt.SignupLimit > 0 {
		h.limits[auth.CapSignup] = opt.SignupLimit
	}
	mux := http.NewServeMux()
	h.routes(mux)
	// No route that changes or deletes reads the query: every parameter
	// of theirs is refused.
	h.root = httpkit.Routed(mux, h.notFound, h.notAllowed, httpkit.KnownQuery(nil, h.badQuery))
	return h
}

// route says what an endpoint needs before its handler runs.
type route struct {
	capability auth.Capability // "" for none
	private    bool            // needs x-token
	device     bool            // reads the client headers
}

func (h *Handler) routes(mux *http.ServeMux) {
	mux.Handle("POST /auth/signup", h.endpoint(route{auth.CapSignup, false, true}, h.handleSignup))
	mux.Handle("POST /auth/signin", h.endpoint(route{auth.CapSignin, false, true}, h.handleSignin))
	mux.Handle("POST /auth/refresh-token", h.endpoint(route{auth.CapRefresh, false, true}, h.handleRefresh))
	mux.Handle("GET /auth/logout", h.endpoint(route{auth.CapLogout, true, true}, h.handleLogout))
	mux.Handle("POST /auth/terminate", h.endpoint(route{auth.CapTerminate, true, true}, h.handleTerminate))
	mux.Handle("GET /auth/me", h.endpoint(route{auth.CapMe, true, true}, h.handleMe))
	mux.Handle("GET /auth/sessions", h.endpoint(route{auth.CapSessions, true, true}, h.handleListSessions))
	mux.Handle("DELETE /auth/sessions", h.endpoint(route{auth.CapSessions, true, true}, h.handleRevokeOthers))
	mux.Handle("DELETE /auth/sessions/{id}", h.endpoint(route{auth.CapSessions, true, true}, h.handleRevokeSession))
	mux.Handle("POST /auth/reset-password", h.endpoint(route{auth.CapResetPassword, false, true}, h.handleResetPassword))
	mux.Handle("GET /auth/.well-known/jwks.json", h.endpoint(route{}, h.handleJWKS))
	h.otpRoutes(mux) // /otp/*, in otp.go
}

// ServeHTTP serves the route.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.root.ServeHTTP(w, r) }

// Panic answers a request whose handler panicked: INTERNAL_SERVER in the
// envelope, never a stack trace.
func (h *Handler) Panic(w http.ResponseWriter, r *http.Request) {
	h.write(w, r, http.StatusInternalServerError, envelope{Error: errInternal})
}

func (h *Handler) notFound(w http.ResponseWriter, r *http.Request) {
	h.write(w, r, http.StatusNotFound, envelope{Error: errNotFound})
}

func (h *Handler) notAllowed(w http.ResponseWriter, r *http.Request, allow []string) {
	w.Header().Set("Allow", strings.Join(allow, ", "))
	h.write(w, r, http.StatusMethodNotAllowed, envelope{Error: methodNotAllowed()})
}

// badQuery answers a change whose query names a parameter: BAD_REQUEST.
func (h *Handler) badQuery(w http.ResponseWriter, r *http.Request, name string) {
	msg := "The query holds a parameter this endpoint does not read"
	if name != "" {
		msg = "Unknown query parameter " + strconv.Quote(name)
	}
	h.write(w, r, http.StatusBadRequest, envelope{Error: &apiError{msg, codeBadRequest, http.StatusBadRequest, nil}})
}

// request is what the middleware learned about a request.
type request struct {
	tenant  *auth.Tenant
	client  auth.Client
	session *auth.Session // private routes
	user    *auth.User    // private routes; shared, never changed
	status  string        // the user's status as the request arrived
}

type handlerFunc func(w http.ResponseWriter, r *http.Request, rq *request)

// endpoint runs the reference's middleware in order: tenant token, per-IP
// limit, client headers, tenant capability, then (private routes) the
// user's access token, the user's capability and the return to logged_in.
func (h *Handler) endpoint(rt route, next handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		t, err := h.tenant(ctx, r)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		rq := &request{tenant: t}
		if n := h.limitFor(t, rt.capability); n > 0 && !h.limit(w, r, t, rt.capability, httpkit.ClientIP(r), n) {
			return
		}
		if rt.device {
			var bad map[string][]string
			// Only public routes (sign-up, sign-in) start sessions and keep
			// the client headers; private routes just check them.
			rq.client, bad = readClient(r, t.ClientHeadersRequired(), !rt.private)
			if bad != nil {
				h.fail(w, r, validationError(bad))
				return
			}
		}
		// The reference's capability gate, before the body is read. For
		// sign-in and sign-up the core's sign-in entry gates the method
		// too (and this capability again).
		if rt.capability != "" {
			if err := t.Restricted(rt.capability, ""); err != nil {
				h.fail(w, r, err)
				return
			}
		}
		if rt.private {
			if err := h.authenticate(ctx, r, rq); err != nil {
				h.fail(w, r, err)
				return
			}
			if err := t.Restricted(rt.capability, rq.user.ID); err != nil {
				h.fail(w, r, err)
				return
			}
			r = httpkit.SetActor(r, auth.Actor{UserID: rq.user.ID, TenantID: t.ID, SessionID: rq.session.ID})
			ctx = r.Context()
			// Using a still-valid token after a logout signs the user back
			// in (the reference's rule); logout itself sets logged_out.
			if rq.status == auth.PresenceLoggedOut && rt.capability != auth.CapLogout {
				if err := h.svc.SetPresence(ctx, t.ID, rq.user.ID, auth.PresenceLoggedIn); err != nil {
					h.fail(w, r, err)
					return
				}
			}
		}
		next(w, r, rq)
	})
}

// tenant resolves x-tenant-token. The core keeps tenants in a cache that
// every change to a tenant empties at once (on every instance sharing the
// change feed), so a restriction or a disabled tenant takes effect with
// the answer that made it.
func (h *Handler) tenant(ctx context.Context, r *http.Request) (*auth.Tenant, error) {
	tok := header(r, tenantTokenKey)
	if tok == "" {
		return nil, errMissingTenantToken
	}
	t, err := h.svc.TenantByToken(ctx, tok)
	if auth.ErrorCode(err) == auth.EUnauthorized {
		return nil, errInvalidTenantToken
	}
	if err != nil {
		return nil, err
	}
	if t.Disabled() {
		return nil, errTenantDisabled
	}
	return t, nil
}

// authenticate checks x-token: a well-signed, unexpired access token of
// this tenant whose core session is still live and whose user is active.
func (h *Handler) authenticate(ctx context.Context, r *http.Request, rq *request) error {
	raw := header(r, userTokenKey)
	if raw == "" {
		return errMissingUserToken
	}
	c, err := h.verify(ctx, rq.tenant, raw, typAccess)
	if errors.Is(err, errExpired) {
		return errUserTokenExpired
	}
	if err != nil {
		return errInvalidUserToken
	}
	sess, u, err := h.svc.AuthenticateSession(ctx, rq.tenant.ID, c.userID, c.sessionID, auth.CheckOptions{AllowInactive: true})
	if err != nil {
		return h.sessionFailure(ctx, rq.tenant.ID, c.userID, u, err, errInvalidUserToken)
	}
	rq.session, rq.user, rq.status = sess, u, u.Status()
	return nil
}

// sessionFailure explains why the session behind an authentic token is
// gone: a suspended or terminated user says so (their sessions ended with
// the change), anything else is the token's kind of invalid.
func (h *Handler) sessionFailure(ctx context.Context, tenantID, userID string, u *auth.User, err error, invalid *apiError) error {
	switch auth.ErrorCode(err) {
	case auth.EUnauthorized, auth.EInactive:
	default:
		return err
	}
	if u == nil {
		found, lerr := h.svc.User(ctx, tenantID, userID)
		if lerr != nil {
			if auth.ErrorCode(lerr) == auth.ENotFound {
				return invalid
			}
			return lerr
		}
		u = found
	}
	if e := stateError(u); e != nil {
		return e
	}
	return invalid
}

// stateError is the answer for a user who may not authenticate.
func stateError(u *auth.User) *apiError {
	switch u.State {
	case auth.StateActive:
		return nil
	case auth.StateTerminated:
		return errUserTerminated
	}
	return errUserSuspended
}
