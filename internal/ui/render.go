package ui

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"strconv"
	"time"

	"github.com/sessiond/sessiond/internal/auth"
	"github.com/sessiond/sessiond/internal/httpkit"
)

//go:embed templates/*.html
var templateFiles embed.FS

//go:embed static
var staticFiles embed.FS

func staticFS() fs.FS {
	sub, err := fs.Sub(staticFiles, "static")
	if err != nil {
		panic(err) // the directory is embedded above; this cannot happen
	}
	return sub
}

// pageNames are the templates that render a whole page; each defines
// "content" inside layout.html.
var pageNames = []string{"signin", "sessions", "password", "users", "user", "error", "security", "totp", "codes", "signin2", "reauth", "reset", "resetcode", "setup", "setupdone"}

type pages struct {
	byName map[string]*template.Template
}

var funcs = template.FuncMap{
	"when": func(t time.Time) string { return t.UTC().Format("2 Jan 2006, 15:04 UTC") },
	"iso":  func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
	"ago":  ago,
}

func loadPages() *pages {
	base := template.Must(template.New("layout.html").Funcs(funcs).ParseFS(templateFiles, "templates/layout.html", "templates/parts.html"))
	p := &pages{byName: map[string]*template.Template{}}
	for _, n := range pageNames {
		t := template.Must(base.Clone())
		p.byName[n] = template.Must(t.ParseFS(templateFiles, "templates/"+n+".html"))
	}
	return p
}

// view is what every page template receives.
type view struct {
	Title string
	Nav   string     // the current navigation item: sessions, password, users
	User  *auth.User // the signed-in user; nil on public pages
	CSRF  string     // the session's CSRF token, for every form
	Flash string     // a confirmation shown once, after a redirect
	Error string     // what went wrong with the form just sent
	Now   time.Time
	Data  any // the page's own data
}

// render executes a page into a buffer first, so a template failure
// becomes a clean 500 instead of half a page.
func (h *Handler) render(w http.ResponseWriter, r *http.Request, status int, name string, v view) {
	if v.Now.IsZero() {
		v.Now = h.svc.Now()
	}
	var buf bytes.Buffer
	if err := h.pages.byName[name].ExecuteTemplate(&buf, "layout.html", v); err != nil {
		h.log.Error("ui template failed", "request_id", httpkit.RequestID(r.Context()), "page", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// signedIn fills the parts of a view every signed-in page shares.
func signedIn(c *caller, title, nav string) view {
	return view{Title: title, Nav: nav, User: c.user, CSRF: c.csrf}
}

type errorData struct {
	Status  int
	Message string
}

func (h *Handler) errorPage(w http.ResponseWriter, r *http.Request, status int, msg string) {
	h.render(w, r, status, "error", view{Title: http.StatusText(status), Data: errorData{status, msg}})
}

// errorPageFor is errorPage for a signed-in user: the header keeps the
// navigation and the sign-out button.
func (h *Handler) errorPageFor(w http.ResponseWriter, r *http.Request, c *caller, status int, msg string) {
	v := signedIn(c, http.StatusText(status), "")
	v.Data = errorData{status, msg}
	h.render(w, r, status, "error", v)
}

// flashes are the confirmations a redirect may ask for with ?m=; only
// these fixed texts can appear, so nothing from the URL is echoed.
var flashes = map[string]string{
	"signedout":     "You have signed out.",
	"reset":         "Your password has been reset, every session of yours has ended and your personal access tokens were removed. Sign in with the new password.",
	"ended":         "Your session has ended. Please sign in again.",
	"password":      "Your password has been changed.",
	"password-all":  "Your password has been changed, your other sessions were signed out and your personal access tokens removed.",
	"session":       "That session has been signed out.",
	"gone":          "That session had already ended.",
	"others":        "Signed out %s.",
	"disabled":      "The user has been disabled and all of their sessions have ended.",
	"enabled":       "The user has been enabled.",
	"user-sessions": "Ended %s of this user.",
	"totp":          "Your authenticator app is set up.",
	"factor-gone":   "The second factor has been removed.",
	"passkey-added": "Your passkey is added.",
	"passkey-error": "The passkey could not be added. Please try again.",
	"token-revoked": "The personal access token has been revoked.",
	"factors-reset": "The user's second factors and recovery codes have been removed.",
}

func flash(r *http.Request) string {
	f := flashes[r.URL.Query().Get("m")]
	if f == "" || !bytes.Contains([]byte(f), []byte("%s")) {
		return f
	}
	n, _ := strconv.Atoi(r.URL.Query().Get("n"))
	return fmt.Sprintf(f, plural(n, "session"))
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}

// ago says how long before now t was, in words.
func ago(now, t time.Time) string {
	d := now.Sub(t)
	switch {
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return plural(int(d/time.Minute), "minute") + " ago"
	case d < 48*time.Hour:
		return plural(int(d/time.Hour), "hour") + " ago"
	}
	return plural(int(d/(24*time.Hour)), "day") + " ago"
}

// waitWords says how long until t, rounded up to whole minutes.
func waitWords(now, t time.Time) string {
	d := t.Sub(now)
	if d <= time.Minute {
		return "a minute"
	}
	m := int((d + time.Minute - 1) / time.Minute)
	return plural(m, "minute")
}
