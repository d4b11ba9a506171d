// Package rocketapi serves Rocket.Chat's REST sign-in and device-session
// API under /api/v1 (login, logout, me and sessions/*) over the core in
// package auth, in the default tenant. docs/rocketchat-api.md says what is
// served and where it departs from Rocket.Chat.
package rocketapi

import (
	"context"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/sessiond/sessiond/internal/auth"
	"github.com/sessiond/sessiond/internal/httpkit"
)

const tenant = auth.DefaultTenantID

// Rocket.Chat's defaults.
const (
	// DefaultLoginExpiration is Accounts_LoginExpiration: 90 days.
	DefaultLoginExpiration = 90 * 24 * time.Hour
	// DefaultRateLimit and DefaultRateWindow are
	// API_Enable_Rate_Limiter_Limit_Calls_Default and _Time_Default.
	DefaultRateLimit  = 10
	DefaultRateWindow = time.Minute
)

// Options tune the dialect.
type Options struct {
	Logger *slog.Logger
	// MaxBody caps request bodies (httpkit.MaxBody when 0).
	MaxBody int64
	// LoginExpiration is the lifetime of a login token
	// (DefaultLoginExpiration when 0).
	LoginExpiration time.Duration
	// Limiter counts calls per route and client IP. No rate limit when nil
	// or when RateLimit is 0 or less.
	Limiter auth.Limiter
	// RateLimit is the number of calls allowed per RateWindow.
	RateLimit int
	// RateWindow is the rate-limit window (DefaultRateWindow when 0).
	RateWindow time.Duration
	// TwoFactorRemember is Accounts_TwoFactorAuthentication_RememberFor
	// (0: a code every time); TwoFactorPasswordFallback is
	// Accounts_TwoFactorAuthentication_Enforce_Password_Fallback.
	TwoFactorRemember         time.Duration
	TwoFactorPasswordFallback bool
}

// Handler serves /api/v1.
type Handler struct {
	svc  *auth.Service
	opt  Options
	log  *slog.Logger
	root http.Handler
}

// New returns the /api/v1 handler.
func New(svc *auth.Service, opt Options) *Handler {
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	if opt.MaxBody <= 0 {
		opt.MaxBody = httpkit.MaxBody
	}
	if opt.LoginExpiration <= 0 {
		opt.LoginExpiration = DefaultLoginExpiration
	}
	if opt.RateWindow <= 0 {
		opt.RateWindow = DefaultRateWindow
	}
	h := &Handler{svc: svc, opt: opt, log: opt.Logger}
	mux := http.NewServeMux()
	h.routes(mux)
	// No route that changes or deletes reads the query: every parameter
	// of theirs is refused.
	h.root = httpkit.Routed(mux, h.notFound, h.notAllowed, httpkit.KnownQuery(nil, h.badQuery))
	return h
}

// access says who may call a route.
type access int

const (
	public access = iota // no authentication (login)
	user                 // X-User-Id and X-Auth-Token
	admin                // authenticated, and the user has the admin flag
)

func (h *Handler) routes(mux *http.ServeMux) {
	h.handle(mux, "POST", "login", public, h.handleLogin)
	h.handle(mux, "GET", "logout", user, h.handleLogout)
	h.handle(mux, "POST", "logout", user, h.handleLogout)
	h.handle(mux, "GET", "me", user, h.handleMe)

	h.handle(mux, "GET", "sessions/list", user, h.handleList)
	h.handle(mux, "GET", "sessions/info", user, h.handleInfo)
	h.handle(mux, "POST", "sessions/logout.me", user, h.handleLogoutMe)
	h.handle(mux, "GET", "sessions/list.all", admin, h.twoFactor(h.handleListAll, false))
	h.handle(mux, "GET", "sessions/info.admin", admin, h.twoFactor(h.handleInfoAdmin, false))
	h.handle(mux, "POST", "sessions/logout", admin, h.twoFactor(h.handleLogoutAdmin, false))
	h.userRoutes(mux)
}

// caller is the authenticated user of a request. It is nil on public
// routes.
type caller struct {
	user    *auth.User
	session *auth.Session // for a personal access token, one standing for it
	token   string
	pat     *auth.PersonalToken // set when the token is a personal access token
	proof   *auth.Proven        // set by a twoFactorRequired route's good code
}

type routeFunc func(w http.ResponseWriter, r *http.Request, c *caller)

// handle mounts one route behind Rocket.Chat's middleware order:
// authentication (401), permission (403), then the rate limiter (429),
// then the action, which validates its own parameters (400).
func (h *Handler) handle(mux *http.ServeMux, method, name string, acc access, fn routeFunc) {
	key := method + " " + name
	mux.HandleFunc(method+" /api/v1/"+name, func(w http.ResponseWriter, r *http.Request) {
		var c *caller
		if acc != public {
			var err error
			c, err = h.authenticate(r.Context(), r)
			if err != nil {
				h.failErr(w, r, err, errLoggedOut)
				return
			}
			if acc == admin && !c.user.Admin {
				writeError(w, errForbidden)
				return
			}
			r = httpkit.SetActor(r, auth.Actor{UserID: c.user.ID, TenantID: c.user.TenantID, SessionID: c.session.ID})
		}
		if !h.allow(w, r, key, c) {
			return
		}
		fn(w, r, c)
	})
}

// badQuery answers a change whose query names a parameter: Rocket.Chat's
// invalid-params, as ajv's additionalProperties:false words it.
func (h *Handler) badQuery(w http.ResponseWriter, r *http.Request, name string) {
	msg := "the query must NOT have additional properties"
	if name != "" {
		msg = "unknown query parameter " + strconv.Quote(name)
	}
	writeError(w, invalidParams(msg))
}

// ServeHTTP serves the route.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.root.ServeHTTP(w, r) }

// Panic answers a request whose handler panicked.
func (h *Handler) Panic(w http.ResponseWriter, r *http.Request) { writeError(w, errInternal) }

// failErr translates err (ENotFound as notFound) and writes it, logging
// the cause of server-side failures, with Retry-After when the core says
// when to retry.
func (h *Handler) failErr(w http.ResponseWriter, r *http.Request, err error, notFound *apiError) {
	httpkit.LogFailure(h.log, r, err)
	httpkit.SetRetryAfter(w, err)
	writeError(w, translate(err, notFound))
}

// authenticate finds the caller from X-User-Id and X-Auth-Token: a live
// session of the token whose user is that ID, active, in the default
// tenant. Any other case is ErrUnauthenticated. Rocket.Chat tokens do not
// slide, so the expiry is not renewed.
func (h *Handler) authenticate(ctx context.Context, r *http.Request) (*caller, error) {
	uid, tok := r.Header.Get("X-User-Id"), r.Header.Get("X-Auth-Token")
	if uid == "" || tok == "" {
		return nil, auth.ErrUnauthenticated
	}
	s, u, err := h.svc.Authenticate(ctx, tok, auth.CheckOptions{})
	if auth.ErrorCode(err) == auth.EUnauthorized {
		return h.authenticateToken(ctx, uid, tok)
	}
	if err != nil {
		if code := auth.ErrorCode(err); code == auth.EInactive || code == auth.EUnauthorized {
			return nil, auth.ErrUnauthenticated
		}
		return nil, err
	}
	if s.UserID != uid || s.TenantID != tenant || u.TenantID != tenant {
		return nil, auth.ErrUnauthenticated
	}
	return &caller{user: u, session: s, token: tok}, nil
}

// notFound answers an unknown /api/v1 path as Rocket.Chat's router does:
// 404 without looking at credentials.
func (h *Handler) notFound(w http.ResponseWriter, r *http.Request) { writeError(w, errNotFound) }

// notAllowed answers a known path with the wrong method. Rocket.Chat's
// router gives such requests its 404; sessiond says 405 with Allow, in the
// same shape.
func (h *Handler) notAllowed(w http.ResponseWriter, r *http.Request, allow []string) {
	w.Header().Set("Allow", strings.Join(allow, ", "))
	msg := "Method not allowed"
	writeError(w, &apiError{http.StatusMethodNotAllowed, failure{Error: msg, Status: "error", Message: msg}})
}
