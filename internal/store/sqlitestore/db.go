// Package sqlitestore keeps users, tenants, API tokens and, when asked,
// sessions in an embedded SQLite database (modernc.org/sqlite: pure Go, no
// cgo, nothing to install). The schema is a list of versioned migrations
// that run on open.
package sqlitestore

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/sessiond/sessiond/internal/auth"
	sqlite "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

//go:embed migrations/*.sql
var migrations embed.FS

// FileName is the database file inside the data directory.
const FileName = "sessiond.db"

// DB is an open SQLite database. It implements the user, tenant, token and
// session stores.
type DB struct {
	db  *sql.DB
	now func() time.Time
	sc  *scrubber
}

// Open opens (creating when needed) the database in dir and migrates it.
func Open(ctx context.Context, dir string, now func() time.Time) (*DB, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("data dir: %w", err)
	}
	return OpenFile(ctx, filepath.Join(dir, FileName), now)
}

// OpenFile opens the database file at path and migrates it.
func OpenFile(ctx context.Context, path string, now func() time.Time) (*DB, error) {
	if now == nil {
		now = time.Now
	}
	// secure_delete: what a row loses (an outbox message's code once it is
	// sent, a revoked session's token hash) is overwritten with zeros in
	// the page, not left in its free space (scrub.go).
	dsn := "file:" + path + "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=foreign_keys(ON)&_pragma=secure_delete(ON)&_txlock=immediate"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(8)
	d := &DB{db: db, now: now}
	if err := d.migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	d.sc = startScrubber(db)
	return d, nil
}

// Close closes the database, after a last scrub of the write-ahead log
// when one was asked for.
func (d *DB) Close() error {
	d.sc.stop()
	return d.db.Close()
}

// Ping checks the database answers.
func (d *DB) Ping(ctx context.Context) error { return d.db.PingContext(ctx) }

// Version returns the schema version the database is at.
func (d *DB) Version(ctx context.Context) (int, error) {
	var v int
	err := d.db.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&v)
	return v, err
}

func (d *DB) migrate(ctx context.Context) error {
	if _, err := d.db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)`); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	files, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(files)
	for _, f := range files {
		v, err := strconv.Atoi(strings.SplitN(filepath.Base(f), "_", 2)[0])
		if err != nil {
			return fmt.Errorf("migration %s: bad name", f)
		}
		body, err := migrations.ReadFile(f)
		if err != nil {
			return err
		}
		if err := d.apply(ctx, v, string(body)); err != nil {
			return fmt.Errorf("migration %s: %w", f, err)
		}
	}
	return nil
}

// apply runs one migration in a transaction unless it is already applied.
func (d *DB) apply(ctx context.Context, version int, body string) error {
	tx, err := d.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_migrations WHERE version = ?`, version).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return nil
	}
	if _, err := tx.ExecContext(ctx, body); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)`, version, d.now().Unix()); err != nil {
		return err
	}
	return tx.Commit()
}

// storeErr turns a driver error into sessiond's error type: a unique
// constraint becomes EConflict, anything else EInternal.
func storeErr(op string, err error) error {
	if err == nil {
		return nil
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return &auth.Error{Code: auth.EConflict, Msg: "already exists", Op: op, Err: err}
		}
		if c := se.Code() & 0xff; c == sqlite3.SQLITE_BUSY || c == sqlite3.SQLITE_LOCKED {
			return auth.Unavailable(op, err)
		}
	}
	return auth.Internal(op, err)
}

func ms(t time.Time) int64 { return t.UnixMilli() }

func fromMS(v int64) time.Time { return time.UnixMilli(v).UTC() }

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// exec runs a statement that must touch a row; none touched is notFound.
func (d *DB) exec(ctx context.Context, op string, notFound error, q string, args ...any) error {
	res, err := d.db.ExecContext(ctx, q, args...)
	if err != nil {
		return storeErr(op, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return storeErr(op, err)
	}
	if n == 0 {
		return notFound
	}
	return nil
}
