package pgstore_test

import (
	"context"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/sessiond/sessiond/internal/auth"
	"github.com/sessiond/sessiond/internal/store/pgstore"
	"github.com/sessiond/sessiond/internal/store/storetest"
)

const dsnEnv = "SESSIOND_TEST_POSTGRES_DSN"

// testDSN returns the DSN of a fresh schema, dropped when the test ends;
// the test skips when SESSIOND_TEST_POSTGRES_DSN is unset.
func testDSN(t testing.TB) string { return storetest.PostgresDSN(t) }

// withParam sets a connection parameter in a URL or key=value DSN.
func withParam(t testing.TB, dsn, key, value string) string {
	t.Helper()
	if !strings.Contains(dsn, "://") {
		return dsn + " " + key + "=" + value
	}
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatalf("%s: %v", dsnEnv, err)
	}
	q := u.Query()
	q.Set(key, value)
	u.RawQuery = q.Encode()
	return u.String()
}

// withHost points a URL DSN at addr instead of its host.
func withHost(t testing.TB, dsn, addr string) string {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil || u.Host == "" {
		t.Skipf("%s is not a postgres:// URL with a host", dsnEnv)
	}
	u.Host = addr
	return u.String()
}

func open(t testing.TB, dsn string, now func() time.Time) *pgstore.DB {
	t.Helper()
	db, err := pgstore.Open(context.Background(), dsn, now)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestIdentityContract(t *testing.T) {
	storetest.IdentityStore(t, func(t *testing.T) storetest.Identity { return open(t, testDSN(t), nil) })
}

func TestFactorContract(t *testing.T) {
	storetest.FactorStores(t, func(t *testing.T) storetest.Factors { return open(t, testDSN(t), nil) })
}

func TestSessionStoreContract(t *testing.T) {
	storetest.SessionStore(t, func(t *testing.T, now func() time.Time) auth.SessionStore {
		return open(t, testDSN(t), now).SessionStore()
	})
}

func TestConcurrentOpenMigratesOnce(t *testing.T) {
	dsn := testDSN(t)
	ctx := context.Background()
	const n = 4
	var wg sync.WaitGroup
	dbs := make([]*pgstore.DB, n)
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			dbs[i], errs[i] = pgstore.Open(ctx, dsn, nil)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("instance %d: open: %v", i, err)
		}
		defer dbs[i].Close()
	}
	want, err := dbs[0].Version(ctx)
	if err != nil || want < 1 {
		t.Fatalf("version %d (%v), want at least 1", want, err)
	}
	for i, db := range dbs {
		if got, _ := db.Version(ctx); got != want {
			t.Fatalf("instance %d sees version %d, want %d", i, got, want)
		}
	}
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var rows int
	if err := conn.QueryRow(ctx, `SELECT COUNT(*) FROM schema_migrations`).Scan(&rows); err != nil || rows != len(storetest.MigrationVersions(t, "migrations")) {
		t.Fatalf("schema_migrations holds %d rows (%v), want %d", rows, err, len(storetest.MigrationVersions(t, "migrations")))
	}
}

func TestSessionsSurviveReopen(t *testing.T) {
	ctx := context.Background()
	dsn := testDSN(t)
	db := open(t, dsn, nil)
	x := storetest.NewSession("t", "u", time.Hour)
	x.ExpiresAt = time.Now().Add(time.Hour)
	if err := db.SessionStore().CreateSession(ctx, x); err != nil {
		t.Fatal(err)
	}
	db.Close()
	db = open(t, dsn, nil)
	if _, err := db.SessionStore().SessionByTokenHash(ctx, x.TokenHash); err != nil {
		t.Fatalf("session lost across reopen: %v", err)
	}
}

func TestPurgeRemovesOnlyExpired(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2030, 1, 2, 4, 0, 0, 0, time.UTC)
	s := open(t, testDSN(t), func() time.Time { return now }).SessionStore()
	old := storetest.NewSession("t", "u", time.Minute) // expired long before now
	live := storetest.NewSession("t", "u", 48*time.Hour)
	for _, x := range []*auth.Session{old, live} {
		if err := s.CreateSession(ctx, x); err != nil {
			t.Fatal(err)
		}
	}
	n, err := s.Purge(ctx, 100)
	if err != nil || n != 1 {
		t.Fatalf("purged %d (%v), want 1", n, err)
	}
	if _, err := s.SessionByID(ctx, live.ID); err != nil {
		t.Fatalf("live session purged: %v", err)
	}
}

func TestOpenErrors(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	tests := []struct {
		name string
		dsn  string
		code string
	}{
		{"malformed", "postgres://%zz", auth.EInvalid},
		{"nothing listening", "postgres://postgres@127.0.0.1:1/test?sslmode=disable&connect_timeout=2", auth.EUnavailable},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			db, err := pgstore.Open(ctx, tc.dsn, nil)
			if err == nil {
				db.Close()
			}
			if got := auth.ErrorCode(err); got != tc.code {
				t.Fatalf("got code %q (%v), want %q", got, err, tc.code)
			}
		})
	}
}

// awayCall is one call of the store that the outage and hang tests make
// while PostgreSQL is away.
type awayCall struct {
	name string
	call func(context.Context) error
}

// awayCalls stores a session in db and returns it with the calls those
// tests make: read it, read a user, write another session, ping.
func awayCalls(t *testing.T, db *pgstore.DB) (*auth.Session, []awayCall) {
	t.Helper()
	s := db.SessionStore()
	x := storetest.NewSession("t", "u", time.Hour)
	x.ExpiresAt = time.Now().Add(time.Hour)
	if err := s.CreateSession(context.Background(), x); err != nil {
		t.Fatal(err)
	}
	return x, []awayCall{
		{"session by hash", func(ctx context.Context) error { _, err := s.SessionByTokenHash(ctx, x.TokenHash); return err }},
		{"user by id", func(ctx context.Context) error { _, err := db.UserByID(ctx, "t", "u"); return err }},
		{"create session", func(ctx context.Context) error {
			return s.CreateSession(ctx, storetest.NewSession("t", "u", time.Hour))
		}},
		{"ping", db.Ping},
	}
}

// TestOutageIsUnavailableAndRecovers cuts the connection to PostgreSQL:
// calls answer EUnavailable, quickly, and work again once it is back.
func TestOutageIsUnavailableAndRecovers(t *testing.T) {
	dsn := testDSN(t)
	u, _ := url.Parse(dsn)
	p := storetest.NewProxy(t, u.Host)
	db := open(t, withParam(t, withHost(t, dsn, p.Addr()), "connect_timeout", "2"), nil)
	s := db.SessionStore()
	ctx := context.Background()
	x, steps := awayCalls(t, db)

	p.Stop()
	for _, step := range steps {
		ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		start := time.Now()
		err := step.call(ctx)
		cancel()
		if got := auth.ErrorCode(err); got != auth.EUnavailable {
			t.Fatalf("%s while down: got code %q (%v), want %q", step.name, got, err, auth.EUnavailable)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Fatalf("%s while down took %v", step.name, d)
		}
		t.Logf("%s while down (%v): %v", step.name, time.Since(start), err)
	}

	p.Start()
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, err := s.SessionByTokenHash(ctx, x.TokenHash)
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no recovery after the database came back: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// seed stores 10,000 sessions of one user, live for an hour of wall
// clock, and returns their token hashes.
func seed(b *testing.B, s auth.SessionStore) []auth.Hash {
	b.Helper()
	ctx := context.Background()
	hashes := make([]auth.Hash, 10000)
	var wg sync.WaitGroup
	const workers = 8
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < len(hashes); i += workers {
				x := storetest.NewSession("t", "u", 24*time.Hour)
				x.ExpiresAt = time.Now().Add(time.Hour)
				hashes[i] = x.TokenHash
				if err := s.CreateSession(ctx, x); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	return hashes
}

func BenchmarkSessionByTokenHash(b *testing.B) {
	ctx := context.Background()
	s := open(b, testDSN(b), nil).SessionStore()
	hashes := seed(b, s)
	b.ReportAllocs()
	// b.Loop runs this function once, so the sessions are written once.
	for i := 0; b.Loop(); i++ {
		if _, err := s.SessionByTokenHash(ctx, hashes[i%len(hashes)]); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSessionByTokenHashParallel checks sessions from many goroutines,
// as a server does: what the client's pipelining (or pool) buys.
func BenchmarkSessionByTokenHashParallel(b *testing.B) {
	ctx := context.Background()
	s := open(b, testDSN(b), nil).SessionStore()
	hashes := seed(b, s)
	var next atomic.Int64
	b.ReportAllocs()
	b.ResetTimer()
	b.SetParallelism(8)
	b.RunParallel(func(pb *testing.PB) {
		i := int(next.Add(1000))
		for pb.Next() {
			i++
			if _, err := s.SessionByTokenHash(ctx, hashes[i%len(hashes)]); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// TestTextPostgresCannotHold: a key that is not UTF-8 or holds a NUL
// byte, as a client may send one, finds nothing, as on SQLite, instead of
// failing with PostgreSQL's "invalid byte sequence" (a server error); a
// write of such text is the caller's mistake (EInvalid).
func TestTextPostgresCannotHold(t *testing.T) {
	db := open(t, testDSN(t), nil)
	ctx := context.Background()
	for _, bad := range []string{"a\xffb", "a\x00b"} {
		if _, err := db.UserByName(ctx, auth.DefaultTenantID, bad); err != auth.ErrUserNotFound {
			t.Errorf("UserByName(%q): %v, want ErrUserNotFound", bad, err)
		}
		if _, err := db.UserByEmail(ctx, auth.DefaultTenantID, bad); err != auth.ErrUserNotFound {
			t.Errorf("UserByEmail(%q): %v, want ErrUserNotFound", bad, err)
		}
		if _, err := db.SessionStore().SessionByID(ctx, bad); err != auth.ErrSessionNotFound {
			t.Errorf("SessionByID(%q): %v, want ErrSessionNotFound", bad, err)
		}
		u := &auth.User{ID: auth.NewID(), TenantID: auth.DefaultTenantID, Name: bad, State: auth.StateActive, CreatedAt: time.Now(), UpdatedAt: time.Now()}
		if err := db.CreateUser(ctx, u); auth.ErrorCode(err) != auth.EInvalid {
			t.Errorf("CreateUser named %q: %v, want EInvalid", bad, err)
		}
	}
}
