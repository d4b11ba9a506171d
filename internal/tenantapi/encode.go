package tenantapi

import (
	"encoding/json"
	"slices"
	"sync"
	"time"

	"github.com/sessiond/sessiond/internal/httpkit"
)

// GET /auth/me answers on every page load of a tenant's app, so its body
// is written without reflection: types that implement appender write
// themselves byte for byte as encoding/json would (TestAppendMatchesJSON
// holds them to it), and everything else goes through json.Marshal.

// appender is a response body that appends its JSON encoding to b.
type appender interface {
	appendJSON(b []byte) []byte
}

// encode is env as JSON.
func encode(env envelope) ([]byte, error) {
	a, ok := env.Data.(appender)
	if !ok || env.Error != nil {
		return json.Marshal(env)
	}
	b := appendEnvelopeHead(make([]byte, 0, 1024), env.Meta)
	b = a.appendJSON(b)
	return append(b, '}'), nil
}

// appendEnvelopeHead appends the envelope's meta and the "data" key;
// the data and a closing brace complete it.
func appendEnvelopeHead(b []byte, m meta) []byte {
	b = append(b, `{"meta":{"requestId":`...)
	b = appendString(b, m.RequestID)
	b = append(b, `,"timestamp":`...)
	b = appendStamp(b, time.Time(m.Timestamp))
	return append(b, `},"data":`...)
}

// bodies are the buffers appended answers are written from.
var bodies = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

// appendString appends s as json.Marshal writes it.
func appendString(b []byte, s string) []byte { return httpkit.AppendJSONString(b, s, true) }

// appendStamp appends t as a quoted timeLayout time.
func appendStamp(b []byte, t time.Time) []byte {
	b = append(b, '"')
	return append(httpkit.AppendTimeMillis(b, t), '"')
}

func appendBool(b []byte, v bool) []byte {
	if v {
		return append(b, "true"...)
	}
	return append(b, "false"...)
}

func (m *meResponse) appendJSON(b []byte) []byte {
	b = append(b, `{"user":`...)
	b = m.User.appendJSON(b)
	b = append(b, `,"session":`...)
	b = m.Session.appendJSON(b)
	return append(b, '}')
}

func (u *userResponse) appendJSON(b []byte) []byte {
	b = append(b, `{"id":`...)
	b = appendString(b, u.ID)
	if u.Email != "" {
		b = append(b, `,"email":`...)
		b = appendString(b, u.Email)
	}
	b = append(b, `,"emailVerified":`...)
	b = appendBool(b, u.EmailVerified)
	b = append(b, `,"method":`...)
	b = appendString(b, u.Method)
	b = append(b, `,"status":`...)
	b = appendString(b, u.Status)
	b = append(b, `,"createdAt":`...)
	b = appendStamp(b, time.Time(u.CreatedAt))
	return append(b, '}')
}

func (s *sessionResponse) appendJSON(b []byte) []byte {
	b = append(b, `{"id":`...)
	b = appendString(b, s.ID)
	b = append(b, `,"origin":`...)
	b = appendString(b, s.Origin)
	b = append(b, `,"createdAt":`...)
	b = appendStamp(b, time.Time(s.CreatedAt))
	b = append(b, `,"expireAt":`...)
	b = appendStamp(b, time.Time(s.ExpireAt))
	b = append(b, `,"lastSeenAt":`...)
	b = appendStamp(b, time.Time(s.LastSeenAt))
	b = append(b, `,"ip":`...)
	b = appendString(b, s.IP)
	b = append(b, `,"userAgent":`...)
	b = appendString(b, s.UserAgent)
	b = append(b, `,"device":`...)
	b = appendStringMap(b, s.Device)
	b = append(b, `,"current":`...)
	b = appendBool(b, s.Current)
	return append(b, '}')
}

// sortedClientHeaders are clientHeaders in the order JSON objects list
// them.
var sortedClientHeaders = slices.Sorted(slices.Values(clientHeaders))

// appendStringMap appends m as a JSON object with sorted keys, or null.
// A session's device holds client headers alone, which are written in
// their known order without sorting.
func appendStringMap(b []byte, m map[string]string) []byte {
	if m == nil {
		return append(b, "null"...)
	}
	if len(m) <= len(sortedClientHeaders) {
		start, n := len(b), 0
		b = append(b, '{')
		for _, k := range sortedClientHeaders {
			v, ok := m[k]
			if !ok {
				continue
			}
			if n > 0 {
				b = append(b, ',')
			}
			n++
			b = appendString(b, k)
			b = append(b, ':')
			b = appendString(b, v)
		}
		if n == len(m) {
			return append(b, '}')
		}
		b = b[:start] // another key: sorted below
	}
	keys := make([]string, 0, 8)
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	b = append(b, '{')
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, k)
		b = append(b, ':')
		b = appendString(b, m[k])
	}
	return append(b, '}')
}
