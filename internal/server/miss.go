package server

import (
	"encoding/json"
	"net/http"
	"strings"
)

// The root of the server speaks InfluxDB (/health, /ready, /ping), so a
// request that no route matches, outside every dialect's prefix, is
// answered as InfluxDB's router answers one: compact JSON {code, message}
// with X-Platform-Error-Code, never net/http's plain text, which InfluxDB's
// clients cannot decode. No authentication is asked: there is nothing here
// to protect. Each dialect answers the misses under its own prefix.

type missBody struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

func (a *App) writeMiss(w http.ResponseWriter, status int, code, msg string) {
	a.versionHeaders(w)
	b, _ := json.Marshal(missBody{code, msg})
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("X-Platform-Error-Code", code)
	w.WriteHeader(status)
	w.Write(b)
}

// mount is a dialect and the path prefix it serves.
type mount struct {
	prefix string // without the final slash: "/api/v2"
	h      http.Handler
}

// dialectOf returns the dialect whose prefix starts r's path as the
// client sent it, or nil.
func (a *App) dialectOf(r *http.Request) http.Handler {
	p := r.URL.Path
	for _, m := range a.mounts {
		if strings.HasPrefix(p, m.prefix) && (len(p) == len(m.prefix) || p[len(m.prefix)] == '/') {
			return m.h
		}
	}
	return nil
}

// notFound answers a path that no route matches: 404 path not found. A
// path under a dialect's prefix reaches it only when ServeMux would
// redirect it ("/api/v2/users/../users", "//" inside): the dialect then
// answers it, in its own format, as a path it does not serve.
func (a *App) notFound(w http.ResponseWriter, r *http.Request) {
	if h := a.dialectOf(r); h != nil {
		h.ServeHTTP(w, r)
		return
	}
	a.writeMiss(w, http.StatusNotFound, "not found", "path not found")
}

// notAllowed answers a known path asked with another method: 405, with
// the methods that would have matched in Allow and in the message.
func (a *App) notAllowed(w http.ResponseWriter, r *http.Request, allow []string) {
	methods := strings.Join(allow, ", ")
	w.Header().Set("Allow", methods)
	a.writeMiss(w, http.StatusMethodNotAllowed, "method not allowed", "allow: "+methods)
}
