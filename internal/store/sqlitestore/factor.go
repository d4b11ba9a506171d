package sqlitestore

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/sessiond/sessiond/internal/auth"
)

const factorCols = `id, tenant_id, user_id, kind, name, secret, credential_id, confirmed, last_step, code, code_expires, created_at, last_used`

func msOrZero(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func fromMSOrZero(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return fromMS(v)
}

func blob(b []byte) any {
	if b == nil {
		return nil
	}
	return b
}

// CreateFactor implements auth.FactorStore.
func (d *DB) CreateFactor(ctx context.Context, f *auth.Factor) error {
	_, err := d.db.ExecContext(ctx, `INSERT INTO factors (`+factorCols+`) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)`,
		f.ID, f.TenantID, f.UserID, string(f.Kind), f.Name, blob(f.Secret), blob(f.CredentialID), f.Confirmed, f.LastStep,
		blob(f.Code), msOrZero(f.CodeExpires), ms(f.CreatedAt), msOrZero(f.LastUsed))
	return storeErr("create factor", err)
}

// UserFactors implements auth.FactorStore.
func (d *DB) UserFactors(ctx context.Context, tenantID, userID string) ([]*auth.Factor, error) {
	rows, err := d.db.QueryContext(ctx, `SELECT `+factorCols+` FROM factors WHERE tenant_id = ? AND user_id = ? ORDER BY created_at, id`, tenantID, userID)
	if err != nil {
		return nil, storeErr("user factors", err)
	}
	defer rows.Close()
	var out []*auth.Factor
	for rows.Next() {
		var f auth.Factor
		var kind string
		var codeExp, created, used int64
		if err := rows.Scan(&f.ID, &f.TenantID, &f.UserID, &kind, &f.Name, &f.Secret, &f.CredentialID, &f.Confirmed, &f.LastStep, &f.Code, &codeExp, &created, &used); err != nil {
			return nil, storeErr("user factors", err)
		}
		f.Kind, f.CodeExpires, f.CreatedAt, f.LastUsed = auth.FactorKind(kind), fromMSOrZero(codeExp), fromMS(created), fromMSOrZero(used)
		out = append(out, &f)
	}
	return out, storeErr("user factors", rows.Err())
}

// UpdateFactor implements auth.FactorStore.
func (d *DB) UpdateFactor(ctx context.Context, f *auth.Factor) error {
	return d.exec(ctx, "update factor", auth.ErrFactorNotFound,
		`UPDATE factors SET name = ?, secret = ?, confirmed = ?, last_step = ?, code = ?, code_expires = ?, last_used = ? WHERE tenant_id = ? AND id = ?`,
		f.Name, blob(f.Secret), f.Confirmed, f.LastStep, blob(f.Code), msOrZero(f.CodeExpires), msOrZero(f.LastUsed), f.TenantID, f.ID)
}

// AdvanceFactorStep implements auth.FactorStore.
func (d *DB) AdvanceFactorStep(ctx context.Context, tenantID, id string, step int64, at time.Time) error {
	err := d.exec(ctx, "advance factor step", auth.ErrFactorNotFound,
		`UPDATE factors SET last_step = ?, last_used = ? WHERE tenant_id = ? AND id = ? AND last_step < ?`, step, ms(at), tenantID, id, step)
	if auth.ErrorCode(err) != auth.ENotFound {
		return err
	}
	var n int
	if err := d.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM factors WHERE tenant_id = ? AND id = ?`, tenantID, id).Scan(&n); err != nil {
		return storeErr("advance factor step", err)
	}
	if n == 0 {
		return auth.ErrFactorNotFound
	}
	return &auth.Error{Code: auth.EConflict, Msg: "step already used"}
}

// DeleteFactor implements auth.FactorStore.
func (d *DB) DeleteFactor(ctx context.Context, tenantID, id string) error {
	return d.exec(ctx, "delete factor", auth.ErrFactorNotFound, `DELETE FROM factors WHERE tenant_id = ? AND id = ?`, tenantID, id)
}

// DeleteUserFactors implements auth.FactorStore.
func (d *DB) DeleteUserFactors(ctx context.Context, tenantID, userID string) error {
	tx, err := d.db.BeginTx(ctx, nil)
	if err != nil {
		return storeErr("delete user factors", err)
	}
	defer tx.Rollback()
	for _, q := range []string{`DELETE FROM factors WHERE tenant_id = ? AND user_id = ?`, `DELETE FROM recovery_codes WHERE tenant_id = ? AND user_id = ?`} {
		if _, err := tx.ExecContext(ctx, q, tenantID, userID); err != nil {
			return storeErr("delete user factors", err)
		}
	}
	return storeErr("delete user factors", tx.Commit())
}

// SetRecoveryCodes implements auth.RecoveryCodeStore.
func (d *DB) SetRecoveryCodes(ctx context.Context, tenantID, userID string, hashes []auth.Hash, at time.Time) error {
	tx, err := d.db.BeginTx(ctx, nil)
	if err != nil {
		return storeErr("set recovery codes", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `DELETE FROM recovery_codes WHERE tenant_id = ? AND user_id = ?`, tenantID, userID); err != nil {
		return storeErr("set recovery codes", err)
	}
	for _, h := range hashes {
		if _, err := tx.ExecContext(ctx, `INSERT INTO recovery_codes (tenant_id, user_id, hash, created_at) VALUES (?,?,?,?)`, tenantID, userID, h.String(), ms(at)); err != nil {
			return storeErr("set recovery codes", err)
		}
	}
	return storeErr("set recovery codes", tx.Commit())
}

// UseRecoveryCode implements auth.RecoveryCodeStore.
func (d *DB) UseRecoveryCode(ctx context.Context, tenantID, userID string, h auth.Hash, at time.Time) error {
	return d.exec(ctx, "use recovery code", auth.ErrNotFound,
		`UPDATE recovery_codes SET used_at = ? WHERE tenant_id = ? AND user_id = ? AND hash = ? AND used_at = 0`, ms(at), tenantID, userID, h.String())
}

// RecoveryCodesLeft implements auth.RecoveryCodeStore.
func (d *DB) RecoveryCodesLeft(ctx context.Context, tenantID, userID string) (int, error) {
	var n int
	err := d.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM recovery_codes WHERE tenant_id = ? AND user_id = ? AND used_at = 0`, tenantID, userID).Scan(&n)
	return n, storeErr("recovery codes left", err)
}

const ptokenCols = `id, tenant_id, user_id, name, hash, last_part, bypass_2fa, created_at, last_used`

func scanPersonalToken(row interface{ Scan(...any) error }) (*auth.PersonalToken, error) {
	var t auth.PersonalToken
	var hash string
	var created, used int64
	if err := row.Scan(&t.ID, &t.TenantID, &t.UserID, &t.Name, &hash, &t.LastPart, &t.BypassTwoFactor, &created, &used); err != nil {
		return nil, err
	}
	t.Hash, _ = auth.ParseHash(hash)
	t.CreatedAt, t.LastUsed = fromMS(created), fromMSOrZero(used)
	return &t, nil
}

// CreatePersonalToken implements auth.PersonalTokenStore.
func (d *DB) CreatePersonalToken(ctx context.Context, t *auth.PersonalToken) error {
	_, err := d.db.ExecContext(ctx, `INSERT INTO personal_tokens (`+ptokenCols+`) VALUES (?,?,?,?,?,?,?,?,?)`,
		t.ID, t.TenantID, t.UserID, t.Name, t.Hash.String(), t.LastPart, t.BypassTwoFactor, ms(t.CreatedAt), msOrZero(t.LastUsed))
	return storeErr("create personal token", err)
}

// PersonalTokenByHash implements auth.PersonalTokenStore.
func (d *DB) PersonalTokenByHash(ctx context.Context, h auth.Hash) (*auth.PersonalToken, error) {
	t, err := scanPersonalToken(d.db.QueryRowContext(ctx, `SELECT `+ptokenCols+` FROM personal_tokens WHERE hash = ?`, h.String()))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, auth.ErrTokenNotFound
	}
	return t, storeErr("find personal token", err)
}

// UserPersonalTokens implements auth.PersonalTokenStore.
func (d *DB) UserPersonalTokens(ctx context.Context, tenantID, userID string) ([]*auth.PersonalToken, error) {
	rows, err := d.db.QueryContext(ctx, `SELECT `+ptokenCols+` FROM personal_tokens WHERE tenant_id = ? AND user_id = ? ORDER BY created_at, id`, tenantID, userID)
	if err != nil {
		return nil, storeErr("user personal tokens", err)
	}
	defer rows.Close()
	var out []*auth.PersonalToken
	for rows.Next() {
		t, err := scanPersonalToken(rows)
		if err != nil {
			return nil, storeErr("user personal tokens", err)
		}
		out = append(out, t)
	}
	return out, storeErr("user personal tokens", rows.Err())
}

// UpdatePersonalToken implements auth.PersonalTokenStore.
func (d *DB) UpdatePersonalToken(ctx context.Context, t *auth.PersonalToken) error {
	return d.exec(ctx, "update personal token", auth.ErrTokenNotFound,
		`UPDATE personal_tokens SET hash = ?, last_part = ?, created_at = ?, last_used = ? WHERE tenant_id = ? AND id = ?`,
		t.Hash.String(), t.LastPart, ms(t.CreatedAt), msOrZero(t.LastUsed), t.TenantID, t.ID)
}

// DeletePersonalToken implements auth.PersonalTokenStore.
func (d *DB) DeletePersonalToken(ctx context.Context, tenantID, id string) error {
	return d.exec(ctx, "delete personal token", auth.ErrTokenNotFound, `DELETE FROM personal_tokens WHERE tenant_id = ? AND id = ?`, tenantID, id)
}
