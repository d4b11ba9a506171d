package sqlitestore_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/sessiond/sessiond/internal/store/sqlitestore"
	"github.com/sessiond/sessiond/internal/store/storetest"
)

// TestMigrations runs the migration tests on a database file of the
// test's own, made by hand: each statement on a connection of its own,
// none open while the store opens the file.
func TestMigrations(t *testing.T) {
	storetest.Migrations(t, func(t *testing.T) storetest.MigrationEngine {
		ctx := context.Background()
		path := filepath.Join(t.TempDir(), sqlitestore.FileName)
		raw := func(f func(*sql.DB) error) error {
			db, err := sql.Open("sqlite", "file:"+path)
			if err != nil {
				return err
			}
			defer db.Close()
			return f(db)
		}
		return storetest.MigrationEngine{
			Dir:   "migrations",
			Table: `CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)`,
			Time:  func(at time.Time) string { return strconv.FormatInt(at.UnixMilli(), 10) },
			True:  "1",
			Exec: func(q string) error {
				return raw(func(db *sql.DB) error {
					_, err := db.ExecContext(ctx, q)
					return err
				})
			},
			Ints: func(q string) ([]int, error) {
				var out []int
				err := raw(func(db *sql.DB) error {
					rows, err := db.QueryContext(ctx, q)
					if err != nil {
						return err
					}
					defer rows.Close()
					for rows.Next() {
						var v int
						if err := rows.Scan(&v); err != nil {
							return err
						}
						out = append(out, v)
					}
					return rows.Err()
				})
				return out, err
			},
			Open: func(t *testing.T) storetest.Migrated {
				t.Helper()
				db, err := sqlitestore.OpenFile(ctx, path, nil)
				if err != nil {
					t.Fatalf("open: %v", err)
				}
				return db
			},
		}
	})
}
