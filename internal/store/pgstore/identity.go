package pgstore

import (
	"context"
	"encoding/json"
	"strconv"

	"github.com/sessiond/sessiond/internal/auth"
)

var (
	_ auth.UserStore   = (*DB)(nil)
	_ auth.TenantStore = (*DB)(nil)
	_ auth.TokenStore  = (*DB)(nil)
)

const userCols = `id, tenant_id, name, COALESCE(email, ''), state, admin, password_hash, digest_hash, presence, created_at, updated_at, email_verified`

func scanUser(row rowScanner) (*auth.User, error) {
	var u auth.User
	var state string
	if err := row.Scan(&u.ID, &u.TenantID, &u.Name, &u.Email, &state, &u.Admin, &u.PasswordHash, &u.DigestHash, &u.Presence, &u.CreatedAt, &u.UpdatedAt, &u.EmailVerified); err != nil {
		return nil, err
	}
	u.State, u.CreatedAt, u.UpdatedAt = auth.UserState(state), u.CreatedAt.UTC(), u.UpdatedAt.UTC()
	return &u, nil
}

func (d *DB) oneUser(ctx context.Context, op, where string, args ...any) (*auth.User, error) {
	u, err := scanUser(d.pool.QueryRow(ctx, `SELECT `+userCols+` FROM users WHERE `+where, args...))
	if noRow(err) {
		return nil, auth.ErrUserNotFound
	}
	return u, storeErr(op, err)
}

// CreateUser implements auth.UserStore.
func (d *DB) CreateUser(ctx context.Context, u *auth.User) error {
	_, err := d.pool.Exec(ctx, `INSERT INTO users (id, tenant_id, name, email, state, admin, password_hash, digest_hash, presence, created_at, updated_at, email_verified) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12)`,
		u.ID, u.TenantID, u.Name, nullable(u.Email), string(u.State), u.Admin, u.PasswordHash, u.DigestHash, u.Presence, u.CreatedAt, u.UpdatedAt, u.EmailVerified)
	return storeErr("create user", err)
}

// UserByID implements auth.UserStore.
func (d *DB) UserByID(ctx context.Context, tenantID, id string) (*auth.User, error) {
	return d.oneUser(ctx, "user by id", `tenant_id = $1 AND id = $2`, tenantID, id)
}

// UserByName implements auth.UserStore.
func (d *DB) UserByName(ctx context.Context, tenantID, name string) (*auth.User, error) {
	return d.oneUser(ctx, "user by name", `tenant_id = $1 AND name = $2`, tenantID, name)
}

// UserByEmail implements auth.UserStore.
func (d *DB) UserByEmail(ctx context.Context, tenantID, email string) (*auth.User, error) {
	if email == "" {
		return nil, auth.ErrUserNotFound
	}
	return d.oneUser(ctx, "user by email", `tenant_id = $1 AND email = $2`, tenantID, email)
}

// ListUsers implements auth.UserStore. The search is a plain substring
// match (strpos) of the name or the email, so no LIKE wildcard in
// f.Search needs escaping.
func (d *DB) ListUsers(ctx context.Context, f auth.UserFilter) ([]*auth.User, error) {
	q := `SELECT ` + userCols + ` FROM users WHERE tenant_id = $1 AND id > $2`
	args := []any{f.TenantID, f.After}
	if f.Search != "" {
		args = append(args, f.Search)
		q += ` AND (strpos(name, $3) > 0 OR strpos(COALESCE(email, ''), $3) > 0)`
	}
	q += ` ORDER BY id`
	if f.Limit > 0 {
		args = append(args, f.Limit)
		q += ` LIMIT $` + strconv.Itoa(len(args))
	}
	rows, err := d.pool.Query(ctx, q, args...)
	return collect(rows, err, "list users", scanUser)
}

// UpdateUser implements auth.UserStore.
func (d *DB) UpdateUser(ctx context.Context, u *auth.User) error {
	return d.exec(ctx, "update user", auth.ErrUserNotFound,
		`UPDATE users SET name = $1, email = $2, state = $3, admin = $4, password_hash = $5, digest_hash = $6, presence = $7, updated_at = $8, email_verified = $11 WHERE tenant_id = $9 AND id = $10`,
		u.Name, nullable(u.Email), string(u.State), u.Admin, u.PasswordHash, u.DigestHash, u.Presence, u.UpdatedAt, u.TenantID, u.ID, u.EmailVerified)
}

// DeleteUser implements auth.UserStore.
func (d *DB) DeleteUser(ctx context.Context, tenantID, id string) error {
	return d.exec(ctx, "delete user", auth.ErrUserNotFound, `DELETE FROM users WHERE tenant_id = $1 AND id = $2`, tenantID, id)
}

const tenantCols = `id, name, token_hash, settings, created_at, updated_at`

func scanTenant(row rowScanner) (*auth.Tenant, error) {
	var t auth.Tenant
	var hash, settings []byte
	if err := row.Scan(&t.ID, &t.Name, &hash, &settings, &t.CreatedAt, &t.UpdatedAt); err != nil {
		return nil, err
	}
	t.TokenHash, t.CreatedAt, t.UpdatedAt = toHash(hash), t.CreatedAt.UTC(), t.UpdatedAt.UTC()
	if err := json.Unmarshal(settings, &t.Settings); err != nil {
		return nil, err
	}
	if t.Settings == nil {
		t.Settings = map[string]string{}
	}
	return &t, nil
}

func (d *DB) oneTenant(ctx context.Context, where string, arg any) (*auth.Tenant, error) {
	t, err := scanTenant(d.pool.QueryRow(ctx, `SELECT `+tenantCols+` FROM tenants WHERE `+where, arg))
	if noRow(err) {
		return nil, auth.ErrTenantNotFound
	}
	return t, storeErr("find tenant", err)
}

// jsonText marshals v for a JSONB parameter (pgx sends a string as is).
func jsonText(v any, empty string) string {
	b, err := json.Marshal(v)
	if err != nil || string(b) == "null" {
		return empty
	}
	return string(b)
}

// CreateTenant implements auth.TenantStore.
func (d *DB) CreateTenant(ctx context.Context, t *auth.Tenant) error {
	_, err := d.pool.Exec(ctx, `INSERT INTO tenants (id, name, token_hash, settings, created_at, updated_at) VALUES ($1,$2,$3,$4,$5,$6)`,
		t.ID, t.Name, hashBytes(t.TokenHash), jsonText(t.Settings, "{}"), t.CreatedAt, t.UpdatedAt)
	return storeErr("create tenant", err)
}

// TenantByID implements auth.TenantStore.
func (d *DB) TenantByID(ctx context.Context, id string) (*auth.Tenant, error) {
	return d.oneTenant(ctx, `id = $1`, id)
}

// TenantByTokenHash implements auth.TenantStore.
func (d *DB) TenantByTokenHash(ctx context.Context, h auth.Hash) (*auth.Tenant, error) {
	return d.oneTenant(ctx, `token_hash = $1`, h[:])
}

// ListTenants implements auth.TenantStore.
func (d *DB) ListTenants(ctx context.Context) ([]*auth.Tenant, error) {
	rows, err := d.pool.Query(ctx, `SELECT `+tenantCols+` FROM tenants ORDER BY id`)
	return collect(rows, err, "list tenants", scanTenant)
}

// UpdateTenant implements auth.TenantStore.
func (d *DB) UpdateTenant(ctx context.Context, t *auth.Tenant) error {
	return d.exec(ctx, "update tenant", auth.ErrTenantNotFound,
		`UPDATE tenants SET name = $1, token_hash = $2, settings = $3, updated_at = $4 WHERE id = $5`,
		t.Name, hashBytes(t.TokenHash), jsonText(t.Settings, "{}"), t.UpdatedAt, t.ID)
}

// DeleteTenant implements auth.TenantStore: the tenant, its users, tokens
// and sessions go in one transaction.
func (d *DB) DeleteTenant(ctx context.Context, id string) error {
	const op = "delete tenant"
	tx, err := d.pool.Begin(ctx)
	if err != nil {
		return storeErr(op, err)
	}
	defer tx.Rollback(ctx)
	tag, err := tx.Exec(ctx, `DELETE FROM tenants WHERE id = $1`, id)
	if err != nil {
		return storeErr(op, err)
	}
	if tag.RowsAffected() == 0 {
		return auth.ErrTenantNotFound
	}
	for _, q := range []string{`DELETE FROM users WHERE tenant_id = $1`, `DELETE FROM tokens WHERE tenant_id = $1`, `DELETE FROM sessions WHERE tenant_id = $1`} {
		if _, err := tx.Exec(ctx, q, id); err != nil {
			return storeErr(op, err)
		}
	}
	for _, q := range otpTenantDeletes {
		if _, err := tx.Exec(ctx, q, id); err != nil {
			return storeErr(op, err)
		}
	}
	return storeErr(op, tx.Commit(ctx))
}

const tokenCols = `id, tenant_id, user_id, hash, description, active, org_id, permissions, created_at, updated_at`

func scanToken(row rowScanner) (*auth.Token, error) {
	var t auth.Token
	var hash, perms []byte
	if err := row.Scan(&t.ID, &t.TenantID, &t.UserID, &hash, &t.Description, &t.Active, &t.OrgID, &perms, &t.CreatedAt, &t.UpdatedAt); err != nil {
		return nil, err
	}
	t.Hash, t.CreatedAt, t.UpdatedAt = toHash(hash), t.CreatedAt.UTC(), t.UpdatedAt.UTC()
	if err := json.Unmarshal(perms, &t.Permissions); err != nil {
		return nil, err
	}
	return &t, nil
}

func (d *DB) oneToken(ctx context.Context, where string, args ...any) (*auth.Token, error) {
	t, err := scanToken(d.pool.QueryRow(ctx, `SELECT `+tokenCols+` FROM tokens WHERE `+where, args...))
	if noRow(err) {
		return nil, auth.ErrTokenNotFound
	}
	return t, storeErr("find token", err)
}

// CreateToken implements auth.TokenStore.
func (d *DB) CreateToken(ctx context.Context, t *auth.Token) error {
	_, err := d.pool.Exec(ctx, `INSERT INTO tokens (`+tokenCols+`) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10)`,
		t.ID, t.TenantID, t.UserID, t.Hash[:], t.Description, t.Active, t.OrgID, jsonText(t.Permissions, "[]"), t.CreatedAt, t.UpdatedAt)
	return storeErr("create token", err)
}

// TokenByHash implements auth.TokenStore.
func (d *DB) TokenByHash(ctx context.Context, h auth.Hash) (*auth.Token, error) {
	return d.oneToken(ctx, `hash = $1`, h[:])
}

// TokenByID implements auth.TokenStore.
func (d *DB) TokenByID(ctx context.Context, tenantID, id string) (*auth.Token, error) {
	return d.oneToken(ctx, `tenant_id = $1 AND id = $2`, tenantID, id)
}

// ListTokens implements auth.TokenStore.
func (d *DB) ListTokens(ctx context.Context, tenantID, userID string) ([]*auth.Token, error) {
	q, args := `SELECT `+tokenCols+` FROM tokens WHERE tenant_id = $1`, []any{tenantID}
	if userID != "" {
		q += ` AND user_id = $2`
		args = append(args, userID)
	}
	rows, err := d.pool.Query(ctx, q+` ORDER BY id`, args...)
	return collect(rows, err, "list tokens", scanToken)
}

// UpdateToken implements auth.TokenStore.
func (d *DB) UpdateToken(ctx context.Context, t *auth.Token) error {
	return d.exec(ctx, "update token", auth.ErrTokenNotFound,
		`UPDATE tokens SET description = $1, active = $2, updated_at = $3 WHERE tenant_id = $4 AND id = $5`,
		t.Description, t.Active, t.UpdatedAt, t.TenantID, t.ID)
}

// DeleteToken implements auth.TokenStore.
func (d *DB) DeleteToken(ctx context.Context, tenantID, id string) error {
	return d.exec(ctx, "delete token", auth.ErrTokenNotFound, `DELETE FROM tokens WHERE tenant_id = $1 AND id = $2`, tenantID, id)
}
