package auth_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"strings"
	"testing"

	"github.com/sessiond/sessiond/internal/auth"
	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"
)

// phc is a parsed argon2id PHC string.
type phc struct {
	version   int
	params    auth.Argon2Params
	salt, key []byte
}

func parsePHC(t testing.TB, s string) phc {
	t.Helper()
	parts := strings.Split(s, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		t.Fatalf("hash %q: want $argon2id$v=..$m=..,t=..,p=..$salt$key", s)
	}
	var p phc
	if _, err := fmt.Sscanf(parts[2], "v=%d", &p.version); err != nil {
		t.Fatalf("hash %q: version: %v", s, err)
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.params.MemoryKiB, &p.params.Time, &p.params.Threads); err != nil {
		t.Fatalf("hash %q: parameters: %v", s, err)
	}
	var err error
	if p.salt, err = base64.RawStdEncoding.DecodeString(parts[4]); err != nil {
		t.Fatalf("hash %q: salt: %v", s, err)
	}
	if p.key, err = base64.RawStdEncoding.DecodeString(parts[5]); err != nil {
		t.Fatalf("hash %q: key: %v", s, err)
	}
	return p
}

// storedHash reads a user's password hash straight from the store.
func (e *env) storedHash(t testing.TB, id string) string {
	t.Helper()
	u, err := e.db.UserByID(context.Background(), auth.DefaultTenantID, id)
	must(t, "user by ID", err)
	return u.PasswordHash
}

// putUser stores a user with a ready-made password hash, bypassing the service.
func (e *env) putUser(t testing.TB, name, hash string) *auth.User {
	t.Helper()
	u := &auth.User{
		ID: auth.NewID(), TenantID: auth.DefaultTenantID, Name: name, State: auth.StateActive,
		PasswordHash: hash, CreatedAt: start, UpdatedAt: start,
	}
	must(t, "store user", e.db.CreateUser(context.Background(), u))
	return u
}

func (e *env) trySignIn(name, pw string) error {
	_, _, _, err := signInWith(e.svc, context.Background(), signInReq{TenantID: auth.DefaultTenantID, Login: name, Password: pw})
	return err
}

func TestPasswordPolicy(t *testing.T) {
	tests := []struct {
		name string
		pw   string
		ok   bool
	}{
		{name: "7 bytes", pw: strings.Repeat("a", 7)},
		{name: "8 bytes", pw: "a8bytes!", ok: true},
		{name: "8 bytes, but a common password", pw: strings.Repeat("a", 8)},
		{name: "72 bytes", pw: strings.Repeat("a", 72), ok: true},
		{name: "73 bytes", pw: strings.Repeat("a", 73)},
		{name: "1000 bytes", pw: strings.Repeat("a", 1000)},
		{name: "4 two-byte runes are 8 bytes", pw: strings.Repeat("é", 4), ok: true},
		{name: "36 two-byte runes are 72 bytes", pw: strings.Repeat("é", 36), ok: true},
		{name: "37 two-byte runes are 74 bytes", pw: strings.Repeat("é", 37)},
		{name: "3 two-byte runes are 6 bytes", pw: strings.Repeat("é", 3)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			check := auth.DefaultPolicy.Check(tt.pw)
			e := newEnv(t)
			_, create := e.svc.CreateUser(ctx, auth.NewUser{TenantID: auth.DefaultTenantID, Name: "alice", Password: tt.pw})
			u := e.createUser(t, "bob", "initial password")
			change := e.svc.ChangePassword(ctx, auth.DefaultTenantID, u.ID, "initial password", tt.pw, false, "")
			set := e.svc.SetPassword(ctx, auth.DefaultTenantID, u.ID, tt.pw, false, "")
			for what, err := range map[string]error{"Policy.Check": check, "CreateUser": create, "SetPassword": set, "ChangePassword": change} {
				if tt.ok {
					must(t, what, err)
				} else {
					wantCode(t, what, err, auth.EPasswordRule)
				}
			}
			if tt.ok {
				must(t, "sign in with the new password", e.trySignIn("bob", tt.pw))
				return
			}
			// A refused password changes nothing.
			must(t, "sign in with the old password", e.trySignIn("bob", "initial password"))
			wantErr(t, "sign in as the refused user", e.trySignIn("alice", tt.pw), auth.ErrBadCredentials)
		})
	}
}

func TestServiceDefaultPolicy(t *testing.T) {
	e := newEnv(t)
	if got, want := e.svc.Policy(), (auth.PasswordPolicy{MinBytes: 8, MaxBytes: 72}); got != want {
		t.Fatalf("policy: got %+v, want %+v", got, want)
	}
	custom := auth.PasswordPolicy{MinBytes: 12, MaxBytes: 64}
	e = newEnv(t, func(c *auth.Config) { c.Policy = custom })
	_, err := e.svc.CreateUser(context.Background(), auth.NewUser{TenantID: auth.DefaultTenantID, Name: "alice", Password: "elevenchars"})
	wantCode(t, "11 bytes under a 12-byte minimum", err, auth.EPasswordRule)
}

// Every byte of a password counts: nothing past some length is dropped.
func TestPasswordNotTruncated(t *testing.T) {
	pw := strings.Repeat("p", 71) + "1"
	tests := []struct {
		name    string
		attempt string
		want    error
	}{
		{name: "same 72 bytes", attempt: pw},
		{name: "last byte differs", attempt: strings.Repeat("p", 71) + "2", want: auth.ErrBadCredentials},
		{name: "first byte differs", attempt: "q" + pw[1:], want: auth.ErrBadCredentials},
		{name: "one byte more", attempt: pw + "x", want: auth.ErrBadCredentials},
		{name: "one byte less", attempt: pw[:71], want: auth.ErrBadCredentials},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			e.createUser(t, "alice", pw)
			err := e.trySignIn("alice", tt.attempt)
			if tt.want == nil {
				must(t, "sign in", err)
				return
			}
			wantErr(t, "sign in", err, tt.want)
		})
	}
}

func TestDefaultArgon2IsAtLeastOWASP(t *testing.T) {
	p := auth.DefaultArgon2
	if p.MemoryKiB < 19456 || p.Time < 2 || p.Threads < 1 {
		t.Fatalf("DefaultArgon2: got m=%d,t=%d,p=%d, want at least m=19456,t=2,p=1", p.MemoryKiB, p.Time, p.Threads)
	}
}

// A new hash is argon2id, in PHC form, at the OWASP parameters or stronger,
// with a fresh salt; and recomputing it with x/crypto gives the same key.
func TestNewHashIsArgon2idPHC(t *testing.T) {
	tests := []struct {
		name string
		hash func(t *testing.T, pw string) string
	}{
		{name: "Hasher at DefaultArgon2", hash: func(t *testing.T, pw string) string {
			h, err := auth.NewHasher(auth.DefaultArgon2, 1, 0).Hash(context.Background(), pw)
			must(t, "hash", err)
			return h
		}},
		{name: "Service without a Hasher", hash: func(t *testing.T, pw string) string {
			e := newEnv(t, func(c *auth.Config) { c.Hasher = nil })
			u := e.createUser(t, "alice"+auth.NewID(), pw)
			return e.storedHash(t, u.ID)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			const pw = "correct horse battery"
			h1, h2 := tt.hash(t, pw), tt.hash(t, pw)
			p := parsePHC(t, h1)
			if p.version != argon2.Version {
				t.Fatalf("version: got %d, want %d", p.version, argon2.Version)
			}
			if p.params.MemoryKiB < 19456 || p.params.Time < 2 || p.params.Threads < 1 {
				t.Fatalf("params: got %+v, want at least m=19456,t=2,p=1", p.params)
			}
			if len(p.salt) < 16 {
				t.Fatalf("salt: got %d bytes, want at least 16", len(p.salt))
			}
			if len(p.key) < 32 {
				t.Fatalf("key: got %d bytes, want at least 32", len(p.key))
			}
			want := argon2.IDKey([]byte(pw), p.salt, p.params.Time, p.params.MemoryKiB, p.params.Threads, uint32(len(p.key)))
			if !bytes.Equal(p.key, want) {
				t.Fatalf("key does not match argon2id of the password with the stated parameters")
			}
			if h1 == h2 || bytes.Equal(p.salt, parsePHC(t, h2).salt) {
				t.Fatalf("two hashes of one password share a salt: %q, %q", h1, h2)
			}
		})
	}
}

func TestHasherVerify(t *testing.T) {
	ctx := context.Background()
	h := auth.NewHasher(fastArgon2, 1, 0)
	good, err := h.Hash(ctx, "correct horse")
	must(t, "hash", err)
	tests := []struct {
		name   string
		hash   string
		pw     string
		wantOK bool
	}{
		{name: "match", hash: good, pw: "correct horse", wantOK: true},
		{name: "mismatch", hash: good, pw: "correct horsf"},
		{name: "empty hash", hash: "", pw: "correct horse"},
		{name: "empty hash and password", hash: "", pw: ""},
		{name: "garbage", hash: "not a hash", pw: "correct horse"},
		{name: "argon2i is not argon2id", hash: strings.Replace(good, "$argon2id$", "$argon2i$", 1), pw: "correct horse"},
		{name: "wrong version", hash: strings.Replace(good, "$v=19$", "$v=16$", 1), pw: "correct horse"},
		{name: "truncated", hash: good[:len(good)-10], pw: "correct horse"},
		{name: "zero memory", hash: strings.Replace(good, "m=64,", "m=0,", 1), pw: "correct horse"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, rehash, err := h.Verify(ctx, tt.hash, tt.pw)
			must(t, "verify", err)
			if ok != tt.wantOK {
				t.Fatalf("ok: got %v, want %v", ok, tt.wantOK)
			}
			if rehash {
				t.Fatalf("rehash: got true, want false")
			}
		})
	}
}

func TestBcryptHashVerifiesAndIsUpgraded(t *testing.T) {
	const pw = "influx password"
	b, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.MinCost)
	must(t, "bcrypt", err)
	tests := []struct {
		name string
		hash string
	}{
		{name: "$2a$", hash: string(b)},
		{name: "$2b$", hash: "$2b$" + string(b[4:])},
		{name: "$2y$", hash: "$2y$" + string(b[4:])},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			u := e.putUser(t, "influx", tt.hash)

			wantErr(t, "wrong password", e.trySignIn("influx", "influx passwort"), auth.ErrBadCredentials)
			if got := e.storedHash(t, u.ID); got != tt.hash {
				t.Fatalf("after a failed sign-in the hash changed to %q, want it kept", got)
			}

			must(t, "sign in with the bcrypt password", e.trySignIn("influx", pw))
			got := e.storedHash(t, u.ID)
			if p := parsePHC(t, got); p.params != fastArgon2 {
				t.Fatalf("upgraded hash params: got %+v, want the service's %+v", p.params, fastArgon2)
			}
			must(t, "sign in with the upgraded hash", e.trySignIn("influx", pw))
			wantErr(t, "wrong password after upgrade", e.trySignIn("influx", "influx passwort"), auth.ErrBadCredentials)
			if again := e.storedHash(t, u.ID); again != got {
				t.Fatalf("a current hash was replaced again: %q then %q", got, again)
			}
		})
	}
}

// bcrypt only reads 72 bytes. A password longer than that must not match
// the hash of its first 72 bytes, and must not become the user's password.
func TestBcryptLongPasswordNotTruncated(t *testing.T) {
	pw := strings.Repeat("b", 72)
	b, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.MinCost)
	must(t, "bcrypt", err)
	tests := []struct {
		name    string
		attempt string
	}{
		{name: "one byte more", attempt: pw + "x"},
		{name: "many bytes more", attempt: pw + strings.Repeat("x", 100)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			u := e.putUser(t, "influx", string(b))
			ok, _, err := e.hasher.Verify(context.Background(), string(b), tt.attempt)
			must(t, "verify", err)
			if ok {
				t.Errorf("Hasher.Verify: a %d-byte password matched the bcrypt hash of its first 72 bytes", len(tt.attempt))
			}
			if err := e.trySignIn("influx", tt.attempt); err == nil {
				t.Errorf("SignIn: a %d-byte password signed in against the bcrypt hash of its first 72 bytes", len(tt.attempt))
			}
			if err := e.trySignIn("influx", pw); err != nil {
				t.Errorf("SignIn with the real password after the long attempt: got %v, want success (hash now %q)", err, e.storedHash(t, u.ID))
			}
		})
	}
}

func TestWeakerArgon2IsRehashed(t *testing.T) {
	svcParams := auth.Argon2Params{MemoryKiB: 64, Time: 2, Threads: 2}
	tests := []struct {
		name       string
		stored     auth.Argon2Params
		wantRehash bool
	}{
		{name: "less memory", stored: auth.Argon2Params{MemoryKiB: 32, Time: 2, Threads: 2}, wantRehash: true},
		{name: "fewer passes", stored: auth.Argon2Params{MemoryKiB: 64, Time: 1, Threads: 2}, wantRehash: true},
		{name: "fewer threads", stored: auth.Argon2Params{MemoryKiB: 64, Time: 2, Threads: 1}, wantRehash: true},
		{name: "same", stored: svcParams},
		{name: "stronger", stored: auth.Argon2Params{MemoryKiB: 128, Time: 3, Threads: 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			const pw = "correct horse"
			old, err := auth.NewHasher(tt.stored, 1, 0).Hash(ctx, pw)
			must(t, "hash", err)
			e := newEnv(t, func(c *auth.Config) { c.Hasher = auth.NewHasher(svcParams, 1, 0) })
			u := e.putUser(t, "alice", old)

			ok, rehash, err := e.hasher.Verify(ctx, old, pw)
			must(t, "verify", err)
			if !ok || rehash != tt.wantRehash {
				t.Fatalf("Verify: got ok=%v rehash=%v, want ok=true rehash=%v", ok, rehash, tt.wantRehash)
			}
			if _, rehash, _ := e.hasher.Verify(ctx, old, "wrong horse"); rehash {
				t.Fatalf("Verify with a wrong password asks for a rehash")
			}
			wantErr(t, "wrong password", e.trySignIn("alice", "wrong horse"), auth.ErrBadCredentials)
			if got := e.storedHash(t, u.ID); got != old {
				t.Fatalf("a failed sign-in replaced the hash")
			}

			must(t, "sign in", e.trySignIn("alice", pw))
			got := e.storedHash(t, u.ID)
			if !tt.wantRehash {
				if got != old {
					t.Fatalf("hash replaced: got %q, want %q kept", got, old)
				}
				return
			}
			if p := parsePHC(t, got); p.params != svcParams {
				t.Fatalf("rehashed params: got %+v, want %+v", p.params, svcParams)
			}
			must(t, "sign in with the new hash", e.trySignIn("alice", pw))
		})
	}
}

// storedDigest reads a user's digest verifier straight from the store.
func (e *env) storedDigest(t testing.TB, id string) string {
	t.Helper()
	u, err := e.db.UserByID(context.Background(), auth.DefaultTenantID, id)
	must(t, "user by ID", err)
	return u.DigestHash
}

// A user whose password was set before sessiond kept a digest verifier
// (a row migration 0002 leaves with a hash and no verifier) cannot sign
// in by digest yet. The next plain-password sign-in makes the verifier
// under the service's argon2id parameters and stores it, whether the
// password hash is kept (current argon2id) or replaced (bcrypt); from
// then on the digest signs in and a wrong one does not. Failed sign-ins
// make none.
func TestDigestVerifierMadeAtNextSignIn(t *testing.T) {
	const pw = "correct horse"
	ctx := context.Background()
	current, err := auth.NewHasher(fastArgon2, 1, 0).Hash(ctx, pw)
	must(t, "argon2id", err)
	old, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.MinCost)
	must(t, "bcrypt", err)
	tests := []struct {
		name string
		hash string
		kept bool // the password hash itself is current and stays
	}{
		{name: "argon2id", hash: current, kept: true},
		{name: "bcrypt", hash: string(old)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			u := e.putUser(t, "alice", tt.hash)
			digest := func(pw string) error {
				_, err := e.svc.SignIn(ctx, auth.Attempt{
					TenantID: auth.DefaultTenantID, Login: "alice", Credential: auth.PasswordDigest{SHA256: auth.Digest(pw)},
				})
				return err
			}
			wantErr(t, "digest before the verifier exists", digest(pw), auth.ErrBadCredentials)
			wantErr(t, "wrong password", e.trySignIn("alice", "wrong horse"), auth.ErrBadCredentials)
			if d := e.storedDigest(t, u.ID); d != "" {
				t.Fatalf("failed sign-ins stored a verifier %q", d)
			}

			must(t, "sign in with the password", e.trySignIn("alice", pw))
			d := e.storedDigest(t, u.ID)
			if d == "" {
				t.Fatal("the password sign-in stored no verifier")
			}
			if p := parsePHC(t, d); p.params != fastArgon2 {
				t.Fatalf("verifier params %+v, want the service's %+v", p.params, fastArgon2)
			}
			if h := e.storedHash(t, u.ID); (h == tt.hash) != tt.kept {
				t.Fatalf("password hash %q after sign-in (was %q), kept %v", h, tt.hash, tt.kept)
			}
			must(t, "digest after the password sign-in", digest(pw))
			wantErr(t, "wrong digest", digest("wrong horse"), auth.ErrBadCredentials)
			if again := e.storedDigest(t, u.ID); again != d {
				t.Fatal("a digest sign-in replaced the verifier")
			}
		})
	}
}
