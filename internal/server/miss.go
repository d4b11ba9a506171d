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

// notFound answers a path that no route matches: 404 path not found.
func (a *App) notFound(w http.ResponseWriter, r *http.Request) {
	a.writeMiss(w, http.StatusNotFound, "not found", "path not found")
}

// notAllowed answers a known path asked with another method: 405, with
// the methods that would have matched in Allow and in the message.
func (a *App) notAllowed(w http.ResponseWriter, r *http.Request, allow []string) {
	methods := strings.Join(allow, ", ")
	w.Header().Set("Allow", methods)
	a.writeMiss(w, http.StatusMethodNotAllowed, "method not allowed", "allow: "+methods)
}
