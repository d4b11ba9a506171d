// Package testenv says, at the end of `go test ./...`, which optional
// engines the tests ran against and which they skipped: a package whose
// tests need PostgreSQL, Redis, a Redis Cluster, Chromium or the influx
// CLI calls Main (or Report) from its TestMain.
//
// `go test` in package-list mode prints nothing a passing test binary
// writes, so the line goes to the go command's own standard error
// (/proc/<its pid>/fd/2 on Linux), once per engine and go command however
// many packages report it. Elsewhere (when go test's output goes to a
// regular file, or the test binary runs on its own) it goes to the
// binary's standard error, which go test shows with -v or on failure;
// `go test ./... 2>&1 | tee file` keeps the lines.
package testenv

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Engine is an optional engine some tests need.
type Engine struct {
	Name string // as people call it
	Env  string // the variable that names it, when one does
	Path string // the executable, when a file is what it needs
	Hint string // how to provide it
}

// The optional engines.
var (
	Postgres     = Engine{Name: "PostgreSQL", Env: "SESSIOND_TEST_POSTGRES_DSN", Hint: `SESSIOND_TEST_POSTGRES_DSN="postgres://postgres@127.0.0.1:5432/test?sslmode=disable"`}
	Redis        = Engine{Name: "Redis", Env: "SESSIOND_TEST_REDIS_ADDR", Hint: "SESSIOND_TEST_REDIS_ADDR=127.0.0.1:6379"}
	RedisCluster = Engine{Name: "Redis Cluster", Env: "SESSIOND_TEST_REDIS_CLUSTER", Hint: "SESSIOND_TEST_REDIS_CLUSTER=127.0.0.1:7001,127.0.0.1:7002,127.0.0.1:7003 (.ci/redis-cluster starts one)"}
	Chromium     = Engine{Name: "Chromium", Path: "/usr/bin/chromium", Hint: "apt-get install chromium"}
	InfluxCLI    = Engine{Name: "influx CLI", Env: "SESSIOND_TEST_INFLUX_CLI", Hint: "SESSIOND_TEST_INFLUX_CLI=/path/to/influx, the influxdata/influx-cli v2.8.0 binary built from source (docs/influxdb-api.md: The influx CLI)"}
)

// Present reports whether the engine is there to test against.
func (e Engine) Present() bool {
	if e.Env != "" {
		return os.Getenv(e.Env) != ""
	}
	_, err := os.Stat(e.Path)
	return err == nil
}

// Line is what the report says of the engine.
func (e Engine) Line() string {
	if e.Present() {
		what := e.Env
		if what == "" {
			what = e.Path
		}
		return fmt.Sprintf("sessiond tests: %s: ran (%s)", e.Name, what)
	}
	return fmt.Sprintf("sessiond tests: %s: SKIPPED; to run them set %s (README: Running the tests)", e.Name, e.Hint)
}

// Main runs the tests, reports the engines, and exits with the tests'
// code.
func Main(m *testing.M, engines ...Engine) {
	code := m.Run()
	Report(engines...)
	os.Exit(code)
}

// Report writes one line per engine where `go test` shows it.
func Report(engines ...Engine) {
	out, run := reportTarget()
	if out == nil {
		return
	}
	if out != os.Stderr {
		defer out.Close()
	}
	for _, e := range engines {
		if run != "" && !firstToReport(run, e) {
			continue
		}
		fmt.Fprintln(out, e.Line())
	}
}

// reportTarget returns where to write: the go command's stderr when the
// parent is a go command (run names that command's run, for
// deduplication), else this process's stderr.
func reportTarget() (f *os.File, run string) {
	ppid := os.Getppid()
	comm, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", ppid))
	if err != nil || strings.TrimSpace(string(comm)) != "go" {
		return os.Stderr, ""
	}
	// A terminal or a pipe: a line written there shows between go test's
	// own lines. A regular file is not used: go writes it at its own
	// offset and would write over the line.
	if info, err := os.Stat(fmt.Sprintf("/proc/%d/fd/2", ppid)); err != nil || info.Mode().IsRegular() {
		return os.Stderr, ""
	}
	f, err = os.OpenFile(fmt.Sprintf("/proc/%d/fd/2", ppid), os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return nil, ""
	}
	stat, _ := os.ReadFile(fmt.Sprintf("/proc/%d/stat", ppid))
	start := ""
	if fields := strings.Fields(string(stat)); len(fields) > 21 {
		start = fields[21] // its start time: a reused pid is another run
	}
	return f, strconv.Itoa(ppid) + "-" + start
}

// firstToReport reports whether no other package of the same go command
// run has reported e yet, marking it reported.
func firstToReport(run string, e Engine) bool {
	dir := filepath.Join(os.TempDir(), "sessiond-test-report")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return true
	}
	if ents, err := os.ReadDir(dir); err == nil && len(ents) > 200 {
		for _, ent := range ents {
			if info, err := ent.Info(); err == nil && time.Since(info.ModTime()) > 24*time.Hour {
				os.Remove(filepath.Join(dir, ent.Name()))
			}
		}
	}
	name := run + "-" + strings.ReplaceAll(e.Name, " ", "_")
	f, err := os.OpenFile(filepath.Join(dir, name), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return false
	}
	f.Close()
	return true
}
