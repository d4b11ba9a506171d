package server

import (
	"context"
	"log/slog"
	"strings"

	"github.com/sessiond/sessiond/internal/auth"
	"github.com/sessiond/sessiond/internal/httpkit"
)

// eventLog is the auth.Auditor that writes the core's sign-in, sign-out,
// revoke and lockout events to the server log, one line each, at info
// (lockouts at warn): the operator sees who signed in how, and what was
// ended, at the default log level. Events hold no secret; the lockout
// line gives the kind of lock only, not the login as typed (which the
// audit log keeps).
type eventLog struct{ log *slog.Logger }

func (l eventLog) Record(ctx context.Context, e auth.Event) {
	var msg string
	level := slog.LevelInfo
	switch e.Type {
	case auth.EventSignIn:
		msg = "sign-in"
	case auth.EventSignOut:
		msg = "sign-out"
	case auth.EventSessionRevoke, auth.EventSessionRevokeAll:
		msg = "revoke"
	case auth.EventLockout:
		msg, level = "lockout", slog.LevelWarn
	default:
		return
	}
	attrs := []slog.Attr{slog.String("event", e.Type)}
	add := func(k, v string) {
		if v != "" {
			attrs = append(attrs, slog.String(k, v))
		}
	}
	add("outcome", e.Outcome)
	add("api", string(e.Origin))
	add("method", string(e.Method))
	add("tenant", e.TenantID)
	add("user", e.User)
	add("session", e.Session)
	if e.Type == auth.EventLockout {
		kind, _, _ := strings.Cut(e.Target, ":")
		add("lock", kind)
	}
	if e.Actor.UserID != "" {
		add("by_user", e.Actor.UserID)
	}
	ip := e.IP
	if ip == "" {
		ip = httpkit.ClientIPFrom(ctx)
	}
	add("ip", ip)
	add("request_id", httpkit.RequestID(ctx))
	l.log.LogAttrs(ctx, level, msg, attrs...)
}
