package sqlitestore_test

import (
	"context"
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
