package auth_test

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sessiond/sessiond/internal/auth"
)

func (e *env) setupAllowed(t testing.TB) bool {
	t.Helper()
	ok, err := e.svc.SetupAllowed(context.Background())
	must(t, "setup allowed", err)
	return ok
}

func TestSetup(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	if !e.setupAllowed(t) {
		t.Fatalf("setup allowed on a fresh server: got false, want true")
	}
	perms := []auth.Permission{{Action: "read", Type: "users"}, {Action: "write", Type: "users"}}
	res, err := e.svc.Setup(ctx, auth.SetupRequest{Username: "admin", Password: "admin password", Org: "acme", Token: "operator-secret", Permissions: perms})
	must(t, "setup", err)
	if e.setupAllowed(t) {
		t.Fatalf("setup allowed after setup: got true, want false")
	}

	if res.User.Name != "admin" || !res.User.Admin || res.User.TenantID != auth.DefaultTenantID || res.User.State != auth.StateActive {
		t.Fatalf("user: got %+v, want an active admin in the default tenant", res.User)
	}
	tenant, err := e.svc.Tenant(ctx, auth.DefaultTenantID)
	must(t, "default tenant", err)
	orgID := tenant.Settings[auth.SettingOrgID]
	if got := tenant.Settings[auth.SettingOrgName]; got != "acme" {
		t.Fatalf("stored org name: got %q, want acme", got)
	}
	if !auth.ValidID(orgID) {
		t.Fatalf("stored org ID: got %q, want 16 hex characters", orgID)
	}
	if res.Tenant.Settings[auth.SettingOrgName] != "acme" || res.Tenant.Settings[auth.SettingOrgID] != orgID {
		t.Fatalf("returned tenant settings: got %v, want org acme (%s)", res.Tenant.Settings, orgID)
	}
	if res.Secret != "operator-secret" || res.Token.OrgID != orgID || res.Token.UserID != res.User.ID || len(res.Token.Permissions) != 2 {
		t.Fatalf("token: got %+v with secret %q", res.Token, res.Secret)
	}
	tok, u, err := e.svc.AuthenticateToken(ctx, res.Secret)
	must(t, "authenticate operator token", err)
	if tok.ID != res.Token.ID || u.ID != res.User.ID {
		t.Fatalf("operator token: got token %q of user %q, want %q of %q", tok.ID, u.ID, res.Token.ID, res.User.ID)
	}
	must(t, "sign in as the first user", e.trySignIn("admin", "admin password"))

	_, err = e.svc.Setup(ctx, auth.SetupRequest{Username: "second", Password: "second password", Org: "other"})
	wantErr(t, "second setup", err, auth.ErrAlreadySetUp)
	wantCode(t, "second setup", err, auth.EConflict)
	if _, err := e.svc.UserByName(ctx, auth.DefaultTenantID, "second"); auth.ErrorCode(err) != auth.ENotFound {
		t.Fatalf("the refused setup created its user (err %v)", err)
	}
	tenant, err = e.svc.Tenant(ctx, auth.DefaultTenantID)
	must(t, "default tenant", err)
	if got := tenant.Settings[auth.SettingOrgName]; got != "acme" {
		t.Fatalf("the refused setup changed the org name to %q", got)
	}
}

func TestSetupFreshSecret(t *testing.T) {
	e := newEnv(t)
	res, err := e.svc.Setup(context.Background(), auth.SetupRequest{Username: "admin", Password: "admin password", Org: "acme"})
	must(t, "setup", err)
	if len(res.Secret) != 88 {
		t.Fatalf("operator secret: got %d characters, want 88", len(res.Secret))
	}
}

// Setup is refused once any user exists, even one not made by setup.
func TestSetupAfterAUserExists(t *testing.T) {
	e := newEnv(t)
	e.createUser(t, "early", "early password")
	if e.setupAllowed(t) {
		t.Fatalf("setup allowed with a user: got true, want false")
	}
	_, err := e.svc.Setup(context.Background(), auth.SetupRequest{Username: "admin", Password: "admin password", Org: "acme"})
	wantErr(t, "setup", err, auth.ErrAlreadySetUp)
}

// Users of other tenants do not count: setup is about the default tenant.
func TestSetupIgnoresOtherTenants(t *testing.T) {
	e := newEnv(t)
	other, _, err := e.svc.CreateTenant(context.Background(), auth.NewTenant{Name: "acme"})
	must(t, "create tenant", err)
	e.createUserWith(t, auth.NewUser{TenantID: other.ID, Name: "elsewhere", Password: "correct horse"})
	if !e.setupAllowed(t) {
		t.Fatalf("setup allowed with a user only in another tenant: got false, want true")
	}
}

// A failed setup leaves nothing behind that blocks a retry.
func TestFailedSetupCanBeRetried(t *testing.T) {
	tests := []struct {
		name string
		req  func(t *testing.T, e *env) auth.SetupRequest
		code string
	}{
		{name: "password too short", code: auth.EPasswordRule, req: func(*testing.T, *env) auth.SetupRequest {
			return auth.SetupRequest{Username: "admin", Password: "short", Org: "acme"}
		}},
		{name: "password too long", code: auth.EPasswordRule, req: func(*testing.T, *env) auth.SetupRequest {
			return auth.SetupRequest{Username: "admin", Password: strings.Repeat("x", 73), Org: "acme"}
		}},
		{name: "no user name", code: auth.EInvalid, req: func(*testing.T, *env) auth.SetupRequest {
			return auth.SetupRequest{Username: " ", Password: "admin password", Org: "acme"}
		}},
		// The operator token is made last: its failure must undo the user.
		{name: "operator token secret taken", code: auth.EConflict, req: func(t *testing.T, e *env) auth.SetupRequest {
			ctx := context.Background()
			other, _, err := e.svc.CreateTenant(ctx, auth.NewTenant{Name: "other"})
			must(t, "create tenant", err)
			u := e.createUserWith(t, auth.NewUser{TenantID: other.ID, Name: "someone", Password: "correct horse"})
			_, _, err = e.svc.CreateToken(ctx, auth.NewAPIToken{TenantID: other.ID, UserID: u.ID, Token: "taken-secret"})
			must(t, "create token", err)
			return auth.SetupRequest{Username: "admin", Password: "admin password", Org: "acme", Token: "taken-secret"}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			e := newEnv(t)
			_, err := e.svc.Setup(ctx, tt.req(t, e))
			wantCode(t, "failed setup", err, tt.code)
			if !e.setupAllowed(t) {
				t.Fatalf("setup allowed after a failed setup: got false, want true")
			}
			users, err := e.svc.Users(ctx, auth.UserFilter{TenantID: auth.DefaultTenantID})
			must(t, "list users", err)
			if len(users) != 0 {
				t.Fatalf("the failed setup left %d users behind", len(users))
			}
			res, err := e.svc.Setup(ctx, auth.SetupRequest{Username: "admin", Password: "admin password", Org: "retry"})
			must(t, "retried setup", err)
			if got := res.Tenant.Settings[auth.SettingOrgName]; got != "retry" {
				t.Fatalf("org after retry: got %q, want retry", got)
			}
			must(t, "sign in after retry", e.trySignIn("admin", "admin password"))
		})
	}
}

// gatedUsers holds the first two ListUsers calls until both have read, so
// two setups look at an empty tenant at the same moment. It lets a call go
// on alone after a while, so a Service that serialises setups still passes.
type gatedUsers struct {
	auth.UserStore
	calls   atomic.Int32
	arrived chan struct{}
	both    chan struct{}
}

func newGatedUsers(inner auth.UserStore) *gatedUsers {
	g := &gatedUsers{UserStore: inner, arrived: make(chan struct{}, 2), both: make(chan struct{})}
	go func() {
		<-g.arrived
		<-g.arrived
		close(g.both)
	}()
	return g
}

func (g *gatedUsers) ListUsers(ctx context.Context, f auth.UserFilter) ([]*auth.User, error) {
	us, err := g.UserStore.ListUsers(ctx, f)
	if g.calls.Add(1) <= 2 {
		g.arrived <- struct{}{}
		select {
		case <-g.both:
		case <-time.After(500 * time.Millisecond):
		}
	}
	return us, err
}

// Two setups at once make one first user, not two admins.
func TestConcurrentSetupMakesOneUser(t *testing.T) {
	ctx := context.Background()
	var gate *gatedUsers
	e := newEnv(t, func(c *auth.Config) {
		gate = newGatedUsers(c.Users)
		c.Users = gate
	})
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i := range 2 {
		wg.Go(func() {
			_, errs[i] = e.svc.Setup(ctx, auth.SetupRequest{
				Username: []string{"first", "second"}[i], Password: "admin password", Org: "acme",
			})
		})
	}
	wg.Wait()
	ok := 0
	for i, err := range errs {
		switch {
		case err == nil:
			ok++
		case auth.ErrorCode(err) == auth.EConflict:
		default:
			t.Fatalf("setup %d: unexpected error %v", i, err)
		}
	}
	users, err := e.db.ListUsers(ctx, auth.UserFilter{TenantID: auth.DefaultTenantID})
	must(t, "list users", err)
	if ok != 1 || len(users) != 1 {
		t.Fatalf("two concurrent setups: got %d successes and %d users, want 1 and 1 (errors %v)", ok, len(users), errs)
	}
}
