package config

import (
	"io"
	"strings"
	"testing"
	"time"
)

func TestHardeningSettings(t *testing.T) {
	c := Default()
	if c.StoreTimeout != time.Second || c.MaxSessionsPerUser != 500 {
		t.Fatalf("defaults: store-timeout %v, max-sessions-per-user %d", c.StoreTimeout, c.MaxSessionsPerUser)
	}
	c, err := Load([]string{"--data-dir", t.TempDir(), "--store-timeout", "250ms"}, envOf(map[string]string{"SESSIOND_MAX_SESSIONS_PER_USER": "0"}), io.Discard)
	if err != nil || c.StoreTimeout != 250*time.Millisecond || c.MaxSessionsPerUser != 0 {
		t.Fatalf("got %v %d, %v", c.StoreTimeout, c.MaxSessionsPerUser, err)
	}
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--store-timeout", "1ms"}, "store-timeout 1ms must be between 10ms and 30s"},
		{[]string{"--store-timeout", "1m"}, "store-timeout 1m0s must be between"},
		{[]string{"--max-sessions-per-user", "-1"}, "max-sessions-per-user must not be negative"},
	} {
		_, err := Load(append([]string{"--data-dir", t.TempDir()}, tt.args...), envOf(nil), io.Discard)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v: got %v, want an error naming %q", tt.args, err, tt.want)
		}
	}
}
