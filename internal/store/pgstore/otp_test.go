package pgstore_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/sessiond/sessiond/internal/auth"
	"github.com/sessiond/sessiond/internal/store/storetest"
)

func TestOTPStoreContract(t *testing.T) {
	storetest.OTPStore(t, func(t *testing.T) auth.OTPStore { return open(t, testDSN(t), nil) })
}

func TestMessageStoreContract(t *testing.T) {
	storetest.MessageStore(t, func(t *testing.T) auth.MessageStore { return open(t, testDSN(t), nil) })
}

func TestLinkStoreContract(t *testing.T) {
	storetest.LinkStore(t, func(t *testing.T) auth.LinkStore { return open(t, testDSN(t), nil) })
}

// TestMigrationOutOfOrder opens a schema on which a later migration
// (another branch's 0004) was recorded before 0003: the runner applies
// each missing version on its own, so 0003 still runs, once.
func TestMigrationOutOfOrder(t *testing.T) {
	ctx := context.Background()
	dsn := testDSN(t)
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	qs := []string{`CREATE TABLE schema_migrations (version INT PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL)`}
	for _, name := range []string{"0001_init.sql", "0002_digest_hash.sql"} {
		b, err := os.ReadFile(filepath.Join("migrations", name))
		if err != nil {
			t.Fatal(err)
		}
		qs = append(qs, string(b))
	}
	qs = append(qs, `INSERT INTO schema_migrations (version, applied_at) VALUES (1, now()), (2, now()), (4, now())`)
	for _, q := range qs {
		if _, err := conn.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	conn.Close(ctx)
	for range 2 {
		db := open(t, dsn, nil)
		if err := db.CreateOTP(ctx, &auth.OTP{ID: auth.NewID(), TenantID: "t1", Scope: auth.ScopeOTPSignIn, Channel: auth.ChannelEmail, Recipient: "a@example.com", Status: auth.OTPPending, Version: 1}); err != nil {
			t.Fatalf("0003's table: %v", err)
		}
		db.Close()
	}
}
