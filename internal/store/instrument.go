package store

import (
	"context"
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
}

func newMetrics() *metrics {
	return &metrics{
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
	m      *metrics
	engine string
	name   string
	obs    prometheus.Observer
}

// ops are an engine's operations by name, resolved when a store is wrapped
// so that a call only reads a map.
type ops map[string]*op

func (m *metrics) ops(engine string, names ...string) ops {
	o := ops{}
	for _, n := range names {
		o[n] = &op{m: m, engine: engine, name: n, obs: m.duration.WithLabelValues(engine, n)}
	}
	return o
}

// done records one call of op name that started at start.
func (o ops) done(name string, start time.Time, err error) {
	p := o[name]
	p.obs.Observe(time.Since(start).Seconds())
	if err == nil {
		return
	}
	switch code := auth.ErrorCode(err); code {
	case auth.ENotFound, auth.EConflict:
	default:
		p.m.errors.WithLabelValues(p.engine, p.name, code).Inc()
	}
}

// users instruments an auth.UserStore.
type users struct {
	in auth.UserStore
	o  ops
}

func (m *metrics) users(engine string, in auth.UserStore) auth.UserStore {
	return &users{in, m.ops(engine, "CreateUser", "UserByID", "UserByName", "UserByEmail", "ListUsers", "UpdateUser", "DeleteUser")}
}

func (s *users) CreateUser(ctx context.Context, u *auth.User) error {
	t := time.Now()
	err := s.in.CreateUser(ctx, u)
	s.o.done("CreateUser", t, err)
	return err
}

func (s *users) UserByID(ctx context.Context, tenantID, id string) (*auth.User, error) {
	t := time.Now()
	u, err := s.in.UserByID(ctx, tenantID, id)
	s.o.done("UserByID", t, err)
	return u, err
}

func (s *users) UserByName(ctx context.Context, tenantID, name string) (*auth.User, error) {
	t := time.Now()
	u, err := s.in.UserByName(ctx, tenantID, name)
	s.o.done("UserByName", t, err)
	return u, err
}

func (s *users) UserByEmail(ctx context.Context, tenantID, email string) (*auth.User, error) {
	t := time.Now()
	u, err := s.in.UserByEmail(ctx, tenantID, email)
	s.o.done("UserByEmail", t, err)
	return u, err
}

func (s *users) ListUsers(ctx context.Context, f auth.UserFilter) ([]*auth.User, error) {
	t := time.Now()
	u, err := s.in.ListUsers(ctx, f)
	s.o.done("ListUsers", t, err)
	return u, err
}

func (s *users) UpdateUser(ctx context.Context, u *auth.User) error {
	t := time.Now()
	err := s.in.UpdateUser(ctx, u)
	s.o.done("UpdateUser", t, err)
	return err
}

func (s *users) DeleteUser(ctx context.Context, tenantID, id string) error {
	t := time.Now()
	err := s.in.DeleteUser(ctx, tenantID, id)
	s.o.done("DeleteUser", t, err)
	return err
}

// tenants instruments an auth.TenantStore.
type tenants struct {
	in auth.TenantStore
	o  ops
}

func (m *metrics) tenants(engine string, in auth.TenantStore) auth.TenantStore {
	return &tenants{in, m.ops(engine, "CreateTenant", "TenantByID", "TenantByTokenHash", "ListTenants", "UpdateTenant", "DeleteTenant")}
}

func (s *tenants) CreateTenant(ctx context.Context, x *auth.Tenant) error {
	t := time.Now()
	err := s.in.CreateTenant(ctx, x)
	s.o.done("CreateTenant", t, err)
	return err
}

func (s *tenants) TenantByID(ctx context.Context, id string) (*auth.Tenant, error) {
	t := time.Now()
	x, err := s.in.TenantByID(ctx, id)
	s.o.done("TenantByID", t, err)
	return x, err
}

func (s *tenants) TenantByTokenHash(ctx context.Context, h auth.Hash) (*auth.Tenant, error) {
	t := time.Now()
	x, err := s.in.TenantByTokenHash(ctx, h)
	s.o.done("TenantByTokenHash", t, err)
	return x, err
}

func (s *tenants) ListTenants(ctx context.Context) ([]*auth.Tenant, error) {
	t := time.Now()
	x, err := s.in.ListTenants(ctx)
	s.o.done("ListTenants", t, err)
	return x, err
}

func (s *tenants) UpdateTenant(ctx context.Context, x *auth.Tenant) error {
	t := time.Now()
	err := s.in.UpdateTenant(ctx, x)
	s.o.done("UpdateTenant", t, err)
	return err
}

func (s *tenants) DeleteTenant(ctx context.Context, id string) error {
	t := time.Now()
	err := s.in.DeleteTenant(ctx, id)
	s.o.done("DeleteTenant", t, err)
	return err
}

// tokens instruments an auth.TokenStore.
type tokens struct {
	in auth.TokenStore
	o  ops
}

func (m *metrics) tokens(engine string, in auth.TokenStore) auth.TokenStore {
	return &tokens{in, m.ops(engine, "CreateToken", "TokenByHash", "TokenByID", "ListTokens", "UpdateToken", "DeleteToken")}
}

func (s *tokens) CreateToken(ctx context.Context, x *auth.Token) error {
	t := time.Now()
	err := s.in.CreateToken(ctx, x)
	s.o.done("CreateToken", t, err)
	return err
}

func (s *tokens) TokenByHash(ctx context.Context, h auth.Hash) (*auth.Token, error) {
	t := time.Now()
	x, err := s.in.TokenByHash(ctx, h)
	s.o.done("TokenByHash", t, err)
	return x, err
}

func (s *tokens) TokenByID(ctx context.Context, tenantID, id string) (*auth.Token, error) {
	t := time.Now()
	x, err := s.in.TokenByID(ctx, tenantID, id)
	s.o.done("TokenByID", t, err)
	return x, err
}

func (s *tokens) ListTokens(ctx context.Context, tenantID, userID string) ([]*auth.Token, error) {
	t := time.Now()
	x, err := s.in.ListTokens(ctx, tenantID, userID)
	s.o.done("ListTokens", t, err)
	return x, err
}

func (s *tokens) UpdateToken(ctx context.Context, x *auth.Token) error {
	t := time.Now()
	err := s.in.UpdateToken(ctx, x)
	s.o.done("UpdateToken", t, err)
	return err
}

func (s *tokens) DeleteToken(ctx context.Context, tenantID, id string) error {
	t := time.Now()
	err := s.in.DeleteToken(ctx, tenantID, id)
	s.o.done("DeleteToken", t, err)
	return err
}

// sessions instruments an auth.SessionStore.
type sessions struct {
	in auth.SessionStore
	o  ops
}

func (m *metrics) sessions(engine string, in auth.SessionStore) auth.SessionStore {
	return &sessions{in, m.ops(engine, "CreateSession", "SessionByTokenHash", "SessionByID", "TouchSession", "UpdateSessionClient", "DeleteSession",
		"UserSessions", "DeleteUserSessions", "ListSessions", "CountSessions")}
}

func (s *sessions) CreateSession(ctx context.Context, x *auth.Session) error {
	t := time.Now()
	err := s.in.CreateSession(ctx, x)
	s.o.done("CreateSession", t, err)
	return err
}

func (s *sessions) SessionByTokenHash(ctx context.Context, h auth.Hash) (*auth.Session, error) {
	t := time.Now()
	x, err := s.in.SessionByTokenHash(ctx, h)
	s.o.done("SessionByTokenHash", t, err)
	return x, err
}

func (s *sessions) SessionByID(ctx context.Context, id string) (*auth.Session, error) {
	t := time.Now()
	x, err := s.in.SessionByID(ctx, id)
	s.o.done("SessionByID", t, err)
	return x, err
}

func (s *sessions) TouchSession(ctx context.Context, id string, lastSeen, expiresAt time.Time) error {
	t := time.Now()
	err := s.in.TouchSession(ctx, id, lastSeen, expiresAt)
	s.o.done("TouchSession", t, err)
	return err
}

func (s *sessions) UpdateSessionClient(ctx context.Context, id string, seen time.Time, c auth.Client) error {
	t := time.Now()
	err := s.in.UpdateSessionClient(ctx, id, seen, c)
	s.o.done("UpdateSessionClient", t, err)
	return err
}

func (s *sessions) DeleteSession(ctx context.Context, id string) error {
	t := time.Now()
	err := s.in.DeleteSession(ctx, id)
	s.o.done("DeleteSession", t, err)
	return err
}

func (s *sessions) UserSessions(ctx context.Context, tenantID, userID string) ([]*auth.Session, error) {
	t := time.Now()
	x, err := s.in.UserSessions(ctx, tenantID, userID)
	s.o.done("UserSessions", t, err)
	return x, err
}

func (s *sessions) DeleteUserSessions(ctx context.Context, tenantID, userID, except string) (int, error) {
	t := time.Now()
	n, err := s.in.DeleteUserSessions(ctx, tenantID, userID, except)
	s.o.done("DeleteUserSessions", t, err)
	return n, err
}

func (s *sessions) ListSessions(ctx context.Context, f auth.SessionFilter) ([]*auth.Session, error) {
	t := time.Now()
	x, err := s.in.ListSessions(ctx, f)
	s.o.done("ListSessions", t, err)
	return x, err
}

func (s *sessions) CountSessions(ctx context.Context) (int, error) {
	t := time.Now()
	n, err := s.in.CountSessions(ctx)
	s.o.done("CountSessions", t, err)
	return n, err
}

// limiter instruments an auth.Limiter.
type limiter struct {
	in auth.Limiter
	o  ops
}

// limiter instruments an auth.Limiter, keeping its auth.LimitLister (which
// the lockout listing asks for) when it has one.
func (m *metrics) limiter(engine string, in auth.Limiter) auth.Limiter {
	l := &limiter{in, m.ops(engine, "LimitHit", "LimitPeek", "LimitReset", "ListLimits")}
	if ll, ok := in.(auth.LimitLister); ok {
		return &listingLimiter{l, ll}
	}
	return l
}

func (s *limiter) Hit(ctx context.Context, key string, limit int, window time.Duration) (auth.LimitResult, error) {
	t := time.Now()
	r, err := s.in.Hit(ctx, key, limit, window)
	s.o.done("LimitHit", t, err)
	return r, err
}

func (s *limiter) Peek(ctx context.Context, key string, limit int) (auth.LimitResult, error) {
	t := time.Now()
	r, err := s.in.Peek(ctx, key, limit)
	s.o.done("LimitPeek", t, err)
	return r, err
}

func (s *limiter) Reset(ctx context.Context, key string) error {
	t := time.Now()
	err := s.in.Reset(ctx, key)
	s.o.done("LimitReset", t, err)
	return err
}

// listingLimiter is an instrumented Limiter that can list its windows.
type listingLimiter struct {
	*limiter
	ll auth.LimitLister
}

var _ auth.LimitLister = (*listingLimiter)(nil)

func (s *listingLimiter) ListLimits(ctx context.Context, prefix string) ([]auth.LimitEntry, error) {
	t := time.Now()
	x, err := s.ll.ListLimits(ctx, prefix)
	s.o.done("ListLimits", t, err)
	return x, err
}
