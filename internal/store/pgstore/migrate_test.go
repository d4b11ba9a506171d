package pgstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/sessiond/sessiond/internal/store/storetest"
)

// TestMigrations runs the migration tests on a schema of the test's own,
// made by hand through a connection of its own.
func TestMigrations(t *testing.T) {
	storetest.Migrations(t, func(t *testing.T) storetest.MigrationEngine {
		ctx := context.Background()
		dsn := testDSN(t)
		conn, err := pgx.Connect(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { conn.Close(ctx) })
		return storetest.MigrationEngine{
			Dir:   "migrations",
			Table: `CREATE TABLE schema_migrations (version INT PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL)`,
			Time:  func(at time.Time) string { return "'" + at.UTC().Format(time.RFC3339Nano) + "'" },
			True:  "true",
			Exec: func(q string) error {
				_, err := conn.Exec(ctx, q)
				return err
			},
			Ints: func(q string) ([]int, error) {
				rows, err := conn.Query(ctx, q)
				if err != nil {
					return nil, err
				}
				return pgx.CollectRows(rows, pgx.RowTo[int])
			},
			Open: func(t *testing.T) storetest.Migrated { return open(t, dsn, nil) },
		}
	})
}
