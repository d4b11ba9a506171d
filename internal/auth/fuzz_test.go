package auth_test

import (
	"context"
	"testing"

	"github.com/sessiond/sessiond/internal/auth"
)

// FuzzHasherVerify: any stored hash string and any password, however
// malformed, give a yes or no and never a panic. The seed corpus is in
// testdata/fuzz/FuzzHasherVerify.
func FuzzHasherVerify(f *testing.F) {
	h := auth.NewHasher(fastArgon2, 1, 0)
	auth.SetMaxArgon2Memory(h, 256)
	good, err := h.Hash(context.Background(), "correct horse")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good, "correct horse")
	f.Add(good, "wrong")
	f.Add("$2a$04$abcdefghijklmnopqrstuu5Bzj9cH9j0WlK7yV5mKX6qJ6y6Q8JmK", "x")
	f.Add("", "")
	f.Fuzz(func(t *testing.T, hash, pw string) {
		ok, _, err := h.Verify(context.Background(), hash, pw)
		if err != nil {
			t.Fatalf("Verify returned an error: %v", err)
		}
		if ok && hash != good {
			// Only a hash the fuzzer built itself from scratch could
			// match; argon2 makes that practically impossible.
			t.Logf("a fuzzed hash matched: %q / %q", hash, pw)
		}
	})
}
