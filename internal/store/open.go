// Package store opens the storage engines a configuration names. This is
// the one switch on driver; everything else sees the auth interfaces.
package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/sessiond/sessiond/internal/auth"
	"github.com/sessiond/sessiond/internal/store/memstore"
	"github.com/sessiond/sessiond/internal/store/pgstore"
	"github.com/sessiond/sessiond/internal/store/redisstore"
	"github.com/sessiond/sessiond/internal/store/sqlitestore"
)

// Options names the engines to open.
type Options struct {
	DataDir string // embedded database directory
	// Store keeps users, tenants and tokens: "sqlite" (embedded) or a
	// postgres:// (postgresql://) URL.
	Store string
	// SessionStore keeps sessions: "memory", "sqlite", "postgres" (needs a
	// postgres Store), or Redis as a redis:// or rediss:// URL or a
	// comma-separated host:port list (several: the seed nodes of a
	// cluster). With Redis, the rate-limit and failed-sign-in counters are
	// kept there too, so every instance shares them.
	SessionStore string
	// RedisPrefix starts every Redis key (redisstore.DefaultPrefix when
	// empty), so that several deployments can share one Redis.
	RedisPrefix string
	// RedisNoClientCache sends every session read to Redis, instead of
	// keeping what was read in memory until Redis reports a change
	// (redisstore's client-side cache, on by default).
	RedisNoClientCache bool
	// Timeout is the deadline of every call to Redis and PostgreSQL
	// (DefaultTimeout when 0), so that an engine that hangs costs a
	// request this long, then an EUnavailable error, rather than as long
	// as the client waits.
	Timeout time.Duration
	Now     func() time.Time
	Logger  *slog.Logger
}

// DefaultTimeout is the deadline of a call to Redis or PostgreSQL when
// Options.Timeout is not set.
const DefaultTimeout = time.Second

// IsPostgres reports whether store names PostgreSQL.
func IsPostgres(store string) bool {
	return strings.HasPrefix(store, "postgres://") || strings.HasPrefix(store, "postgresql://")
}

// IsRedis reports whether a session store names Redis: a redis:// or
// rediss:// URL, or a comma-separated list of host:port addresses.
func IsRedis(sessionStore string) bool {
	if strings.HasPrefix(sessionStore, "redis://") || strings.HasPrefix(sessionStore, "rediss://") {
		return true
	}
	if strings.Contains(sessionStore, "://") {
		return false
	}
	for _, a := range strings.Split(sessionStore, ",") {
		if _, port, err := net.SplitHostPort(strings.TrimSpace(a)); err != nil || port == "" {
			return false
		}
	}
	return true
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
	// Second factors, recovery codes and personal access tokens live
	// beside users, in the identity store.
	Factors        auth.FactorStore
	RecoveryCodes  auth.RecoveryCodeStore
	PersonalTokens auth.PersonalTokenStore
	// OTPs, Messages (the courier's outbox) and Links live with the
	// identities: durable, and shared by the instances that share users.
	OTPs     auth.OTPStore
	Messages auth.MessageStore
	Links    auth.LinkStore
	// Changes carries changes between the instances that share the
	// engines: Redis's (pub/sub) when the session store is Redis, else
	// PostgreSQL's (LISTEN/NOTIFY) when the identity store is PostgreSQL,
	// else nil (one instance: nothing to tell). Close ends its
	// subscriptions and waits for them.
	Changes auth.ChangeFeed
	Checks  []Check
	// Collectors are the stores' metrics (latency and errors of every
	// call), for the server's /metrics.
	Collectors []prometheus.Collector
	closers    []func() error
	stop       context.CancelFunc
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

// Open opens the engines named in o. Every store it returns but the
// in-memory ones is instrumented (see Collectors).
func Open(ctx context.Context, o Options) (*Stores, error) {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	bg, stop := context.WithCancel(context.Background())
	s := &Stores{stop: stop}
	fail := func(err error) (*Stores, error) {
		s.Close()
		return nil, err
	}
	m := newMetrics(o.Timeout)
	s.Collectors = m.collectors()

	var sqlDB *sqlitestore.DB
	var pgDB *pgstore.DB
	var engine string // of the identity store
	switch {
	case o.Store == "" || o.Store == "sqlite":
		db, err := sqlitestore.Open(ctx, o.DataDir, o.Now)
		if err != nil {
			return fail(fmt.Errorf("open embedded database in %s: %w", o.DataDir, err))
		}
		sqlDB, engine = db, "sqlite"
		s.closers = append(s.closers, db.Close)
		s.Users, s.Tenants, s.Tokens = db, db, db
		s.Factors, s.RecoveryCodes, s.PersonalTokens = db, db, db
		s.OTPs, s.Messages, s.Links = db, db, db
		s.Checks = append(s.Checks, Check{Name: "sqlite", Ping: db.Ping})
	case IsPostgres(o.Store):
		db, err := pgstore.Open(ctx, o.Store, o.Now)
		if err != nil {
			return fail(fmt.Errorf("open PostgreSQL store: %w", err))
		}
		pgDB, engine = db, "postgres"
		s.closers = append(s.closers, db.Close)
		s.Users, s.Tenants, s.Tokens = db, db, db
		s.Factors, s.RecoveryCodes, s.PersonalTokens = db, db, db
		s.OTPs, s.Messages, s.Links = db, db, db
		s.Checks = append(s.Checks, Check{Name: "postgres", Ping: db.Ping})
	default:
		return fail(fmt.Errorf("unknown store %q", o.Store))
	}
	s.Users, s.Tenants, s.Tokens = m.users(engine, s.Users), m.tenants(engine, s.Tenants), m.tokens(engine, s.Tokens)
	s.OTPs, s.Messages, s.Links = m.otps(engine, s.OTPs), m.messages(engine, s.Messages), m.links(engine, s.Links)
	s.Factors, s.RecoveryCodes, s.PersonalTokens = m.factors(engine, s.Factors), m.recoveryCodes(engine, s.RecoveryCodes), m.personalTokens(engine, s.PersonalTokens)

	limiterEngine := "memory"
	s.Limiter = memstore.NewLimiter(o.Now)
	switch {
	case o.SessionStore == "" || o.SessionStore == "memory":
		ms := memstore.New(o.Now, time.Second)
		s.closers = append(s.closers, ms.Close)
		s.Sessions, engine = ms, "memory"
	case o.SessionStore == "sqlite":
		if sqlDB == nil {
			return fail(errors.New("session-store sqlite needs the embedded store"))
		}
		ss := sqlDB.SessionStore()
		s.Sessions, engine = ss, "sqlite"
		go purgeLoop(bg, ss, 0, o.Logger)
	case o.SessionStore == "postgres":
		if pgDB == nil {
			return fail(errors.New("session-store postgres needs a postgres:// store"))
		}
		ss := pgDB.SessionStore()
		s.Sessions, engine = ss, "postgres"
		go purgeLoop(bg, ss, o.Timeout, o.Logger)
	case IsRedis(o.SessionStore):
		var opts []redisstore.Option
		if o.RedisPrefix != "" {
			opts = append(opts, redisstore.WithPrefix(o.RedisPrefix))
		}
		opts = append(opts, redisstore.WithClientCache(!o.RedisNoClientCache))
		rs, err := redisstore.Open(ctx, o.SessionStore, o.Now, opts...)
		if err != nil {
			return fail(fmt.Errorf("open Redis session store: %w", err))
		}
		switch on, refused := rs.ClientCache(); {
		case on:
			s.Collectors = append(s.Collectors, sessionCacheCollector(rs.CacheStats))
		case refused != nil:
			o.Logger.Warn("Redis refused client-side caching (it needs RESP3 and CLIENT TRACKING); every session check goes to Redis", "err", refused)
		}
		s.closers = append(s.closers, rs.Close)
		s.Sessions, engine = rs, "redis"
		s.Limiter, limiterEngine = rs.Limiter(), "redis"
		s.Changes = rs.Changes()
		s.Checks = append(s.Checks, Check{Name: "redis", Ping: rs.Ping})
	default:
		return fail(fmt.Errorf("unknown session store %q", o.SessionStore))
	}
	if s.Changes == nil && pgDB != nil {
		s.Changes = pgDB.Changes()
	}
	if s.Changes != nil {
		s.Changes = boundedFeed{s.Changes, o.Timeout}
	}
	// Memory stores answer in this process, in well under a microsecond:
	// they cannot hang, time out or fail but with not found, and their
	// latency says nothing an operator can act on, while timing each call
	// (two clock reads and a histogram) would cost a session check as
	// much as the lookup itself. Only engines outside the process are
	// instrumented.
	if engine != "memory" {
		s.Sessions = m.sessions(engine, s.Sessions)
	}
	if limiterEngine != "memory" {
		s.Limiter = m.limiter(limiterEngine, s.Limiter)
	}
	return s, nil
}

// purger is a session store that drops expired sessions when asked
// (SQLite, PostgreSQL); the others expire them by themselves.
type purger interface {
	Purge(ctx context.Context, limit int) (int, error)
}

// purgeLoop deletes expired sessions in small batches, each under timeout
// (none when 0). With several instances on one database each runs its
// own; the batches do not clash.
func purgeLoop(ctx context.Context, ss purger, timeout time.Duration, log *slog.Logger) {
	t := time.NewTicker(10 * time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			for {
				n, err := purgeBatch(ctx, ss, timeout)
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

// purgeBatch deletes one batch of expired sessions under timeout.
func purgeBatch(ctx context.Context, ss purger, timeout time.Duration) (int, error) {
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	return ss.Purge(ctx, 500)
}

// boundedFeed gives each Publish of a change feed a deadline; a
// subscription lasts, and watches its connection itself.
type boundedFeed struct {
	auth.ChangeFeed
	timeout time.Duration
}

// Unwrap returns the engine's feed.
func (f boundedFeed) Unwrap() auth.ChangeFeed { return f.ChangeFeed }

func (f boundedFeed) Publish(ctx context.Context, c auth.Change) error {
	ctx, cancel := context.WithTimeout(ctx, f.timeout)
	defer cancel()
	return f.ChangeFeed.Publish(ctx, c)
}
