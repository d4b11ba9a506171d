package auth_test

import (
	"os/exec"
	"strings"
	"testing"
)

// The core imports nothing of sessiond's own: stores and dialects depend on
// it, never the other way round. The one exception is internal/argon2, a
// copy of x/crypto's argon2 that imports nothing of ours either (its deps
// are listed here too).
func TestCoreImportsNothingOfOurs(t *testing.T) {
	const (
		module = "github.com/sessiond/sessiond/"
		self   = module + "internal/auth"
		copied = module + "internal/argon2"
	)
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("no go command: %v", err)
	}
	out, err := exec.Command(goTool, "list", "-deps", self).CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps %s: %v\n%s", self, err, out)
	}
	deps := strings.Fields(string(out))
	if len(deps) == 0 {
		t.Fatalf("go list -deps %s listed nothing", self)
	}
	found := false
	for _, dep := range deps {
		if dep == self {
			found = true
			continue
		}
		if dep == copied {
			continue
		}
		if strings.HasPrefix(dep, module) {
			t.Errorf("the core depends on %s", dep)
		}
	}
	if !found {
		t.Fatalf("go list -deps did not list %s itself:\n%s", self, out)
	}
}
