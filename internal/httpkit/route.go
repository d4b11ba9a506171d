package httpkit

import (
	"net/http"
	"net/url"
	"path"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"
)

var probeMethods = []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete}

// RouteOption changes how Routed answers.
type RouteOption func(*router)

// KnownQuery makes Routed refuse a request to a route that changes or
// deletes (POST, PUT, PATCH, DELETE) whose query names a parameter the
// route does not read: known lists them by route pattern, exactly as the
// route was registered ("DELETE /api/v2/sessions"); a route it does not
// name reads none. bad answers, in the dialect's format, with the
// parameter's name ("" when it is too long or not UTF-8 to repeat). A
// destructive route must never do more than it was asked because it
// ignored what it did not understand.
func KnownQuery(known map[string][]string, bad func(w http.ResponseWriter, r *http.Request, name string)) RouteOption {
	return func(o *router) { o.known, o.badQuery = known, bad }
}

type router struct {
	mux        *http.ServeMux
	notFound   func(w http.ResponseWriter, r *http.Request)
	notAllowed func(w http.ResponseWriter, r *http.Request, allow []string)
	known      map[string][]string
	badQuery   func(w http.ResponseWriter, r *http.Request, name string)
	// static keeps the routes whose pattern is one method and one path
	// without wildcards, by method, Host and path, as ServeMux resolved
	// them (a host pattern could route another Host elsewhere): such a
	// request needs no match (routeKey -> *staticRoute, or nil for a path
	// a nested router resolves). Only registered paths enter, and at most
	// maxStatic keys: past that (Host headers are the client's to choose)
	// requests are matched as before.
	static cowMap[routeKey, *staticRoute]
}

// maxStatic bounds a router's learnt static routes.
const maxStatic = 4096

type routeKey struct{ method, host, path string }

type staticRoute struct {
	h       http.Handler
	pattern string
}

// Routed serves r through mux when a pattern matches it. Otherwise it calls
// notFound, or notAllowed with the methods that would have matched (for
// its Allow header), so the dialect answers in its own format instead of
// ServeMux's plain text. A path ServeMux would redirect (one it would
// clean, or /tree for /tree/) is not found too, answered by the dialect
// rather than with net/http's HTML redirect. It claims mux's "/" pattern
// as the fallback, so a request is routed once; the dialect must not
// register "/" itself.
func Routed(mux *http.ServeMux, notFound func(w http.ResponseWriter, r *http.Request), notAllowed func(w http.ResponseWriter, r *http.Request, allow []string), opts ...RouteOption) http.Handler {
	rt := &router{mux: mux, notFound: notFound, notAllowed: notAllowed}
	for _, o := range opts {
		o(rt)
	}
	mux.HandleFunc("/", rt.miss)
	return rt
}

// ServeHTTP routes r once. A path ServeMux would clean is caught before
// routing; a redirect to the path with a slash added, which ServeMux
// decides while routing, is caught on its way out (redirectGuard). The
// query of a change is checked against its route's pattern before the
// route runs; only such requests are routed twice. A route whose pattern
// is exactly the request's method and path is kept once ServeMux has
// chosen it, and the next such request goes straight to it.
func (rt *router) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodConnect && unclean(r.URL.EscapedPath()) {
		rt.notFound(w, r)
		return
	}
	if rt.badQuery != nil && r.URL.RawQuery != "" && changes(r.Method) {
		if _, pattern := rt.mux.Handler(r); pattern != "" && pattern != "/" {
			if name, ok := unknownParam(r, rt.known[pattern]); ok {
				rt.badQuery(w, r, name)
				return
			}
		}
	}
	// A path that needs no unescaping (%2F would be one segment to
	// ServeMux) and is exactly a static pattern's.
	plain := r.URL.RawPath == ""
	if plain {
		if s, _ := rt.static.get(routeKey{r.Method, r.Host, r.URL.Path}); s != nil {
			r.Pattern = s.pattern
			s.h.ServeHTTP(w, r)
			return
		}
	}
	g := guards.Get().(*redirectGuard)
	g.ResponseWriter, g.rt, g.r, g.caught = w, rt, r, false
	rt.mux.ServeHTTP(g, r)
	*g = redirectGuard{}
	guards.Put(g)
	if plain && exactly(r.Pattern, r.Method, r.URL.Path) {
		rt.learn(r)
	}
}

// learn keeps the route of r, whose pattern is exactly its method and
// path, if it is mux's own and not a nested router's.
func (rt *router) learn(r *http.Request) {
	k := routeKey{r.Method, r.Host, r.URL.Path}
	if _, ok := rt.static.get(k); ok || rt.static.len() >= maxStatic {
		return
	}
	rt.static.add(k, maxStatic, func() *staticRoute {
		if h, p := rt.mux.Handler(r); exactly(p, r.Method, r.URL.Path) {
			return &staticRoute{h: h, pattern: p}
		}
		return nil
	})
}

// exactly reports whether pattern is "method path" with a path free of
// wildcards.
func exactly(pattern, method, p string) bool {
	return len(pattern) == len(method)+1+len(p) && strings.HasPrefix(pattern, method) &&
		pattern[len(method)] == ' ' && pattern[len(method)+1:] == p && !strings.Contains(p, "{")
}

// unclean reports whether ServeMux would redirect p to a cleaned path:
// "//", "." or ".." segments, or no leading slash. The common, clean path
// is told in one scan without allocating.
func unclean(p string) bool {
	if p == "" || p[0] != '/' {
		return true
	}
	if !strings.Contains(p, "//") && !strings.Contains(p, "/.") {
		return false
	}
	c := path.Clean(p)
	if strings.HasSuffix(p, "/") && c != "/" {
		c += "/"
	}
	return c != p
}

// redirectGuard stands between ServeMux and the response while a request
// is routed. ServeMux answers a path that only exists with a slash added
// (/tree for /tree/) with a 307 to it before any route runs; the guard
// turns that into the dialect's not found. Every other answer passes
// untouched.
type redirectGuard struct {
	http.ResponseWriter
	rt     *router
	r      *http.Request
	caught bool // the redirect was turned into notFound: its body is dropped
}

var guards = sync.Pool{New: func() any { return new(redirectGuard) }}

func (g *redirectGuard) WriteHeader(code int) {
	if code == http.StatusTemporaryRedirect && !g.caught && g.slashRedirect() {
		g.caught = true
		h := g.ResponseWriter.Header()
		h.Del("Location")
		h.Del("Content-Type")
		g.rt.notFound(g.ResponseWriter, g.r)
		return
	}
	if !g.caught {
		g.ResponseWriter.WriteHeader(code)
	}
}

func (g *redirectGuard) Write(b []byte) (int, error) {
	if g.caught {
		return len(b), nil
	}
	return g.ResponseWriter.Write(b)
}

// slashRedirect reports whether the Location being answered is the
// request's path with a slash added, as ServeMux writes it.
func (g *redirectGuard) slashRedirect() bool {
	loc := g.ResponseWriter.Header().Get("Location")
	want := g.r.URL.EscapedPath() + "/"
	return loc == want || strings.HasPrefix(loc, want+"?")
}

// Unwrap lets http.ResponseController reach the writer underneath.
func (g *redirectGuard) Unwrap() http.ResponseWriter { return g.ResponseWriter }

// miss answers what no pattern matches.
func (rt *router) miss(w http.ResponseWriter, r *http.Request) {
	var allow []string
	probe := r.Clone(r.Context())
	for _, m := range probeMethods {
		probe.Method = m
		if _, p := rt.mux.Handler(probe); p != "" && p != "/" {
			allow = append(allow, m)
		}
	}
	if len(allow) == 0 {
		rt.notFound(w, r)
		return
	}
	rt.notAllowed(w, r, allow)
}

// changes reports whether method changes or deletes something.
func changes(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return false
	}
	return true
}

// unknownParam returns a parameter of r's query that known does not
// list, as a name fit to repeat. A query that does not parse (which
// net/http would read in part, silently) is refused whole.
func unknownParam(r *http.Request, known []string) (string, bool) {
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return "", true
	}
	for name := range q {
		if !slices.Contains(known, name) {
			if len(name) > maxNameEcho || !utf8.ValidString(name) {
				name = ""
			}
			return name, true
		}
	}
	return "", false
}
