package pgstore

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/sessiond/sessiond/internal/auth"
	"github.com/sessiond/sessiond/internal/store/feed"
)

// Feed is the change feed (auth.ChangeFeed) over PostgreSQL's
// LISTEN/NOTIFY: every instance on one database and schema publishes on,
// and listens to, one channel (see channelName). A payload is
// feed.Encode's "kind|tenant|id"; payloads that do not decode are ignored.
type Feed struct {
	d         *DB
	keepalive time.Duration
}

var _ auth.ChangeFeed = (*Feed)(nil)

// Changes returns the change feed over this database. Closing the DB ends
// its subscriptions.
func (d *DB) Changes() *Feed { return &Feed{d: d, keepalive: listenKeepalive} }

const (
	// listenKeepalive is how long a listening connection may stay silent
	// before it is pinged, so that one that died without a word is noticed.
	listenKeepalive = 30 * time.Second
	// pingTimeout bounds that ping.
	pingTimeout = 5 * time.Second
	// steadyConn is how long a listening connection must have lasted for
	// its loss to restart the backoff from the shortest wait.
	steadyConn = time.Minute
)

// channelName is the NOTIFY channel of the instances whose tables are in
// schema: sessiond_changes for public, sessiond_changes_<schema> for any
// other, so that deployments (and tests) in separate schemas of one
// database do not hear each other. A channel is an identifier of at most
// 63 bytes, so a schema name too long for that is replaced by 32 hex
// digits of its SHA-256.
func channelName(schema string) string {
	const base = "sessiond_changes"
	if schema == "" || schema == "public" {
		return base
	}
	name := base + "_" + schema
	if len(name) > 63 {
		sum := sha256.Sum256([]byte(schema))
		name = base + "_" + hex.EncodeToString(sum[:16])
	}
	return name
}

// Publish implements auth.ChangeFeed with pg_notify. A Change of a kind
// auth does not declare is an EInvalid error.
func (f *Feed) Publish(ctx context.Context, c auth.Change) error {
	msg, err := feed.Encode(c)
	if err != nil {
		return err
	}
	_, err = f.d.pool.Exec(ctx, `SELECT pg_notify($1, $2)`, f.d.channel, msg)
	return storeErr("publish change", err)
}

// Subscribe implements auth.ChangeFeed. Each subscription holds a
// connection of its own, outside the pool, that LISTENs; Subscribe returns
// once the LISTEN has been executed, so a Publish after that is heard.
// When that connection is lost it connects and listens again, waiting
// longer after each failure (100 ms doubling to 5 s), and delivers a
// ChangeReset once it listens again. One goroutine calls fn. It returns an
// EUnavailable error when the database cannot be reached or the DB is
// closed.
func (f *Feed) Subscribe(ctx context.Context, fn func(auth.Change)) error {
	const op = "subscribe to changes"
	if err := ctx.Err(); err != nil {
		return storeErr(op, err)
	}
	ready := make(chan error, 1)
	if err := f.d.subs.Go(ctx, op, func(ctx context.Context) {
		conn, err := f.listen(ctx)
		ready <- err
		if err == nil {
			f.run(ctx, conn, fn)
		}
	}); err != nil {
		return err
	}
	return <-ready
}

// listen opens a connection with the pool's settings and LISTENs on it.
func (f *Feed) listen(ctx context.Context) (*pgx.Conn, error) {
	const op = "listen for changes"
	conn, err := pgx.ConnectConfig(ctx, f.d.pool.Config().ConnConfig)
	if err != nil {
		return nil, storeErr(op, err)
	}
	if _, err := conn.Exec(ctx, `LISTEN `+pgx.Identifier{f.d.channel}.Sanitize()); err != nil {
		closeConn(conn)
		return nil, storeErr(op, err)
	}
	return conn, nil
}

// run delivers notifications until ctx ends, listening again whenever
// the connection is lost.
func (f *Feed) run(ctx context.Context, conn *pgx.Conn, fn func(auth.Change)) {
	var backoff feed.Backoff
	for {
		start := time.Now()
		f.wait(ctx, conn, fn)
		closeConn(conn)
		if time.Since(start) > steadyConn {
			backoff.Reset()
		}
		for conn = nil; conn == nil; {
			if !backoff.Wait(ctx) {
				return
			}
			conn, _ = f.listen(ctx)
		}
		if ctx.Err() != nil {
			closeConn(conn)
			return
		}
		fn(auth.Change{Kind: auth.ChangeReset})
	}
}

// wait delivers the notifications that arrive on conn until it fails or
// ctx ends. After keepalive without one it pings the server.
func (f *Feed) wait(ctx context.Context, conn *pgx.Conn, fn func(auth.Change)) {
	for {
		wctx, cancel := context.WithTimeout(ctx, f.keepalive)
		n, err := conn.WaitForNotification(wctx)
		cancel()
		switch {
		case ctx.Err() != nil:
			return
		case err == nil:
			if c, ok := feed.Decode(n.Payload); ok {
				fn(c)
			}
		case errors.Is(err, context.DeadlineExceeded) && !conn.IsClosed():
			// Silence: the deadline interrupted the read and left the
			// connection usable; check the server is still there.
			pctx, cancel := context.WithTimeout(ctx, pingTimeout)
			err := conn.Ping(pctx)
			cancel()
			if err != nil {
				return
			}
		default:
			return
		}
	}
}

// closeConn closes a listening connection, waiting a second at most.
func closeConn(conn *pgx.Conn) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	conn.Close(ctx)
}
