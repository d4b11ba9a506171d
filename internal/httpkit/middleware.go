package httpkit

import (
	"log/slog"
	"net/http"
	"runtime/debug"
	"time"
)

// statusWriter remembers the status a handler wrote.
type statusWriter struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (w *statusWriter) WriteHeader(code int) {
	if !w.wrote {
		w.status, w.wrote = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if !w.wrote {
		w.status, w.wrote = http.StatusOK, true
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// PanicWriter answers a request whose handler panicked, in the dialect's
// own error format.
type PanicWriter func(w http.ResponseWriter, r *http.Request)

// WrapOptions are what Wrap needs besides the handler.
type WrapOptions struct {
	Log     *slog.Logger // discarded when nil
	Metrics *Metrics     // none when nil
	// Panic picks the writer of a request whose handler panicked, in its
	// dialect's format (a bare 500 when it or its answer is nil).
	Panic func(r *http.Request) PanicWriter
	// Proxies are the trusted proxies the client address is read through.
	Proxies *Proxies
	// AccessLog logs every request at info (--access-log); otherwise at
	// debug.
	AccessLog bool
}

// Wrap gives every request an ID (kept from X-Request-Id when plain, else
// fresh), resolves its client address once (through trusted proxies),
// reads the Zap-Trace-Span trace ID, recovers panics, observes metrics by
// route pattern and logs one line per request. Nothing secret is logged:
// no headers, no query, no body.
func Wrap(next http.Handler, o WrapOptions) http.Handler {
	log, m, onPanic := o.Log, o.Metrics, o.Panic
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		ri := &reqInfo{Context: r.Context(), id: r.Header.Get(RequestIDHeader), ip: o.Proxies.clientAddr(r)}
		if !acceptID(ri.id) {
			ri.newID()
		}
		id := ri.id
		if span := r.Header.Get("Zap-Trace-Span"); span != "" {
			ri.trace = traceFromSpan(span)
		}
		r = r.WithContext(ri)
		ri.idHeader[0] = id
		w.Header()[RequestIDHeader] = ri.idHeader[:]
		sw := &ri.sw
		sw.ResponseWriter = w
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				log.Error("panic", "request_id", id, "panic", p, "stack", string(debug.Stack()))
				if !sw.wrote {
					var pw PanicWriter
					if onPanic != nil {
						pw = onPanic(r)
					}
					if pw != nil {
						pw(sw, r)
					} else {
						http.Error(sw, "internal error", http.StatusInternalServerError)
					}
				}
			}
			route := r.Pattern
			if route == "" {
				route = "unmatched"
			}
			status := sw.status
			if !sw.wrote {
				status = http.StatusOK
			}
			elapsed := time.Since(start)
			m.observe(route, status, elapsed)
			level := slog.LevelDebug
			if o.AccessLog {
				level = slog.LevelInfo
			}
			if !log.Enabled(r.Context(), level) {
				return
			}
			attrs := []slog.Attr{
				slog.String("request_id", id), slog.String("method", r.Method), slog.String("route", route),
				slog.Int("status", status), slog.Duration("duration", elapsed), slog.String("remote", ri.ip),
			}
			if ri.trace != "" {
				attrs = append(attrs, slog.String("trace_id", ri.trace))
			}
			log.LogAttrs(r.Context(), level, "request", attrs...)
		}()
		next.ServeHTTP(sw, r)
	})
}
