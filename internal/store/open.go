// Package store opens the storage engines a configuration names. This is
// the one switch on driver; everything else sees the auth interfaces.
package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/sessiond/sessiond/internal/auth"
	"github.com/sessiond/sessiond/internal/store/memstore"
	"github.com/sessiond/sessiond/internal/store/sqlitestore"
)

// Options names the engines to open.
type Options struct {
	DataDir      string // embedded database directory
	Store        string // "sqlite" or a postgres:// URL
	SessionStore string // "memory", "sqlite", "postgres" or a redis:// URL
	Now          func() time.Time
	Logger       *slog.Logger
}

// Check is one engine's health probe, for /ready.
type Check struct {
	Name string
	Ping func(ctx context.Context) error
}

// Stores is what Open opened.
type Stores struct {
	Users    auth.UserStore
	Tenants  auth.TenantStore
	Tokens   auth.TokenStore
	Sessions auth.SessionStore
	Limiter  auth.Limiter // rate-limit and failed-sign-in counters
	Checks   []Check
	closers  []func() error
	stop     context.CancelFunc
}

// Close stops background work and closes every engine, newest first.
func (s *Stores) Close() error {
	if s.stop != nil {
		s.stop()
	}
	var errs []error
	for i := len(s.closers) - 1; i >= 0; i-- {
		errs = append(errs, s.closers[i]())
	}
	return errors.Join(errs...)
}

// Open opens the engines named in o.
func Open(ctx context.Context, o Options) (*Stores, error) {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	bg, stop := context.WithCancel(context.Background())
	s := &Stores{stop: stop}
	fail := func(err error) (*Stores, error) {
		s.Close()
		return nil, err
	}

	var sqlDB *sqlitestore.DB
	switch o.Store {
	case "", "sqlite":
		db, err := sqlitestore.Open(ctx, o.DataDir, o.Now)
		if err != nil {
			return fail(fmt.Errorf("open embedded database in %s: %w", o.DataDir, err))
		}
		sqlDB = db
		s.closers = append(s.closers, db.Close)
		s.Users, s.Tenants, s.Tokens = db, db, db
		s.Checks = append(s.Checks, Check{Name: "sqlite", Ping: db.Ping})
	default:
		return fail(fmt.Errorf("unknown store %q", o.Store))
	}

	s.Limiter = memstore.NewLimiter(o.Now)
	switch o.SessionStore {
	case "", "memory":
		m := memstore.New(o.Now, time.Second)
		s.closers = append(s.closers, m.Close)
		s.Sessions = m
	case "sqlite":
		if sqlDB == nil {
			return fail(errors.New("session-store sqlite needs the embedded store"))
		}
		ss := sqlDB.SessionStore()
		s.Sessions = ss
		go purgeLoop(bg, ss, o.Logger)
	default:
		return fail(fmt.Errorf("unknown session store %q", o.SessionStore))
	}
	return s, nil
}

// purgeLoop deletes expired SQLite sessions in small batches.
func purgeLoop(ctx context.Context, ss sqlitestore.Sessions, log *slog.Logger) {
	t := time.NewTicker(10 * time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			for {
				n, err := ss.Purge(ctx, 500)
				if err != nil {
					if ctx.Err() == nil {
						log.Warn("purging expired sessions failed", "err", err)
					}
					break
				}
				if n < 500 {
					break
				}
			}
		}
	}
}
