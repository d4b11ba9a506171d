package server

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sessiond/sessiond/internal/auth"
)

func TestOpenAudit(t *testing.T) {
	a, closeFn, err := openAudit("", nil, nil)
	if err != nil || a != nil || closeFn() != nil {
		t.Fatalf("empty path: %v %v", a, err)
	}
	var stderr bytes.Buffer
	a, closeFn, err = openAudit("-", &stderr, nil)
	if err != nil {
		t.Fatal(err)
	}
	a.Record(context.Background(), auth.Event{Type: auth.EventSignOut})
	closeFn()
	if !strings.Contains(stderr.String(), `"event":"signout"`) {
		t.Fatalf("stderr sink: %q", stderr.String())
	}
	path := filepath.Join(t.TempDir(), "audit.log")
	for range 2 { // appends across restarts
		a, closeFn, err = openAudit(path, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		a.Record(context.Background(), auth.Event{Type: auth.EventSignOut})
		if err := closeFn(); err != nil {
			t.Fatal(err)
		}
	}
	b, err := os.ReadFile(path)
	if err != nil || strings.Count(string(b), "\n") != 2 {
		t.Fatalf("file sink: %q %v", b, err)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v, want 0600", fi.Mode().Perm())
	}
	if _, _, err := openAudit(filepath.Join(t.TempDir(), "no", "such", "dir", "a.log"), nil, nil); err == nil {
		t.Fatal("an unwritable path was accepted")
	}
}
