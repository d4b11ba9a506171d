// Package ui serves sessiond's account pages under /ui/: sign-in, the
// signed-in user's sessions across every API, password change, and the
// admin users page. Pages are rendered on the server from templates
// embedded in the binary; every form works without JavaScript. The pages
// call the same core operations as the APIs, through a cookie session of
// their own guarded by a per-session CSRF token.
package ui

import (
	"io/fs"
	"log/slog"
	"net/http"
	"strings"

	"github.com/sessiond/sessiond/internal/auth"
	"github.com/sessiond/sessiond/internal/httpkit"
)

// Prefix is where the pages are mounted.
const Prefix = "/ui/"

// SettingHost is the tenant setting naming the host (without port) whose
// sign-in page signs in to that tenant.
const SettingHost = "ui.host"

// maxForm caps a form body.
const maxForm = 16 << 10

// Options tune the pages.
type Options struct {
	// EndSessionsOnPasswordChange ends the user's other sessions on every
	// password change; when false the password form offers it as a choice.
	EndSessionsOnPasswordChange bool
	Logger                      *slog.Logger
	// SetupPermissions are the grants of the operator token the set-up
	// page makes (the server passes InfluxDB's operator permissions).
	SetupPermissions []auth.Permission
}

// Handler serves /ui/.
type Handler struct {
	svc    *auth.Service
	opt    Options
	log    *slog.Logger
	pages  *pages
	static fs.FS
	cop    *http.CrossOriginProtection
	root   http.Handler
}

// New returns the /ui/ handler.
func New(svc *auth.Service, opt Options) *Handler {
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	h := &Handler{svc: svc, opt: opt, log: opt.Logger, pages: loadPages(), static: staticFS(), cop: http.NewCrossOriginProtection()}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /ui/static/{file}", h.handleStatic)
	mux.HandleFunc("GET /ui/{$}", h.handleIndex)
	mux.HandleFunc("GET /ui", h.handleIndex)
	mux.HandleFunc("GET /ui/signin", h.handleSignInPage)
	mux.HandleFunc("POST /ui/signin", h.handleSignIn)
	mux.HandleFunc("POST /ui/signout", h.handleSignOut)
	h.resetRoutes(mux) // "Forgot your password?", in reset.go
	mux.HandleFunc("GET /ui/setup", h.handleSetupPage)
	mux.HandleFunc("POST /ui/setup", h.handleSetup)
	mux.Handle("GET /ui/sessions", h.authed(h.handleSessions))
	mux.Handle("POST /ui/sessions/others/signout", h.form(h.handleSignOutOthers))
	mux.Handle("POST /ui/sessions/{id}/signout", h.form(h.handleSignOutSession))
	mux.Handle("GET /ui/password", h.authed(h.handlePasswordPage))
	mux.Handle("POST /ui/password", h.form(h.handlePassword))
	h.securityRoutes(mux)
	mux.Handle("GET /ui/admin/users", h.admin(h.handleUsers))
	mux.Handle("GET /ui/admin/users/{id}", h.admin(h.handleUser))
	mux.Handle("POST /ui/admin/users/{id}/state", h.adminForm(h.handleUserState))
	mux.Handle("POST /ui/admin/users/{id}/sessions/signout", h.adminForm(h.handleUserSignOutAll))
	mux.Handle("POST /ui/admin/users/{id}/sessions/{sid}/signout", h.adminForm(h.handleUserSignOutSession))
	// No form reads the query: every parameter of a POST is refused.
	h.root = httpkit.Routed(mux, h.notFound, h.notAllowed, httpkit.KnownQuery(nil, h.badQuery))
	return h
}

// ServeHTTP sets the headers every page carries and serves the route.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hd := w.Header()
	hd.Set("Cache-Control", "no-store")
	hd.Set("Vary", "Cookie")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("X-Frame-Options", "DENY")
	hd.Set("Referrer-Policy", "same-origin")
	hd.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	h.root.ServeHTTP(w, r)
}

// Panic answers a request whose handler panicked with a plain error page.
func (h *Handler) Panic(w http.ResponseWriter, r *http.Request) {
	h.errorPage(w, r, http.StatusInternalServerError, "Something went wrong on our side.")
}

func (h *Handler) handleIndex(w http.ResponseWriter, r *http.Request) {
	if c, _, _, _ := h.current(r); c != nil {
		h.redirect(w, r, "/ui/sessions")
		return
	}
	if ok, err := h.svc.SetupAllowed(r.Context()); err == nil && ok {
		h.redirect(w, r, "/ui/setup") // a new server: set it up first
		return
	}
	h.redirect(w, r, "/ui/signin")
}

// handleStatic serves the embedded stylesheet; a miss gets the HTML 404
// page with the usual headers.
func (h *Handler) handleStatic(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("file")
	f, err := h.static.Open(name) // refuses names that are not valid fs paths
	if err != nil {
		h.notFound(w, r)
		return
	}
	f.Close()
	http.ServeFileFS(w, r, h.static, name)
}

func (h *Handler) notFound(w http.ResponseWriter, r *http.Request) {
	h.errorPage(w, r, http.StatusNotFound, "There is no page at this address.")
}

func (h *Handler) notAllowed(w http.ResponseWriter, r *http.Request, allow []string) {
	w.Header().Set("Allow", strings.Join(allow, ", "))
	h.errorPage(w, r, http.StatusMethodNotAllowed, "This page does not accept that kind of request.")
}

func (h *Handler) badQuery(w http.ResponseWriter, r *http.Request, _ string) {
	h.errorPage(w, r, http.StatusBadRequest, "This form does not take parameters in its address.")
}

// redirect answers with 303 See Other, so a form POST is followed by a GET.
func (h *Handler) redirect(w http.ResponseWriter, r *http.Request, to string) {
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// fail logs an unexpected error and shows a generic page naming the
// request ID, so an operator can find the log line.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	status := http.StatusInternalServerError
	msg := "Something went wrong on our side."
	if auth.ErrorCode(err) == auth.EUnavailable {
		status, msg = http.StatusServiceUnavailable, "The service is busy or unavailable. Please try again shortly."
	}
	httpkit.LogFailure(h.log, r, err)
	httpkit.SetRetryAfter(w, err)
	h.errorPage(w, r, status, msg)
}
