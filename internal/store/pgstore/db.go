// Package pgstore keeps users, tenants, API tokens and, when asked, sessions
// in PostgreSQL (github.com/jackc/pgx/v5 over a pgxpool). The schema is a
// list of versioned migrations, embedded, that run on open under an advisory
// lock, so several instances may start at once against one database. The
// SQL avoids PostgreSQL-only features where that costs nothing, so that
// CockroachDB can serve too.
package pgstore

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/sessiond/sessiond/internal/auth"
	"github.com/sessiond/sessiond/internal/store/feed"
)

//go:embed migrations/*.sql
var migrations embed.FS

// DefaultConnectTimeout bounds a new connection (TCP, TLS and startup)
// when the DSN sets no connect_timeout.
const DefaultConnectTimeout = 3 * time.Second

// migrateLock is the advisory lock key held while migrating: "sessiond".
const migrateLock int64 = 0x73657373696f6e64

// DB is an open PostgreSQL database. It implements the user, tenant and
// token stores; SessionStore returns the session store over it.
type DB struct {
	pool    *pgxpool.Pool
	now     func() time.Time
	channel string      // of the change feed: see channelName
	subs    *feed.Group // the change feed's subscriptions
}

// Open connects to the database named by dsn (a postgres:// URL or a
// key=value string, as pgx reads them; pool_max_conns and the like are
// honoured) and migrates it. now is the clock (time.Now when nil). A
// database that cannot be reached gives an EUnavailable error.
func Open(ctx context.Context, dsn string, now func() time.Time) (*DB, error) {
	if now == nil {
		now = time.Now
	}
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, &auth.Error{Code: auth.EInvalid, Msg: "invalid PostgreSQL DSN", Op: "open postgres", Err: err}
	}
	if cfg.ConnConfig.ConnectTimeout == 0 {
		// Without connect_timeout, a server that accepts but does not
		// answer (or a host whose packets vanish) would hold every request
		// that needs a new connection for as long as the caller waits.
		cfg.ConnConfig.ConnectTimeout = DefaultConnectTimeout
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, storeErr("open postgres", err)
	}
	d := &DB{pool: pool, now: now, subs: feed.NewGroup()}
	if err := d.migrate(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	var schema string
	if err := pool.QueryRow(ctx, `SELECT COALESCE(current_schema(), '')`).Scan(&schema); err != nil {
		pool.Close()
		return nil, storeErr("open postgres", err)
	}
	d.channel = channelName(schema)
	return d, nil
}

// Close ends the change feed's subscriptions, waits for them, and closes
// every connection of the pool. It always returns nil; the error is there
// so that a DB is an io.Closer like the other stores.
func (d *DB) Close() error {
	d.subs.Close()
	d.pool.Close()
	return nil
}

// Ping checks the database answers.
func (d *DB) Ping(ctx context.Context) error {
	return storeErr("ping postgres", d.pool.Ping(ctx))
}

// Version returns the schema version the database is at.
func (d *DB) Version(ctx context.Context) (int, error) {
	var v int
	err := d.pool.QueryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&v)
	return v, storeErr("schema version", err)
}

type migration struct {
	version int
	name    string
	body    string
}

func loadMigrations() ([]migration, error) {
	files, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	sort.Strings(files)
	var out []migration
	for _, f := range files {
		name := path.Base(f)
		v, err := strconv.Atoi(strings.SplitN(name, "_", 2)[0])
		if err != nil || v <= 0 {
			return nil, fmt.Errorf("migration %s: name must start with a positive version number", name)
		}
		body, err := migrations.ReadFile(f)
		if err != nil {
			return nil, err
		}
		out = append(out, migration{version: v, name: name, body: string(body)})
	}
	return out, nil
}

// migrate applies the migrations not yet recorded in schema_migrations, all
// in one transaction that first takes a transaction-scoped advisory lock:
// a second instance starting at the same moment waits on the lock, then
// finds every version recorded and applies nothing. PostgreSQL's DDL is
// transactional, so a failed migration leaves the schema as it was.
func (d *DB) migrate(ctx context.Context) error {
	const op = "migrate postgres"
	list, err := loadMigrations()
	if err != nil {
		return auth.Internal(op, err)
	}
	tx, err := d.pool.Begin(ctx)
	if err != nil {
		return storeErr(op, err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, migrateLock); err != nil {
		return storeErr(op, err)
	}
	if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version INT PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL)`); err != nil {
		return storeErr(op, err)
	}
	done := map[int]bool{}
	rows, err := tx.Query(ctx, `SELECT version FROM schema_migrations`)
	if err != nil {
		return storeErr(op, err)
	}
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			rows.Close()
			return storeErr(op, err)
		}
		done[v] = true
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return storeErr(op, err)
	}
	for _, m := range list {
		if done[m.version] {
			continue
		}
		// No arguments: pgx sends the body with the simple protocol, so a
		// file may hold several statements.
		if _, err := tx.Exec(ctx, m.body); err != nil {
			return storeErr(op+" "+m.name, err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)`, m.version, d.now()); err != nil {
			return storeErr(op+" "+m.name, err)
		}
	}
	return storeErr(op, tx.Commit(ctx))
}

// notText is SQLSTATE character_not_in_repertoire: PostgreSQL refuses a
// text value that is not UTF-8 or holds a NUL byte, which SQLite keeps.
const notText = "22021"

// noRow reports whether a single-row lookup found nothing. A key that
// PostgreSQL cannot hold as text (a name that is not UTF-8, an ID with a
// NUL byte, as a client may send) matches no row either: nothing sessiond
// stores holds one, so the lookup answers as SQLite's does, not with a
// server error.
func noRow(err error) bool {
	var pe *pgconn.PgError
	return errors.Is(err, pgx.ErrNoRows) || errors.As(err, &pe) && pe.Code == notText
}

// storeErr turns a driver error into sessiond's error type: a unique
// violation becomes EConflict, text PostgreSQL cannot hold EInvalid (the
// client's), a database that cannot be reached (or is shutting down, or
// refuses more connections) EUnavailable, anything else EInternal.
func storeErr(op string, err error) error {
	if err == nil {
		return nil
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch {
		case pe.Code == "23505": // unique_violation
			return &auth.Error{Code: auth.EConflict, Msg: "already exists", Op: op, Err: err}
		case pe.Code == notText:
			return &auth.Error{Code: auth.EInvalid, Msg: "text must be valid UTF-8 without NUL bytes", Op: op, Err: err}
		case unavailableState(pe.Code):
			return auth.Unavailable(op, err)
		}
		return auth.Internal(op, err)
	}
	if connectionFailure(err) {
		return auth.Unavailable(op, err)
	}
	return auth.Internal(op, err)
}

// unavailableState reports whether a SQLSTATE says the server cannot serve
// now: connection_exception (class 08), too_many_connections, or
// admin_shutdown, crash_shutdown and cannot_connect_now.
func unavailableState(code string) bool {
	switch code {
	case "53300", "57P01", "57P02", "57P03":
		return true
	}
	return strings.HasPrefix(code, "08")
}

// connectionFailure reports whether err says the server could not be
// reached or the connection broke, rather than that a statement failed.
func connectionFailure(err error) bool {
	var ce *pgconn.ConnectError
	var ne net.Error
	switch {
	case errors.As(err, &ce), errors.As(err, &ne),
		errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, pgconn.ErrConnClosed), errors.Is(err, context.DeadlineExceeded),
		pgconn.Timeout(err), pgconn.SafeToRetry(err):
		return true
	}
	return false
}

// exec runs a statement that must touch a row; none touched is notFound.
func (d *DB) exec(ctx context.Context, op string, notFound error, q string, args ...any) error {
	tag, err := d.pool.Exec(ctx, q, args...)
	if err != nil {
		return storeErr(op, err)
	}
	if tag.RowsAffected() == 0 {
		return notFound
	}
	return nil
}

// hashBytes returns h as a parameter: NULL when zero.
func hashBytes(h auth.Hash) any {
	if h.IsZero() {
		return nil
	}
	return h[:]
}

func toHash(b []byte) auth.Hash {
	var h auth.Hash
	copy(h[:], b)
	return h
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// rowScanner is what pgx.Row and pgx.Rows have in common.
type rowScanner interface{ Scan(...any) error }

// collect scans every row of a query with scan.
func collect[T any](rows pgx.Rows, err error, op string, scan func(rowScanner) (T, error)) ([]T, error) {
	if err != nil {
		return nil, storeErr(op, err)
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		x, err := scan(rows)
		if err != nil {
			return nil, storeErr(op, err)
		}
		out = append(out, x)
	}
	return out, storeErr(op, rows.Err())
}
