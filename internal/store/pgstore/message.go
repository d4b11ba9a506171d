package pgstore

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/sessiond/sessiond/internal/auth"
)

const messageCols = `id, tenant_id, channel, recipient, purpose, code, subject, body, status, attempts, next_attempt, last_error, created_at, updated_at, expires_at, sent_at`

func scanMessage(row rowScanner) (*auth.Message, error) {
	var m auth.Message
	var channel, purpose, status string
	var sent *time.Time
	if err := row.Scan(&m.ID, &m.TenantID, &channel, &m.Recipient, &purpose, &m.Code, &m.Subject, &m.Body, &status,
		&m.Attempts, &m.NextAttempt, &m.LastError, &m.CreatedAt, &m.UpdatedAt, &m.ExpiresAt, &sent); err != nil {
		return nil, err
	}
	m.Channel, m.Purpose, m.Status = auth.Channel(channel), auth.OTPScope(purpose), auth.MessageStatus(status)
	m.NextAttempt, m.CreatedAt, m.UpdatedAt, m.ExpiresAt = m.NextAttempt.UTC(), m.CreatedAt.UTC(), m.UpdatedAt.UTC(), m.ExpiresAt.UTC()
	if sent != nil {
		m.SentAt = sent.UTC()
	}
	return &m, nil
}

// timeOrNull is t as a parameter: NULL when zero.
func timeOrNull(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t
}

// EnqueueMessage implements auth.MessageStore.
func (d *DB) EnqueueMessage(ctx context.Context, m *auth.Message) error {
	_, err := d.pool.Exec(ctx, `INSERT INTO messages (`+messageCols+`) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16)`,
		m.ID, m.TenantID, string(m.Channel), m.Recipient, string(m.Purpose), m.Code, m.Subject, m.Body, string(auth.MessageQueued),
		m.Attempts, m.NextAttempt, m.LastError, m.CreatedAt, m.UpdatedAt, m.ExpiresAt, timeOrNull(m.SentAt))
	return storeErr("enqueue message", err)
}

// ClaimMessages implements auth.MessageStore: one UPDATE over rows locked
// with SKIP LOCKED, so instances claiming at once take different messages.
func (d *DB) ClaimMessages(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]*auth.Message, error) {
	rows, err := d.pool.Query(ctx, `UPDATE messages SET next_attempt = $1, attempts = attempts + 1, updated_at = $2
		WHERE id IN (SELECT id FROM messages WHERE status = $3 AND next_attempt <= $2 ORDER BY next_attempt, id LIMIT $4 FOR UPDATE SKIP LOCKED)
		RETURNING `+messageCols,
		now.Add(lease), now, string(auth.MessageQueued), limit)
	out, err := collect(rows, err, "claim messages", scanMessage)
	if err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(a, b *auth.Message) int {
		if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out, nil
}

// FinishMessage implements auth.MessageStore.
func (d *DB) FinishMessage(ctx context.Context, m *auth.Message) error {
	tag, err := d.pool.Exec(ctx, `UPDATE messages SET status = $1, next_attempt = $2, last_error = $3, code = $4, body = $5, subject = $6, sent_at = $7, updated_at = $8
		WHERE id = $9 AND attempts = $10`,
		string(m.Status), m.NextAttempt, m.LastError, m.Code, m.Body, m.Subject, timeOrNull(m.SentAt), m.UpdatedAt, m.ID, m.Attempts)
	if err != nil {
		return storeErr("finish message", err)
	}
	if tag.RowsAffected() > 0 {
		return nil
	}
	if _, err := d.MessageByID(ctx, m.ID); err != nil {
		return err
	}
	return &auth.Error{Code: auth.EConflict, Msg: "message claimed again", Op: "finish message"}
}

// MessageByID implements auth.MessageStore.
func (d *DB) MessageByID(ctx context.Context, id string) (*auth.Message, error) {
	m, err := scanMessage(d.pool.QueryRow(ctx, `SELECT `+messageCols+` FROM messages WHERE id = $1`, id))
	if noRow(err) {
		return nil, auth.ErrMessageNotFound
	}
	return m, storeErr("message by id", err)
}

// CountMessages implements auth.MessageStore.
func (d *DB) CountMessages(ctx context.Context, status auth.MessageStatus) (int, error) {
	var n int
	err := d.pool.QueryRow(ctx, `SELECT COUNT(*) FROM messages WHERE status = $1`, string(status)).Scan(&n)
	return n, storeErr("count messages", err)
}

// PurgeMessages implements auth.MessageStore.
func (d *DB) PurgeMessages(ctx context.Context, before time.Time, limit int) (int, error) {
	tag, err := d.pool.Exec(ctx, `DELETE FROM messages WHERE id IN (SELECT id FROM messages WHERE status <> $1 AND updated_at < $2 LIMIT $3)`,
		string(auth.MessageQueued), before, limit)
	if err != nil {
		return 0, storeErr("purge messages", err)
	}
	return int(tag.RowsAffected()), nil
}
