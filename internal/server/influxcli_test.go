package server_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sessiond/sessiond/internal/testenv"
)

// influxCmd runs the official influx CLI (influxdata/influx-cli) against
// one sessiond process, with a config file of its own.
type influxCmd struct {
	t       *testing.T
	bin     string
	configs string // INFLUX_CONFIGS_PATH: the CLI's configs file
	home    string
}

// run runs `influx args...`, logs the command and what it printed, and
// fails the test unless it exits 0. It returns the standard output.
func (c *influxCmd) run(args ...string) string {
	c.t.Helper()
	// A bound for a CLI that hangs, not a measurement: each command
	// takes well under a second.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, c.bin, args...)
	// Only what the CLI needs: no INFLUX_* variable of the caller's.
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + c.home, "INFLUX_CONFIGS_PATH=" + c.configs}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	c.t.Logf("$ influx %s\n%s%s", strings.Join(args, " "), stdout.String(), stderr.String())
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		c.t.Fatalf("influx %s: exit %d", strings.Join(args, " "), exit.ExitCode())
	case err != nil:
		c.t.Fatalf("influx %s: %v", strings.Join(args, " "), err)
	}
	return stdout.String()
}

// authCreate runs `influx auth create args...` and returns its one row:
// ID, Token, User Name (admin), User ID, Permissions (the Description is
// empty, so it has no cell).
func (c *influxCmd) authCreate(args ...string) []string {
	c.t.Helper()
	out := c.run(append([]string{"auth", "create"}, args...)...)
	rows := tableRows(out)
	if len(rows) != 1 || len(rows[0]) != 5 || rows[0][2] != "admin" || !strings.HasPrefix(rows[0][4], "[") {
		c.t.Fatalf("auth create printed %q: want one token for admin", out)
	}
	return rows[0]
}

// tableRows reads the CLI's table output (text/tabwriter padded with
// tabs, influx-cli pkg/tabwriter): the rows after the header, each as its
// non-empty cells.
func tableRows(out string) [][]string {
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	var rows [][]string
	for _, l := range lines[1:] {
		var cells []string
		for _, c := range strings.Split(l, "\t") {
			if c = strings.TrimSpace(c); c != "" {
				cells = append(cells, c)
			}
		}
		rows = append(rows, cells)
	}
	return rows
}

// TestInfluxCLI runs the real influx binary against a real sessiond
// process, through issue 17's flow: ping, setup, a username/password
// config (so each command signs in with POST /api/v2/signin first), ping,
// user create -o, org members list -n, auth create --all-access -o (and
// --operator), auth list; then the new token reads the organization, and
// bob signs in with the password user create set. Every command must exit
// 0. TestInfluxCLIFlow in internal/influxapi replays the same requests
// without the binary.
func TestInfluxCLI(t *testing.T) {
	bin := os.Getenv(testenv.InfluxCLI.Env)
	if bin == "" {
		t.Skip(testenv.InfluxCLI.Line())
	}
	p := startProcess(t, "sessiond")
	dir := t.TempDir()
	influx := &influxCmd{t: t, bin: bin, configs: filepath.Join(dir, "configs"), home: dir}

	influx.run("version")
	if out := influx.run("ping", "--host", p.url); out != "OK\n" {
		t.Fatalf("ping printed %q, want OK", out)
	}

	out := influx.run("setup", "--host", p.url, "-u", "admin", "-p", "admin-passw0rd-x", "-o", "acme", "-b", "bucket0", "-r", "0", "-f")
	if rows := tableRows(out); len(rows) != 1 || !slices.Equal(rows[0], []string{"admin", "acme", "bucket0"}) {
		t.Fatalf("setup printed %q", out)
	}

	// From here on the config "pw" is active: no token, so every command
	// signs in as admin with Basic credentials first and sends the cookie.
	influx.run("config", "create", "-n", "pw", "-u", p.url, "-p", "admin:admin-passw0rd-x", "-o", "acme", "-a")
	if out := influx.run("ping"); out != "OK\n" {
		t.Fatalf("ping printed %q, want OK", out)
	}

	out = influx.run("user", "create", "-n", "bob", "-p", "bob-passw0rd-x", "-o", "acme")
	rows := tableRows(out)
	if len(rows) != 1 || len(rows[0]) != 2 || rows[0][1] != "bob" {
		t.Fatalf("user create printed %q", out)
	}
	bobID := rows[0][0]

	out = influx.run("org", "members", "list", "-n", "acme")
	rows = tableRows(out)
	if len(rows) != 2 || len(rows[0]) != 4 || !slices.Equal(rows[0][1:], []string{"admin", "owner", "active"}) ||
		!slices.Equal(rows[1], []string{bobID, "bob", "member", "active"}) {
		t.Fatalf("org members list printed %q, want admin as owner and bob (%s) as member", out, bobID)
	}

	// Without --user the token is for the first user GET /api/v2/users
	// lists: the setup user, as against InfluxDB (oldest first).
	allAccess := influx.authCreate("--all-access", "-o", "acme")
	operator := influx.authCreate("--operator", "-o", "acme")

	// Each new token is listed by its ID, for admin, with the permissions
	// it was made with; its secret is not (sessiond keeps only a hash).
	out = influx.run("auth", "list")
	for _, made := range [][]string{allAccess, operator} {
		id, secret := made[0], made[1]
		listed := []string{id, "admin", made[3], made[4]}
		if !slices.ContainsFunc(tableRows(out), func(r []string) bool { return slices.Equal(r, listed) }) {
			t.Fatalf("auth list printed %q, without the token %s as auth create printed it", out, id)
		}
		if strings.Contains(out, secret) {
			t.Fatalf("auth list printed the secret of token %s", id)
		}
	}

	// The new token, given with -t, reads the organization.
	out = influx.run("org", "list", "-t", allAccess[1])
	if rows := tableRows(out); len(rows) != 1 || len(rows[0]) != 2 || rows[0][1] != "acme" {
		t.Fatalf("org list with the new token printed %q", out)
	}

	// bob signs in with the password user create set: his own config in
	// a configs file of its own, and a command that signs in with it.
	bobConfigs := filepath.Join(dir, "bob-configs")
	influx.run("config", "create", "--configs-path", bobConfigs, "-n", "bob", "-u", p.url, "-p", "bob:bob-passw0rd-x", "-o", "acme", "-a")
	out = influx.run("user", "list", "--configs-path", bobConfigs)
	if rows := tableRows(out); len(rows) != 1 || !slices.Equal(rows[0], []string{bobID, "bob"}) {
		t.Fatalf("user list as bob printed %q, want bob alone", out)
	}
}
