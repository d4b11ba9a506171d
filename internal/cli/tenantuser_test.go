package cli_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/sessiond/sessiond/internal/auth"
	"github.com/sessiond/sessiond/internal/config"
	"github.com/sessiond/sessiond/internal/courier/couriertest"
	"github.com/sessiond/sessiond/internal/server"
)

// The CLI lists a tenant's users a page at a time, sets a password,
// emails a reset code, and sets up a provider and a template, naming the
// tenant by --id or --name and the user by --user-id or --user (a name).
func TestTenantUserCommands(t *testing.T) {
	mail := couriertest.Start(t, couriertest.Options{Mode: couriertest.ImplicitTLS})
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	cfg.PasswordHashCost = &auth.Argon2Params{MemoryKiB: 64, Time: 1, Threads: 1}
	cfg.SMTPURL, cfg.SMTPFrom, cfg.SMTPTLS = mail.URL(), "no-reply@example.com", mail.ClientTLS()
	app, err := server.Open(context.Background(), cfg, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(app.Handler())
	t.Cleanup(func() { srv.Close(); app.Close() })
	ctx := context.Background()
	svc := app.Service()
	admin, _ := svc.CreateUser(ctx, auth.NewUser{TenantID: auth.DefaultTenantID, Name: "admin", Password: "admin-password", Admin: true})
	const op = "cli-operator-token"
	perms := []auth.Permission{{Action: "read", Type: "orgs"}, {Action: "write", Type: "orgs"}}
	if _, _, err := svc.CreateToken(ctx, auth.NewAPIToken{TenantID: auth.DefaultTenantID, UserID: admin.ID, Token: op, Permissions: perms}); err != nil {
		t.Fatal(err)
	}
	ten, _, err := svc.CreateTenant(ctx, auth.NewTenant{Name: "acme"})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for i := range 3 {
		u, err := svc.CreateUser(ctx, auth.NewUser{TenantID: ten.ID, Name: fmt.Sprintf("u%d@example.com", i), Email: fmt.Sprintf("u%d@example.com", i), Password: "a-good-password"})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, u.ID)
	}

	code, out, stderr := runTenant(srv.URL, op, "users", "--name", "acme", "--limit", "2")
	if code != 0 || strings.Count(out, "logged_in") != 2 || !strings.Contains(out, "more: --after ") {
		t.Fatalf("users, first page: %d %q %s", code, out, stderr)
	}
	after := strings.TrimSpace(out[strings.Index(out, "more: --after ")+len("more: --after "):])
	code, out, _ = runTenant(srv.URL, op, "users", "--id", ten.ID, "--limit", "2", "--after", after)
	if code != 0 || strings.Count(out, "logged_in") != 1 || strings.Contains(out, "more:") {
		t.Fatalf("users, second page: %d %q", code, out)
	}
	code, out, _ = runTenant(srv.URL, op, "users", "--id", ten.ID, "--search", "u1@")
	if code != 0 || !strings.Contains(out, "u1@example.com") || strings.Contains(out, "u0@") {
		t.Fatalf("users --search: %d %q", code, out)
	}

	if code, _, stderr := runTenant(srv.URL, op, "set-password", "--id", ten.ID, "--user-id", ids[0], "--password", "short"); code == 0 || !strings.Contains(stderr, "password") {
		t.Fatalf("a short password: %d %s", code, stderr)
	}
	for _, tc := range []struct {
		name     string
		args     []string
		password string
	}{
		{"--id and --user-id", []string{"--id", ten.ID, "--user-id", ids[0]}, "set-by-the-cli"},
		{"--name and --user", []string{"--name", "acme", "--user", "u0@example.com"}, "set-by-name-too"},
	} {
		args := append(append([]string{"set-password"}, tc.args...), "--password", tc.password)
		if code, _, stderr := runTenant(srv.URL, op, args...); code != 0 {
			t.Fatalf("set-password with %s: %d %s", tc.name, code, stderr)
		}
		if _, err := svc.SignIn(ctx, auth.Attempt{TenantID: ten.ID, Login: "u0@example.com", LoginKind: auth.LoginEmail, Credential: auth.Password{Secret: tc.password}}); err != nil {
			t.Fatalf("sign in with the password the CLI set with %s: %v", tc.name, err)
		}
	}
	code, out, stderr = runTenant(srv.URL, op, "reset-password", "--name", "acme", "--user", "u1@example.com")
	if code != 0 || !strings.Contains(out, "u1@example.com") {
		t.Fatalf("reset-password: %d %q %s", code, out, stderr)
	}
	if m := mail.WaitMails(1, 10*time.Second)[0]; m.To[0] != "u1@example.com" {
		t.Fatalf("reset mail went to %v", m.To)
	}
	if code, out, stderr := runTenant(srv.URL, op, "provider", "--name", "acme", "--method", "google", "--client-ids", "app-1,app-2"); code != 0 || !strings.Contains(out, "enabled true") {
		t.Fatalf("provider: %d %q %s", code, out, stderr)
	}
	stored, _ := svc.Tenant(ctx, ten.ID)
	if p := stored.SocialProvider(auth.MethodGoogle); strings.Join(p.ClientIDs, ",") != "app-1,app-2" {
		t.Fatalf("provider stored as %+v", p)
	}
	if code, _, stderr := runTenant(srv.URL, op, "template", "--name", "acme", "--purpose", "reset_password", "--subject", "Reset", "--body", "Code {{.Code}}"); code != 0 {
		t.Fatalf("template: %d %s", code, stderr)
	}
	stored, _ = svc.Tenant(ctx, ten.ID)
	if mt, own := stored.Template(auth.ScopeResetPassword, auth.ChannelEmail); !own || mt.Body != "Code {{.Code}}" {
		t.Fatalf("template stored as %+v %t", mt, own)
	}
	if code, _, stderr := runTenant(srv.URL, op, "template", "--id", ten.ID, "--purpose", "reset_password", "--subject", "Reset", "--body", "no code"); code == 0 || !strings.Contains(stderr, "code") {
		t.Fatalf("a template without the code: %d %s", code, stderr)
	}

	// Every tenant user command names the tenant and the user the same
	// way, and says which flag was wrong.
	const unknownID = "0000000000000999"
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"users without a tenant", []string{"users"}, "--id or --name is required"},
		{"users of an unknown tenant name", []string{"users", "--name", "nope"}, `tenant "nope" not found`},
		{"provider without a tenant", []string{"provider", "--method", "google", "--client-ids", "a"}, "--id or --name is required"},
		{"template of an unknown tenant name", []string{"template", "--name", "nope", "--purpose", "reset_password", "--default"}, `tenant "nope" not found`},
		{"set-password without a user", []string{"set-password", "--name", "acme", "--password", "a-good-password"}, "--user-id or --user is required"},
		{"set-password with both", []string{"set-password", "--name", "acme", "--user-id", ids[0], "--user", "u0@example.com", "--password", "a-good-password"}, "give --user-id or --user, not both"},
		{"set-password of an unknown name", []string{"set-password", "--name", "acme", "--user", "nobody@example.com", "--password", "a-good-password"}, `user "nobody@example.com" not found`},
		{"set-password of a name given as an ID", []string{"set-password", "--id", ten.ID, "--user-id", "u0@example.com", "--password", "a-good-password"}, `no user has ID "u0@example.com" (--user-id takes an ID as 'sessiond tenant users' shows it; --user takes a name)`},
		{"set-password of another tenant's user", []string{"set-password", "--id", ten.ID, "--user-id", admin.ID, "--password", "a-good-password"}, "no user has ID"},
		{"set-password in an unknown tenant", []string{"set-password", "--id", unknownID, "--user-id", ids[0], "--password", "a-good-password"}, "tenant not found"},
		{"reset-password of an unknown name", []string{"reset-password", "--id", ten.ID, "--user", "nobody@example.com"}, `user "nobody@example.com" not found`},
		{"reset-password with both tenant flags", []string{"reset-password", "--id", ten.ID, "--name", "acme", "--user", "u1@example.com"}, "give --id or --name, not both"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := runTenant(srv.URL, op, tt.args...)
			if code == 0 || !strings.Contains(stderr, tt.want) {
				t.Fatalf("got %d %q, want a failure naming %q", code, stderr, tt.want)
			}
		})
	}
}
