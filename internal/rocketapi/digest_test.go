package rocketapi_test

import (
	"database/sql"
	"net/http"
	"path/filepath"
	"testing"

	"github.com/sessiond/sessiond/internal/config"
	"github.com/sessiond/sessiond/internal/store/sqlitestore"
)

// TestDigestVerifierMadeAtSignIn: a user whose password was set before
// sessiond kept a digest verifier (the row migration 0002 leaves with an
// empty digest_hash) cannot log in by {digest} or {hashed} yet; the next
// plain-password login makes the verifier and stores it, after which the
// digest logins work on that instance and on one started afterwards over
// the same data (so not from memory).
func TestDigestVerifierMadeAtSignIn(t *testing.T) {
	dir := t.TempDir()
	e := start(t, func(c *config.Config) { c.DataDir = dir })
	path := filepath.Join(dir, sqlitestore.FileName)
	verifier := func() string {
		t.Helper()
		db, err := sql.Open("sqlite", "file:"+path)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		var v string
		if err := db.QueryRowContext(t.Context(), `SELECT digest_hash FROM users WHERE id = ?`, bobID).Scan(&v); err != nil {
			t.Fatalf("bob's row: %v", err)
		}
		return v
	}
	if verifier() == "" {
		t.Fatal("bob was created without a verifier")
	}
	// Bob's row as a database of migration 0001 comes out of 0002.
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(t.Context(), `UPDATE users SET digest_hash = '' WHERE id = ?`, bobID); err != nil {
		t.Fatal(err)
	}
	db.Close()

	// An instance that reads bob's row only now.
	migrated := attach(t, e.clock, func(c *config.Config) { c.DataDir = dir })
	digest := func(x *env) reply {
		return x.post("/api/v1/login", `{"user":{"username":"bob"},"password":{"digest":"`+sha(bobPass)+`","algorithm":"sha-256"}}`, nil)
	}
	hashed := func(x *env) reply {
		return x.post("/api/v1/login", `{"user":"bob","password":{"hashed":"`+sha(bobPass)+`"}}`, nil)
	}
	wantStatus(t, digest(migrated), http.StatusUnauthorized)
	if verifier() != "" {
		t.Fatal("a refused digest login wrote a verifier")
	}

	migrated.login(bobName, bobPass, "")
	if verifier() == "" {
		t.Fatal("the plain-password login made no verifier")
	}
	wantStatus(t, digest(migrated), http.StatusOK)
	wantStatus(t, hashed(migrated), http.StatusOK)

	restarted := attach(t, e.clock, func(c *config.Config) { c.DataDir = dir })
	wantStatus(t, digest(restarted), http.StatusOK)
	wantStatus(t, hashed(restarted), http.StatusOK)
	wantStatus(t, restarted.post("/api/v1/login", `{"user":"bob","password":{"hashed":"`+sha("not-bobs-password")+`"}}`, nil), http.StatusUnauthorized)
}
