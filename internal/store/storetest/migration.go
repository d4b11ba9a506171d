package storetest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sessiond/sessiond/internal/auth"
)

// Migrated is a store of an SQL engine, which migrates its schema when it
// opens.
type Migrated interface {
	Identity
	auth.OTPStore
	// Version returns the highest migration recorded.
	Version(ctx context.Context) (int, error)
	Close() error
}

// MigrationEngine is what the migration tests need of an SQL engine,
// below its store: the engine's migration files, its spelling of a few
// values, and a raw connection to the database its store opens.
type MigrationEngine struct {
	// Dir holds the migration files, NNNN_name.sql.
	Dir string
	// Table creates schema_migrations as the engine's runner makes it.
	Table string
	// Time and True spell a time and true as SQL literals of the engine.
	Time func(time.Time) string
	True string
	// Exec runs one statement on the database, outside the store.
	Exec func(q string) error
	// Ints runs a query whose rows are one integer each.
	Ints func(q string) ([]int, error)
	// Open opens the store on the database, which migrates it.
	Open func(t *testing.T) Migrated
}

// MigrationVersions returns the versions of the migration files in dir,
// sorted. Versions may have gaps while parallel branches land (0003 and
// 0004 were written at the same time), so tests compare with these,
// never with a count.
func MigrationVersions(t testing.TB, dir string) []int {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.sql"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no migrations: %v", err)
	}
	var out []int
	for _, f := range files {
		v, err := strconv.Atoi(strings.SplitN(filepath.Base(f), "_", 2)[0])
		if err != nil {
			t.Fatalf("migration %s: %v", f, err)
		}
		out = append(out, v)
	}
	slices.Sort(out)
	return out
}

// MigrationFile returns the statements of migration version in dir.
func MigrationFile(t testing.TB, dir string, version int) string {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, fmt.Sprintf("%04d_*.sql", version)))
	if len(files) != 1 {
		t.Fatalf("migration %04d: %d files", version, len(files))
	}
	b, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// Migrations runs the migration tests against an engine: newEngine
// returns the engine over an empty database of the test's own.
func Migrations(t *testing.T, newEngine func(t *testing.T) MigrationEngine) {
	// A database on which a later migration ran before an earlier one
	// existed (0004 before 0002, as when branches adding 0003 and 0004
	// merge in either order): Open applies the missing one and records
	// every version.
	t.Run("LandingLate", func(t *testing.T) {
		e := newEngine(t)
		e.exec(t, "make the database", e.Table,
			MigrationFile(t, e.Dir, 1), e.recorded(1),
			MigrationFile(t, e.Dir, 4), e.recorded(4))
		db := e.Open(t)
		defer db.Close()
		got, err := e.Ints(`SELECT version FROM schema_migrations ORDER BY version`)
		must(t, "recorded versions", err)
		if want := MigrationVersions(t, e.Dir); !slices.Equal(got, want) {
			t.Fatalf("recorded versions %v, want %v", got, want)
		}
		if err := e.Exec(`SELECT digest_hash FROM users LIMIT 1`); err != nil {
			t.Fatalf("migration 0002 was not applied: %v", err)
		}
	})
	// A database on which a later migration (another branch's 0004) was
	// recorded before 0003: the runner applies each missing version on
	// its own, so 0003 still runs, once.
	t.Run("OutOfOrder", func(t *testing.T) {
		e := newEngine(t)
		e.exec(t, "make the database", e.Table,
			MigrationFile(t, e.Dir, 1), MigrationFile(t, e.Dir, 2),
			e.recorded(1, 2, 4))
		for range 2 {
			db := e.Open(t)
			if err := db.CreateOTP(context.Background(), &auth.OTP{ID: auth.NewID(), TenantID: "t1", Scope: auth.ScopeOTPSignIn, Channel: auth.ChannelEmail, Recipient: "a@example.com", Status: auth.OTPPending, Version: 1}); err != nil {
				t.Fatalf("0003's table: %v", err)
			}
			db.Close()
		}
	})
	// A database made by migration 0001 alone, with a user in it: Open
	// applies the later migrations, and the user reads back whole,
	// without a digest verifier until one is stored.
	t.Run("Version1InPlace", func(t *testing.T) {
		e := newEngine(t)
		e.exec(t, "make a version 1 database", e.Table, MigrationFile(t, e.Dir, 1), e.recorded(1))
		e.exec(t, "user of version 1", `INSERT INTO users (id, tenant_id, name, email, state, admin, password_hash, presence, created_at, updated_at)
			VALUES ('00000000000000aa', 't1', 'alice', 'alice@example.com', 'active', `+e.True+`, '$argon2id$pw', 'logged_in', `+e.Time(base)+`, `+e.Time(base)+`)`)
		ctx := context.Background()
		db := e.Open(t)
		defer db.Close()
		versions := MigrationVersions(t, e.Dir)
		if v, err := db.Version(ctx); err != nil || v != versions[len(versions)-1] || v < 2 {
			t.Fatalf("version %d (%v) after open, want %d", v, err, versions[len(versions)-1])
		}
		u, err := db.UserByID(ctx, "t1", "00000000000000aa")
		if err != nil {
			t.Fatalf("user of version 1: %v", err)
		}
		if u.Name != "alice" || u.Email != "alice@example.com" || !u.Admin || u.PasswordHash != "$argon2id$pw" || u.Presence != "logged_in" ||
			u.DigestHash != "" || !u.CreatedAt.Equal(base) {
			t.Fatalf("user of version 1 read as %+v", u)
		}
		u.DigestHash = "$argon2id$digest"
		must(t, "store a verifier", db.UpdateUser(ctx, u))
		if got, err := db.UserByName(ctx, "t1", "alice"); err != nil || got.DigestHash != u.DigestHash {
			t.Fatalf("after storing a verifier: %+v %v", got, err)
		}
	})
}

// exec runs statements on the engine's database, failing the test with
// what when one fails.
func (e MigrationEngine) exec(t *testing.T, what string, qs ...string) {
	t.Helper()
	for _, q := range qs {
		if err := e.Exec(q); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
}

// recorded records versions in schema_migrations.
func (e MigrationEngine) recorded(versions ...int) string {
	rows := make([]string, len(versions))
	for i, v := range versions {
		rows[i] = fmt.Sprintf("(%d, %s)", v, e.Time(base))
	}
	return `INSERT INTO schema_migrations (version, applied_at) VALUES ` + strings.Join(rows, ", ")
}
