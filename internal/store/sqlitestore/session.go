package sqlitestore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"time"

	"github.com/sessiond/sessiond/internal/auth"
)

// Sessions is the SQLite session store (`--session-store sqlite`): sessions
// survive restarts. Expired rows are ignored by lookups and removed by
// Purge.
type Sessions struct{ *DB }

var _ auth.SessionStore = Sessions{}

// SessionStore returns the session store over this database.
func (d *DB) SessionStore() Sessions { return Sessions{d} }

const sessionCols = `id, token_hash, tenant_id, user_id, origin, created_at, expires_at, last_seen, ip, user_agent, device`

func scanSession(row interface{ Scan(...any) error }) (*auth.Session, error) {
	var s auth.Session
	var hash, origin, device string
	var created, expires, seen int64
	if err := row.Scan(&s.ID, &hash, &s.TenantID, &s.UserID, &origin, &created, &expires, &seen, &s.IP, &s.UserAgent, &device); err != nil {
		return nil, err
	}
	s.TokenHash, _ = auth.ParseHash(hash)
	s.Origin = auth.Origin(origin)
	s.CreatedAt, s.ExpiresAt, s.LastSeen = fromMS(created), fromMS(expires), fromMS(seen)
	if device != "" {
		if err := json.Unmarshal([]byte(device), &s.Device); err != nil {
			return nil, err
		}
	}
	return &s, nil
}

func (s Sessions) one(ctx context.Context, where string, arg any) (*auth.Session, error) {
	x, err := scanSession(s.db.QueryRowContext(ctx, `SELECT `+sessionCols+` FROM sessions WHERE `+where+` AND expires_at > ?`, arg, ms(s.now())))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, auth.ErrSessionNotFound
	}
	return x, storeErr("find session", err)
}

func (s Sessions) many(ctx context.Context, q string, args ...any) ([]*auth.Session, error) {
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, storeErr("list sessions", err)
	}
	defer rows.Close()
	var out []*auth.Session
	for rows.Next() {
		x, err := scanSession(rows)
		if err != nil {
			return nil, storeErr("list sessions", err)
		}
		out = append(out, x)
	}
	return out, storeErr("list sessions", rows.Err())
}

// deviceText is the device column: the headers as JSON, "" when none.
func deviceText(d map[string]string) string {
	if len(d) == 0 {
		return ""
	}
	b, _ := json.Marshal(d)
	return string(b)
}

// CreateSession implements auth.SessionStore.
func (s Sessions) CreateSession(ctx context.Context, x *auth.Session) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO sessions (`+sessionCols+`) VALUES (?,?,?,?,?,?,?,?,?,?,?)`,
		x.ID, x.TokenHash.String(), x.TenantID, x.UserID, string(x.Origin), ms(x.CreatedAt), ms(x.ExpiresAt), ms(x.LastSeen), x.IP, x.UserAgent, deviceText(x.Device))
	return storeErr("create session", err)
}

// SessionByTokenHash implements auth.SessionStore.
func (s Sessions) SessionByTokenHash(ctx context.Context, h auth.Hash) (*auth.Session, error) {
	return s.one(ctx, `token_hash = ?`, h.String())
}

// SessionByID implements auth.SessionStore.
func (s Sessions) SessionByID(ctx context.Context, id string) (*auth.Session, error) {
	return s.one(ctx, `id = ?`, id)
}

// TouchSession implements auth.SessionStore.
func (s Sessions) TouchSession(ctx context.Context, id string, lastSeen, expiresAt time.Time) error {
	return s.exec(ctx, "touch session", auth.ErrSessionNotFound,
		`UPDATE sessions SET last_seen = ?, expires_at = ? WHERE id = ? AND expires_at > ?`, ms(lastSeen), ms(expiresAt), id, ms(s.now()))
}

// UpdateSessionClient implements auth.SessionStore.
func (s Sessions) UpdateSessionClient(ctx context.Context, id string, seen time.Time, c auth.Client) error {
	return s.exec(ctx, "update session client", auth.ErrSessionNotFound,
		`UPDATE sessions SET last_seen = ?, ip = ?, user_agent = ?, device = ? WHERE id = ? AND expires_at > ?`,
		ms(seen), c.IP, c.UserAgent, deviceText(c.Device), id, ms(s.now()))
}

// DeleteSession implements auth.SessionStore.
func (s Sessions) DeleteSession(ctx context.Context, id string) error {
	return s.exec(ctx, "delete session", auth.ErrSessionNotFound, `DELETE FROM sessions WHERE id = ?`, id)
}

// UserSessions implements auth.SessionStore.
func (s Sessions) UserSessions(ctx context.Context, tenantID, userID string) ([]*auth.Session, error) {
	return s.many(ctx, `SELECT `+sessionCols+` FROM sessions WHERE tenant_id = ? AND user_id = ? AND expires_at > ? ORDER BY created_at DESC, id DESC`,
		tenantID, userID, ms(s.now()))
}

// CountUserSessions implements auth.SessionStore (exact, through the
// sessions_user index).
func (s Sessions) CountUserSessions(ctx context.Context, tenantID, userID string) (int, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM sessions WHERE tenant_id = ? AND user_id = ? AND expires_at > ?`, tenantID, userID, ms(s.now())).Scan(&n)
	return n, storeErr("count user sessions", err)
}

// DeleteUserSessions implements auth.SessionStore.
func (s Sessions) DeleteUserSessions(ctx context.Context, tenantID, userID, except string) (int, error) {
	res, err := s.db.ExecContext(ctx, `DELETE FROM sessions WHERE tenant_id = ? AND user_id = ? AND id <> ?`, tenantID, userID, except)
	if err != nil {
		return 0, storeErr("delete user sessions", err)
	}
	n, err := res.RowsAffected()
	return int(n), storeErr("delete user sessions", err)
}

// ListSessions implements auth.SessionStore.
func (s Sessions) ListSessions(ctx context.Context, f auth.SessionFilter) ([]*auth.Session, error) {
	q, args := `SELECT `+sessionCols+` FROM sessions WHERE expires_at > ? AND id > ?`, []any{ms(s.now()), f.After}
	if f.TenantID != "" {
		q += ` AND tenant_id = ?`
		args = append(args, f.TenantID)
	}
	q += ` ORDER BY id`
	if f.Limit > 0 {
		q += ` LIMIT ?`
		args = append(args, f.Limit)
	}
	return s.many(ctx, q, args...)
}

// CountSessions implements auth.SessionStore.
func (s Sessions) CountSessions(ctx context.Context) (int, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM sessions WHERE expires_at > ?`, ms(s.now())).Scan(&n)
	return n, storeErr("count sessions", err)
}

// Purge deletes sessions that expired before now, at most limit of them,
// and returns how many it deleted.
func (s Sessions) Purge(ctx context.Context, limit int) (int, error) {
	res, err := s.db.ExecContext(ctx, `DELETE FROM sessions WHERE id IN (SELECT id FROM sessions WHERE expires_at <= ? LIMIT ?)`, ms(s.now()), limit)
	if err != nil {
		return 0, storeErr("purge sessions", err)
	}
	n, err := res.RowsAffected()
	return int(n), storeErr("purge sessions", err)
}
