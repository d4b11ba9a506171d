package server_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sessiond/sessiond/internal/config"
	"github.com/sessiond/sessiond/internal/server"
)

// lockedBuffer is a log sink safe for the server's goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// logLines waits (at most 10 s) until the log holds a line with message
// last, then returns every line, decoded.
func logLines(t *testing.T, buf *lockedBuffer, last string) []map[string]any {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var lines []map[string]any
		for _, l := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
			var m map[string]any
			if json.Unmarshal([]byte(l), &m) == nil {
				lines = append(lines, m)
			}
		}
		for _, m := range lines {
			if m["msg"] == last {
				return lines
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %q line in the log:\n%s", last, buf.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func lineOf(lines []map[string]any, msg string) map[string]any {
	for _, m := range lines {
		if m["msg"] == msg {
			return m
		}
	}
	return nil
}

// TestStartUpLines: the start-up lines say the address, the data
// directory, the stores, that the server is not set up with the exact
// command and page that set it up, and where the account pages are; once
// set up, they say so.
func TestStartUpLines(t *testing.T) {
	var buf lockedBuffer
	dir := t.TempDir()
	app := serveIn(t, slog.New(slog.NewJSONHandler(&buf, nil)), dir)
	lines := logLines(t, &buf, "account pages")
	url := app.PublicURL()
	if !strings.HasPrefix(url, "http://127.0.0.1:") {
		t.Fatalf("PublicURL %q", url)
	}
	listen := lineOf(lines, "sessiond listening")
	if listen == nil || listen["addr"] != app.Addr() || listen["url"] != url || listen["store"] != "sqlite" || listen["session_store"] != "memory" || listen["data_dir"] == "" || listen["data_dir"] == nil {
		t.Fatalf("listening line %v", listen)
	}
	open := lineOf(lines, "not set up yet: make the first user and an operator token")
	if open == nil || open["run"] != "sessiond setup --host "+url+" --username ADMIN --org ORG" || open["or_open"] != url+"/ui/setup" {
		t.Fatalf("set-up line %v", open)
	}
	if pages := lineOf(lines, "account pages"); pages["url"] != url+"/ui/" {
		t.Fatalf("account pages line %v", pages)
	}

	setup(t, url)
	var buf2 lockedBuffer
	serveIn(t, slog.New(slog.NewJSONHandler(&buf2, nil)), dir)
	lines = logLines(t, &buf2, "account pages")
	if lineOf(lines, "not set up yet: make the first user and an operator token") != nil || lineOf(lines, "set up; operator tokens come from setup or 'sessiond auth create'") == nil {
		t.Fatalf("a set-up server's start-up lines:\n%s", buf2.String())
	}
}

// serveIn serves a sessiond whose data directory is dir.
func serveIn(t *testing.T, log *slog.Logger, dir string) *server.App {
	t.Helper()
	cfg := config.Default()
	cfg.DataDir = dir
	app, _, _ := serveConfig(t, cfg, log)
	return app
}

// TestRootLeadsToTheAccountPages: GET / goes to /ui/, which goes to the
// set-up page on a new server and to sign-in once it is set up.
func TestRootLeadsToTheAccountPages(t *testing.T) {
	app, _, _ := serve(t, nil)
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	hop := func(path string) string {
		t.Helper()
		resp, err := noFollow.Get(app.URL() + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusFound && resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("GET %s: %d, want a redirect", path, resp.StatusCode)
		}
		return resp.Header.Get("Location")
	}
	if got := hop("/"); got != "/ui/" {
		t.Fatalf("GET / leads to %q", got)
	}
	if got := hop("/ui/"); got != "/ui/setup" {
		t.Fatalf("GET /ui/ on a new server leads to %q", got)
	}
	resp, err := http.Get(app.URL() + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Request.URL.Path != "/ui/setup" || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("a browser at / ends on %s with %d", resp.Request.URL.Path, resp.StatusCode)
	}
	setup(t, app.URL())
	if got := hop("/ui/"); got != "/ui/signin" {
		t.Fatalf("GET /ui/ on a set-up server leads to %q", got)
	}
	if got := hop("/ui/setup"); got != "/ui/signin" {
		t.Fatalf("GET /ui/setup on a set-up server leads to %q", got)
	}
}
