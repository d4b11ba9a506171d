// Package tiny is a package whose TestMain reports an engine, for
// testenv's own test to run go test on.
package tiny

import (
	"os"
	"testing"

	"github.com/sessiond/sessiond/internal/testenv"
)

// thing is named by SESSIOND_TESTENV_TINY.
var thing = testenv.Engine{Name: "Tiny engine", Env: "SESSIOND_TESTENV_TINY", Hint: "SESSIOND_TESTENV_TINY=anything"}

func TestMain(m *testing.M) { testenv.Main(m, thing) }

// TestTiny fails when SESSIOND_TESTENV_TINY_FAIL is set.
func TestTiny(t *testing.T) {
	if os.Getenv("SESSIOND_TESTENV_TINY_FAIL") != "" {
		t.Fatal("failing, as SESSIOND_TESTENV_TINY_FAIL asks")
	}
}
