package sqlitestore_test

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"testing"

	"github.com/sessiond/sessiond/internal/auth"
	"github.com/sessiond/sessiond/internal/store/sqlitestore"
	"github.com/sessiond/sessiond/internal/store/storetest"
)

func TestOTPStoreContract(t *testing.T) {
	storetest.OTPStore(t, func(t *testing.T) auth.OTPStore { return open(t, nil) })
}

func TestMessageStoreContract(t *testing.T) {
	storetest.MessageStore(t, func(t *testing.T) auth.MessageStore { return open(t, nil) })
}

func TestLinkStoreContract(t *testing.T) {
	storetest.LinkStore(t, func(t *testing.T) auth.LinkStore { return open(t, nil) })
}

// TestMigrationOutOfOrder opens a database on which a later migration
// (another branch's 0004) was recorded before 0003: the runner applies
// each missing version on its own, so 0003 still runs, once.
func TestMigrationOutOfOrder(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), sqlitestore.FileName)
	raw, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	qs := []string{`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)`}
	for _, name := range []string{"0001_init.sql", "0002_digest_hash.sql"} {
		b, err := os.ReadFile(filepath.Join("migrations", name))
		if err != nil {
			t.Fatal(err)
		}
		qs = append(qs, string(b))
	}
	qs = append(qs, `INSERT INTO schema_migrations (version, applied_at) VALUES (1, 0), (2, 0), (4, 0)`)
	for _, q := range qs {
		if _, err := raw.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	raw.Close()
	for range 2 {
		db, err := sqlitestore.OpenFile(ctx, path, nil)
		if err != nil {
			t.Fatalf("open with 0004 recorded before 0003: %v", err)
		}
		if err := db.CreateOTP(ctx, &auth.OTP{ID: auth.NewID(), TenantID: "t1", Scope: auth.ScopeOTPSignIn, Channel: auth.ChannelEmail, Recipient: "a@example.com", Status: auth.OTPPending, Version: 1}); err != nil {
			t.Fatalf("0003's table: %v", err)
		}
		db.Close()
	}
}
