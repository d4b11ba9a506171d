package rocketapi

import (
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/sessiond/sessiond/internal/httpkit"
)

// The answer to GET /api/v1/me is written by hand: it is the dialect's
// hot path, and reflection-based encoding was a third of its CPU. The bytes
// are exactly what respond (encoding/json without HTML escaping) writes
// for a meResponse; TestAppendMeMatchesJSON holds it to that.

// appendMe appends m, with "success": true, as respond would write a
// meResponse.
func appendMe(b []byte, m *meUser) []byte {
	b = append(b, `{"_id":`...)
	b = str(b, m.ID)
	b = append(b, `,"type":`...)
	b = str(b, m.Type)
	b = append(b, `,"username":`...)
	b = str(b, m.Username)
	b = append(b, `,"name":`...)
	b = str(b, m.Name)
	if len(m.Emails) > 0 {
		b = append(b, `,"emails":[`...)
		for i, e := range m.Emails {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"address":`...)
			b = str(b, e.Address)
			b = append(b, `,"verified":`...)
			b = strconv.AppendBool(b, e.Verified)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	b = append(b, `,"status":`...)
	b = str(b, m.Status)
	b = append(b, `,"statusConnection":`...)
	b = str(b, m.StatusConnection)
	b = append(b, `,"utcOffset":`...)
	b = strconv.AppendInt(b, int64(m.UTCOffset), 10)
	b = append(b, `,"active":`...)
	b = strconv.AppendBool(b, m.Active)
	b = append(b, `,"roles":`...)
	if m.Roles == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i, r := range m.Roles {
			if i > 0 {
				b = append(b, ',')
			}
			b = str(b, r)
		}
		b = append(b, ']')
	}
	// Settings are always empty objects here (newMe never fills them).
	b = append(b, `,"settings":{"profile":{},"preferences":{}},"services":{"password":{"exists":`...)
	b = strconv.AppendBool(b, m.Services.Password.Exists)
	b = append(b, '}')
	for _, svc := range []struct {
		name string
		e    *enabled
	}{{`,"totp":`, m.Services.TOTP}, {`,"email2fa":`, m.Services.Email2FA}} {
		if svc.e != nil {
			b = append(b, svc.name...)
			b = append(b, `{"enabled":`...)
			b = strconv.AppendBool(b, svc.e.Enabled)
			b = append(b, '}')
		}
	}
	b = append(b, `},"avatarUrl":`...)
	b = str(b, m.AvatarURL)
	b = append(b, `,"isOAuthUser":`...)
	b = strconv.AppendBool(b, m.IsOAuthUser)
	b = append(b, `,"requirePasswordChange":`...)
	b = strconv.AppendBool(b, m.RequirePassword)
	b = append(b, `,"createdAt":`...)
	b = appendISO(b, time.Time(m.CreatedAt))
	b = append(b, `,"_updatedAt":`...)
	b = appendISO(b, time.Time(m.UpdatedAt))
	return append(b, `,"success":true}`...)
}

func str(b []byte, s string) []byte { return httpkit.AppendJSONString(b, s, false) }

// appendISO appends t quoted, as isoTime's MarshalText writes it.
func appendISO(b []byte, t time.Time) []byte {
	b = append(b, '"')
	b = httpkit.AppendTimeMillis(b, t)
	return append(b, '"')
}

var meBufs = sync.Pool{New: func() any { b := make([]byte, 0, 512); return &b }}

// respondMe writes the answer to GET /api/v1/me.
func respondMe(w http.ResponseWriter, m *meUser) {
	bp := meBufs.Get().(*[]byte)
	b := appendMe((*bp)[:0], m)
	setJSONHeaders(w.Header())
	w.WriteHeader(http.StatusOK)
	w.Write(b)
	if cap(b) <= 4<<10 {
		*bp = b
		meBufs.Put(bp)
	}
}
