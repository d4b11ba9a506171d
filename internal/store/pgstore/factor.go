package pgstore

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/sessiond/sessiond/internal/auth"
)

const factorCols = `id, tenant_id, user_id, kind, name, secret, credential_id, confirmed, last_step, code, code_expires, created_at, last_used`

// optTime is a time parameter: NULL when zero.
func optTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t
}

func fromOpt(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.UTC()
}

// CreateFactor implements auth.FactorStore.
func (d *DB) CreateFactor(ctx context.Context, f *auth.Factor) error {
	_, err := d.pool.Exec(ctx, `INSERT INTO factors (`+factorCols+`) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13)`,
		f.ID, f.TenantID, f.UserID, string(f.Kind), f.Name, f.Secret, f.CredentialID, f.Confirmed, f.LastStep,
		f.Code, optTime(f.CodeExpires), f.CreatedAt, optTime(f.LastUsed))
	return storeErr("create factor", err)
}

// UserFactors implements auth.FactorStore.
func (d *DB) UserFactors(ctx context.Context, tenantID, userID string) ([]*auth.Factor, error) {
	rows, err := d.pool.Query(ctx, `SELECT `+factorCols+` FROM factors WHERE tenant_id = $1 AND user_id = $2 ORDER BY created_at, id`, tenantID, userID)
	return collect(rows, err, "user factors", func(r rowScanner) (*auth.Factor, error) {
		var f auth.Factor
		var kind string
		var codeExp, used *time.Time
		if err := r.Scan(&f.ID, &f.TenantID, &f.UserID, &kind, &f.Name, &f.Secret, &f.CredentialID, &f.Confirmed, &f.LastStep, &f.Code, &codeExp, &f.CreatedAt, &used); err != nil {
			return nil, err
		}
		f.Kind, f.CodeExpires, f.CreatedAt, f.LastUsed = auth.FactorKind(kind), fromOpt(codeExp), f.CreatedAt.UTC(), fromOpt(used)
		return &f, nil
	})
}

// UpdateFactor implements auth.FactorStore.
func (d *DB) UpdateFactor(ctx context.Context, f *auth.Factor) error {
	return d.exec(ctx, "update factor", auth.ErrFactorNotFound,
		`UPDATE factors SET name = $1, secret = $2, confirmed = $3, last_step = $4, code = $5, code_expires = $6, last_used = $7 WHERE tenant_id = $8 AND id = $9`,
		f.Name, f.Secret, f.Confirmed, f.LastStep, f.Code, optTime(f.CodeExpires), optTime(f.LastUsed), f.TenantID, f.ID)
}

// AdvanceFactorStep implements auth.FactorStore.
func (d *DB) AdvanceFactorStep(ctx context.Context, tenantID, id string, step int64, at time.Time) error {
	err := d.exec(ctx, "advance factor step", auth.ErrFactorNotFound,
		`UPDATE factors SET last_step = $1, last_used = $2 WHERE tenant_id = $3 AND id = $4 AND last_step < $1`, step, at, tenantID, id)
	if auth.ErrorCode(err) != auth.ENotFound {
		return err
	}
	var n int
	if err := d.pool.QueryRow(ctx, `SELECT COUNT(*) FROM factors WHERE tenant_id = $1 AND id = $2`, tenantID, id).Scan(&n); err != nil {
		return storeErr("advance factor step", err)
	}
	if n == 0 {
		return auth.ErrFactorNotFound
	}
	return &auth.Error{Code: auth.EConflict, Msg: "step already used"}
}

// DeleteFactor implements auth.FactorStore.
func (d *DB) DeleteFactor(ctx context.Context, tenantID, id string) error {
	return d.exec(ctx, "delete factor", auth.ErrFactorNotFound, `DELETE FROM factors WHERE tenant_id = $1 AND id = $2`, tenantID, id)
}

// DeleteUserFactors implements auth.FactorStore.
func (d *DB) DeleteUserFactors(ctx context.Context, tenantID, userID string) error {
	return d.tx(ctx, "delete user factors", func(tx pgx.Tx) error {
		for _, q := range []string{`DELETE FROM factors WHERE tenant_id = $1 AND user_id = $2`, `DELETE FROM recovery_codes WHERE tenant_id = $1 AND user_id = $2`} {
			if _, err := tx.Exec(ctx, q, tenantID, userID); err != nil {
				return err
			}
		}
		return nil
	})
}

// tx runs fn in a transaction.
func (d *DB) tx(ctx context.Context, op string, fn func(pgx.Tx) error) error {
	tx, err := d.pool.Begin(ctx)
	if err != nil {
		return storeErr(op, err)
	}
	defer tx.Rollback(ctx)
	if err := fn(tx); err != nil {
		return storeErr(op, err)
	}
	return storeErr(op, tx.Commit(ctx))
}

// SetRecoveryCodes implements auth.RecoveryCodeStore.
func (d *DB) SetRecoveryCodes(ctx context.Context, tenantID, userID string, hashes []auth.Hash, at time.Time) error {
	return d.tx(ctx, "set recovery codes", func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM recovery_codes WHERE tenant_id = $1 AND user_id = $2`, tenantID, userID); err != nil {
			return err
		}
		for _, h := range hashes {
			if _, err := tx.Exec(ctx, `INSERT INTO recovery_codes (tenant_id, user_id, hash, created_at) VALUES ($1,$2,$3,$4)`, tenantID, userID, h[:], at); err != nil {
				return err
			}
		}
		return nil
	})
}

// UseRecoveryCode implements auth.RecoveryCodeStore.
func (d *DB) UseRecoveryCode(ctx context.Context, tenantID, userID string, h auth.Hash, at time.Time) error {
	return d.exec(ctx, "use recovery code", auth.ErrNotFound,
		`UPDATE recovery_codes SET used_at = $1 WHERE tenant_id = $2 AND user_id = $3 AND hash = $4 AND used_at IS NULL`, at, tenantID, userID, h[:])
}

// RecoveryCodesLeft implements auth.RecoveryCodeStore.
func (d *DB) RecoveryCodesLeft(ctx context.Context, tenantID, userID string) (int, error) {
	var n int
	err := d.pool.QueryRow(ctx, `SELECT COUNT(*) FROM recovery_codes WHERE tenant_id = $1 AND user_id = $2 AND used_at IS NULL`, tenantID, userID).Scan(&n)
	return n, storeErr("recovery codes left", err)
}

const ptokenCols = `id, tenant_id, user_id, name, hash, last_part, bypass_2fa, created_at, last_used`

func scanPersonalToken(r rowScanner) (*auth.PersonalToken, error) {
	var t auth.PersonalToken
	var hash []byte
	var used *time.Time
	if err := r.Scan(&t.ID, &t.TenantID, &t.UserID, &t.Name, &hash, &t.LastPart, &t.BypassTwoFactor, &t.CreatedAt, &used); err != nil {
		return nil, err
	}
	t.Hash, t.CreatedAt, t.LastUsed = toHash(hash), t.CreatedAt.UTC(), fromOpt(used)
	return &t, nil
}

// CreatePersonalToken implements auth.PersonalTokenStore.
func (d *DB) CreatePersonalToken(ctx context.Context, t *auth.PersonalToken) error {
	_, err := d.pool.Exec(ctx, `INSERT INTO personal_tokens (`+ptokenCols+`) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)`,
		t.ID, t.TenantID, t.UserID, t.Name, t.Hash[:], t.LastPart, t.BypassTwoFactor, t.CreatedAt, optTime(t.LastUsed))
	return storeErr("create personal token", err)
}

// PersonalTokenByHash implements auth.PersonalTokenStore.
func (d *DB) PersonalTokenByHash(ctx context.Context, h auth.Hash) (*auth.PersonalToken, error) {
	t, err := scanPersonalToken(d.pool.QueryRow(ctx, `SELECT `+ptokenCols+` FROM personal_tokens WHERE hash = $1`, h[:]))
	if noRow(err) {
		return nil, auth.ErrTokenNotFound
	}
	return t, storeErr("find personal token", err)
}

// UserPersonalTokens implements auth.PersonalTokenStore.
func (d *DB) UserPersonalTokens(ctx context.Context, tenantID, userID string) ([]*auth.PersonalToken, error) {
	rows, err := d.pool.Query(ctx, `SELECT `+ptokenCols+` FROM personal_tokens WHERE tenant_id = $1 AND user_id = $2 ORDER BY created_at, id`, tenantID, userID)
	return collect(rows, err, "user personal tokens", scanPersonalToken)
}

// UpdatePersonalToken implements auth.PersonalTokenStore.
func (d *DB) UpdatePersonalToken(ctx context.Context, t *auth.PersonalToken) error {
	return d.exec(ctx, "update personal token", auth.ErrTokenNotFound,
		`UPDATE personal_tokens SET hash = $1, last_part = $2, created_at = $3, last_used = $4 WHERE tenant_id = $5 AND id = $6`,
		t.Hash[:], t.LastPart, t.CreatedAt, optTime(t.LastUsed), t.TenantID, t.ID)
}

// DeletePersonalToken implements auth.PersonalTokenStore.
func (d *DB) DeletePersonalToken(ctx context.Context, tenantID, id string) error {
	return d.exec(ctx, "delete personal token", auth.ErrTokenNotFound, `DELETE FROM personal_tokens WHERE tenant_id = $1 AND id = $2`, tenantID, id)
}
