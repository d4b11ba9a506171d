package influxapi

import (
	"github.com/sessiond/sessiond/internal/httpkit"
	"net/http"
	"sync"
)

// The session check's answer, GET /api/v2/me, is written by hand: it is the
// hottest response of the dialect and json.MarshalIndent costs more than
// the rest of the request. The bytes are exactly MarshalIndent's (a test
// compares them over many names).

// appendUserResponse appends newUserResponse(u) as respond would write it.
func appendUserResponse(b []byte, v userResponse) []byte {
	b = append(b, "{\n\t\"links\": {\n\t\t\"self\": "...)
	b = appendString(b, v.Links.Self)
	b = append(b, "\n\t},\n\t\"id\": "...)
	b = appendString(b, v.ID)
	b = append(b, ",\n\t\"name\": "...)
	b = appendString(b, v.Name)
	if v.OAuthID != "" {
		b = append(b, ",\n\t\"oauthID\": "...)
		b = appendString(b, v.OAuthID)
	}
	b = append(b, ",\n\t\"status\": "...)
	b = appendString(b, v.Status)
	return append(b, "\n}"...)
}

// appendString appends s as json.Marshal writes it.
func appendString(b []byte, s string) []byte { return httpkit.AppendJSONString(b, s, true) }

var userBufs = sync.Pool{New: func() any { b := make([]byte, 0, 256); return &b }}

// respondUser writes a userResponse with status.
func respondUser(w http.ResponseWriter, status int, v userResponse) {
	bp := userBufs.Get().(*[]byte)
	b := appendUserResponse((*bp)[:0], v)
	w.Header()["Content-Type"] = jsonContentType
	w.WriteHeader(status)
	w.Write(b)
	*bp = b
	userBufs.Put(bp)
}
