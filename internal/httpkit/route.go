package httpkit

import (
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"unicode/utf8"
)

var probeMethods = []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete}

// redirectType is the type of the handler ServeMux answers with when it
// would redirect: to the cleaned path ("/a/../b", "//a", "/a/./b"), or
// from /tree to /tree/. No route of ours is one.
var redirectType = reflect.TypeOf(http.RedirectHandler("/", http.StatusTemporaryRedirect))

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

func (rt *router) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h, pattern := rt.mux.Handler(r)
	if reflect.TypeOf(h) == redirectType {
		rt.notFound(w, r)
		return
	}
	if rt.badQuery != nil && changes(r.Method) && pattern != "/" && r.URL.RawQuery != "" {
		if name, ok := unknownParam(r, rt.known[pattern]); ok {
			rt.badQuery(w, r, name)
			return
		}
	}
	rt.mux.ServeHTTP(w, r)
}

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
