package httpkit

import "net/http"

var probeMethods = []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete}

// Routed serves r through mux when a pattern matches it. Otherwise it calls
// notFound, or notAllowed with the methods that would have matched (for
// its Allow header), so the dialect answers in its own format instead of
// ServeMux's plain text. It claims mux's "/" pattern as the fallback, so a
// request is routed once; the dialect must not register "/" itself.
func Routed(mux *http.ServeMux, notFound func(w http.ResponseWriter, r *http.Request), notAllowed func(w http.ResponseWriter, r *http.Request, allow []string)) http.Handler {
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		var allow []string
		probe := r.Clone(r.Context())
		for _, m := range probeMethods {
			probe.Method = m
			if _, p := mux.Handler(probe); p != "" && p != "/" {
				allow = append(allow, m)
			}
		}
		if len(allow) == 0 {
			notFound(w, r)
			return
		}
		notAllowed(w, r, allow)
	})
	return mux
}
