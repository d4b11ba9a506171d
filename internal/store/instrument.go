package store

import (
	"context"
	"reflect"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/sessiond/sessiond/internal/auth"
)

// metrics measures every call the core makes to a store: its latency per
// engine and operation, and its failures per error code. Not found and
// conflict are answers, not failures, and are not counted as errors.
type metrics struct {
	duration *prometheus.HistogramVec
	errors   *prometheus.CounterVec
	timeout  time.Duration    // the deadline of every call to a networked engine
	hangs    map[string]*hang // by networked engine
}

func newMetrics(timeout time.Duration) *metrics {
	return &metrics{
		timeout: timeout,
		hangs:   map[string]*hang{},
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "sessiond_store_duration_seconds",
			Help:    "Latency of storage calls, by engine and operation.",
			Buckets: []float64{.00001, .000025, .00005, .0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}, []string{"engine", "op"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sessiond_store_errors_total",
			Help: "Storage calls that failed, by engine, operation and error code (not found and conflicts are not failures).",
		}, []string{"engine", "op", "code"}),
	}
}

func (m *metrics) collectors() []prometheus.Collector {
	return []prometheus.Collector{m.duration, m.errors}
}

// op is one engine's operation, its histogram resolved in advance.
type op struct {
	m       *metrics
	engine  string
	name    string
	obs     prometheus.Observer
	timeout time.Duration // the deadline of each call; 0 for none
	hang    *hang         // the engine's; nil for an engine in this process
}

// ops are an engine's operations by name, resolved when a store is wrapped
// so that a call only reads a map.
type ops map[string]*op

// ops resolves the operations of engine; every call of a networked
// engine (Redis, PostgreSQL) gets m.timeout as its deadline (bulkTimes
// that for the operations that walk a whole store) and shares the
// engine's hang detector.
func (m *metrics) ops(engine string, names ...string) ops {
	o := ops{}
	var h *hang
	if networked(engine) {
		if h = m.hangs[engine]; h == nil {
			h = newHang()
			m.hangs[engine] = h
		}
	}
	for _, n := range names {
		p := &op{m: m, engine: engine, name: n, obs: m.duration.WithLabelValues(engine, n), hang: h}
		if h != nil {
			p.timeout = m.timeout
			if bulkOps[n] {
				p.timeout *= bulkTimes
			}
		}
		o[n] = p
	}
	return o
}

// bulkOps walk every session or counter of a store (a SCAN over Redis):
// an operator's listing, never a request's hot path. They get bulkTimes
// the deadline of the other calls.
var bulkOps = map[string]bool{"ListSessions": true, "ListLimits": true}

const bulkTimes = 10

// networked reports whether an engine is reached over the network, where
// a hung server would otherwise hold a call for as long as the caller
// waits.
func networked(engine string) bool { return engine == "redis" || engine == "postgres" }

// call runs one call of op name under the op's deadline (the caller's,
// when that is sooner) and records its latency and failure. A call that
// runs out of time is an EUnavailable error from the store.
//
// While the engine is taken for hung (see hang) the call is refused at
// once, EUnavailable, unless it is the probe.
func call[T any](o ops, ctx context.Context, name string, f func(context.Context) (T, error)) (T, error) {
	p := o[name]
	if !p.hang.admit() {
		var zero T
		p.m.errors.WithLabelValues(p.engine, p.name, auth.EUnavailable).Inc()
		return zero, refused(p.name)
	}
	parent := ctx
	if p.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, p.timeout)
		defer cancel()
	}
	start := time.Now()
	x, err := f(ctx)
	p.obs.Observe(time.Since(start).Seconds())
	p.hang.done(err != nil && ctx.Err() == context.DeadlineExceeded && parent.Err() == nil)
	if err != nil {
		switch code := auth.ErrorCode(err); code {
		case auth.ENotFound, auth.EConflict:
		default:
			p.m.errors.WithLabelValues(p.engine, p.name, code).Inc()
		}
	}
	return x, err
}

// call0 is call for operations that return only an error.
func call0(o ops, ctx context.Context, name string, f func(context.Context) error) error {
	_, err := call(o, ctx, name, func(ctx context.Context) (struct{}, error) { return struct{}{}, f(ctx) })
	return err
}

// instrumented is what every instrumenting wrapper holds: the store S it
// wraps, and the operations its calls run as (see call).
type instrumented[S any] struct {
	in S
	o  ops
}

// instrument wraps in, with one operation for each method of S, named
// after it.
func instrument[S any](m *metrics, engine string, in S) instrumented[S] {
	t := reflect.TypeFor[S]()
	names := make([]string, t.NumMethod())
	for i := range names {
		names[i] = t.Method(i).Name
	}
	return instrumented[S]{in, m.ops(engine, names...)}
}

// users instruments an auth.UserStore.
type users struct {
	instrumented[auth.UserStore]
}

func (m *metrics) users(engine string, in auth.UserStore) auth.UserStore {
	return &users{instrument(m, engine, in)}
}

func (s *users) CreateUser(ctx context.Context, u *auth.User) error {
	return call0(s.o, ctx, "CreateUser", func(ctx context.Context) error { return s.in.CreateUser(ctx, u) })
}

func (s *users) UserByID(ctx context.Context, tenantID, id string) (*auth.User, error) {
	return call(s.o, ctx, "UserByID", func(ctx context.Context) (*auth.User, error) { return s.in.UserByID(ctx, tenantID, id) })
}

func (s *users) UserByName(ctx context.Context, tenantID, name string) (*auth.User, error) {
	return call(s.o, ctx, "UserByName", func(ctx context.Context) (*auth.User, error) { return s.in.UserByName(ctx, tenantID, name) })
}

func (s *users) UserByEmail(ctx context.Context, tenantID, email string) (*auth.User, error) {
	return call(s.o, ctx, "UserByEmail", func(ctx context.Context) (*auth.User, error) { return s.in.UserByEmail(ctx, tenantID, email) })
}

func (s *users) ListUsers(ctx context.Context, f auth.UserFilter) ([]*auth.User, error) {
	return call(s.o, ctx, "ListUsers", func(ctx context.Context) ([]*auth.User, error) { return s.in.ListUsers(ctx, f) })
}

func (s *users) UpdateUser(ctx context.Context, u *auth.User) error {
	return call0(s.o, ctx, "UpdateUser", func(ctx context.Context) error { return s.in.UpdateUser(ctx, u) })
}

func (s *users) DeleteUser(ctx context.Context, tenantID, id string) error {
	return call0(s.o, ctx, "DeleteUser", func(ctx context.Context) error { return s.in.DeleteUser(ctx, tenantID, id) })
}

// tenants instruments an auth.TenantStore.
type tenants struct {
	instrumented[auth.TenantStore]
}

func (m *metrics) tenants(engine string, in auth.TenantStore) auth.TenantStore {
	return &tenants{instrument(m, engine, in)}
}

func (s *tenants) CreateTenant(ctx context.Context, x *auth.Tenant) error {
	return call0(s.o, ctx, "CreateTenant", func(ctx context.Context) error { return s.in.CreateTenant(ctx, x) })
}

func (s *tenants) TenantByID(ctx context.Context, id string) (*auth.Tenant, error) {
	return call(s.o, ctx, "TenantByID", func(ctx context.Context) (*auth.Tenant, error) { return s.in.TenantByID(ctx, id) })
}

func (s *tenants) TenantByTokenHash(ctx context.Context, h auth.Hash) (*auth.Tenant, error) {
	return call(s.o, ctx, "TenantByTokenHash", func(ctx context.Context) (*auth.Tenant, error) { return s.in.TenantByTokenHash(ctx, h) })
}

func (s *tenants) ListTenants(ctx context.Context) ([]*auth.Tenant, error) {
	return call(s.o, ctx, "ListTenants", func(ctx context.Context) ([]*auth.Tenant, error) { return s.in.ListTenants(ctx) })
}

func (s *tenants) UpdateTenant(ctx context.Context, x *auth.Tenant) error {
	return call0(s.o, ctx, "UpdateTenant", func(ctx context.Context) error { return s.in.UpdateTenant(ctx, x) })
}

func (s *tenants) DeleteTenant(ctx context.Context, id string) error {
	return call0(s.o, ctx, "DeleteTenant", func(ctx context.Context) error { return s.in.DeleteTenant(ctx, id) })
}

// tokens instruments an auth.TokenStore.
type tokens struct {
	instrumented[auth.TokenStore]
}

func (m *metrics) tokens(engine string, in auth.TokenStore) auth.TokenStore {
	return &tokens{instrument(m, engine, in)}
}

func (s *tokens) CreateToken(ctx context.Context, x *auth.Token) error {
	return call0(s.o, ctx, "CreateToken", func(ctx context.Context) error { return s.in.CreateToken(ctx, x) })
}

func (s *tokens) TokenByHash(ctx context.Context, h auth.Hash) (*auth.Token, error) {
	return call(s.o, ctx, "TokenByHash", func(ctx context.Context) (*auth.Token, error) { return s.in.TokenByHash(ctx, h) })
}

func (s *tokens) TokenByID(ctx context.Context, tenantID, id string) (*auth.Token, error) {
	return call(s.o, ctx, "TokenByID", func(ctx context.Context) (*auth.Token, error) { return s.in.TokenByID(ctx, tenantID, id) })
}

func (s *tokens) ListTokens(ctx context.Context, tenantID, userID string) ([]*auth.Token, error) {
	return call(s.o, ctx, "ListTokens", func(ctx context.Context) ([]*auth.Token, error) { return s.in.ListTokens(ctx, tenantID, userID) })
}

func (s *tokens) UpdateToken(ctx context.Context, x *auth.Token) error {
	return call0(s.o, ctx, "UpdateToken", func(ctx context.Context) error { return s.in.UpdateToken(ctx, x) })
}

func (s *tokens) DeleteToken(ctx context.Context, tenantID, id string) error {
	return call0(s.o, ctx, "DeleteToken", func(ctx context.Context) error { return s.in.DeleteToken(ctx, tenantID, id) })
}

// sessions instruments an auth.SessionStore.
type sessions struct {
	instrumented[auth.SessionStore]
}

func (m *metrics) sessions(engine string, in auth.SessionStore) auth.SessionStore {
	return &sessions{instrument(m, engine, in)}
}

func (s *sessions) CreateSession(ctx context.Context, x *auth.Session) error {
	return call0(s.o, ctx, "CreateSession", func(ctx context.Context) error { return s.in.CreateSession(ctx, x) })
}

func (s *sessions) SessionByTokenHash(ctx context.Context, h auth.Hash) (*auth.Session, error) {
	return call(s.o, ctx, "SessionByTokenHash", func(ctx context.Context) (*auth.Session, error) { return s.in.SessionByTokenHash(ctx, h) })
}

func (s *sessions) SessionByID(ctx context.Context, id string) (*auth.Session, error) {
	return call(s.o, ctx, "SessionByID", func(ctx context.Context) (*auth.Session, error) { return s.in.SessionByID(ctx, id) })
}

func (s *sessions) TouchSession(ctx context.Context, id string, lastSeen, expiresAt time.Time) error {
	return call0(s.o, ctx, "TouchSession", func(ctx context.Context) error { return s.in.TouchSession(ctx, id, lastSeen, expiresAt) })
}

func (s *sessions) UpdateSessionClient(ctx context.Context, id string, seen time.Time, c auth.Client) error {
	return call0(s.o, ctx, "UpdateSessionClient", func(ctx context.Context) error { return s.in.UpdateSessionClient(ctx, id, seen, c) })
}

func (s *sessions) DeleteSession(ctx context.Context, id string) error {
	return call0(s.o, ctx, "DeleteSession", func(ctx context.Context) error { return s.in.DeleteSession(ctx, id) })
}

func (s *sessions) UserSessions(ctx context.Context, tenantID, userID string) ([]*auth.Session, error) {
	return call(s.o, ctx, "UserSessions", func(ctx context.Context) ([]*auth.Session, error) { return s.in.UserSessions(ctx, tenantID, userID) })
}

func (s *sessions) CountUserSessions(ctx context.Context, tenantID, userID string) (int, error) {
	return call(s.o, ctx, "CountUserSessions", func(ctx context.Context) (int, error) { return s.in.CountUserSessions(ctx, tenantID, userID) })
}

func (s *sessions) DeleteUserSessions(ctx context.Context, tenantID, userID, except string) (int, error) {
	return call(s.o, ctx, "DeleteUserSessions", func(ctx context.Context) (int, error) { return s.in.DeleteUserSessions(ctx, tenantID, userID, except) })
}

func (s *sessions) ListSessions(ctx context.Context, f auth.SessionFilter) ([]*auth.Session, error) {
	return call(s.o, ctx, "ListSessions", func(ctx context.Context) ([]*auth.Session, error) { return s.in.ListSessions(ctx, f) })
}

func (s *sessions) CountSessions(ctx context.Context) (int, error) {
	return call(s.o, ctx, "CountSessions", func(ctx context.Context) (int, error) { return s.in.CountSessions(ctx) })
}

// limiter instruments an auth.Limiter, its operations named Limit*.
type limiter struct {
	instrumented[auth.Limiter]
}

// limiter instruments an auth.Limiter, keeping its auth.LimitLister (which
// the lockout listing asks for) when it has one.
func (m *metrics) limiter(engine string, in auth.Limiter) auth.Limiter {
	l := &limiter{instrumented[auth.Limiter]{in, m.ops(engine, "LimitHit", "LimitPeek", "LimitReset", "ListLimits")}}
	if ll, ok := in.(auth.LimitLister); ok {
		return &listingLimiter{l, ll}
	}
	return l
}

func (s *limiter) Hit(ctx context.Context, key string, limit int, window time.Duration) (auth.LimitResult, error) {
	return call(s.o, ctx, "LimitHit", func(ctx context.Context) (auth.LimitResult, error) { return s.in.Hit(ctx, key, limit, window) })
}

func (s *limiter) Peek(ctx context.Context, key string, limit int) (auth.LimitResult, error) {
	return call(s.o, ctx, "LimitPeek", func(ctx context.Context) (auth.LimitResult, error) { return s.in.Peek(ctx, key, limit) })
}

func (s *limiter) Reset(ctx context.Context, key string) error {
	return call0(s.o, ctx, "LimitReset", func(ctx context.Context) error { return s.in.Reset(ctx, key) })
}

// listingLimiter is an instrumented Limiter that can list its windows.
type listingLimiter struct {
	*limiter
	ll auth.LimitLister
}

var _ auth.LimitLister = (*listingLimiter)(nil)

func (s *listingLimiter) ListLimits(ctx context.Context, prefix string) ([]auth.LimitEntry, error) {
	return call(s.o, ctx, "ListLimits", func(ctx context.Context) ([]auth.LimitEntry, error) { return s.ll.ListLimits(ctx, prefix) })
}
