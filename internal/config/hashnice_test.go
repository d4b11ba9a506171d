package config

import (
	"io"
	"strings"
	"testing"

	"github.com/sessiond/sessiond/internal/auth"
)

func TestHashNice(t *testing.T) {
	if got := Default().HashNice; got != auth.DefaultHashNice {
		t.Fatalf("default hash-nice %d, want %d", got, auth.DefaultHashNice)
	}
	c, err := Load([]string{"--data-dir", t.TempDir()}, envOf(map[string]string{"SESSIOND_HASH_NICE": "0"}), io.Discard)
	if err != nil || c.HashNice != 0 {
		t.Fatalf("SESSIOND_HASH_NICE=0: got %d, %v", c.HashNice, err)
	}
	for _, v := range []string{"-1", "20"} {
		_, err := Load([]string{"--data-dir", t.TempDir(), "--hash-nice", v}, envOf(nil), io.Discard)
		if err == nil || !strings.Contains(err.Error(), "hash-nice must be between 0 and 19") {
			t.Errorf("--hash-nice %s: got %v, want it refused", v, err)
		}
	}
}
