package cli_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/sessiond/sessiond/internal/auth"
	"github.com/sessiond/sessiond/internal/cli"
	"github.com/sessiond/sessiond/internal/config"
	"github.com/sessiond/sessiond/internal/openapitest"
	"github.com/sessiond/sessiond/internal/server"
	"github.com/sessiond/sessiond/internal/server/servertest"
)

// runCLI runs one command and returns its exit code and output.
func runCLI(env map[string]string, args ...string) (int, string, string) {
	return runCLIStdin(env, "", args...)
}

// runCLIStdin runs one command with stdin as its standard input.
func runCLIStdin(env map[string]string, stdin string, args ...string) (int, string, string) {
	var out, errOut bytes.Buffer
	code := cli.Run(context.Background(), args, cli.Env{Stdout: &out, Stderr: &errOut, Stdin: strings.NewReader(stdin), Getenv: func(k string) string { return env[k] }})
	return code, out.String(), errOut.String()
}

// newServer starts a sessiond that is not set up yet and returns it with
// the CLI environment that points at it.
func newServer(t *testing.T) (*server.App, map[string]string) {
	t.Helper()
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	cfg.PasswordHashCost = &auth.Argon2Params{MemoryKiB: 64, Time: 1, Threads: 1}
	app, err := server.Open(context.Background(), cfg, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(openapitest.Wrap(t, app.Handler()))
	t.Cleanup(func() { srv.Close(); app.Close() })
	return app, map[string]string{"SESSIOND_HOST": srv.URL}
}

var tokenRE = regexp.MustCompile(`operator token\t(\S+)`)

// setUp runs `sessiond setup` and puts the operator token in env.
func setUp(t *testing.T, env map[string]string) {
	t.Helper()
	code, out, errOut := runCLI(env, "setup", "--username", "admin", "--password", "admin-password", "--org", "acme")
	if code != 0 {
		t.Fatalf("setup: %d %s", code, errOut)
	}
	m := tokenRE.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("setup printed no token: %q", out)
	}
	env["SESSIOND_TOKEN"] = m[1]
}

func TestAdminCommands(t *testing.T) {
	app, env := newServer(t)
	code, out, errOut := runCLI(env, "setup", "--username", "admin", "--password", "admin-password", "--org", "acme")
	if code != 0 {
		t.Fatalf("setup: %d %s", code, errOut)
	}
	if !strings.Contains(errOut, "Keep the operator token: it is shown only once") || !strings.Contains(errOut, "sessiond auth create --username admin") {
		t.Fatalf("setup does not say to keep the token, nor how to replace it: %q", errOut)
	}
	env["SESSIOND_TOKEN"] = tokenRE.FindStringSubmatch(out)[1]

	code, _, errOut = runCLI(env, "setup", "--username", "x", "--password", "xxxxxxxxxx", "--org", "o")
	if code == 0 || !strings.Contains(errOut, "onboarding has already been completed") || !strings.Contains(errOut, "sessiond auth create") || strings.Count(errOut, "\n") != 1 {
		t.Fatalf("second setup: %d %q", code, errOut)
	}

	steps := []struct {
		name     string
		args     []string
		wantCode int
		wantOut  string
		wantErr  string
	}{
		{"create", []string{"user", "create", "--name", "bob", "--password", "bob-password"}, 0, "bob\tactive", ""},
		{"create twice", []string{"user", "create", "--name", "bob", "--password", "bob-password"}, 1, "", "user with name bob already exists"},
		{"create without a password", []string{"user", "create", "--name", "erin"}, 1, "", "a password for erin is required"},
		{"short password", []string{"user", "create", "--name", "carol", "--password", "short"}, 1, "", "passwords must be between 8 and 72 characters long"},
		{"list", []string{"user", "list"}, 0, "bob", ""},
		{"set-password by name", []string{"user", "set-password", "--name", "bob", "--password", "bob-password-2"}, 0, "", ""},
		{"set-password of nobody", []string{"user", "set-password", "--name", "nobody", "--password", "whatever-1"}, 1, "", `user "nobody" not found`},
		{"session list", []string{"session", "list"}, 0, "ID", ""},
		{"session list of a name given as an ID", []string{"session", "list", "--user-id", "bob"}, 1, "", `no user has ID "bob"`},
		{"disable by name", []string{"user", "disable", "--name", "bob"}, 0, "", ""},
		{"delete by name", []string{"user", "delete", "--name", "bob"}, 0, "", ""},
		{"delete twice", []string{"user", "delete", "--name", "bob"}, 1, "", "not found"},
		{"revoke unknown session", []string{"session", "revoke", "--id", "0000000000000999"}, 1, "", "session not found"},
		{"revoke without target", []string{"session", "revoke"}, 1, "", "give one of --id, --user-id, --user or --all"},
		{"both id and name", []string{"user", "delete", "--id", "0000000000000001", "--name", "x"}, 1, "", "not both"},
		{"unknown command", []string{"frobnicate"}, 1, "", `unknown command "frobnicate" for "sessiond"`},
		{"version", []string{"version"}, 0, "sessiond " + server.Version, ""},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			code, out, errOut := runCLI(env, s.args...)
			if code != s.wantCode || !strings.Contains(out, s.wantOut) || !strings.Contains(errOut, s.wantErr) {
				t.Errorf("%v: code %d out %q err %q", s.args, code, out, errOut)
			}
		})
	}
	// carol was never created: a failed password leaves no half-made user.
	if _, err := app.Service().UserByName(context.Background(), auth.DefaultTenantID, "carol"); auth.ErrorCode(err) != auth.ENotFound {
		t.Fatalf("half-created user left behind: %v", err)
	}

	// A signed-in session is listed with its user's name and revoked by ID.
	svc := app.Service()
	u, _ := svc.CreateUser(context.Background(), auth.NewUser{TenantID: auth.DefaultTenantID, Name: "dave", Password: "dave-password"})
	sess, _ := servertest.SignIn(t, app, auth.DefaultTenantID, u.Name, "dave-password", auth.OriginInflux, auth.Client{IP: "192.0.2.9", UserAgent: "cli-test"})
	for _, args := range [][]string{{"session", "list", "--user-id", u.ID}, {"session", "list", "--user", "dave"}, {"session", "list"}} {
		_, out, _ := runCLI(env, args...)
		if !strings.Contains(out, sess.ID) || !strings.Contains(out, "cli-test") || !regexp.MustCompile(sess.ID+`\s+dave\s`).MatchString(out) {
			t.Fatalf("%v does not show the session with its user's name: %q", args, out)
		}
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
	sess, _ = servertest.SignIn(t, app, auth.DefaultTenantID, u.Name, "dave-password", auth.OriginInflux, auth.Client{IP: "192.0.2.9"})
	if code, _, errOut := runCLI(env, "session", "revoke", "--user", "dave"); code != 0 {
		t.Fatalf("session revoke --user: %s", errOut)
	}
	if _, err := svc.Session(context.Background(), auth.DefaultTenantID, sess.ID); auth.ErrorCode(err) != auth.ENotFound {
		t.Fatalf("session revoke --user left the session: %v", err)
	}
}

// TestPasswordFromStdin: without --password, the first line of standard
// input is the password, for scripts; nothing there is an error, never a
// user who cannot sign in.
func TestPasswordFromStdin(t *testing.T) {
	app, env := newServer(t)
	if code, out, errOut := runCLIStdin(env, "admin-password\n", "setup", "--username", "admin", "--org", "acme"); code != 0 {
		t.Fatalf("setup from stdin: %d %s", code, errOut)
	} else {
		env["SESSIOND_TOKEN"] = tokenRE.FindStringSubmatch(out)[1]
	}
	if code, _, errOut := runCLIStdin(env, "frank-password\n", "user", "create", "--name", "frank"); code != 0 {
		t.Fatalf("user create from stdin: %s", errOut)
	}
	if s := signinStatus(t, env["SESSIOND_HOST"], "frank", "frank-password"); s != http.StatusNoContent {
		t.Fatalf("frank cannot sign in with the piped password: %d", s)
	}
	if code, _, errOut := runCLIStdin(env, "frank-password-2\r\n", "user", "set-password", "--name", "frank"); code != 0 {
		t.Fatalf("set-password from stdin: %s", errOut)
	}
	if s := signinStatus(t, env["SESSIOND_HOST"], "frank", "frank-password-2"); s != http.StatusNoContent {
		t.Fatalf("frank cannot sign in with the new piped password: %d", s)
	}
	code, _, errOut := runCLIStdin(env, "", "user", "create", "--name", "gina")
	if code == 0 || !strings.Contains(errOut, "a password for gina is required") {
		t.Fatalf("user create without any password: %d %q", code, errOut)
	}
	if _, err := app.Service().UserByName(context.Background(), auth.DefaultTenantID, "gina"); auth.ErrorCode(err) != auth.ENotFound {
		t.Fatalf("a user without a password was made: %v", err)
	}
}

// TestAuthCreate: a lost operator token is replaced by signing in as the
// admin; a wrong password or a user who is not an admin gets none.
func TestAuthCreate(t *testing.T) {
	app, env := newServer(t)
	setUp(t, env)
	if _, err := app.Service().CreateUser(context.Background(), auth.NewUser{TenantID: auth.DefaultTenantID, Name: "plain", Password: "plain-password"}); err != nil {
		t.Fatal(err)
	}
	lost := map[string]string{"SESSIOND_HOST": env["SESSIOND_HOST"]}
	code, out, errOut := runCLIStdin(lost, "admin-password\n", "auth", "create", "--username", "admin")
	if code != 0 {
		t.Fatalf("auth create: %d %s", code, errOut)
	}
	m := tokenRE.FindStringSubmatch(out)
	if m == nil || m[1] == env["SESSIOND_TOKEN"] {
		t.Fatalf("auth create printed %q", out)
	}
	lost["SESSIOND_TOKEN"] = m[1]
	for _, args := range [][]string{{"user", "list"}, {"session", "list"}, {"lockout", "list"}, {"tenant", "list"}, {"user", "create", "--name", "hank", "--password", "hank-password"}} {
		if code, _, errOut := runCLI(lost, args...); code != 0 {
			t.Fatalf("%v with the new token: %s", args, errOut)
		}
	}
	if n, _ := app.Service().CountSessions(context.Background()); n != 0 {
		t.Fatalf("auth create left %d sessions", n)
	}
	for _, tc := range []struct {
		name, user, password, want string
	}{
		{"wrong password", "admin", "not-the-password", "wrong user name or password"},
		{"not an admin", "plain", "plain-password", `user "plain" is not an admin`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := runCLI(lost, "auth", "create", "--username", tc.user, "--password", tc.password)
			if code == 0 || !strings.Contains(errOut, tc.want) || out != "" {
				t.Fatalf("got %d %q %q, want %q", code, out, errOut, tc.want)
			}
		})
	}
}

// Test401SaysHowToGetAToken: every 401 the CLI prints says what to do.
func Test401SaysHowToGetAToken(t *testing.T) {
	_, env := newServer(t)
	cases := []struct {
		name  string
		token string
		setup bool
		want  string
	}{
		{"not set up", "", false, "is not set up yet; run 'sessiond setup --host"},
		{"no token", "", true, "no operator token; pass --token or set SESSIOND_TOKEN"},
		{"wrong token", "not-a-token", true, "the server refused the operator token"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.setup && env["SESSIOND_TOKEN"] == "" {
				setUp(t, env)
			}
			e := map[string]string{"SESSIOND_HOST": env["SESSIOND_HOST"], "SESSIOND_TOKEN": tc.token}
			code, _, errOut := runCLI(e, "user", "list")
			if code != 1 || !strings.Contains(errOut, "401") || !strings.Contains(errOut, tc.want) || strings.Count(errOut, "\n") != 1 {
				t.Fatalf("got %d %q, want %q", code, errOut, tc.want)
			}
			if !strings.Contains(errOut, "auth create") && tc.setup {
				t.Fatalf("the 401 does not name auth create: %q", errOut)
			}
		})
	}
}

func TestUnreachableServer(t *testing.T) {
	code, _, errOut := runCLI(map[string]string{"SESSIOND_HOST": "http://127.0.0.1:1", "SESSIOND_TOKEN": "x"}, "user", "list")
	if code != 1 || !strings.Contains(errOut, "cannot reach sessiond at http://127.0.0.1:1") || strings.Count(errOut, "\n") != 1 {
		t.Fatalf("code %d, stderr %q", code, errOut)
	}
	code, _, errOut = runCLI(map[string]string{"SESSIOND_HOST": "http://op:hostpass@127.0.0.1:1"}, "user", "list")
	if code != 1 || strings.Contains(errOut, "hostpass") {
		t.Fatalf("a password in --host is printed: %q", errOut)
	}
}

func TestServeRejectsBadConfig(t *testing.T) {
	code, _, errOut := runCLI(nil, "serve", "--session-length", "never", "--log-level", "loud", "--http-bind-address", "xx")
	if code != 1 || !strings.Contains(errOut, "--session-length") || !strings.Contains(errOut, "log-level") || !strings.Contains(errOut, "http-bind-address") || strings.Count(errOut, "\n") != 1 {
		t.Fatalf("code %d, stderr %q", code, errOut)
	}
}

// TestConfigPrint: `config print` shows the configuration serve would
// run with, from flags, variables and a file, secrets redacted.
func TestConfigPrint(t *testing.T) {
	env := map[string]string{"SESSIOND_STORE": "postgres://sd:pg-secret-pw@db:5432/sd", "SESSIOND_LOCKOUT_WINDOW": "7m"}
	code, out, errOut := runCLI(env, "config", "print", "--session-length", "42m")
	if code != 0 {
		t.Fatalf("config print: %d %s", code, errOut)
	}
	for _, want := range []string{"length: 42m0s", "window: 7m0s", "store: postgres://sd:REDACTED@db:5432/sd", "lockout:", "sessions:"} {
		if !strings.Contains(out, want) {
			t.Errorf("config print lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "pg-secret-pw") {
		t.Fatalf("config print shows a secret:\n%s", out)
	}
	if code, out, _ := runCLI(env, "config", "print", "--format", "json"); code != 0 || !strings.Contains(out, `"lockout": {`) {
		t.Fatalf("config print --format json: %d %s", code, out)
	}
	if code, _, errOut := runCLI(nil, "config", "print", "--lockout-window", "soon"); code != 1 || !strings.Contains(errOut, "lockout-window") {
		t.Fatalf("config print of a bad configuration: %d %s", code, errOut)
	}
}

// signinStatus signs in through the InfluxDB API and returns the status.
func signinStatus(t *testing.T, host, user, pw string) int {
	t.Helper()
	r, _ := http.NewRequest("POST", host+"/api/v2/signin", nil)
	r.SetBasicAuth(user, pw)
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}
