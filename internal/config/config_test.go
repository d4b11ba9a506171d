package config

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func envOf(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func writeFile(t *testing.T, name, body string) string {
	t.Helper()
	f := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(f, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return f
}

func TestLoadPrecedence(t *testing.T) {
	file := writeFile(t, "sessiond.yaml", "# comment\nsessions:\n  length: 30m\nlog:\n  level: warn\nhttp:\n  bind-address: \":9000\"\n")
	cases := []struct {
		name string
		args []string
		env  map[string]string
		want func(c Config) bool
	}{
		{"defaults", nil, nil, func(c Config) bool {
			return c.HTTPBindAddress == ":8086" && c.SessionLength == 10*time.Minute && c.SessionStore == "memory" && c.Store == "sqlite" && !c.SessionRenewDisabled && c.LogFormat == "auto"
		}},
		{"file", []string{"--config", file}, nil, func(c Config) bool {
			return c.SessionLength == 30*time.Minute && c.LogLevel == "warn" && c.HTTPBindAddress == ":9000"
		}},
		{"env over file", []string{"--config", file}, map[string]string{"SESSIOND_SESSION_LENGTH": "45m"}, func(c Config) bool { return c.SessionLength == 45*time.Minute }},
		{"flag over env", []string{"--session-length", "5m"}, map[string]string{"SESSIOND_SESSION_LENGTH": "45m"}, func(c Config) bool { return c.SessionLength == 5*time.Minute }},
		{"config file from env", nil, map[string]string{"SESSIOND_CONFIG": file}, func(c Config) bool { return c.LogLevel == "warn" }},
		{"minutes as a bare number", []string{"--session-length=60"}, nil, func(c Config) bool { return c.SessionLength == time.Hour }},
		{"bool env", nil, map[string]string{"SESSIOND_SESSION_RENEW_DISABLED": "true"}, func(c Config) bool { return c.SessionRenewDisabled }},
		{"bare bool flag", []string{"--access-log"}, nil, func(c Config) bool { return c.AccessLog }},
		{"bool flag false", []string{"--end-sessions-on-password-change=false"}, nil, func(c Config) bool { return !c.EndSessionsOnPasswordChange }},
		{"sqlite sessions", []string{"--session-store", "sqlite"}, nil, func(c Config) bool { return c.SessionStore == "sqlite" }},
		{"log format", []string{"--log-format", "json"}, nil, func(c Config) bool { return c.LogFormat == "json" }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := Load(c.args, envOf(c.env), io.Discard)
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if !c.want(got) {
				t.Fatalf("got %+v", got)
			}
		})
	}
}

// TestFileFormats: YAML in sections, JSON in the same shape, and a flat
// file of flag names give the same configuration; a list may be a YAML
// sequence.
func TestFileFormats(t *testing.T) {
	want, err := Load([]string{"--session-length", "15m", "--session-renew-disabled", "--lockout-account-limit", "5",
		"--trusted-proxies", "10.0.0.1,10.1.0.0/16", "--max-body-bytes", "2048"}, envOf(nil), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{
		"yaml": "sessions:\n  length: 15m\n  renew-disabled: true\nlockout:\n  account-limit: 5\nhttp:\n  trusted-proxies:\n    - 10.0.0.1\n    - 10.1.0.0/16\n  max-body-bytes: 2048\n",
		"json": `{"sessions": {"length": "15m", "renew-disabled": true}, "lockout": {"account-limit": 5},
		          "http": {"trusted-proxies": ["10.0.0.1", "10.1.0.0/16"], "max-body-bytes": 2048}}`,
		"flat": "session-length: 15m\nsession-renew-disabled: true\nlockout-account-limit: 5\ntrusted-proxies: 10.0.0.1,10.1.0.0/16\nmax-body-bytes: 2048\n",
	}
	for name, body := range files {
		t.Run(name, func(t *testing.T) {
			got, err := Load([]string{"--config", writeFile(t, "c."+name, body)}, envOf(nil), io.Discard)
			if err != nil {
				t.Fatal(err)
			}
			if got != want {
				t.Fatalf("got %+v\nwant %+v", got, want)
			}
		})
	}
}

func TestLoadNamesEveryBadValue(t *testing.T) {
	_, err := Load([]string{"--session-length", "soon", "--log-level", "loud", "--tls-cert", "/nonexistent.pem", "--http-bind-address", "xx"},
		envOf(map[string]string{"SESSIOND_HASH_WORKERS": "many", "SESSIOND_STORE": "mysql://x", "SESSIOND_LOG_FORMAT": "xml"}), io.Discard)
	if err == nil {
		t.Fatal("bad configuration accepted")
	}
	for _, want := range []string{"--session-length", "SESSIOND_HASH_WORKERS", "log-level", "store \"mysql://x\"", "tls-cert and tls-key",
		"/nonexistent.pem", `http-bind-address "xx"`, "log-format"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not name %q: %v", want, err)
		}
	}
	if strings.Count(err.Error(), "\n") != 0 {
		t.Errorf("want one line, got %q", err)
	}
}

func TestBindAddress(t *testing.T) {
	for _, tc := range []struct {
		addr string
		ok   bool
	}{
		{":8086", true}, {"127.0.0.1:8086", true}, {"[::1]:0", true}, {"localhost:9999", true}, {"sessiond.example.com:443", true},
		{"xx", false}, {"", false}, {"8086", false}, {":http", false}, {":70000", false}, {"bad host:80", false}, {"-x:80", false},
	} {
		c := Default()
		c.HTTPBindAddress = tc.addr
		err := c.Validate()
		if (err == nil) != tc.ok {
			t.Errorf("%q: got %v, want ok=%v", tc.addr, err, tc.ok)
		}
	}
}

func TestLoadRejectsBadFiles(t *testing.T) {
	cases := []struct{ name, body, want string }{
		{"unknown key", "no-such-setting: 1\n", `line 1: unknown setting "no-such-setting"`},
		{"unknown key in a section", "lockout:\n  acount-limit: 3\n", `unknown setting "lockout.acount-limit"`},
		{"misplaced key", "http:\n  account-limit: 3\n", `(did you mean "lockout.account-limit"?)`},
		{"a section as a value", "sessions:\n  length:\n    minutes: 3\n", "want a value, not a section"},
		{"a value as a section", "sessions: 3\n", `section "sessions" must hold settings`},
		{"set twice", "session-length: 3m\nsessions:\n  length: 4m\n", "already set"},
		{"not key value", "just words\n", "want sections"},
		{"bad yaml", "sessions:\n  length: [\n", "config file"},
		{"bad json", `{"sessions": `, "config file"},
		{"bad value", "sessions:\n  length: soon\n", "line 2 (sessions.length)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Load([]string{"--config", writeFile(t, "c.yaml", c.body)}, envOf(nil), io.Discard)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want %q", err, c.want)
			}
		})
	}
	if _, err := Load([]string{"--config", filepath.Join(t.TempDir(), "missing")}, envOf(nil), io.Discard); err == nil {
		t.Fatal("a missing config file was accepted")
	}
	if c, err := Load([]string{"--config", writeFile(t, "empty.yaml", "# nothing\n")}, envOf(nil), io.Discard); err != nil || c != Default() {
		t.Fatalf("empty file: %v", err)
	}
}

func TestLoadRejectsStrayArguments(t *testing.T) {
	if _, err := Load([]string{"extra"}, envOf(nil), io.Discard); err == nil {
		t.Fatal("stray argument accepted")
	}
	if _, err := Load([]string{"--no-such-flag"}, envOf(nil), io.Discard); err == nil {
		t.Fatal("unknown flag accepted")
	}
}

// TestSecretsFromFiles: every secret reads from SESSIOND_*_FILE; both
// forms at once, a missing or empty file are problems; no secret is ever
// in an error.
func TestSecretsFromFiles(t *testing.T) {
	const pw = "s3cret-pw"
	dsn := "postgres://sessiond:" + pw + "@db.example:5432/sessiond"
	f := writeFile(t, "dsn", dsn+"\n")
	c, err := Load(nil, envOf(map[string]string{"SESSIOND_STORE_FILE": f}), io.Discard)
	if err != nil || c.Store != dsn {
		t.Fatalf("SESSIOND_STORE_FILE: %q %v", c.Store, err)
	}
	for _, o := range options() {
		if o.secret == public {
			continue
		}
		t.Run(o.flag, func(t *testing.T) {
			_, err := Load(nil, envOf(map[string]string{EnvName(o.flag) + "_FILE": filepath.Join(t.TempDir(), "none")}), io.Discard)
			if err == nil || !strings.Contains(err.Error(), EnvName(o.flag)+"_FILE") {
				t.Fatalf("missing file: %v", err)
			}
		})
	}
	cases := []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"both", map[string]string{"SESSIOND_STORE": dsn, "SESSIOND_STORE_FILE": f}, nil, "both set"},
		{"empty file", map[string]string{"SESSIOND_STORE_FILE": writeFile(t, "empty", "\n")}, nil, "is empty"},
		{"bad url in env", map[string]string{"SESSIOND_STORE": "mysql://root:" + pw + "@db/x"}, nil, "mysql://root:REDACTED@db/x"},
		{"bad url in a flag", nil, []string{"--session-store", "memcache://u:" + pw + "@m:11211"}, "memcache://u:REDACTED@m:11211"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Load(c.args, envOf(c.env), io.Discard)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want %q", err, c.want)
			}
			if strings.Contains(err.Error(), pw) {
				t.Fatalf("secret in the error: %v", err)
			}
		})
	}
}

// TestPrint: `config print` shows every setting in sections, secrets
// redacted, in YAML or JSON; read back, it gives the same configuration.
func TestPrint(t *testing.T) {
	c := Default()
	c.Store = "postgres://sessiond:hunter2-secret@db:5432/sessiond?sslmode=disable"
	c.SessionStore = "redis://:redis-secret@cache:6379/0"
	c.LockoutAccountLimit = 7
	c.AccessLog = true
	for _, format := range []string{"yaml", "json"} {
		t.Run(format, func(t *testing.T) {
			var b strings.Builder
			if err := Print(&b, c, format); err != nil {
				t.Fatal(err)
			}
			out := b.String()
			for _, s := range []string{"hunter2-secret", "redis-secret"} {
				if strings.Contains(out, s) {
					t.Fatalf("secret %q printed:\n%s", s, out)
				}
			}
			for _, o := range options() {
				if !strings.Contains(out, o.key[strings.Index(o.key, ".")+1:]) {
					t.Errorf("%s missing:\n%s", o.key, out)
				}
			}
			back, err := Load([]string{"--config", writeFile(t, "c."+format, out)}, envOf(nil), io.Discard)
			if err != nil {
				t.Fatal(err)
			}
			back.Store, back.SessionStore = c.Store, c.SessionStore
			if back != c {
				t.Fatalf("read back %+v\nwant %+v", back, c)
			}
		})
	}
	if err := Print(io.Discard, c, "toml"); err == nil {
		t.Fatal("unknown format accepted")
	}
}

// TestOptionsTable: each setting has one flag, one variable and one file
// key in a section, none shared, and a flag of each in the flag set.
func TestOptionsTable(t *testing.T) {
	flags, keys := map[string]bool{}, map[string]bool{}
	for _, o := range options() {
		if flags[o.flag] || keys[o.key] {
			t.Errorf("%s / %s given twice", o.flag, o.key)
		}
		flags[o.flag], keys[o.key] = true, true
		if i := strings.Index(o.key, "."); i <= 0 || strings.Count(o.key, ".") != 1 {
			t.Errorf("%s: file key %q is not section.key", o.flag, o.key)
		}
		if o.usage == "" || o.set == nil || o.get == nil {
			t.Errorf("%s: incomplete", o.flag)
		}
	}
}
