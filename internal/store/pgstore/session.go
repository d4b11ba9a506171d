package pgstore

import (
	"context"
	"encoding/json"
	"strconv"
	"time"

	"github.com/sessiond/sessiond/internal/auth"
)

// Sessions is the PostgreSQL session store (`--session-store postgres`),
// for those who have no Redis. Every expiry check compares with the
// store's clock, passed as a parameter, never the server's NOW(), so that
// instances agree with their own clocks and tests can inject one. Expired
// rows are ignored by lookups and removed by Purge.
type Sessions struct{ *DB }

var _ auth.SessionStore = Sessions{}

// SessionStore returns the session store over this database.
func (d *DB) SessionStore() Sessions { return Sessions{d} }

const sessionCols = `id, token_hash, tenant_id, user_id, origin, created_at, expires_at, last_seen, ip, user_agent, device`

func scanSession(row rowScanner) (*auth.Session, error) {
	var s auth.Session
	var hash, device []byte
	var origin string
	if err := row.Scan(&s.ID, &hash, &s.TenantID, &s.UserID, &origin, &s.CreatedAt, &s.ExpiresAt, &s.LastSeen, &s.IP, &s.UserAgent, &device); err != nil {
		return nil, err
	}
	s.TokenHash, s.Origin = toHash(hash), auth.Origin(origin)
	s.CreatedAt, s.ExpiresAt, s.LastSeen = s.CreatedAt.UTC(), s.ExpiresAt.UTC(), s.LastSeen.UTC()
	if len(device) > 0 {
		if err := json.Unmarshal(device, &s.Device); err != nil {
			return nil, err
		}
	}
	return &s, nil
}

func (s Sessions) one(ctx context.Context, where string, arg any) (*auth.Session, error) {
	x, err := scanSession(s.pool.QueryRow(ctx, `SELECT `+sessionCols+` FROM sessions WHERE `+where+` AND expires_at > $2`, arg, s.now()))
	if noRow(err) {
		return nil, auth.ErrSessionNotFound
	}
	return x, storeErr("find session", err)
}

// deviceJSON is the device parameter: the headers as JSON, NULL when none.
func deviceJSON(d map[string]string) any {
	if len(d) == 0 {
		return nil
	}
	return jsonText(d, "{}")
}

// CreateSession implements auth.SessionStore.
func (s Sessions) CreateSession(ctx context.Context, x *auth.Session) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO sessions (`+sessionCols+`) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11)`,
		x.ID, x.TokenHash[:], x.TenantID, x.UserID, string(x.Origin), x.CreatedAt, x.ExpiresAt, x.LastSeen, x.IP, x.UserAgent, deviceJSON(x.Device))
	return storeErr("create session", err)
}

// SessionByTokenHash implements auth.SessionStore.
func (s Sessions) SessionByTokenHash(ctx context.Context, h auth.Hash) (*auth.Session, error) {
	return s.one(ctx, `token_hash = $1`, h[:])
}

// SessionByID implements auth.SessionStore.
func (s Sessions) SessionByID(ctx context.Context, id string) (*auth.Session, error) {
	return s.one(ctx, `id = $1`, id)
}

// TouchSession implements auth.SessionStore.
func (s Sessions) TouchSession(ctx context.Context, id string, lastSeen, expiresAt time.Time) error {
	return s.exec(ctx, "touch session", auth.ErrSessionNotFound,
		`UPDATE sessions SET last_seen = $1, expires_at = $2 WHERE id = $3 AND expires_at > $4`, lastSeen, expiresAt, id, s.now())
}

// UpdateSessionClient implements auth.SessionStore.
func (s Sessions) UpdateSessionClient(ctx context.Context, id string, seen time.Time, c auth.Client) error {
	return s.exec(ctx, "update session client", auth.ErrSessionNotFound,
		`UPDATE sessions SET last_seen = $1, ip = $2, user_agent = $3, device = $4 WHERE id = $5 AND expires_at > $6`,
		seen, c.IP, c.UserAgent, deviceJSON(c.Device), id, s.now())
}

// DeleteSession implements auth.SessionStore.
func (s Sessions) DeleteSession(ctx context.Context, id string) error {
	return s.exec(ctx, "delete session", auth.ErrSessionNotFound, `DELETE FROM sessions WHERE id = $1`, id)
}

// UserSessions implements auth.SessionStore.
func (s Sessions) UserSessions(ctx context.Context, tenantID, userID string) ([]*auth.Session, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+sessionCols+` FROM sessions WHERE tenant_id = $1 AND user_id = $2 AND expires_at > $3 ORDER BY created_at DESC, id DESC`,
		tenantID, userID, s.now())
	return collect(rows, err, "user sessions", scanSession)
}

// CountUserSessions implements auth.SessionStore (exact, through the
// sessions_user index).
func (s Sessions) CountUserSessions(ctx context.Context, tenantID, userID string) (int, error) {
	var n int
	err := s.pool.QueryRow(ctx, `SELECT COUNT(*) FROM sessions WHERE tenant_id = $1 AND user_id = $2 AND expires_at > $3`, tenantID, userID, s.now()).Scan(&n)
	return n, storeErr("count user sessions", err)
}

// DeleteUserSessions implements auth.SessionStore.
func (s Sessions) DeleteUserSessions(ctx context.Context, tenantID, userID, except string) (int, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM sessions WHERE tenant_id = $1 AND user_id = $2 AND id <> $3`, tenantID, userID, except)
	if err != nil {
		return 0, storeErr("delete user sessions", err)
	}
	return int(tag.RowsAffected()), nil
}

// ListSessions implements auth.SessionStore.
func (s Sessions) ListSessions(ctx context.Context, f auth.SessionFilter) ([]*auth.Session, error) {
	q, args := `SELECT `+sessionCols+` FROM sessions WHERE expires_at > $1 AND id > $2`, []any{s.now(), f.After}
	if f.TenantID != "" {
		args = append(args, f.TenantID)
		q += ` AND tenant_id = $3`
	}
	q += ` ORDER BY id`
	if f.Limit > 0 {
		args = append(args, f.Limit)
		q += ` LIMIT $` + strconv.Itoa(len(args))
	}
	rows, err := s.pool.Query(ctx, q, args...)
	return collect(rows, err, "list sessions", scanSession)
}

// CountSessions implements auth.SessionStore.
func (s Sessions) CountSessions(ctx context.Context) (int, error) {
	var n int
	err := s.pool.QueryRow(ctx, `SELECT COUNT(*) FROM sessions WHERE expires_at > $1`, s.now()).Scan(&n)
	return n, storeErr("count sessions", err)
}

// Purge deletes sessions that expired before now, at most limit of them,
// and returns how many it deleted.
func (s Sessions) Purge(ctx context.Context, limit int) (int, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM sessions WHERE id IN (SELECT id FROM sessions WHERE expires_at <= $1 LIMIT $2)`, s.now(), limit)
	if err != nil {
		return 0, storeErr("purge sessions", err)
	}
	return int(tag.RowsAffected()), nil
}
