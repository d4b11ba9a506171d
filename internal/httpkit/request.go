// Package httpkit is the HTTP plumbing every dialect shares and none owns:
// request IDs, panic recovery, access logs, metrics, size-capped JSON
// decoding, client addresses and routing misses. It knows no dialect's
// wire format; each dialect passes its own error writers in.
package httpkit

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"math/rand/v2"
	"net/http"
	"strings"
	"unsafe"

	"github.com/sessiond/sessiond/internal/auth"
)

type ctxKey struct{}

// reqInfo is what Wrap learns about a request, put on its context once.
// It is the context itself (the request's own, with reqInfo as the value
// of ctxKey), and holds the response's status writer and request ID
// header: one allocation per request for all of Wrap's state.
type reqInfo struct {
	context.Context
	id    string
	ip    string
	trace string

	sw       statusWriter
	idHeader [1]string // the X-Request-Id header's value
	idBytes  [24]byte  // a fresh ID's hex digits, which id reads

	actor    auth.Actor // the authenticated caller, set by SetActor
	hasActor bool
}

// Value answers ctxKey with ri, auth.ActorKey with ri once SetActor has
// named the caller, and every other key as the request's own context
// does.
func (ri *reqInfo) Value(key any) any {
	switch {
	case key == (ctxKey{}):
		return ri
	case key == auth.ActorKey && ri.hasActor:
		return ri
	}
	return ri.Context.Value(key)
}

// Actor implements auth.ActorHolder.
func (ri *reqInfo) Actor() (auth.Actor, bool) { return ri.actor, ri.hasActor }

// SetActor names the authenticated caller of r for the core's audit
// events. On a request Wrap serves, whose context is its own, the caller
// is kept there and r is returned as it is: no copy of the request and
// its context on every authenticated call. Otherwise it is
// r.WithContext(auth.WithActor(...)). Call it from the request's
// goroutine, before the calls that should see it.
func SetActor(r *http.Request, a auth.Actor) *http.Request {
	if ri, ok := r.Context().(*reqInfo); ok {
		ri.actor, ri.hasActor = a, true
		return r
	}
	return r.WithContext(auth.WithActor(r.Context(), a))
}

// noInfo is what info returns outside Wrap; never changed.
var noInfo = &reqInfo{}

func info(ctx context.Context) *reqInfo {
	v, _ := ctx.Value(ctxKey{}).(*reqInfo)
	if v == nil {
		return noInfo
	}
	return v
}

// RequestIDHeader carries the request ID back to the client.
const RequestIDHeader = "X-Request-Id"

// RequestID returns the ID of the request being served, or "".
func RequestID(ctx context.Context) string { return info(ctx).id }

// ClientIPFrom returns the client address of the request being served
// (as Wrap resolved it), or "". Code below the handler, such as an audit
// sink, reads it from the context.
func ClientIPFrom(ctx context.Context) string { return info(ctx).ip }

// TraceID returns the trace ID read from the Zap-Trace-Span header, or "".
func TraceID(ctx context.Context) string { return info(ctx).trace }

// newID sets ri.id to 96 random bits in hex. A request ID only has to
// be unique, not secret (a client may choose its own), so it comes from
// math/rand/v2's per-thread ChaCha8 generator, seeded from the system's
// entropy, rather than from a system call per request. Its digits are
// kept in ri, which is allocated per request anyway, and never written
// again: the string reads them there, without an allocation of its own.
func (ri *reqInfo) newID() {
	var b [12]byte
	binary.LittleEndian.PutUint64(b[:8], rand.Uint64())
	binary.LittleEndian.PutUint32(b[8:], rand.Uint32())
	hex.Encode(ri.idBytes[:], b[:])
	ri.id = unsafe.String(&ri.idBytes[0], len(ri.idBytes))
}

// acceptID keeps a caller-supplied request ID only when it is short and
// plain, so that nothing odd reaches logs or headers.
func acceptID(v string) bool {
	if v == "" || len(v) > 64 {
		return false
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// traceFromSpan reads the trace ID of an OpenTracing span context as
// InfluxDB clients send it in Zap-Trace-Span: Jaeger's
// "traceid:spanid:parentid:flags" text, or a JSON object with "trace_id".
func traceFromSpan(v string) string {
	if v == "" || len(v) > 512 {
		return ""
	}
	if i := strings.Index(v, `"trace_id"`); i >= 0 {
		rest := strings.TrimLeft(v[i+len(`"trace_id"`):], " :\t")
		rest = strings.TrimPrefix(rest, `"`)
		if j := strings.IndexAny(rest, `",} `); j > 0 {
			rest = rest[:j]
		}
		if acceptID(rest) {
			return rest
		}
		return ""
	}
	id, _, _ := strings.Cut(v, ":")
	if acceptID(id) {
		return id
	}
	return ""
}

// ClientIP returns the client address of r: as Wrap resolved it (behind
// a trusted proxy, the address the proxy names), else the socket peer's.
func ClientIP(r *http.Request) string {
	if ip := info(r.Context()).ip; ip != "" {
		return ip
	}
	return peerIP(r)
}

// Client describes the caller of r for the session record.
func Client(r *http.Request) auth.Client {
	ua := r.UserAgent()
	if len(ua) > 512 {
		ua = ua[:512]
	}
	return auth.Client{IP: ClientIP(r), UserAgent: ua}
}
