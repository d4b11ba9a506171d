package courier

import (
	"context"
	"log/slog"

	"github.com/sessiond/sessiond/internal/auth"
)

// Log is the development channel (--courier log): the message, code
// included, is written to the log and nowhere else.
type Log struct {
	Logger *slog.Logger
}

// Name implements Channel.
func (Log) Name() string { return "log" }

// Deliver implements Channel.
func (l Log) Deliver(_ context.Context, m *auth.Message) error {
	l.Logger.Warn("courier message (log channel: not sent)", "message", m.ID, "tenant", m.TenantID, "channel", m.Channel,
		"to", m.Recipient, "purpose", m.Purpose, "subject", m.Subject, "body", m.Body)
	return nil
}
