// Package server assembles sessiond: it opens the stores a configuration
// names, builds the core service, mounts every dialect and the health and
// metrics endpoints on one ServeMux, and serves it until its context ends,
// then shuts down gracefully.
package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/sessiond/sessiond/internal/auth"
	"github.com/sessiond/sessiond/internal/config"
	"github.com/sessiond/sessiond/internal/httpkit"
	"github.com/sessiond/sessiond/internal/influxapi"
	"github.com/sessiond/sessiond/internal/oidc"
	"github.com/sessiond/sessiond/internal/rocketapi"
	"github.com/sessiond/sessiond/internal/store"
	"github.com/sessiond/sessiond/internal/tenantapi"
	"github.com/sessiond/sessiond/internal/ui"
)

// Version is sessiond's version, reported by /health and response headers.
const Version = "0.1.0"

// ShutdownTimeout bounds how long in-flight requests may run after a stop.
const ShutdownTimeout = 15 * time.Second

// App is one running sessiond.
type App struct {
	cfg     config.Config
	log     *slog.Logger
	stores  *store.Stores
	svc     *auth.Service
	metrics *httpkit.Metrics
	handler http.Handler
	panics  []panicRoute
	mounts  []mount // the dialects by prefix, for the paths the root cannot route (miss.go)
	srv     *http.Server
	ln      net.Listener
	started time.Time
	procs   [2]int // GOMAXPROCS before and after raiseProcs (procs.go)

	closeAudit func() error // closes the audit log file
	stopWatch  func()       // ends the change feed subscription
}

type panicRoute struct {
	prefix string
	write  httpkit.PanicWriter
}

// Open builds an App from cfg: stores opened and migrated, the default
// tenant in place, routes mounted. It does not listen yet.
func Open(ctx context.Context, cfg config.Config, log *slog.Logger, now func() time.Time) (*App, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if now == nil {
		now = time.Now
	}
	log = slog.New(newDedupHandler(log.Handler(), dedupInterval, time.Now))
	st, err := store.Open(ctx, store.Options{DataDir: cfg.DataDir, Store: cfg.Store, SessionStore: cfg.SessionStore, RedisPrefix: cfg.RedisKeyPrefix, RedisNoClientCache: !cfg.RedisClientCache, Timeout: cfg.StoreTimeout, Now: now, Logger: log})
	if err != nil {
		return nil, err
	}
	cost := auth.DefaultArgon2
	if cfg.PasswordHashCost != nil {
		cost = *cfg.PasswordHashCost
	}
	factorKey, err := cfg.FactorKey()
	if err != nil {
		st.Close()
		return nil, err
	}
	auditLog, closeAudit, err := openAudit(cfg.AuditLog, os.Stderr, log)
	if err != nil {
		st.Close()
		return nil, err
	}
	cour, err := openCourier(cfg, st, log, now)
	if err != nil {
		st.Close()
		closeAudit()
		return nil, err
	}
	metrics := httpkit.NewMetrics()
	// The core's events feed the metrics as well as the audit log: one
	// event per sign-in, counted in one place.
	auditor := auth.Auditors{metrics, eventLog{log}} // eventlog.go: one line per sign-in, revoke, lockout
	if auditLog != nil {
		auditor = append(auditor, auditLog)
	}
	hasher := auth.NewHasher(cost, cfg.HashWorkers, 0)
	hasher.SetNice(cfg.HashNice, log)
	procsFrom, procsTo := raiseProcs(hasher.Workers(), cfg.HashNice)
	metrics.Register(httpkit.HashCollector(hasher.Stats))
	svc := auth.NewService(auth.Config{
		Users: st.Users, Tenants: st.Tenants, Tokens: st.Tokens, Sessions: st.Sessions,
		Hasher:        hasher,
		SessionLength: cfg.SessionLength, RenewDisabled: cfg.SessionRenewDisabled,
		IdleTimeout: cfg.SessionIdleTimeout, AbsoluteTimeout: cfg.SessionAbsoluteTimeout,
		Policy:  auth.PasswordPolicy{MinBytes: cfg.PasswordMinLength, MaxBytes: cfg.PasswordMaxLength, AllowCommon: cfg.PasswordAllowCommon},
		Limiter: st.Limiter,
		Lockout: auth.LockoutPolicy{
			AccountLimit: cfg.LockoutAccountLimit, IPLimit: cfg.LockoutIPLimit,
			Window: cfg.LockoutWindow, MaxLock: cfg.LockoutMaxLock,
		},
		Audit: auditor, Changes: st.Changes, MaxSessionsPerUser: cfg.MaxSessionsPerUser,
		UserCacheTTL: cacheTTL(cfg.CacheTTL),
		Now:          now, Logger: log,
		SecondFactors: auth.SecondFactorConfig{
			Factors: st.Factors, RecoveryCodes: st.RecoveryCodes, PersonalTokens: st.PersonalTokens,
			Key: factorKey, ReauthWindow: cfg.Factors.ReauthWindow,
			Passkeys: auth.PasskeyConfig{ID: cfg.Factors.PasskeyRPID, Origins: cfg.PasskeyOriginList()},
		},
		OTPs: st.OTPs, Messages: cour.Outbox(), Links: st.Links, Channels: cour.Channels(),
		IDTokens: oidc.New(oidc.Options{Logger: log}),
	})
	if err := svc.Init(ctx); err != nil {
		st.Close()
		closeAudit()
		return nil, fmt.Errorf("initialise: %w", err)
	}
	a := &App{cfg: cfg, log: log, stores: st, svc: svc, metrics: metrics, started: now(), closeAudit: closeAudit, procs: [2]int{procsFrom, procsTo}}
	a.watch()
	a.runCourier(cour)
	for _, c := range st.Collectors {
		a.metrics.Register(c)
	}
	a.metrics.Register(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "sessiond_sessions_live", Help: "Sessions held by the session store.",
	}, func() float64 {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		n, err := svc.CountSessions(ctx)
		if err != nil {
			return -1
		}
		return float64(n)
	}))
	a.handler = a.routes()
	return a, nil
}

// Limiter returns the shared rate-limit counters.
func (a *App) Limiter() auth.Limiter { return a.stores.Limiter }

// Sessions returns the session store, for fixtures that fill it (the
// benchmark); the server itself reaches it only through the Service.
func (a *App) Sessions() auth.SessionStore { return a.stores.Sessions }

// Service returns the core service.
func (a *App) Service() *auth.Service { return a.svc }

// Handler returns the whole HTTP handler, middleware included.
func (a *App) Handler() http.Handler { return a.handler }

func (a *App) routes() http.Handler {
	mux := http.NewServeMux()
	influx := influxapi.New(a.svc, influxapi.Options{
		Logger: a.log, MaxBody: a.cfg.MaxBodyBytes,
		EndSessionsOnPasswordChange: a.cfg.EndSessionsOnPasswordChange, Version: "sessiond-" + Version,
	})
	mux.Handle("/api/v2/", influx)
	mux.Handle("/api/v2", influx)
	a.panics = append(a.panics, panicRoute{"/api/v2", influx.Panic})
	rocket := rocketapi.New(a.svc, rocketapi.Options{
		Logger: a.log, MaxBody: a.cfg.MaxBodyBytes, LoginExpiration: a.cfg.RocketLoginExpiration,
		Limiter: a.Limiter(), RateLimit: a.cfg.RocketRateLimit, RateWindow: a.cfg.RocketRateLimitWindow,
		TwoFactorRemember: a.cfg.Factors.RocketRemember, TwoFactorPasswordFallback: a.cfg.Factors.RocketPasswordFallback,
	})
	mux.Handle("/api/v1/", rocket)
	mux.Handle("/api/v1", rocket)
	a.panics = append(a.panics, panicRoute{"/api/v1/", rocket.Panic})
	tenants := tenantapi.New(a.svc, tenantapi.Options{
		Logger: a.log, Limiter: a.Limiter(), MaxBody: a.cfg.MaxBodyBytes,
		SigninLimit: a.cfg.TenantSigninLimit, SignupLimit: a.cfg.TenantSignupLimit,
	})
	mux.Handle("/auth/", tenants)
	mux.Handle("/auth", tenants)
	a.panics = append(a.panics, panicRoute{"/auth/", tenants.Panic})
	mux.Handle("/otp/", tenants) // the tenant API's OTP module
	a.panics = append(a.panics, panicRoute{"/otp/", tenants.Panic})
	pages := ui.New(a.svc, ui.Options{
		Logger:                      a.log,
		EndSessionsOnPasswordChange: a.cfg.EndSessionsOnPasswordChange,
		SetupPermissions:            influxapi.OperatorPermissions(),
	})
	mux.Handle("/ui/", pages)
	mux.HandleFunc("GET /{$}", a.handleRoot) // the account pages (firstrun.go)
	mux.HandleFunc("GET /openapi/{$}", a.handleOpenAPIIndex)
	mux.HandleFunc("GET /openapi/{file}", a.handleOpenAPIFile)
	mux.Handle("/ui", pages)
	a.mounts = []mount{{"/api/v2", influx}, {"/api/v1", rocket}, {"/auth", tenants}, {"/ui", pages}}
	a.panics = append(a.panics, panicRoute{"/ui/", pages.Panic})

	mux.HandleFunc("GET /health", a.handleHealth)
	mux.HandleFunc("GET /ready", a.handleReady)
	mux.HandleFunc("GET /ping", a.handlePing)
	mux.HandleFunc("HEAD /ping", a.handlePing)
	mux.Handle("GET /metrics", a.metrics.Handler())
	trusted, _ := httpkit.ParseProxies(a.cfg.TrustedProxies) // checked by config.Validate
	header, _ := httpkit.ProxyHeader(a.cfg.TrustedProxyHeader)
	root := httpkit.Routed(mux, a.notFound, a.notAllowed)
	// A dialect's path goes to it at once: the root would route it there
	// in any case (by its prefix pattern, or through notFound for a path
	// it cannot route), after a ServeMux match that costs as much as the
	// dialect's own.
	front := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if h := a.dialectOf(r); h != nil {
			h.ServeHTTP(w, r)
			return
		}
		root.ServeHTTP(w, r)
	})
	return httpkit.Wrap(front, httpkit.WrapOptions{
		Log: a.log, Metrics: a.metrics, Panic: a.panicWriter, AccessLog: a.cfg.AccessLog,
		Proxies: &httpkit.Proxies{Trusted: trusted, Header: header},
	})
}

func (a *App) panicWriter(r *http.Request) httpkit.PanicWriter {
	for _, p := range a.panics {
		if strings.HasPrefix(r.URL.Path, p.prefix) {
			return p.write
		}
	}
	return nil
}

// deadlineTick is how late a slow-client timeout may fire at most.
const deadlineTick = 250 * time.Millisecond

// Listen binds the configured address.
func (a *App) Listen() error {
	ln, err := net.Listen("tcp", a.cfg.HTTPBindAddress)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", a.cfg.HTTPBindAddress, err)
	}
	// The slow-client timeouts of Serve's http.Server are enforced by one
	// sweeper per listener, not a timer re-armed on every request.
	ln = httpkit.CoarseDeadlines(ln, deadlineTick)
	if a.cfg.TLSCert != "" {
		cert, err := tls.LoadX509KeyPair(a.cfg.TLSCert, a.cfg.TLSKey)
		if err != nil {
			ln.Close()
			return fmt.Errorf("tls: %w", err)
		}
		ln = tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12})
	}
	a.ln = ln
	return nil
}

// Addr returns the address the App listens on, once Listen has run.
func (a *App) Addr() string {
	if a.ln == nil {
		return ""
	}
	return a.ln.Addr().String()
}

// URL returns the base URL of the listening App.
func (a *App) URL() string {
	scheme := "http"
	if a.cfg.TLSCert != "" {
		scheme = "https"
	}
	return scheme + "://" + a.Addr()
}

// Serve serves until ctx ends, then lets in-flight requests finish (up to
// ShutdownTimeout) and closes the stores.
func (a *App) Serve(ctx context.Context) error {
	if a.ln == nil {
		if err := a.Listen(); err != nil {
			return err
		}
	}
	a.srv = &http.Server{
		Handler: a.handler, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 60 * time.Second, IdleTimeout: 120 * time.Second, MaxHeaderBytes: 64 << 10,
		ErrorLog: slog.NewLogLogger(a.log.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- a.srv.Serve(a.ln) }()
	a.logStart() // firstrun.go
	select {
	case err := <-errc:
		a.stopWatch()
		a.stores.Close()
		a.closeAudit()
		return err
	case <-ctx.Done():
	}
	a.log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), ShutdownTimeout)
	defer cancel()
	err := a.srv.Shutdown(sctx)
	if e := <-errc; !errors.Is(e, http.ErrServerClosed) && err == nil {
		err = e
	}
	a.stopWatch()
	return errors.Join(err, a.stores.Close(), a.closeAudit())
}

// Close releases the stores of an App that was opened but never served.
func (a *App) Close() error {
	a.stopWatch()
	return errors.Join(a.stores.Close(), a.closeAudit())
}

// cacheTTL is the core's setting for a configured cache TTL: 0 turns the
// caches off, which the core spells as a negative TTL.
func cacheTTL(d time.Duration) time.Duration {
	if d == 0 {
		return -1
	}
	return d
}

// watch subscribes the core to the change feed, so that another
// instance's change to a tenant or user drops this one's cached copy at
// once. When the feed cannot be reached at start it retries in the
// background; until then other instances' changes apply within the cache
// TTL. Without a feed (one instance) there is nothing to do.
func (a *App) watch() {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	a.stopWatch = func() { cancel(); <-done }
	err := a.svc.Watch(ctx) // a no-op without a feed
	if err == nil {
		close(done)
		return
	}
	go func() {
		defer close(done)
		wait := time.Second
		for {
			a.log.Warn("change feed unavailable; other instances' changes apply within the cache TTL", "retry_in", wait, "err", err)
			select {
			case <-ctx.Done():
				return
			case <-time.After(wait):
			}
			wait = min(2*wait, 30*time.Second)
			if err = a.svc.Watch(ctx); err == nil || ctx.Err() != nil {
				return
			}
		}
	}()
}

// storeName hides credentials in engine URLs for logs.
func storeName(s string) string {
	if i := strings.Index(s, "://"); i >= 0 {
		return s[:i]
	}
	return s
}
