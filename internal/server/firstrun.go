package server

import (
	"context"
	"net"
	"net/http"
	"time"
)

// handleRoot is GET /: the account pages, which show the set-up page on a
// server with no user yet, as InfluxDB's root leads to its UI. Any other
// path no route matches still gets InfluxDB's JSON 404 (miss.go).
func (a *App) handleRoot(w http.ResponseWriter, r *http.Request) {
	a.versionHeaders(w)
	http.Redirect(w, r, "/ui/", http.StatusFound)
}

// PublicURL is the URL people and the CLI reach this instance at: the
// listening address, with localhost for an unspecified host.
func (a *App) PublicURL() string {
	scheme := "http"
	if a.cfg.TLSCert != "" {
		scheme = "https"
	}
	host, port, err := net.SplitHostPort(a.Addr())
	if err != nil {
		return a.URL()
	}
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "localhost"
	}
	return scheme + "://" + net.JoinHostPort(host, port)
}

// logStart writes the start-up lines: where the server listens and keeps
// its data, whether it is set up (and if not, how to set it up), and
// where the account pages are. No secret: engine URLs show their scheme.
func (a *App) logStart() {
	url := a.PublicURL()
	attrs := []any{"addr", a.Addr(), "url", url, "store", storeName(a.cfg.Store), "session_store", storeName(a.cfg.SessionStore)}
	if a.cfg.Store == "sqlite" || a.cfg.SessionStore == "sqlite" {
		attrs = append(attrs, "data_dir", a.cfg.DataDir)
	}
	a.log.Info("sessiond listening", attrs...)
	if a.procs[1] > a.procs[0] {
		a.log.Info("GOMAXPROCS raised by the hash workers, whose threads run at a lower priority", "gomaxprocs", a.procs[1], "was", a.procs[0],
			"hash_workers", a.svc.HashWorkers(), "hash_nice", a.cfg.HashNice)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	open, err := a.svc.SetupAllowed(ctx)
	switch {
	case err != nil:
		a.log.Warn("cannot tell whether the server is set up", "err", err)
	case open:
		host := ""
		if url != "http://localhost:8086" {
			host = " --host " + url
		}
		a.log.Info("not set up yet: make the first user and an operator token",
			"run", "sessiond setup"+host+" --username ADMIN --org ORG", "or_open", url+"/ui/setup")
	default:
		a.log.Info("set up; operator tokens come from setup or 'sessiond auth create'", "manage", "SESSIOND_HOST="+url+" SESSIOND_TOKEN=... sessiond user list")
	}
	a.log.Info("account pages", "url", url+"/ui/")
}
