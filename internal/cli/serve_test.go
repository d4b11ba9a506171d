package cli_test

import (
	"bytes"
	"context"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sessiond/sessiond/internal/cli"
)

// syncWriter is a log sink safe for the server's goroutines.
type syncWriter struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (w *syncWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func (w *syncWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}

// serveUntil runs `sessiond serve` with args, its log to stderr, until
// the log shows the account pages' line, then stops it.
func serveUntil(t *testing.T, stderr io.Writer, read func() string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int)
	go func() {
		done <- cli.Run(ctx, append([]string{"serve", "--http-bind-address", "127.0.0.1:0", "--data-dir", t.TempDir()}, args...),
			cli.Env{Stdout: io.Discard, Stderr: stderr, Getenv: func(string) string { return "" }})
	}()
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(read(), "account pages") {
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("no start-up lines: %q", read())
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("serve: exit %d: %s", code, read())
	}
	return read()
}

// TestLogFormat: JSON lines when stderr is not a terminal, text on a
// terminal, and --log-format chooses either.
func TestLogFormat(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		text bool
	}{
		{"auto off a terminal", nil, false},
		{"text", []string{"--log-format", "text"}, true},
		{"json", []string{"--log-format", "json"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var w syncWriter
			out := serveUntil(t, &w, w.String, tc.args...)
			isText := strings.Contains(out, `msg="sessiond listening"`)
			isJSON := strings.Contains(out, `"msg":"sessiond listening"`)
			if isText != tc.text || isJSON == tc.text {
				t.Fatalf("log %q: text %t json %t, want text %t", out, isText, isJSON, tc.text)
			}
		})
	}
	t.Run("auto on a terminal", func(t *testing.T) {
		master, slave := openPTY(t)
		var screen syncWriter
		go io.Copy(&screen, master)
		out := serveUntil(t, slave, screen.String)
		if !strings.Contains(out, `msg="sessiond listening"`) {
			t.Fatalf("not text on a terminal: %q", out)
		}
	})
}
