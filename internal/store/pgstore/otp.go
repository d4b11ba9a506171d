package pgstore

import (
	"context"
	"time"

	"github.com/sessiond/sessiond/internal/auth"
)

var (
	_ auth.OTPStore     = (*DB)(nil)
	_ auth.MessageStore = (*DB)(nil)
	_ auth.LinkStore    = (*DB)(nil)
)

// otpTenantDeletes remove a deleted tenant's OTPs, messages and links
// with it.
var otpTenantDeletes = []string{`DELETE FROM otps WHERE tenant_id = $1`, `DELETE FROM messages WHERE tenant_id = $1`, `DELETE FROM user_links WHERE tenant_id = $1`}

const otpCols = `id, tenant_id, scope, scope_id, channel, recipient, user_id, code_hash, status, attempts, resends, created_at, last_sent_at, expires_at, updated_at, version`

func scanOTP(row rowScanner) (*auth.OTP, error) {
	var o auth.OTP
	var scope, channel, status string
	if err := row.Scan(&o.ID, &o.TenantID, &scope, &o.ScopeID, &channel, &o.Recipient, &o.UserID, &o.CodeHash, &status,
		&o.Attempts, &o.Resends, &o.CreatedAt, &o.LastSentAt, &o.ExpiresAt, &o.UpdatedAt, &o.Version); err != nil {
		return nil, err
	}
	o.Scope, o.Channel, o.Status = auth.OTPScope(scope), auth.Channel(channel), auth.OTPStatus(status)
	o.CreatedAt, o.LastSentAt, o.ExpiresAt, o.UpdatedAt = o.CreatedAt.UTC(), o.LastSentAt.UTC(), o.ExpiresAt.UTC(), o.UpdatedAt.UTC()
	return &o, nil
}

// CreateOTP implements auth.OTPStore.
func (d *DB) CreateOTP(ctx context.Context, o *auth.OTP) error {
	_, err := d.pool.Exec(ctx, `INSERT INTO otps (`+otpCols+`) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16)`,
		o.ID, o.TenantID, string(o.Scope), o.ScopeID, string(o.Channel), o.Recipient, o.UserID, o.CodeHash, string(o.Status),
		o.Attempts, o.Resends, o.CreatedAt, o.LastSentAt, o.ExpiresAt, o.UpdatedAt, o.Version)
	return storeErr("create otp", err)
}

// OTPByID implements auth.OTPStore.
func (d *DB) OTPByID(ctx context.Context, tenantID, id string) (*auth.OTP, error) {
	o, err := scanOTP(d.pool.QueryRow(ctx, `SELECT `+otpCols+` FROM otps WHERE tenant_id = $1 AND id = $2`, tenantID, id))
	if noRow(err) {
		return nil, auth.ErrOTPNotFound
	}
	return o, storeErr("otp by id", err)
}

// UpdateOTP implements auth.OTPStore.
func (d *DB) UpdateOTP(ctx context.Context, o *auth.OTP) error {
	tag, err := d.pool.Exec(ctx, `UPDATE otps SET code_hash = $1, status = $2, attempts = $3, resends = $4, last_sent_at = $5, expires_at = $6, updated_at = $7, version = $8
		WHERE tenant_id = $9 AND id = $10 AND version = $11`,
		o.CodeHash, string(o.Status), o.Attempts, o.Resends, o.LastSentAt, o.ExpiresAt, o.UpdatedAt, o.Version, o.TenantID, o.ID, o.Version-1)
	if err != nil {
		return storeErr("update otp", err)
	}
	if tag.RowsAffected() > 0 {
		return nil
	}
	if _, err := d.OTPByID(ctx, o.TenantID, o.ID); err != nil {
		return err
	}
	return &auth.Error{Code: auth.EConflict, Msg: "otp changed", Op: "update otp"}
}

// CancelOTPs implements auth.OTPStore.
func (d *DB) CancelOTPs(ctx context.Context, tenantID string, scope auth.OTPScope, ch auth.Channel, recipient, except string, at time.Time) (int, error) {
	tag, err := d.pool.Exec(ctx, `UPDATE otps SET status = $1, updated_at = $2, version = version + 1
		WHERE tenant_id = $3 AND scope = $4 AND channel = $5 AND recipient = $6 AND status = $7 AND id <> $8`,
		string(auth.OTPCancelled), at, tenantID, string(scope), string(ch), recipient, string(auth.OTPPending), except)
	if err != nil {
		return 0, storeErr("cancel otps", err)
	}
	return int(tag.RowsAffected()), nil
}

// PurgeOTPs implements auth.OTPStore.
func (d *DB) PurgeOTPs(ctx context.Context, before time.Time, limit int) (int, error) {
	tag, err := d.pool.Exec(ctx, `DELETE FROM otps WHERE id IN (SELECT id FROM otps WHERE expires_at < $1 LIMIT $2)`, before, limit)
	if err != nil {
		return 0, storeErr("purge otps", err)
	}
	return int(tag.RowsAffected()), nil
}

const linkCols = `tenant_id, provider, subject, user_id, created_at`

func scanLink(row rowScanner) (*auth.Link, error) {
	var l auth.Link
	if err := row.Scan(&l.TenantID, &l.Provider, &l.Subject, &l.UserID, &l.CreatedAt); err != nil {
		return nil, err
	}
	l.CreatedAt = l.CreatedAt.UTC()
	return &l, nil
}

// CreateLink implements auth.LinkStore.
func (d *DB) CreateLink(ctx context.Context, l *auth.Link) error {
	_, err := d.pool.Exec(ctx, `INSERT INTO user_links (`+linkCols+`) VALUES ($1,$2,$3,$4,$5)`, l.TenantID, l.Provider, l.Subject, l.UserID, l.CreatedAt)
	return storeErr("create link", err)
}

// LinkBySubject implements auth.LinkStore.
func (d *DB) LinkBySubject(ctx context.Context, tenantID, provider, subject string) (*auth.Link, error) {
	l, err := scanLink(d.pool.QueryRow(ctx, `SELECT `+linkCols+` FROM user_links WHERE tenant_id = $1 AND provider = $2 AND subject = $3`, tenantID, provider, subject))
	if noRow(err) {
		return nil, auth.ErrLinkNotFound
	}
	return l, storeErr("link by subject", err)
}

// UserLinks implements auth.LinkStore.
func (d *DB) UserLinks(ctx context.Context, tenantID, userID string) ([]*auth.Link, error) {
	rows, err := d.pool.Query(ctx, `SELECT `+linkCols+` FROM user_links WHERE tenant_id = $1 AND user_id = $2 ORDER BY provider, subject`, tenantID, userID)
	return collect(rows, err, "user links", scanLink)
}

// DeleteLink implements auth.LinkStore.
func (d *DB) DeleteLink(ctx context.Context, tenantID, provider, subject string) error {
	return d.exec(ctx, "delete link", auth.ErrLinkNotFound, `DELETE FROM user_links WHERE tenant_id = $1 AND provider = $2 AND subject = $3`, tenantID, provider, subject)
}

// DeleteUserLinks implements auth.LinkStore.
func (d *DB) DeleteUserLinks(ctx context.Context, tenantID, userID string) (int, error) {
	tag, err := d.pool.Exec(ctx, `DELETE FROM user_links WHERE tenant_id = $1 AND user_id = $2`, tenantID, userID)
	if err != nil {
		return 0, storeErr("delete user links", err)
	}
	return int(tag.RowsAffected()), nil
}
