// Package influxapi serves InfluxDB OSS v2's sign-in, session, user, setup
// and authorization API under /api/v2, plus sessiond's session management
// in the same style, over the core in package auth. Everything here works
// in the default tenant.
package influxapi

import (
	"context"
	"log/slog"
	"net/http"
	"net/textproto"
	"strconv"
	"strings"

	"github.com/sessiond/sessiond/internal/auth"
	"github.com/sessiond/sessiond/internal/httpkit"
)

// CookieName is InfluxDB's session cookie.
const CookieName = "influxdb-oss-session"

const tenant = auth.DefaultTenantID

// Options tune the dialect.
type Options struct {
	Logger *slog.Logger
	// MaxBody caps request bodies (httpkit.MaxBody when 0).
	MaxBody int64
	// EndSessionsOnPasswordChange ends a user's other sessions when their
	// password changes.
	EndSessionsOnPasswordChange bool
	// Version is sent in X-Influxdb-Version.
	Version string
}

// Handler serves /api/v2.
type Handler struct {
	svc  *auth.Service
	opt  Options
	log  *slog.Logger
	root http.Handler
	cop  *http.CrossOriginProtection // refuses cross-origin state changes made with the session cookie

	version []string // the X-Influxdb-Version header value
}

// New returns the /api/v2 handler.
func New(svc *auth.Service, opt Options) *Handler {
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	if opt.MaxBody <= 0 {
		opt.MaxBody = httpkit.MaxBody
	}
	if opt.Version == "" {
		opt.Version = "sessiond"
	}
	h := &Handler{svc: svc, opt: opt, log: opt.Logger, version: []string{opt.Version}, cop: http.NewCrossOriginProtection()}
	mux := http.NewServeMux()
	h.routes(mux)
	h.root = httpkit.Routed(mux, h.notFound, h.notAllowed, httpkit.KnownQuery(changeQuery, h.badQuery))
	return h
}

// changeQuery names the query parameters of the routes that change or
// delete; any other is refused (400) before the route runs.
var changeQuery = map[string][]string{
	"DELETE /api/v2/sessions":            {"allTenants", "userID"},
	"DELETE /api/v2/users/{id}/sessions": {"keepCurrent"},
}

func (h *Handler) routes(mux *http.ServeMux) {
	mux.HandleFunc("GET /api/v2", h.handleIndex)
	mux.HandleFunc("GET /api/v2/{$}", h.handleIndex)
	mux.HandleFunc("POST /api/v2/signin", h.handleSignin)
	mux.HandleFunc("POST /api/v2/signout", h.handleSignout)
	mux.HandleFunc("GET /api/v2/setup", h.handleSetupAllowed)
	mux.HandleFunc("POST /api/v2/setup", h.handleSetup)

	mux.Handle("GET /api/v2/me", h.authed(h.handleMe))
	mux.Handle("PUT /api/v2/me/password", h.cookieOnly(h.handleMePassword))
	mux.Handle("GET /api/v2/users", h.authed(h.handleListUsers))
	mux.Handle("POST /api/v2/users", h.authed(h.handleCreateUser))
	mux.Handle("GET /api/v2/users/{id}", h.authed(h.handleGetUser))
	mux.Handle("PATCH /api/v2/users/{id}", h.authed(h.handlePatchUser))
	mux.Handle("DELETE /api/v2/users/{id}", h.authed(h.handleDeleteUser))
	mux.Handle("POST /api/v2/users/{id}/password", h.authed(h.handleSetUserPassword))
	mux.Handle("PUT /api/v2/users/{id}/password", h.cookieOnly(h.handleChangeUserPassword))
	mux.Handle("DELETE /api/v2/users/{id}/sessions", h.authed(h.handleRevokeUserSessions))

	mux.Handle("GET /api/v2/authorizations", h.authed(h.handleListAuths))
	mux.Handle("POST /api/v2/authorizations", h.authed(h.handleCreateAuth))
	mux.Handle("GET /api/v2/authorizations/{id}", h.authed(h.handleGetAuth))
	mux.Handle("PATCH /api/v2/authorizations/{id}", h.authed(h.handlePatchAuth))
	mux.Handle("DELETE /api/v2/authorizations/{id}", h.authed(h.handleDeleteAuth))

	mux.Handle("GET /api/v2/sessions", h.authed(h.handleListSessions))
	mux.Handle("DELETE /api/v2/sessions/{id}", h.authed(h.handleRevokeSession))
	mux.Handle("DELETE /api/v2/sessions", h.authed(h.handleRevokeAllSessions))
	mux.Handle("GET /api/v2/lockouts", h.authed(h.handleListLockouts))
	mux.Handle("DELETE /api/v2/lockouts", h.authed(h.handleClearLockouts))
	mux.Handle("DELETE /api/v2/lockouts/{key...}", h.authed(h.handleClearLockout))
	h.tenantRoutes(mux) // tenants of the tenant auth API (/auth), in tenant.go
	h.orgRoutes(mux)    // the organization, its members and the resource types, in org.go
}

// ServeHTTP sets InfluxDB's server headers and serves the route.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hd := w.Header()
	hd["X-Influxdb-Build"] = buildHeader
	hd["X-Influxdb-Version"] = h.version
	hd["Cache-Control"] = noStore
	hd["Vary"] = varyHeader
	h.root.ServeHTTP(w, r)
}

// Header values shared by every response; net/http only reads them.
var (
	buildHeader = []string{"OSS"}
	noStore     = []string{"no-store"}
	varyHeader  = []string{"Cookie, Authorization"}
)

// Panic answers a request whose handler panicked.
func (h *Handler) Panic(w http.ResponseWriter, r *http.Request) {
	writeError(w, apiError{codeInternal, "An internal error has occurred - check server logs"}, false)
}

// fail writes a handler error, tab-indented, with Retry-After when the
// core says when to retry.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	e := translate(err)
	httpkit.LogFailure(h.log, r, err)
	httpkit.SetRetryAfter(w, err)
	writeError(w, e, true)
}

// token reads an "Authorization: Token|Bearer <t>" header, the scheme
// matched without regard to case. ok is false for any other scheme.
func token(r *http.Request) (string, bool) {
	v := r.Header.Get("Authorization")
	for _, scheme := range []string{"Token ", "Bearer "} {
		if len(v) >= len(scheme) && strings.EqualFold(v[:len(scheme)], scheme) {
			return strings.TrimSpace(v[len(scheme):]), true
		}
	}
	return "", false
}

// cookie returns the session cookie's value. net/http's parser also reads
// the whole Set-Cookie string that the Python client sends back.
//
// Request.Cookie allocates the cookies it reads; a Cookie header of one
// line and a few cookies, as every browser and client sends, is read
// here in place with its rules (readCookies in net/http: the first
// cookie of the name whose value is valid, quotes stripped). Anything
// else, where net/http's limit on the number of cookies could apply,
// goes to Request.Cookie.
func cookie(r *http.Request) (string, bool) {
	lines := r.Header["Cookie"]
	if len(lines) != 1 || strings.Count(lines[0], ";") >= maxInPlaceCookies {
		c, err := r.Cookie(CookieName)
		if err != nil || c.Value == "" {
			return "", false
		}
		return c.Value, true
	}
	line := textproto.TrimString(lines[0])
	var part string
	for len(line) > 0 {
		part, line, _ = strings.Cut(line, ";")
		name, val, _ := strings.Cut(textproto.TrimString(part), "=")
		if textproto.TrimString(name) != CookieName {
			continue
		}
		if v, ok := cookieValue(val); ok {
			return v, v != ""
		}
	}
	return "", false
}

// maxInPlaceCookies bounds the cookies cookie reads in place.
const maxInPlaceCookies = 32

// cookieValue is net/http's parseCookieValue with quotes allowed.
func cookieValue(raw string) (string, bool) {
	if len(raw) > 1 && raw[0] == '"' && raw[len(raw)-1] == '"' {
		raw = raw[1 : len(raw)-1]
	}
	for i := 0; i < len(raw); i++ {
		if b := raw[i]; b < 0x20 || b >= 0x7f || b == '"' || b == ';' || b == '\\' {
			return "", false
		}
	}
	return raw, true
}

// authenticate finds the caller as InfluxDB does: a Token/Bearer header
// wins over the cookie; a cookie session is renewed on use.
func (h *Handler) authenticate(ctx context.Context, r *http.Request, allowToken bool) (*caller, error) {
	if tok, ok := token(r); ok && allowToken {
		t, u, err := h.svc.AuthenticateToken(ctx, tok)
		if err != nil {
			return nil, err
		}
		if t.TenantID != tenant {
			return nil, auth.ErrUnauthenticated // the dialect serves the default tenant only
		}
		return &caller{user: u, token: t}, nil
	}
	key, ok := cookie(r)
	if !ok {
		return nil, auth.ErrUnauthenticated
	}
	s, u, err := h.svc.Authenticate(ctx, key, auth.CheckOptions{Renew: true})
	if err != nil {
		return nil, err
	}
	if s.TenantID != tenant {
		return nil, auth.ErrUnauthenticated // the dialect serves the default tenant only
	}
	return &caller{user: u, session: s}, nil
}

// authFailure answers a failed authentication compactly, as InfluxDB's
// middleware does.
func (h *Handler) authFailure(w http.ResponseWriter, r *http.Request, err error) {
	e := translate(err)
	httpkit.LogFailure(h.log, r, err)
	httpkit.SetRetryAfter(w, err)
	if e.Code == codeUnauthorized && e.Message != "token is inactive" {
		e = errUnauthorized
	}
	writeError(w, e, false)
}

type authedFunc func(w http.ResponseWriter, r *http.Request, c *caller)

func (h *Handler) authed(next authedFunc) http.Handler {
	return h.withCaller(next, true)
}

// cookieOnly serves routes whose Authorization header carries Basic
// credentials, so only the cookie can authenticate.
func (h *Handler) cookieOnly(next authedFunc) http.Handler {
	return h.withCaller(next, false)
}

func (h *Handler) withCaller(next authedFunc, allowToken bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := h.authenticate(r.Context(), r, allowToken)
		if err != nil {
			h.authFailure(w, r, err)
			return
		}
		if c.session != nil && h.crossOrigin(r) {
			writeError(w, errCrossOrigin, false)
			return
		}
		next(w, withActor(r, c), c)
	})
}

func (h *Handler) notFound(w http.ResponseWriter, r *http.Request) {
	if _, err := h.authenticate(r.Context(), r, true); err != nil {
		h.authFailure(w, r, err)
		return
	}
	writeError(w, apiError{codeNotFound, "path not found"}, false)
}

// notAllowed answers a known path asked with another method: 405 with
// Allow, before any authentication (InfluxDB authenticates first, so a
// wrong method on its one public route, /signin, answered 401; every
// path now says which methods it takes alike).
func (h *Handler) notAllowed(w http.ResponseWriter, r *http.Request, allow []string) {
	w.Header().Set("Allow", strings.Join(allow, ", "))
	writeError(w, apiError{codeMethodNotAllowed, "allow: " + strings.Join(allow, ", ")}, false)
}

// badQuery answers a change or deletion whose query names a parameter
// the route does not read.
func (h *Handler) badQuery(w http.ResponseWriter, r *http.Request, name string) {
	msg := "the query holds a parameter this route does not read"
	if name != "" {
		msg = "unknown query parameter " + strconv.Quote(name)
	}
	writeError(w, apiError{codeInvalid, msg}, true)
}

func (h *Handler) handleIndex(w http.ResponseWriter, r *http.Request) {
	links := map[string]string{
		"authorizations": "/api/v2/authorizations", "me": "/api/v2/me", "setup": "/api/v2/setup",
		"signin": "/api/v2/signin", "signout": "/api/v2/signout", "users": "/api/v2/users",
		"sessions": "/api/v2/sessions", "health": "/health", "ready": "/ready", "metrics": "/metrics",
	}
	respond(w, http.StatusOK, links)
}

// decode reads a JSON body into v with the dialect's size cap.
func (h *Handler) decode(w http.ResponseWriter, r *http.Request, v any) error {
	return httpkit.DecodeJSON(w, r, v, h.opt.MaxBody, false)
}
