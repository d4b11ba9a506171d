package sqlitestore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"

	"github.com/sessiond/sessiond/internal/auth"
)

var (
	_ auth.UserStore   = (*DB)(nil)
	_ auth.TenantStore = (*DB)(nil)
	_ auth.TokenStore  = (*DB)(nil)
)

const userCols = `id, tenant_id, name, COALESCE(email, ''), state, admin, password_hash, digest_hash, presence, created_at, updated_at, email_verified`

func scanUser(row interface{ Scan(...any) error }) (*auth.User, error) {
	var u auth.User
	var state string
	var created, updated int64
	if err := row.Scan(&u.ID, &u.TenantID, &u.Name, &u.Email, &state, &u.Admin, &u.PasswordHash, &u.DigestHash, &u.Presence, &created, &updated, &u.EmailVerified); err != nil {
		return nil, err
	}
	u.State, u.CreatedAt, u.UpdatedAt = auth.UserState(state), fromMS(created), fromMS(updated)
	return &u, nil
}

func (d *DB) oneUser(ctx context.Context, op, where string, args ...any) (*auth.User, error) {
	u, err := scanUser(d.db.QueryRowContext(ctx, `SELECT `+userCols+` FROM users WHERE `+where, args...))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, auth.ErrUserNotFound
	}
	return u, storeErr(op, err)
}

// CreateUser implements auth.UserStore.
func (d *DB) CreateUser(ctx context.Context, u *auth.User) error {
	_, err := d.db.ExecContext(ctx, `INSERT INTO users (id, tenant_id, name, email, state, admin, password_hash, digest_hash, presence, created_at, updated_at, email_verified) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)`,
		u.ID, u.TenantID, u.Name, nullable(u.Email), string(u.State), u.Admin, u.PasswordHash, u.DigestHash, u.Presence, ms(u.CreatedAt), ms(u.UpdatedAt), u.EmailVerified)
	return storeErr("create user", err)
}

// UserByID implements auth.UserStore.
func (d *DB) UserByID(ctx context.Context, tenantID, id string) (*auth.User, error) {
	return d.oneUser(ctx, "user by id", `tenant_id = ? AND id = ?`, tenantID, id)
}

// UserByName implements auth.UserStore.
func (d *DB) UserByName(ctx context.Context, tenantID, name string) (*auth.User, error) {
	return d.oneUser(ctx, "user by name", `tenant_id = ? AND name = ?`, tenantID, name)
}

// UserByEmail implements auth.UserStore.
func (d *DB) UserByEmail(ctx context.Context, tenantID, email string) (*auth.User, error) {
	if email == "" {
		return nil, auth.ErrUserNotFound
	}
	return d.oneUser(ctx, "user by email", `tenant_id = ? AND email = ?`, tenantID, email)
}

// ListUsers implements auth.UserStore.
func (d *DB) ListUsers(ctx context.Context, f auth.UserFilter) ([]*auth.User, error) {
	q := `SELECT ` + userCols + ` FROM users WHERE tenant_id = ? AND id > ?`
	args := []any{f.TenantID, f.After}
	if f.Search != "" {
		q += ` AND (instr(name, ?) > 0 OR instr(COALESCE(email, ''), ?) > 0)`
		args = append(args, f.Search, f.Search)
	}
	q += ` ORDER BY id`
	if f.Limit > 0 {
		q += ` LIMIT ?`
		args = append(args, f.Limit)
	}
	rows, err := d.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, storeErr("list users", err)
	}
	defer rows.Close()
	var out []*auth.User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, storeErr("list users", err)
		}
		out = append(out, u)
	}
	return out, storeErr("list users", rows.Err())
}

// UpdateUser implements auth.UserStore.
func (d *DB) UpdateUser(ctx context.Context, u *auth.User) error {
	return d.exec(ctx, "update user", auth.ErrUserNotFound,
		`UPDATE users SET name = ?, email = ?, state = ?, admin = ?, password_hash = ?, digest_hash = ?, presence = ?, updated_at = ?, email_verified = ? WHERE tenant_id = ? AND id = ?`,
		u.Name, nullable(u.Email), string(u.State), u.Admin, u.PasswordHash, u.DigestHash, u.Presence, ms(u.UpdatedAt), u.EmailVerified, u.TenantID, u.ID)
}

// DeleteUser implements auth.UserStore.
func (d *DB) DeleteUser(ctx context.Context, tenantID, id string) error {
	return d.exec(ctx, "delete user", auth.ErrUserNotFound, `DELETE FROM users WHERE tenant_id = ? AND id = ?`, tenantID, id)
}

const tenantCols = `id, name, COALESCE(token_hash, ''), settings, created_at, updated_at`

func scanTenant(row interface{ Scan(...any) error }) (*auth.Tenant, error) {
	var t auth.Tenant
	var hash, settings string
	var created, updated int64
	if err := row.Scan(&t.ID, &t.Name, &hash, &settings, &created, &updated); err != nil {
		return nil, err
	}
	t.TokenHash, _ = auth.ParseHash(hash)
	t.CreatedAt, t.UpdatedAt = fromMS(created), fromMS(updated)
	if err := json.Unmarshal([]byte(settings), &t.Settings); err != nil {
		return nil, err
	}
	if t.Settings == nil {
		t.Settings = map[string]string{}
	}
	return &t, nil
}

func hashText(h auth.Hash) any {
	if h.IsZero() {
		return nil
	}
	return h.String()
}

func (d *DB) oneTenant(ctx context.Context, where string, args ...any) (*auth.Tenant, error) {
	t, err := scanTenant(d.db.QueryRowContext(ctx, `SELECT `+tenantCols+` FROM tenants WHERE `+where, args...))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, auth.ErrTenantNotFound
	}
	return t, storeErr("find tenant", err)
}

// CreateTenant implements auth.TenantStore.
func (d *DB) CreateTenant(ctx context.Context, t *auth.Tenant) error {
	settings, _ := json.Marshal(t.Settings)
	_, err := d.db.ExecContext(ctx, `INSERT INTO tenants (id, name, token_hash, settings, created_at, updated_at) VALUES (?,?,?,?,?,?)`,
		t.ID, t.Name, hashText(t.TokenHash), string(settings), ms(t.CreatedAt), ms(t.UpdatedAt))
	return storeErr("create tenant", err)
}

// TenantByID implements auth.TenantStore.
func (d *DB) TenantByID(ctx context.Context, id string) (*auth.Tenant, error) {
	return d.oneTenant(ctx, `id = ?`, id)
}

// TenantByTokenHash implements auth.TenantStore.
func (d *DB) TenantByTokenHash(ctx context.Context, h auth.Hash) (*auth.Tenant, error) {
	return d.oneTenant(ctx, `token_hash = ?`, h.String())
}

// ListTenants implements auth.TenantStore.
func (d *DB) ListTenants(ctx context.Context) ([]*auth.Tenant, error) {
	rows, err := d.db.QueryContext(ctx, `SELECT `+tenantCols+` FROM tenants ORDER BY id`)
	if err != nil {
		return nil, storeErr("list tenants", err)
	}
	defer rows.Close()
	var out []*auth.Tenant
	for rows.Next() {
		t, err := scanTenant(rows)
		if err != nil {
			return nil, storeErr("list tenants", err)
		}
		out = append(out, t)
	}
	return out, storeErr("list tenants", rows.Err())
}

// UpdateTenant implements auth.TenantStore.
func (d *DB) UpdateTenant(ctx context.Context, t *auth.Tenant) error {
	settings, _ := json.Marshal(t.Settings)
	return d.exec(ctx, "update tenant", auth.ErrTenantNotFound,
		`UPDATE tenants SET name = ?, token_hash = ?, settings = ?, updated_at = ? WHERE id = ?`,
		t.Name, hashText(t.TokenHash), string(settings), ms(t.UpdatedAt), t.ID)
}

// DeleteTenant implements auth.TenantStore: the tenant, its users and tokens
// go in one transaction.
func (d *DB) DeleteTenant(ctx context.Context, id string) error {
	tx, err := d.db.BeginTx(ctx, nil)
	if err != nil {
		return storeErr("delete tenant", err)
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `DELETE FROM tenants WHERE id = ?`, id)
	if err != nil {
		return storeErr("delete tenant", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return auth.ErrTenantNotFound
	}
	for _, q := range []string{`DELETE FROM users WHERE tenant_id = ?`, `DELETE FROM tokens WHERE tenant_id = ?`, `DELETE FROM sessions WHERE tenant_id = ?`} {
		if _, err := tx.ExecContext(ctx, q, id); err != nil {
			return storeErr("delete tenant", err)
		}
	}
	for _, q := range otpTenantDeletes {
		if _, err := tx.ExecContext(ctx, q, id); err != nil {
			return storeErr("delete tenant", err)
		}
	}
	return storeErr("delete tenant", tx.Commit())
}

const tokenCols = `id, tenant_id, user_id, hash, description, active, org_id, permissions, created_at, updated_at`

func scanToken(row interface{ Scan(...any) error }) (*auth.Token, error) {
	var t auth.Token
	var hash, perms string
	var created, updated int64
	if err := row.Scan(&t.ID, &t.TenantID, &t.UserID, &hash, &t.Description, &t.Active, &t.OrgID, &perms, &created, &updated); err != nil {
		return nil, err
	}
	t.Hash, _ = auth.ParseHash(hash)
	t.CreatedAt, t.UpdatedAt = fromMS(created), fromMS(updated)
	if err := json.Unmarshal([]byte(perms), &t.Permissions); err != nil {
		return nil, err
	}
	return &t, nil
}

func (d *DB) oneToken(ctx context.Context, where string, args ...any) (*auth.Token, error) {
	t, err := scanToken(d.db.QueryRowContext(ctx, `SELECT `+tokenCols+` FROM tokens WHERE `+where, args...))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, auth.ErrTokenNotFound
	}
	return t, storeErr("find token", err)
}

// CreateToken implements auth.TokenStore.
func (d *DB) CreateToken(ctx context.Context, t *auth.Token) error {
	perms, _ := json.Marshal(t.Permissions)
	_, err := d.db.ExecContext(ctx, `INSERT INTO tokens (`+tokenCols+`) VALUES (?,?,?,?,?,?,?,?,?,?)`,
		t.ID, t.TenantID, t.UserID, t.Hash.String(), t.Description, t.Active, t.OrgID, string(perms), ms(t.CreatedAt), ms(t.UpdatedAt))
	return storeErr("create token", err)
}

// TokenByHash implements auth.TokenStore.
func (d *DB) TokenByHash(ctx context.Context, h auth.Hash) (*auth.Token, error) {
	return d.oneToken(ctx, `hash = ?`, h.String())
}

// TokenByID implements auth.TokenStore.
func (d *DB) TokenByID(ctx context.Context, tenantID, id string) (*auth.Token, error) {
	return d.oneToken(ctx, `tenant_id = ? AND id = ?`, tenantID, id)
}

// ListTokens implements auth.TokenStore.
func (d *DB) ListTokens(ctx context.Context, tenantID, userID string) ([]*auth.Token, error) {
	q, args := `SELECT `+tokenCols+` FROM tokens WHERE tenant_id = ?`, []any{tenantID}
	if userID != "" {
		q += ` AND user_id = ?`
		args = append(args, userID)
	}
	rows, err := d.db.QueryContext(ctx, q+` ORDER BY id`, args...)
	if err != nil {
		return nil, storeErr("list tokens", err)
	}
	defer rows.Close()
	var out []*auth.Token
	for rows.Next() {
		t, err := scanToken(rows)
		if err != nil {
			return nil, storeErr("list tokens", err)
		}
		out = append(out, t)
	}
	return out, storeErr("list tokens", rows.Err())
}

// UpdateToken implements auth.TokenStore.
func (d *DB) UpdateToken(ctx context.Context, t *auth.Token) error {
	return d.exec(ctx, "update token", auth.ErrTokenNotFound,
		`UPDATE tokens SET description = ?, active = ?, updated_at = ? WHERE tenant_id = ? AND id = ?`,
		t.Description, t.Active, ms(t.UpdatedAt), t.TenantID, t.ID)
}

// DeleteToken implements auth.TokenStore.
func (d *DB) DeleteToken(ctx context.Context, tenantID, id string) error {
	return d.exec(ctx, "delete token", auth.ErrTokenNotFound, `DELETE FROM tokens WHERE tenant_id = ? AND id = ?`, tenantID, id)
}
