package sqlitestore_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/sessiond/sessiond/internal/auth"
	"github.com/sessiond/sessiond/internal/store/sqlitestore"
	"github.com/sessiond/sessiond/internal/store/storetest"
)

func open(t *testing.T, now func() time.Time) *sqlitestore.DB {
	t.Helper()
	db, err := sqlitestore.Open(context.Background(), t.TempDir(), now)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestIdentityContract(t *testing.T) {
	storetest.IdentityStore(t, func(t *testing.T) storetest.Identity { return open(t, nil) })
}

func TestFactorContract(t *testing.T) {
	storetest.FactorStores(t, func(t *testing.T) storetest.Factors { return open(t, nil) })
}

func TestSessionStoreContract(t *testing.T) {
	storetest.SessionStore(t, func(t *testing.T, now func() time.Time) auth.SessionStore {
		return open(t, now).SessionStore()
	})
}

func TestMigrationsRunOnceAndSessionsSurviveReopen(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db, err := sqlitestore.Open(ctx, dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	x := storetest.NewSession("t", "u", time.Hour)
	x.ExpiresAt = time.Now().Add(time.Hour)
	if err := db.SessionStore().CreateSession(ctx, x); err != nil {
		t.Fatal(err)
	}
	v1, _ := db.Version(ctx)
	db.Close()
	db, err = sqlitestore.Open(ctx, dir, nil)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer db.Close()
	if v2, _ := db.Version(ctx); v2 != v1 || v1 < 1 {
		t.Fatalf("schema version %d after reopen, %d before", v2, v1)
	}
	if _, err := db.SessionStore().SessionByTokenHash(ctx, x.TokenHash); err != nil {
		t.Fatalf("session lost across reopen: %v", err)
	}
	if _, err := sqlitestore.OpenFile(ctx, filepath.Join(dir, "sub", "missing", "x.db"), nil); err == nil {
		t.Fatal("opening a file in a missing directory should fail")
	}
}

func TestPurgeRemovesOnlyExpired(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2030, 1, 2, 4, 0, 0, 0, time.UTC)
	s := open(t, func() time.Time { return now }).SessionStore()
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

// TestMigratesVersion1InPlace opens a database made by migration 0001
// alone, with a user in it: Open applies the later migrations, and the
// user reads back whole, without a digest verifier until one is stored.
func TestMigratesVersion1InPlace(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), sqlitestore.FileName)
	first, err := os.ReadFile(filepath.Join("migrations", "0001_init.sql"))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	created := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, q := range []string{
		`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)`,
		string(first),
		`INSERT INTO schema_migrations (version, applied_at) VALUES (1, 0)`,
		fmt.Sprintf(`INSERT INTO users (id, tenant_id, name, email, state, admin, password_hash, presence, created_at, updated_at)
			VALUES ('00000000000000aa', 't1', 'alice', 'alice@example.com', 'active', 1, '$argon2id$pw', 'logged_in', %d, %d)`,
			created.UnixMilli(), created.UnixMilli()),
	} {
		if _, err := raw.ExecContext(ctx, q); err != nil {
			t.Fatalf("make a version 1 database: %v", err)
		}
	}
	raw.Close()

	db, err := sqlitestore.OpenFile(ctx, path, nil)
	if err != nil {
		t.Fatalf("open a version 1 database: %v", err)
	}
	defer db.Close()
	if v, err := db.Version(ctx); err != nil || v != highestMigration(t) || v < 2 {
		t.Fatalf("version %d (%v) after open, want %d", v, err, highestMigration(t))
	}
	u, err := db.UserByID(ctx, "t1", "00000000000000aa")
	if err != nil {
		t.Fatalf("user of version 1: %v", err)
	}
	if u.Name != "alice" || u.Email != "alice@example.com" || !u.Admin || u.PasswordHash != "$argon2id$pw" || u.Presence != "logged_in" ||
		u.DigestHash != "" || !u.CreatedAt.Equal(created) {
		t.Fatalf("user of version 1 read as %+v", u)
	}
	u.DigestHash = "$argon2id$digest"
	if err := db.UpdateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	if got, err := db.UserByName(ctx, "t1", "alice"); err != nil || got.DigestHash != u.DigestHash {
		t.Fatalf("after storing a verifier: %+v %v", got, err)
	}
}
