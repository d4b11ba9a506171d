package testenv

import (
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"
)

// TestLine: an engine named by its variable reads as ran, one not named
// as skipped with how to name it.
func TestLine(t *testing.T) {
	e := Engine{Name: "Thing", Env: "SESSIOND_TEST_THING_FOR_TESTENV", Hint: "SESSIOND_TEST_THING_FOR_TESTENV=x"}
	t.Setenv(e.Env, "")
	if got := e.Line(); got != "sessiond tests: Thing: SKIPPED; to run them set SESSIOND_TEST_THING_FOR_TESTENV=x (README: Running the tests)" {
		t.Fatalf("skipped: %q", got)
	}
	t.Setenv(e.Env, "somewhere")
	if got := e.Line(); got != "sessiond tests: Thing: ran (SESSIOND_TEST_THING_FOR_TESTENV)" {
		t.Fatalf("ran: %q", got)
	}
	f := Engine{Name: "File", Path: t.TempDir()}
	if !strings.Contains(f.Line(), ": ran (") {
		t.Fatalf("a present file: %q", f.Line())
	}
	f.Path += "/none"
	if !strings.Contains(f.Line(), "SKIPPED") {
		t.Fatalf("an absent file: %q", f.Line())
	}
}

// TestGoTestShowsTheLines runs go test on testdata/tiny, whose TestMain
// reports an engine, and finds the engine's line once in what go test
// prints: with -v and -json (to a file as much as to a terminal), for a
// failing package without -v, in local directory mode, and, on Linux, for
// a passing package named on the command line (as by ./...) through a
// pipe.
func TestGoTestShowsTheLines(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go test")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("no go command: %v", err)
	}
	const skipped = "sessiond tests: Tiny engine: SKIPPED; to run them set SESSIOND_TESTENV_TINY=anything (README: Running the tests)"
	const ran = "sessiond tests: Tiny engine: ran (SESSIOND_TESTENV_TINY)"
	tests := []struct {
		name    string
		args    []string // before the package
		local   bool     // no package: go test in its directory
		env     []string
		fails   bool
		want    string
		onLinux bool
	}{
		{"-v", []string{"-v"}, false, nil, false, skipped, false},
		{"-v, engine named", []string{"-v"}, false, []string{"SESSIOND_TESTENV_TINY=here"}, false, ran, false},
		{"-json", []string{"-json"}, false, nil, false, skipped, false},
		{"failing, without -v", nil, false, []string{"SESSIOND_TESTENV_TINY_FAIL=1"}, true, skipped, false},
		{"local directory mode", nil, true, nil, false, skipped, false},
		{"passing, without -v, through a pipe", nil, false, nil, false, skipped, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.onLinux && runtime.GOOS != "linux" {
				t.Skip("the go command's standard error is reached through /proc")
			}
			args := append([]string{"test", "-count=1"}, tt.args...)
			if !tt.local {
				args = append(args, "./testdata/tiny")
			}
			cmd := exec.Command(goTool, args...)
			if tt.local {
				cmd.Dir = "testdata/tiny"
			}
			for _, kv := range os.Environ() {
				if !strings.HasPrefix(kv, "SESSIOND_TESTENV_TINY") {
					cmd.Env = append(cmd.Env, kv)
				}
			}
			cmd.Env = append(cmd.Env, tt.env...)
			out, err := cmd.CombinedOutput() // stdout and stderr: one pipe
			if failed := err != nil; failed != tt.fails {
				t.Fatalf("go %s: %v, want failure %t\n%s", strings.Join(args, " "), err, tt.fails, out)
			}
			if n := strings.Count(string(out), tt.want); n != 1 {
				t.Fatalf("go %s printed %q %d times, want once:\n%s", strings.Join(args, " "), tt.want, n, out)
			}
		})
	}
}
