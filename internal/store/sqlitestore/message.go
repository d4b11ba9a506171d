package sqlitestore

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/sessiond/sessiond/internal/auth"
)

const messageCols = `id, tenant_id, channel, recipient, purpose, code, subject, body, status, attempts, next_attempt, last_error, created_at, updated_at, expires_at, sent_at`

func scanMessage(row interface{ Scan(...any) error }) (*auth.Message, error) {
	var m auth.Message
	var channel, purpose, status string
	var next, created, updated, expires, sent int64
	if err := row.Scan(&m.ID, &m.TenantID, &channel, &m.Recipient, &purpose, &m.Code, &m.Subject, &m.Body, &status,
		&m.Attempts, &next, &m.LastError, &created, &updated, &expires, &sent); err != nil {
		return nil, err
	}
	m.Channel, m.Purpose, m.Status = auth.Channel(channel), auth.OTPScope(purpose), auth.MessageStatus(status)
	m.NextAttempt, m.CreatedAt, m.UpdatedAt, m.ExpiresAt = fromMS(next), fromMS(created), fromMS(updated), fromMS(expires)
	if sent != 0 {
		m.SentAt = fromMS(sent)
	}
	return &m, nil
}

// EnqueueMessage implements auth.MessageStore.
func (d *DB) EnqueueMessage(ctx context.Context, m *auth.Message) error {
	_, err := d.db.ExecContext(ctx, `INSERT INTO messages (`+messageCols+`) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`,
		m.ID, m.TenantID, string(m.Channel), m.Recipient, string(m.Purpose), m.Code, m.Subject, m.Body, string(auth.MessageQueued),
		m.Attempts, ms(m.NextAttempt), m.LastError, ms(m.CreatedAt), ms(m.UpdatedAt), ms(m.ExpiresAt), msOrZero(m.SentAt))
	return storeErr("enqueue message", err)
}

// ClaimMessages implements auth.MessageStore: one UPDATE ... RETURNING,
// which SQLite runs under its one write lock.
func (d *DB) ClaimMessages(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]*auth.Message, error) {
	rows, err := d.db.QueryContext(ctx, `UPDATE messages SET next_attempt = ?, attempts = attempts + 1, updated_at = ?
		WHERE id IN (SELECT id FROM messages WHERE status = ? AND next_attempt <= ? ORDER BY next_attempt, id LIMIT ?)
		RETURNING `+messageCols,
		ms(now.Add(lease)), ms(now), string(auth.MessageQueued), ms(now), limit)
	if err != nil {
		return nil, storeErr("claim messages", err)
	}
	defer rows.Close()
	var out []*auth.Message
	for rows.Next() {
		m, err := scanMessage(rows)
		if err != nil {
			return nil, storeErr("claim messages", err)
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, storeErr("claim messages", err)
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
	res, err := d.db.ExecContext(ctx, `UPDATE messages SET status = ?, next_attempt = ?, last_error = ?, code = ?, body = ?, subject = ?, sent_at = ?, updated_at = ?
		WHERE id = ? AND attempts = ?`,
		string(m.Status), ms(m.NextAttempt), m.LastError, m.Code, m.Body, m.Subject, msOrZero(m.SentAt), ms(m.UpdatedAt), m.ID, m.Attempts)
	if err != nil {
		return storeErr("finish message", err)
	}
	if n, err := res.RowsAffected(); err != nil || n > 0 {
		if err == nil && m.Code == "" && m.Body == "" {
			d.sc.request() // the code is gone from the row: see it gone from the disk (scrub.go)
		}
		return storeErr("finish message", err)
	}
	if _, err := d.MessageByID(ctx, m.ID); err != nil {
		return err
	}
	return &auth.Error{Code: auth.EConflict, Msg: "message claimed again", Op: "finish message"}
}

// MessageByID implements auth.MessageStore.
func (d *DB) MessageByID(ctx context.Context, id string) (*auth.Message, error) {
	m, err := scanMessage(d.db.QueryRowContext(ctx, `SELECT `+messageCols+` FROM messages WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, auth.ErrMessageNotFound
	}
	return m, storeErr("message by id", err)
}

// CountMessages implements auth.MessageStore.
func (d *DB) CountMessages(ctx context.Context, status auth.MessageStatus) (int, error) {
	var n int
	err := d.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM messages WHERE status = ?`, string(status)).Scan(&n)
	return n, storeErr("count messages", err)
}

// PurgeMessages implements auth.MessageStore.
func (d *DB) PurgeMessages(ctx context.Context, before time.Time, limit int) (int, error) {
	res, err := d.db.ExecContext(ctx, `DELETE FROM messages WHERE id IN (SELECT id FROM messages WHERE status <> ? AND updated_at < ? LIMIT ?)`,
		string(auth.MessageQueued), ms(before), limit)
	if err != nil {
		return 0, storeErr("purge messages", err)
	}
	n, err := res.RowsAffected()
	return int(n), storeErr("purge messages", err)
}
