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

func TestLoadPrecedence(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "sessiond.conf")
	os.WriteFile(file, []byte("# comment\nsession-length: 30m\nlog_level = warn\nhttp-bind-address: \":9000\"\n"), 0o600)
	cases := []struct {
		name string
		args []string
		env  map[string]string
		want func(c Config) bool
	}{
		{"defaults", nil, nil, func(c Config) bool {
			return c.HTTPBindAddress == ":8086" && c.SessionLength == 10*time.Minute && c.SessionStore == "memory" && c.Store == "sqlite" && !c.SessionRenewDisabled
		}},
		{"file", []string{"--config", file}, nil, func(c Config) bool {
			return c.SessionLength == 30*time.Minute && c.LogLevel == "warn" && c.HTTPBindAddress == ":9000"
		}},
		{"env over file", []string{"--config", file}, map[string]string{"SESSIOND_SESSION_LENGTH": "45m"}, func(c Config) bool { return c.SessionLength == 45*time.Minute }},
		{"flag over env", []string{"--session-length", "5m"}, map[string]string{"SESSIOND_SESSION_LENGTH": "45m"}, func(c Config) bool { return c.SessionLength == 5*time.Minute }},
		{"config file from env", nil, map[string]string{"SESSIOND_CONFIG": file}, func(c Config) bool { return c.LogLevel == "warn" }},
		{"minutes as a bare number", []string{"--session-length=60"}, nil, func(c Config) bool { return c.SessionLength == time.Hour }},
		{"bool env", nil, map[string]string{"SESSIOND_SESSION_RENEW_DISABLED": "true"}, func(c Config) bool { return c.SessionRenewDisabled }},
		{"sqlite sessions", []string{"--session-store", "sqlite"}, nil, func(c Config) bool { return c.SessionStore == "sqlite" }},
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

func TestLoadNamesEveryBadValue(t *testing.T) {
	_, err := Load([]string{"--session-length", "soon", "--log-level", "loud", "--tls-cert", "/nonexistent.pem"},
		envOf(map[string]string{"SESSIOND_HASH_WORKERS": "many", "SESSIOND_STORE": "mysql://x"}), io.Discard)
	if err == nil {
		t.Fatal("bad configuration accepted")
	}
	for _, want := range []string{"--session-length", "SESSIOND_HASH_WORKERS", "log-level", "store \"mysql://x\"", "tls-cert and tls-key", "/nonexistent.pem"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not name %q: %v", want, err)
		}
	}
	if strings.Count(err.Error(), "\n") != 0 {
		t.Errorf("want one line, got %q", err)
	}
}

func TestLoadRejectsBadFiles(t *testing.T) {
	dir := t.TempDir()
	cases := map[string]string{
		"unknown key":   "no-such-setting: 1\n",
		"not key value": "just words\n",
		"bad json":      "{\"session-length\": ",
	}
	for name, body := range cases {
		t.Run(name, func(t *testing.T) {
			f := filepath.Join(dir, strings.ReplaceAll(name, " ", "_"))
			os.WriteFile(f, []byte(body), 0o600)
			if _, err := Load([]string{"--config", f}, envOf(nil), io.Discard); err == nil {
				t.Fatal("accepted")
			}
		})
	}
	if _, err := Load([]string{"--config", filepath.Join(dir, "missing")}, envOf(nil), io.Discard); err == nil {
		t.Fatal("a missing config file was accepted")
	}
	js := filepath.Join(dir, "c.json")
	os.WriteFile(js, []byte(`{"session_length":"15m","session-renew-disabled":true}`), 0o600)
	c, err := Load([]string{"--config", js}, envOf(nil), io.Discard)
	if err != nil || c.SessionLength != 15*time.Minute || !c.SessionRenewDisabled {
		t.Fatalf("json file: %+v %v", c, err)
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
