// Package testenv says, after a package's tests, which optional engines
// they ran against and which they skipped: a package whose tests need
// PostgreSQL, Redis, a Redis Cluster, Chromium or the influx CLI calls
// Main (or Report) from its TestMain.
//
// Main prints one line per engine to the test binary's standard output,
// after the tests, as a test's own output is printed. `go test` shows it
// wherever it shows a package's output, on every platform and whether it
// goes to a terminal, a pipe or a file: with -v or -json, for a package
// that fails, with `go test` in a package's directory, and when the test
// binary runs by itself.
//
// `go test ./...` without -v shows nothing of a package that passes but
// its ok line (cmd/go: "If a package test passes, go test prints only
// the final 'ok' summary line"), so no line a test binary prints can reach
// it. For that case only, on Linux, Main also writes the lines to the go
// command's own standard error (/proc/<its pid>/fd/2) when that is a
// terminal or a pipe, once per engine and go command however many
// packages report it; never into a regular file, where go writes at its
// own offset and would write over them. To keep the lines in a file, use
// `go test -json ./... > file`, `go test -v`, or `go test ./... 2>&1 |
// tee file`.
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
	Report(code, engines...)
	os.Exit(code)
}

// Report prints a line per engine after the tests, whose exit code is
// code: for a TestMain that has more to do than Main.
func Report(code int, engines ...Engine) {
	for _, e := range engines {
		fmt.Println(e.Line())
	}
	// The output of a failing package, and all of it with -v or -json, is
	// shown: the lines above are enough. Otherwise go test ./... drops
	// them.
	if code == 0 && !testing.Verbose() {
		toGoCommand(engines)
	}
}

// toGoCommand writes the engines' lines to the go command's standard
// error, when this binary runs under one that keeps its output from view
// (its standard output is not the go command's) and that standard error
// is a terminal or a pipe. It needs /proc: elsewhere it does nothing.
func toGoCommand(engines []Engine) {
	ppid := os.Getppid()
	comm, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", ppid))
	if err != nil || strings.TrimSpace(string(comm)) != "go" {
		return
	}
	// The same standard output as go's: go test streams it (local
	// directory mode), so the lines already show.
	ours, err1 := os.Readlink("/proc/self/fd/1")
	theirs, err2 := os.Readlink(fmt.Sprintf("/proc/%d/fd/1", ppid))
	if err1 != nil || err2 != nil || ours == theirs {
		return
	}
	if info, err := os.Stat(fmt.Sprintf("/proc/%d/fd/2", ppid)); err != nil || info.Mode().IsRegular() {
		return
	}
	f, err := os.OpenFile(fmt.Sprintf("/proc/%d/fd/2", ppid), os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return
	}
	defer f.Close()
	stat, _ := os.ReadFile(fmt.Sprintf("/proc/%d/stat", ppid))
	start := ""
	if fields := strings.Fields(string(stat)); len(fields) > 21 {
		start = fields[21] // its start time: a reused pid is another run
	}
	run := strconv.Itoa(ppid) + "-" + start
	for _, e := range engines {
		if firstToReport(run, e) {
			fmt.Fprintln(f, e.Line())
		}
	}
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
