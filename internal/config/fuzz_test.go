package config

import (
	"io"
	"os"
	"path/filepath"
	"testing"
)

// FuzzParseFile: any config file, YAML or JSON, is parsed or refused
// with problems, every key it yields is a known flag, and applying what
// it holds through Load never panics. The seed corpus is in testdata/fuzz/FuzzParseFile.
func FuzzParseFile(f *testing.F) {
	for _, s := range []string{
		"sessions:\n  length: 30m\nlog:\n  level: debug\n",
		"http:\n  trusted-proxies: [10.0.0.1, 10.0.0.0/8]\n",
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
		m, problems := parseFile("fuzz.conf", b)
		if m == nil && len(problems) == 0 {
			t.Fatal("no values and no problem")
		}
		known := map[string]bool{}
		for _, o := range options() {
			known[o.flag] = true
		}
		for k := range m {
			if !known[k] {
				t.Fatalf("unknown key %q came through", k)
			}
		}
		path := filepath.Join(dir, "c.conf")
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
		Load([]string{"--config", path, "--data-dir", dir}, func(string) string { return "" }, io.Discard)
	})
}
