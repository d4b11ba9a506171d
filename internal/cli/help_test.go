package cli_test

import (
	"strings"
	"testing"
)

// commandPaths are every command of the CLI, groups included.
var commandPaths = [][]string{
	{}, {"serve"}, {"config"}, {"config", "print"}, {"setup"}, {"auth"}, {"auth", "create"},
	{"user"}, {"user", "create"}, {"user", "list"}, {"user", "set-password"}, {"user", "disable"}, {"user", "delete"},
	{"session"}, {"session", "list"}, {"session", "revoke"},
	{"lockout"}, {"lockout", "list"}, {"lockout", "clear"},
	{"tenant"}, {"tenant", "create"}, {"tenant", "list"}, {"tenant", "restrict"}, {"tenant", "rotate-key"}, {"tenant", "delete"},
	{"tenant", "users"}, {"tenant", "set-password"}, {"tenant", "reset-password"}, {"tenant", "provider"}, {"tenant", "template"},
	{"version"},
}

// TestHelpAtEveryLevel: --help, -h and `help` answer at every level with
// that command's usage on stdout and exit 0; no help says a flag is
// required or lists another command's flags.
func TestHelpAtEveryLevel(t *testing.T) {
	for _, path := range commandPaths {
		name := "sessiond " + strings.Join(path, " ")
		t.Run(name, func(t *testing.T) {
			for _, form := range [][]string{append(append([]string{}, path...), "--help"), append(append([]string{}, path...), "-h"), append([]string{"help"}, path...)} {
				code, out, errOut := runCLI(nil, form...)
				if code != 0 || errOut != "" || !strings.Contains(out, "Usage:") || !strings.Contains(out, strings.TrimSpace(name)) {
					t.Fatalf("%v: code %d, stdout %q, stderr %q", form, code, out, errOut)
				}
				if strings.Contains(out, "is required") || strings.Contains(out, "unknown") {
					t.Fatalf("%v: help reads as an error: %q", form, out)
				}
			}
		})
	}
	// Each subcommand's help lists its own flags only.
	for _, tc := range []struct {
		path    []string
		has     []string
		hasNone []string
	}{
		{[]string{"user", "list"}, []string{"--host", "--token"}, []string{"--password", "--name", "--id"}},
		{[]string{"user", "create"}, []string{"--name", "--password"}, []string{"--id"}},
		{[]string{"session", "list"}, []string{"--user-id", "--user"}, []string{"--all"}},
		{[]string{"session", "revoke"}, []string{"--id", "--user", "--all", "--all-tenants"}, []string{"--password"}},
		{[]string{"tenant", "set-password"}, []string{"--id", "--name", "--user-id", "--user", "--password"}, []string{"--all"}},
		{[]string{"tenant", "restrict"}, []string{"--id", "--name", "--user-id", "--user", "--capabilities"}, []string{"--password"}},
		{[]string{"tenant", "template"}, []string{"--id", "--name", "--purpose"}, []string{"--user"}},
		{[]string{"serve"}, []string{"--http-bind-address", "--log-format", "--config", "SESSIOND_STORE_FILE"}, []string{"--token"}},
	} {
		_, out, _ := runCLI(nil, append(tc.path, "--help")...)
		for _, f := range tc.has {
			if !strings.Contains(out, f) {
				t.Errorf("%v --help lacks %s", tc.path, f)
			}
		}
		for _, f := range tc.hasNone {
			if strings.Contains(out, f+" ") {
				t.Errorf("%v --help lists %s, which does not apply", tc.path, f)
			}
		}
	}
}

// TestMistakesNamedOnce: an unknown command or flag is named once, on one
// line, with where to look; never twice, never the whole usage.
func TestMistakesNamedOnce(t *testing.T) {
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"unknown top command", []string{"frob"}, `unknown command "frob" for "sessiond"`},
		{"unknown subcommand", []string{"user", "frob"}, `unknown command "frob" for "sessiond user"`},
		{"near miss", []string{"session", "lst"}, `(did you mean "list"?)`},
		{"unknown subcommand before a flag", []string{"session", "frob", "--id", "x"}, `unknown command "frob" for "sessiond session"`},
		{"unknown flag", []string{"session", "list", "--frob"}, "unknown flag: --frob"},
		{"unknown flag of serve", []string{"serve", "--no-such-flag"}, "unknown flag: --no-such-flag"},
		{"flag of another command", []string{"user", "list", "--password", "x"}, "unknown flag: --password"},
		{"stray argument", []string{"user", "list", "bob"}, `unexpected argument "bob"`},
		{"missing value", []string{"user", "create", "--name"}, "flag needs an argument: --name"},
		{"required flag", []string{"setup", "--org", "o"}, `required flag(s) "username" not set`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := runCLI(map[string]string{"SESSIOND_HOST": "http://127.0.0.1:1"}, tc.args...)
			if code != 1 || out != "" || strings.Count(errOut, "\n") != 1 || !strings.HasPrefix(errOut, "sessiond: ") {
				t.Fatalf("code %d, stdout %q, stderr %q: want one line on stderr", code, out, errOut)
			}
			if !strings.Contains(errOut, tc.want) {
				t.Fatalf("stderr %q does not name %q", errOut, tc.want)
			}
			word := tc.want[:strings.IndexAny(tc.want+" ", " ")]
			if strings.Count(errOut, word) > 1 && word != "unknown" {
				t.Fatalf("named twice: %q", errOut)
			}
		})
	}
	// A group alone shows its help and its commands, and fails.
	code, _, errOut := runCLI(nil, "session")
	if code != 1 || !strings.Contains(errOut, "Usage:") || !strings.Contains(errOut, "sessiond session needs a command: list, revoke") {
		t.Fatalf("session alone: %d %q", code, errOut)
	}
}

func TestVersionFlag(t *testing.T) {
	for _, args := range [][]string{{"--version"}, {"version"}} {
		code, out, errOut := runCLI(nil, args...)
		if code != 0 || !strings.HasPrefix(out, "sessiond 0.") || strings.Count(out, "\n") != 1 || errOut != "" {
			t.Fatalf("%v: %d %q %q", args, code, out, errOut)
		}
	}
}

// TestNoSecretInHelpOrErrors: the operator token and engine passwords
// from the environment never appear in any help, flag error or failure.
func TestNoSecretInHelpOrErrors(t *testing.T) {
	const token, pgpw = "OW1a-secret-operator-token", "pg-secret-password"
	env := map[string]string{
		"SESSIOND_TOKEN": token, "SESSIOND_HOST": "http://127.0.0.1:1",
		"SESSIOND_STORE": "postgres://sd:" + pgpw + "@db.invalid/sd", "SESSIOND_SESSION_STORE": "redis://:" + pgpw + "@r.invalid:6379",
	}
	var runs [][]string
	for _, p := range commandPaths {
		runs = append(runs, append(append([]string{}, p...), "--help"), append(append([]string{}, p...), "--frob"))
	}
	runs = append(runs, []string{"user", "list"}, []string{"config", "print"}, []string{"serve", "--http-bind-address", "xx"},
		[]string{"session", "list", "--user-id"}, []string{"user", "frob"})
	for _, args := range runs {
		_, out, errOut := runCLI(env, args...)
		for _, s := range []string{token, pgpw, "OW1a"} {
			if strings.Contains(out+errOut, s) {
				t.Fatalf("%v prints a secret:\nstdout %s\nstderr %s", args, out, errOut)
			}
		}
	}
}
