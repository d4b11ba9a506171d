package sqlitestore_test

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/sessiond/sessiond/internal/store/sqlitestore"
)

// migrationVersions returns the versions of the migration files, sorted.
// Versions may have gaps while parallel branches land (0003 and 0004 were
// written at the same time), so tests compare with these, never with a
// count.
func migrationVersions(t testing.TB) []int {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("migrations", "*.sql"))
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

func highestMigration(t testing.TB) int {
	v := migrationVersions(t)
	return v[len(v)-1]
}

func migrationFile(t testing.TB, version int) string {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join("migrations", strconv.Itoa(version/1000)+strconv.Itoa(version/100%10)+strconv.Itoa(version/10%10)+strconv.Itoa(version%10)+"_*.sql"))
	if len(files) != 1 {
		t.Fatalf("migration %04d: %d files", version, len(files))
	}
	b, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestMigrationLandingLate opens a database on which a later migration
// ran before an earlier one existed (0004 before 0002, as when branches
// adding 0003 and 0004 merge in either order): Open applies the missing
// one and records every version.
func TestMigrationLandingLate(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), sqlitestore.FileName)
	raw, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)`,
		migrationFile(t, 1), `INSERT INTO schema_migrations (version, applied_at) VALUES (1, 0)`,
		migrationFile(t, 4), `INSERT INTO schema_migrations (version, applied_at) VALUES (4, 0)`,
	} {
		if _, err := raw.ExecContext(ctx, q); err != nil {
			t.Fatalf("make the database: %v", err)
		}
	}
	raw.Close()
	db, err := sqlitestore.OpenFile(ctx, path, nil)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	defer db.Close()
	raw, _ = sql.Open("sqlite", "file:"+path)
	defer raw.Close()
	rows, err := raw.QueryContext(ctx, `SELECT version FROM schema_migrations ORDER BY version`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got []int
	for rows.Next() {
		var v int
		rows.Scan(&v)
		got = append(got, v)
	}
	if want := migrationVersions(t); !slices.Equal(got, want) {
		t.Fatalf("recorded versions %v, want %v", got, want)
	}
	if _, err := raw.ExecContext(ctx, `SELECT digest_hash FROM users LIMIT 1`); err != nil {
		t.Fatalf("migration 0002 was not applied: %v", err)
	}
}
