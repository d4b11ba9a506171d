package server_test

import (
	"os/exec"
	"strings"
	"testing"
)

// No API package depends on another: each dialect translates its wire
// format to the core and back, and every rule two of them need lives in
// the core (internal/auth) or in dialect-neutral plumbing (httpkit).
func TestDialectsImportNoOtherDialect(t *testing.T) {
	const module = "github.com/sessiond/sessiond/internal/"
	dialects := []string{"influxapi", "rocketapi", "tenantapi", "ui"}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("no go command: %v", err)
	}
	for _, d := range dialects {
		out, err := exec.Command(goTool, "list", "-deps", module+d).CombinedOutput()
		if err != nil {
			t.Fatalf("go list -deps %s: %v\n%s", d, err, out)
		}
		deps := strings.Fields(string(out))
		if len(deps) == 0 || deps[len(deps)-1] != module+d {
			t.Fatalf("go list -deps %s did not end with the package itself:\n%s", d, out)
		}
		for _, dep := range deps {
			for _, other := range dialects {
				if other != d && (dep == module+other || strings.HasPrefix(dep, module+other+"/")) {
					t.Errorf("%s depends on %s", d, dep)
				}
			}
		}
	}
}
