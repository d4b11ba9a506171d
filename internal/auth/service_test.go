package auth_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/sessiond/sessiond/internal/auth"
	"github.com/sessiond/sessiond/internal/store/memstore"
	"github.com/sessiond/sessiond/internal/store/sqlitestore"
)

// fastArgon2 keeps functional tests quick; tests about the real cost use
// auth.DefaultArgon2.
var fastArgon2 = auth.Argon2Params{MemoryKiB: 64, Time: 1, Threads: 1}

// start is the instant every test clock begins at.
var start = time.Date(2030, 1, 2, 3, 0, 0, 0, time.UTC)

// clock is an injected, settable clock: tests move time instead of sleeping.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: start} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Set moves the clock to start + d.
func (c *clock) Set(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = start.Add(d)
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// env is a Service over a fresh SQLite database (users, tenants, tokens)
// and an in-memory session store, sharing one injected clock.
type env struct {
	svc      *auth.Service
	db       *sqlitestore.DB
	sessions *memstore.SessionStore
	hasher   *auth.Hasher
	clock    *clock
}

// newEnv builds an env; opts adjust the Config before the Service is made.
func newEnv(t testing.TB, opts ...func(*auth.Config)) *env {
	t.Helper()
	ctx := context.Background()
	c := newClock()
	db, err := sqlitestore.Open(ctx, t.TempDir(), c.Now)
	if err != nil {
		t.Fatalf("open sqlite: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	ss := memstore.New(c.Now, 0)
	t.Cleanup(func() { ss.Close() })
	cfg := auth.Config{
		Users: db, Tenants: db, Tokens: db, Sessions: ss,
		Hasher: auth.NewHasher(fastArgon2, 2, 0),
		Now:    c.Now,
	}
	for _, o := range opts {
		o(&cfg)
	}
	svc := auth.NewService(cfg)
	if err := svc.Init(ctx); err != nil {
		t.Fatalf("init: %v", err)
	}
	return &env{svc: svc, db: db, sessions: ss, hasher: cfg.Hasher, clock: c}
}

// createUser makes an active user in the default tenant with password pw
// (none when empty).
func (e *env) createUser(t testing.TB, name, pw string) *auth.User {
	t.Helper()
	return e.createUserWith(t, auth.NewUser{TenantID: auth.DefaultTenantID, Name: name, Password: pw})
}

func (e *env) createUserWith(t testing.TB, nu auth.NewUser) *auth.User {
	t.Helper()
	u, err := e.svc.CreateUser(context.Background(), nu)
	if err != nil {
		t.Fatalf("create user %q: %v", nu.Name, err)
	}
	return u
}

// signIn signs name in to the default tenant and fails the test on error.
func (e *env) signIn(t testing.TB, name, pw string) (*auth.Session, string) {
	t.Helper()
	sess, token, _, err := signInWith(e.svc, context.Background(), signInReq{
		TenantID: auth.DefaultTenantID, Login: name, Password: pw, Origin: auth.OriginInflux,
	})
	if err != nil {
		t.Fatalf("sign in %q: %v", name, err)
	}
	return sess, token
}

// count returns how many sessions the store holds.
func (e *env) count(t testing.TB) int {
	t.Helper()
	n, err := e.svc.CountSessions(context.Background())
	if err != nil {
		t.Fatalf("count sessions: %v", err)
	}
	return n
}

// wantCode fails unless err carries the error code want.
func wantCode(t testing.TB, what string, err error, want string) {
	t.Helper()
	if got := auth.ErrorCode(err); got != want {
		t.Fatalf("%s: got error code %q (%v), want %q", what, got, err, want)
	}
}

// wantErr fails unless err is (or wraps) target.
func wantErr(t testing.TB, what string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("%s: got error %v, want %v", what, err, target)
	}
}

func must(t testing.TB, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// signInReq is a password sign-in as the tests vary it.
type signInReq struct {
	TenantID string
	Login    string
	Password string
	ByEmail  bool
	Origin   auth.Origin
	Client   auth.Client
	Format   auth.TokenFormat
	Length   time.Duration
}

// signInWith runs r through the sign-in entry.
func signInWith(svc *auth.Service, ctx context.Context, r signInReq) (*auth.Session, string, *auth.User, error) {
	a := auth.Attempt{
		TenantID: r.TenantID, Login: r.Login, Credential: auth.Password{Secret: r.Password},
		Origin: r.Origin, Client: r.Client, Format: r.Format, Length: r.Length,
	}
	if r.ByEmail {
		a.LoginKind = auth.LoginNameOrEmail
	}
	in, err := svc.SignIn(ctx, a)
	if err != nil {
		return nil, "", nil, err
	}
	return in.Session, in.Token, in.User, nil
}

// reach is whom a caller of tenant reaches: user's own sessions, or with
// no user every session of the tenant (an admin's reach).
func reach(tenant, user string) auth.Reach {
	return auth.Reach{TenantID: tenant, UserID: user, Admin: user == ""}
}
