package cli_test

import (
	"bytes"
	"context"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/sessiond/sessiond/internal/auth"
	"github.com/sessiond/sessiond/internal/cli"
	"github.com/sessiond/sessiond/internal/config"
	"github.com/sessiond/sessiond/internal/openapitest"
	"github.com/sessiond/sessiond/internal/server"
)

// tenantServer starts a sessiond with an operator token holding orgs
// permissions, and returns its URL and the token.
func tenantServer(t *testing.T) (*server.App, string, string) {
	t.Helper()
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	cfg.HTTPBindAddress = "127.0.0.1:0"
	cfg.PasswordHashCost = &auth.Argon2Params{MemoryKiB: 64, Time: 1, Threads: 1}
	app, err := server.Open(context.Background(), cfg, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(openapitest.Wrap(t, app.Handler()))
	t.Cleanup(func() {
		srv.Close()
		app.Close()
	})
	svc := app.Service()
	admin, err := svc.CreateUser(context.Background(), auth.NewUser{TenantID: auth.DefaultTenantID, Name: "admin", Password: "admin-password", Admin: true})
	if err != nil {
		t.Fatal(err)
	}
	const op = "cli-operator-token"
	perms := []auth.Permission{{Action: "read", Type: "orgs"}, {Action: "write", Type: "orgs"}}
	if _, _, err := svc.CreateToken(context.Background(), auth.NewAPIToken{TenantID: auth.DefaultTenantID, UserID: admin.ID, Token: op, Permissions: perms}); err != nil {
		t.Fatal(err)
	}
	return app, srv.URL, op
}

// runTenant runs `sessiond tenant ...` against url and returns its exit
// code, stdout and stderr.
func runTenant(url, token string, args ...string) (int, string, string) {
	var out, errOut bytes.Buffer
	env := cli.Env{Stdout: &out, Stderr: &errOut, Getenv: func(k string) string {
		switch k {
		case "SESSIOND_HOST":
			return url
		case "SESSIOND_TOKEN":
			return token
		}
		return ""
	}}
	code := cli.Run(context.Background(), append([]string{"tenant"}, args...), env)
	return code, out.String(), errOut.String()
}

func TestTenantCommands(t *testing.T) {
	app, url, op := tenantServer(t)
	ctx := context.Background()

	code, out, stderr := runTenant(url, op, "create", "--name", "acme", "--capabilities", "terminate", "--client-headers", "accept")
	if code != 0 {
		t.Fatalf("create: %d %s", code, stderr)
	}
	var id, token string
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		f := strings.Split(line, "\t")
		switch f[0] {
		case "tenant":
			id = f[1]
		case "tenant token":
			token = f[1]
		}
	}
	ten, err := app.Service().TenantByToken(ctx, token)
	if err != nil || ten.ID != id {
		t.Fatalf("create printed %q / %q, which do not find the tenant: %v\n%s", id, token, err, out)
	}
	if p := ten.Policy(); p.ClientHeaders != auth.ClientHeadersAccept || strings.Join(p.Restricted, ",") != "terminate" {
		t.Fatalf("created policy %+v", p)
	}

	code, out, stderr = runTenant(url, op, "list")
	if code != 0 || !strings.Contains(out, id) || !strings.Contains(out, "acme") || strings.Contains(out, token) {
		t.Fatalf("list: %d %q %s", code, out, stderr)
	}

	if code, _, stderr = runTenant(url, op, "restrict", "--id", id, "--capabilities", "logout,guest"); code != 0 {
		t.Fatalf("restrict: %d %s", code, stderr)
	}
	ten, _ = app.Service().Tenant(ctx, id)
	if got := strings.Join(ten.Policy().Restricted, ","); got != "guest,logout" {
		t.Fatalf("restricted %q, want guest,logout", got)
	}
	u, err := app.Service().CreateUser(ctx, auth.NewUser{TenantID: id, Name: "u@example.com", Email: "u@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	if code, _, stderr = runTenant(url, op, "restrict", "--id", id, "--user-id", u.ID, "--capabilities", "signin"); code != 0 {
		t.Fatalf("restrict user: %d %s", code, stderr)
	}
	ten, _ = app.Service().Tenant(ctx, id)
	if got := ten.UserRestrictions(u.ID); len(got) != 1 || got[0] != "signin" {
		t.Fatalf("user restrictions %v", got)
	}
	// By name: the tenant's search finds every user whose name or email
	// contains "u", u@example.com first; the one named exactly u is meant.
	short, err := app.Service().CreateUser(ctx, auth.NewUser{TenantID: id, Name: "u"})
	if err != nil {
		t.Fatal(err)
	}
	if code, _, stderr = runTenant(url, op, "restrict", "--name", "acme", "--user", "u", "--capabilities", "logout"); code != 0 {
		t.Fatalf("restrict user by name: %d %s", code, stderr)
	}
	ten, _ = app.Service().Tenant(ctx, id)
	if got, other := ten.UserRestrictions(short.ID), ten.UserRestrictions(u.ID); len(got) != 1 || got[0] != "logout" || len(other) != 1 || other[0] != "signin" {
		t.Fatalf("restrict --user u: u has %v, u@example.com has %v; want [logout] and [signin]", got, other)
	}
	if code, _, stderr = runTenant(url, op, "rotate-key", "--name", "acme"); code != 0 {
		t.Fatalf("rotate-key: %d %s", code, stderr)
	}
	ten, _ = app.Service().Tenant(ctx, id)
	if n := len(ten.Keys()); n != 2 {
		t.Fatalf("%d keys after rotation, want 2", n)
	}

	tests := []struct {
		name string
		args []string
		want string
	}{
		{"create without name", []string{"create"}, `required flag(s) "name" not set`},
		{"bad capability", []string{"restrict", "--id", id, "--capabilities", "fly"}, `"fly" is not a capability`},
		{"missing id", []string{"delete"}, "--id or --name is required"},
		{"unknown subcommand", []string{"explode", "--id", id}, `unknown command "explode" for "sessiond tenant"`},
		{"no subcommand", nil, "needs a command: create, delete, list, provider, reset-password, restrict, rotate-key, set-password, template, users"},
		{"unknown name", []string{"delete", "--name", "nobody"}, `tenant "nobody" not found`},
		{"restrict an unknown user", []string{"restrict", "--id", id, "--user", "nobody", "--capabilities", "signin"}, `user "nobody" not found`},
		{"restrict a user by a name given as an ID", []string{"restrict", "--id", id, "--user-id", "u@example.com", "--capabilities", "signin"}, `no user has ID "u@example.com"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := runTenant(url, op, tt.args...)
			if code == 0 || !strings.Contains(stderr, tt.want) {
				t.Fatalf("got %d %q, want a failure naming %q", code, stderr, tt.want)
			}
		})
	}
	if code, _, stderr := runTenant(url, "wrong-token", "list"); code == 0 || !strings.Contains(stderr, "401") {
		t.Fatalf("list with a wrong token: %d %s", code, stderr)
	}

	if code, _, stderr = runTenant(url, op, "delete", "--name", "acme"); code != 0 {
		t.Fatalf("delete: %d %s", code, stderr)
	}
	if _, err := app.Service().Tenant(ctx, id); auth.ErrorCode(err) != auth.ENotFound {
		t.Fatalf("tenant after delete: %v", err)
	}
}
