package config

import (
	"io"
	"strings"
	"testing"
	"time"
)

func TestSecurityDefaults(t *testing.T) {
	c := Default()
	if c.LockoutAccountLimit != 10 || c.LockoutIPLimit != 50 || c.LockoutWindow != 15*time.Minute || c.LockoutMaxLock != 24*time.Hour {
		t.Fatalf("lockout defaults: %+v", c)
	}
	if c.SessionIdleTimeout != 0 || c.SessionAbsoluteTimeout != 24*time.Hour || c.PasswordAllowCommon || c.AuditLog != "" {
		t.Fatalf("timeout, password or audit defaults: %+v", c)
	}
}

func TestSecurityFlags(t *testing.T) {
	c, err := Load([]string{"--data-dir", t.TempDir(), "--lockout-account-limit", "5", "--lockout-ip-limit=0", "--lockout-window", "5m",
		"--lockout-max", "2h", "--session-idle-timeout", "30m", "--session-absolute-timeout", "12h", "--password-allow-common=true",
		"--audit-log", "-"}, envOf(nil), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.LockoutAccountLimit != 5 || c.LockoutIPLimit != 0 || c.LockoutWindow != 5*time.Minute || c.LockoutMaxLock != 2*time.Hour ||
		c.SessionIdleTimeout != 30*time.Minute || c.SessionAbsoluteTimeout != 12*time.Hour || !c.PasswordAllowCommon || c.AuditLog != "-" {
		t.Fatalf("got %+v", c)
	}
}

func TestSecurityValidation(t *testing.T) {
	_, err := Load([]string{"--data-dir", t.TempDir(), "--lockout-account-limit", "101", "--lockout-ip-limit", "-1", "--lockout-window", "0s",
		"--session-idle-timeout", "1ns", "--session-absolute-timeout", "1m", "--password-max-length", "5000"}, envOf(nil), io.Discard)
	if err == nil {
		t.Fatal("bad values accepted")
	}
	for _, want := range []string{"lockout-account-limit 101", "lockout-ip-limit", "lockout-window", "session-idle-timeout",
		"session-absolute-timeout", "password-max-length 5000"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not name %s: %v", want, err)
		}
	}
	_, err = Load([]string{"--data-dir", t.TempDir(), "--lockout-window", "5m", "--lockout-max", "1m"}, envOf(nil), io.Discard)
	if err == nil || !strings.Contains(err.Error(), "lockout-max must be at least lockout-window") {
		t.Fatalf("lockout-max under the window: %v", err)
	}
}
