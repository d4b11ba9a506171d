// Package servertest is what end-to-end tests of sessiond share: a
// settable clock, a log sink safe for the server's goroutines, cheap
// password hashing, and a real App served by httptest.
package servertest

import (
	"bytes"
	"context"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/sessiond/sessiond/internal/auth"
	"github.com/sessiond/sessiond/internal/config"
	"github.com/sessiond/sessiond/internal/server"
)

// Cheap keeps argon2id fast in tests; production never goes below
// auth.DefaultArgon2.
var Cheap = auth.Argon2Params{MemoryKiB: 64, Time: 1, Threads: 1}

// Clock is a settable time source shared by a server under test.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a clock reading t.
func NewClock(t time.Time) *Clock { return &Clock{t: t} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// LogBuffer collects a server's logs; it is safe for concurrent writers.
type LogBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *LogBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// String returns everything written so far.
func (l *LogBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// Serve opens an App on cfg with clock now and serves it with httptest
// until the test ends. Hashing is cheap unless cfg already sets a cost.
func Serve(t testing.TB, cfg config.Config, now func() time.Time) (*server.App, *httptest.Server) {
	t.Helper()
	if cfg.PasswordHashCost == nil {
		cfg.PasswordHashCost = &Cheap
	}
	app, err := server.Open(context.Background(), cfg, nil, now)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(app.Handler())
	t.Cleanup(func() {
		srv.Close()
		app.Close()
	})
	return app, srv
}

// SeedSession puts a live session of u, made by origin, straight into the
// app's session store and returns it with its secret: a fixture for tests
// about what is done with sessions, not about how they are made (which
// goes through the core's sign-in entry and costs a password hash).
func SeedSession(t testing.TB, app *server.App, u *auth.User, origin auth.Origin, c auth.Client, f auth.TokenFormat, length time.Duration) (*auth.Session, string) {
	t.Helper()
	if length <= 0 {
		length = app.Service().SessionLength()
	}
	token := auth.NewToken(f)
	now := app.Service().Now().UTC()
	s := &auth.Session{
		ID: auth.NewID(), TokenHash: auth.HashToken(token), UserID: u.ID, TenantID: u.TenantID, Origin: origin,
		CreatedAt: now, ExpiresAt: now.Add(length), LastSeen: now, IP: c.IP, UserAgent: c.UserAgent, Device: c.Device,
	}
	if err := app.Sessions().CreateSession(context.Background(), s); err != nil {
		t.Fatalf("seed session: %v", err)
	}
	return s, token
}

// SignIn signs a user in through the core's sign-in entry with a
// password, as a dialect would, and returns the session and its secret.
func SignIn(t testing.TB, app *server.App, tenantID, login, password string, origin auth.Origin, c auth.Client) (*auth.Session, string) {
	t.Helper()
	in, err := app.Service().SignIn(context.Background(), auth.Attempt{
		TenantID: tenantID, Login: login, Credential: auth.Password{Secret: password}, Origin: origin, Client: c,
	})
	if err != nil {
		t.Fatalf("sign in %q: %v", login, err)
	}
	return in.Session, in.Token
}
