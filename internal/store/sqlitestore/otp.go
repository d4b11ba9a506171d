package sqlitestore

import (
	"context"
	"database/sql"
	"errors"
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
var otpTenantDeletes = []string{`DELETE FROM otps WHERE tenant_id = ?`, `DELETE FROM messages WHERE tenant_id = ?`, `DELETE FROM user_links WHERE tenant_id = ?`}

const otpCols = `id, tenant_id, scope, scope_id, channel, recipient, user_id, code_hash, status, attempts, resends, created_at, last_sent_at, expires_at, updated_at, version`

func scanOTP(row interface{ Scan(...any) error }) (*auth.OTP, error) {
	var o auth.OTP
	var scope, channel, status string
	var created, sent, expires, updated int64
	if err := row.Scan(&o.ID, &o.TenantID, &scope, &o.ScopeID, &channel, &o.Recipient, &o.UserID, &o.CodeHash, &status,
		&o.Attempts, &o.Resends, &created, &sent, &expires, &updated, &o.Version); err != nil {
		return nil, err
	}
	o.Scope, o.Channel, o.Status = auth.OTPScope(scope), auth.Channel(channel), auth.OTPStatus(status)
	o.CreatedAt, o.LastSentAt, o.ExpiresAt, o.UpdatedAt = fromMS(created), fromMS(sent), fromMS(expires), fromMS(updated)
	return &o, nil
}

// CreateOTP implements auth.OTPStore.
func (d *DB) CreateOTP(ctx context.Context, o *auth.OTP) error {
	_, err := d.db.ExecContext(ctx, `INSERT INTO otps (`+otpCols+`) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`,
		o.ID, o.TenantID, string(o.Scope), o.ScopeID, string(o.Channel), o.Recipient, o.UserID, o.CodeHash, string(o.Status),
		o.Attempts, o.Resends, ms(o.CreatedAt), ms(o.LastSentAt), ms(o.ExpiresAt), ms(o.UpdatedAt), o.Version)
	return storeErr("create otp", err)
}

// OTPByID implements auth.OTPStore.
func (d *DB) OTPByID(ctx context.Context, tenantID, id string) (*auth.OTP, error) {
	o, err := scanOTP(d.db.QueryRowContext(ctx, `SELECT `+otpCols+` FROM otps WHERE tenant_id = ? AND id = ?`, tenantID, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, auth.ErrOTPNotFound
	}
	return o, storeErr("otp by id", err)
}

// UpdateOTP implements auth.OTPStore.
func (d *DB) UpdateOTP(ctx context.Context, o *auth.OTP) error {
	res, err := d.db.ExecContext(ctx, `UPDATE otps SET code_hash = ?, status = ?, attempts = ?, resends = ?, last_sent_at = ?, expires_at = ?, updated_at = ?, version = ?
		WHERE tenant_id = ? AND id = ? AND version = ?`,
		o.CodeHash, string(o.Status), o.Attempts, o.Resends, ms(o.LastSentAt), ms(o.ExpiresAt), ms(o.UpdatedAt), o.Version, o.TenantID, o.ID, o.Version-1)
	if err != nil {
		return storeErr("update otp", err)
	}
	if n, err := res.RowsAffected(); err != nil || n > 0 {
		return storeErr("update otp", err)
	}
	if _, err := d.OTPByID(ctx, o.TenantID, o.ID); err != nil {
		return err
	}
	return &auth.Error{Code: auth.EConflict, Msg: "otp changed", Op: "update otp"}
}

// CancelOTPs implements auth.OTPStore.
func (d *DB) CancelOTPs(ctx context.Context, tenantID string, scope auth.OTPScope, ch auth.Channel, recipient, except string, at time.Time) (int, error) {
	res, err := d.db.ExecContext(ctx, `UPDATE otps SET status = ?, updated_at = ?, version = version + 1
		WHERE tenant_id = ? AND scope = ? AND channel = ? AND recipient = ? AND status = ? AND id <> ?`,
		string(auth.OTPCancelled), ms(at), tenantID, string(scope), string(ch), recipient, string(auth.OTPPending), except)
	if err != nil {
		return 0, storeErr("cancel otps", err)
	}
	n, err := res.RowsAffected()
	return int(n), storeErr("cancel otps", err)
}

// PurgeOTPs implements auth.OTPStore.
func (d *DB) PurgeOTPs(ctx context.Context, before time.Time, limit int) (int, error) {
	res, err := d.db.ExecContext(ctx, `DELETE FROM otps WHERE id IN (SELECT id FROM otps WHERE expires_at < ? LIMIT ?)`, ms(before), limit)
	if err != nil {
		return 0, storeErr("purge otps", err)
	}
	n, err := res.RowsAffected()
	return int(n), storeErr("purge otps", err)
}

const linkCols = `tenant_id, provider, subject, user_id, created_at`

func scanLink(row interface{ Scan(...any) error }) (*auth.Link, error) {
	var l auth.Link
	var created int64
	if err := row.Scan(&l.TenantID, &l.Provider, &l.Subject, &l.UserID, &created); err != nil {
		return nil, err
	}
	l.CreatedAt = fromMS(created)
	return &l, nil
}

// CreateLink implements auth.LinkStore.
func (d *DB) CreateLink(ctx context.Context, l *auth.Link) error {
	_, err := d.db.ExecContext(ctx, `INSERT INTO user_links (`+linkCols+`) VALUES (?,?,?,?,?)`, l.TenantID, l.Provider, l.Subject, l.UserID, ms(l.CreatedAt))
	return storeErr("create link", err)
}

// LinkBySubject implements auth.LinkStore.
func (d *DB) LinkBySubject(ctx context.Context, tenantID, provider, subject string) (*auth.Link, error) {
	l, err := scanLink(d.db.QueryRowContext(ctx, `SELECT `+linkCols+` FROM user_links WHERE tenant_id = ? AND provider = ? AND subject = ?`, tenantID, provider, subject))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, auth.ErrLinkNotFound
	}
	return l, storeErr("link by subject", err)
}

// UserLinks implements auth.LinkStore.
func (d *DB) UserLinks(ctx context.Context, tenantID, userID string) ([]*auth.Link, error) {
	rows, err := d.db.QueryContext(ctx, `SELECT `+linkCols+` FROM user_links WHERE tenant_id = ? AND user_id = ? ORDER BY provider, subject`, tenantID, userID)
	if err != nil {
		return nil, storeErr("user links", err)
	}
	defer rows.Close()
	var out []*auth.Link
	for rows.Next() {
		l, err := scanLink(rows)
		if err != nil {
			return nil, storeErr("user links", err)
		}
		out = append(out, l)
	}
	return out, storeErr("user links", rows.Err())
}

// DeleteLink implements auth.LinkStore.
func (d *DB) DeleteLink(ctx context.Context, tenantID, provider, subject string) error {
	return d.exec(ctx, "delete link", auth.ErrLinkNotFound, `DELETE FROM user_links WHERE tenant_id = ? AND provider = ? AND subject = ?`, tenantID, provider, subject)
}

// DeleteUserLinks implements auth.LinkStore.
func (d *DB) DeleteUserLinks(ctx context.Context, tenantID, userID string) (int, error) {
	res, err := d.db.ExecContext(ctx, `DELETE FROM user_links WHERE tenant_id = ? AND user_id = ?`, tenantID, userID)
	if err != nil {
		return 0, storeErr("delete user links", err)
	}
	n, err := res.RowsAffected()
	return int(n), storeErr("delete user links", err)
}
