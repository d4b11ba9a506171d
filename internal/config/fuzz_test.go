package config

import (
	"io"
	"os"
	"path/filepath"
	"testing"
)

// FuzzParseFile: any config file, JSON or key: value lines, is parsed or
// refused with an error, and applying what it holds through Load never
// panics. The seed corpus is in testdata/fuzz/FuzzParseFile.
func FuzzParseFile(f *testing.F) {
	for _, s := range []string{
		"session-length: 30m\nlog-level = debug\n",
		`{"session-length": 30, "lockout-account-limit": 5}`,
		"# comment\n\nmax-body-bytes: 99999999999999999999\n",
		"no separator here\n",
		`{"a": {"nested": [1, 2]}}`,
		"audit-log: '-'\n",
	} {
		f.Add([]byte(s))
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := parseFile("fuzz.conf", b)
		if err != nil {
			return
		}
		for k := range m {
			if k != normalKey(k) {
				t.Fatalf("key %q not normalised", k)
			}
		}
		path := filepath.Join(dir, "c.conf")
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
		Load([]string{"--config", path, "--data-dir", dir}, func(string) string { return "" }, io.Discard)
	})
}
