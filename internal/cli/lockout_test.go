package cli_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/sessiond/sessiond/internal/auth"
	"github.com/sessiond/sessiond/internal/config"
	"github.com/sessiond/sessiond/internal/openapitest"
	"github.com/sessiond/sessiond/internal/server"
)

func TestLockoutAndRevokeAllCommands(t *testing.T) {
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	cfg.PasswordHashCost = &auth.Argon2Params{MemoryKiB: 64, Time: 1, Threads: 1}
	cfg.LockoutAccountLimit = 3
	app, err := server.Open(context.Background(), cfg, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(openapitest.Wrap(t, app.Handler()))
	defer func() { srv.Close(); app.Close() }()
	env := map[string]string{"SESSIOND_HOST": srv.URL}
	code, out, errOut := runCLI(env, "setup", "--username", "admin", "--password", "admin-password", "--org", "acme")
	if code != 0 {
		t.Fatalf("setup: %d %s", code, errOut)
	}
	env["SESSIOND_TOKEN"] = regexp.MustCompile(`operator token\t(\S+)`).FindStringSubmatch(out)[1]
	if code, _, errOut := runCLI(env, "user", "create", "--name", "bob", "--password", "bob-password"); code != 0 {
		t.Fatalf("user create: %s", errOut)
	}
	signin := func(pw string) int {
		r, _ := http.NewRequest("POST", srv.URL+"/api/v2/signin", nil)
		r.SetBasicAuth("bob", pw)
		resp, err := http.DefaultClient.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	for range 4 {
		signin("wrong-password")
	}
	if s := signin("bob-password"); s != 401 {
		t.Fatalf("locked sign-in: %d", s)
	}
	code, out, errOut = runCLI(env, "lockout", "list")
	if code != 0 || !strings.Contains(out, "bob") || !strings.Contains(out, "true") || !strings.Contains(out, "127.0.0.1") {
		t.Fatalf("lockout list: %d %q %q", code, out, errOut)
	}
	if code, _, errOut := runCLI(env, "lockout", "clear", "--name", "bob"); code != 0 {
		t.Fatalf("lockout clear: %s", errOut)
	}
	if s := signin("bob-password"); s != 204 {
		t.Fatalf("sign-in after clear: %d", s)
	}
	if code, _, errOut := runCLI(env, "lockout", "clear", "--all"); code != 0 {
		t.Fatalf("lockout clear --all: %s", errOut)
	}
	if code, _, errOut := runCLI(env, "lockout", "clear"); code == 0 || !strings.Contains(errOut, "exactly one") {
		t.Fatalf("lockout clear without a target: %d %q", code, errOut)
	}
	if code, _, errOut := runCLI(env, "lockout", "clear", "--ip", "not-an-ip"); code == 0 || !strings.Contains(errOut, "not an IP") {
		t.Fatalf("lockout clear --ip bad: %d %q", code, errOut)
	}
	if n, _ := app.Service().CountSessions(context.Background()); n != 1 {
		t.Fatalf("sessions before revoke --all: %d", n)
	}
	if code, _, errOut := runCLI(env, "session", "revoke", "--all"); code != 0 {
		t.Fatalf("session revoke --all: %s", errOut)
	}
	if n, _ := app.Service().CountSessions(context.Background()); n != 0 {
		t.Fatalf("sessions after revoke --all: %d", n)
	}
}
