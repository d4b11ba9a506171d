package cli_test

import (
	"bytes"
	"context"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/sessiond/sessiond/internal/auth"
	"github.com/sessiond/sessiond/internal/cli"
	"github.com/sessiond/sessiond/internal/config"
	"github.com/sessiond/sessiond/internal/server"
	"github.com/sessiond/sessiond/internal/server/servertest"
)

// runCLI runs one command and returns its exit code and output.
func runCLI(env map[string]string, args ...string) (int, string, string) {
	var out, errOut bytes.Buffer
	code := cli.Run(context.Background(), args, cli.Env{Stdout: &out, Stderr: &errOut, Getenv: func(k string) string { return env[k] }})
	return code, out.String(), errOut.String()
}

func TestAdminCommands(t *testing.T) {
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	cfg.PasswordHashCost = &auth.Argon2Params{MemoryKiB: 64, Time: 1, Threads: 1}
	app, err := server.Open(context.Background(), cfg, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(app.Handler())
	defer func() { srv.Close(); app.Close() }()
	env := map[string]string{"SESSIOND_HOST": srv.URL}

	code, out, errOut := runCLI(env, "setup", "--username", "admin", "--password", "admin-password", "--org", "acme")
	if code != 0 {
		t.Fatalf("setup: %d %s", code, errOut)
	}
	m := regexp.MustCompile(`operator token\t(\S+)`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("setup printed no token: %q", out)
	}
	env["SESSIOND_TOKEN"] = m[1]

	code, _, errOut = runCLI(env, "setup", "--username", "x", "--password", "xxxxxxxxxx", "--org", "o")
	if code == 0 || !strings.Contains(errOut, "onboarding has already been completed") || strings.Count(errOut, "\n") != 1 {
		t.Fatalf("second setup: %d %q", code, errOut)
	}

	steps := []struct {
		args     []string
		wantCode int
		wantOut  string
		wantErr  string
	}{
		{[]string{"user", "create", "--name", "bob", "--password", "bob-password"}, 0, "bob\tactive", ""},
		{[]string{"user", "create", "--name", "bob"}, 1, "", "user with name bob already exists"},
		{[]string{"user", "create", "--name", "carol", "--password", "short"}, 1, "", "passwords must be between 8 and 72 characters long"},
		{[]string{"user", "list"}, 0, "bob", ""},
		{[]string{"user", "set-password", "--name", "bob", "--password", "bob-password-2"}, 0, "", ""},
		{[]string{"user", "set-password", "--name", "nobody", "--password", "whatever-1"}, 1, "", "not found"},
		{[]string{"session", "list"}, 0, "ID", ""},
		{[]string{"user", "disable", "--name", "bob"}, 0, "", ""},
		{[]string{"user", "delete", "--name", "bob"}, 0, "", ""},
		{[]string{"user", "delete", "--name", "bob"}, 1, "", "not found"},
		{[]string{"session", "revoke", "--id", "0000000000000999"}, 1, "", "session not found"},
		{[]string{"session", "revoke"}, 1, "", "--id or --user-id is required"},
		{[]string{"user"}, 1, "", "want create"},
		{[]string{"frobnicate"}, 1, "", `unknown command "frobnicate"`},
		{[]string{"version"}, 0, "sessiond ", ""},
	}
	for _, s := range steps {
		code, out, errOut := runCLI(env, s.args...)
		if code != s.wantCode || !strings.Contains(out, s.wantOut) || !strings.Contains(errOut, s.wantErr) {
			t.Errorf("%v: code %d out %q err %q", s.args, code, out, errOut)
		}
	}
	// carol was never created: a failed password leaves no half-made user.
	if _, err := app.Service().UserByName(context.Background(), auth.DefaultTenantID, "carol"); auth.ErrorCode(err) != auth.ENotFound {
		t.Fatalf("half-created user left behind: %v", err)
	}

	// A signed-in session is listed and revoked by ID.
	svc := app.Service()
	u, _ := svc.CreateUser(context.Background(), auth.NewUser{TenantID: auth.DefaultTenantID, Name: "dave", Password: "dave-password"})
	sess, _ := servertest.SignIn(t, app, auth.DefaultTenantID, u.Name, "dave-password", auth.OriginInflux, auth.Client{IP: "192.0.2.9", UserAgent: "cli-test"})
	if _, out, _ := runCLI(env, "session", "list", "--user-id", u.ID); !strings.Contains(out, sess.ID) || !strings.Contains(out, "cli-test") {
		t.Fatalf("session list: %q", out)
	}
	// The list comes a page at a time; the command reads every page.
	for range 120 {
		servertest.SeedSession(t, app, u, auth.OriginRocket, auth.Client{UserAgent: "seeded"}, auth.DefaultTokenFormat, 0)
	}
	if _, out, _ := runCLI(env, "session", "list", "--user-id", u.ID); strings.Count(out, "seeded") != 120 || !strings.Contains(out, sess.ID) {
		t.Fatalf("session list over several pages: %d seeded sessions listed", strings.Count(out, "seeded"))
	}
	if code, _, errOut := runCLI(env, "session", "revoke", "--id", sess.ID); code != 0 {
		t.Fatalf("session revoke: %s", errOut)
	}
	if _, err := svc.Session(context.Background(), auth.DefaultTenantID, sess.ID); auth.ErrorCode(err) != auth.ENotFound {
		t.Fatalf("revoked session still there: %v", err)
	}
}

func TestUnreachableServer(t *testing.T) {
	code, _, errOut := runCLI(map[string]string{"SESSIOND_HOST": "http://127.0.0.1:1", "SESSIOND_TOKEN": "x"}, "user", "list")
	if code != 1 || !strings.Contains(errOut, "cannot reach sessiond at http://127.0.0.1:1") || strings.Count(errOut, "\n") != 1 {
		t.Fatalf("code %d, stderr %q", code, errOut)
	}
}

func TestServeRejectsBadConfig(t *testing.T) {
	code, _, errOut := runCLI(nil, "serve", "--session-length", "never", "--log-level", "loud")
	if code != 1 || !strings.Contains(errOut, "--session-length") || !strings.Contains(errOut, "log-level") {
		t.Fatalf("code %d, stderr %q", code, errOut)
	}
}
