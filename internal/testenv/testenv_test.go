package testenv

import (
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
