// Package audit writes the core's security events (auth.Event) as JSON
// lines, one event a line, to a file or stream. It adds what only the HTTP
// layer knows: the request ID, and the client address when the core had
// none. Events hold no secret by construction; this package adds none.
package audit

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/sessiond/sessiond/internal/auth"
	"github.com/sessiond/sessiond/internal/httpkit"
)

// Log is an auth.Auditor writing JSON lines to w.
type Log struct {
	mu  sync.Mutex
	w   io.Writer
	log *slog.Logger
}

var _ auth.Auditor = (*Log)(nil)

// New returns a Log writing to w. Write failures go to log (discarded
// when nil); they never fail the audited operation.
func New(w io.Writer, log *slog.Logger) *Log {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Log{w: w, log: log}
}

// line is the JSON shape of one event. Names are stable: tools parse them.
type line struct {
	Time      time.Time `json:"time"`
	Event     string    `json:"event"`
	Outcome   string    `json:"outcome,omitempty"`
	Tenant    string    `json:"tenant,omitempty"`
	Actor     *actor    `json:"actor,omitempty"`
	User      string    `json:"user,omitempty"`
	Session   string    `json:"session,omitempty"`
	Target    string    `json:"target,omitempty"`
	IP        string    `json:"ip,omitempty"`
	RequestID string    `json:"request_id,omitempty"`
	API       string    `json:"api,omitempty"`
	Method    string    `json:"method,omitempty"`
	Detail    string    `json:"detail,omitempty"`
}

type actor struct {
	User    string `json:"user,omitempty"`
	Tenant  string `json:"tenant,omitempty"`
	Session string `json:"session,omitempty"`
	Token   string `json:"token,omitempty"`
}

// Record implements auth.Auditor.
func (l *Log) Record(ctx context.Context, e auth.Event) {
	ln := line{
		Time: e.Time, Event: e.Type, Outcome: e.Outcome, Tenant: e.TenantID, User: e.User, Session: e.Session,
		Target: e.Target, IP: e.IP, RequestID: httpkit.RequestID(ctx), API: string(e.Origin), Method: string(e.Method), Detail: e.Detail,
	}
	if ln.Time.IsZero() {
		ln.Time = time.Now().UTC()
	}
	if ln.IP == "" {
		ln.IP = httpkit.ClientIPFrom(ctx)
	}
	if a := e.Actor; a != (auth.Actor{}) {
		ln.Actor = &actor{User: a.UserID, Tenant: a.TenantID, Session: a.SessionID, Token: a.TokenID}
	}
	b, err := json.Marshal(ln)
	if err != nil {
		l.log.Error("audit event not written", "event", e.Type, "err", err)
		return
	}
	b = append(b, '\n')
	l.mu.Lock()
	_, err = l.w.Write(b)
	l.mu.Unlock()
	if err != nil {
		l.log.Error("audit event not written", "event", e.Type, "err", err)
	}
}
