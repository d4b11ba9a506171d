package auth_test

import (
	"context"
	"strings"
	"testing"

	"github.com/sessiond/sessiond/internal/auth"
)

func TestDefaultTenantExists(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	tn, err := e.svc.Tenant(ctx, auth.DefaultTenantID)
	must(t, "default tenant", err)
	if tn.Name != auth.DefaultTenantName {
		t.Fatalf("default tenant name: got %q, want %q", tn.Name, auth.DefaultTenantName)
	}
	must(t, "second Init", e.svc.Init(ctx))
	all, err := e.svc.Tenants(ctx)
	must(t, "list tenants", err)
	if len(all) != 1 {
		t.Fatalf("after two Inits: got %d tenants, want 1", len(all))
	}
	// The default tenant has no token, so no token finds it.
	_, err = e.svc.TenantByToken(ctx, "")
	wantErr(t, "empty tenant token", err, auth.ErrUnauthenticated)
}

func TestCreateTenant(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	settings := map[string]string{"jwt.secret": "s3cret"}
	tn, token, err := e.svc.CreateTenant(ctx, auth.NewTenant{Name: "  acme  ", Settings: settings})
	must(t, "create tenant", err)
	settings["jwt.secret"] = "changed by the caller"
	if tn.Name != "acme" || !auth.ValidID(tn.ID) {
		t.Fatalf("tenant: got %+v, want name acme and a 16-hex ID", tn)
	}
	if len(token) != 43 || tn.TokenHash != auth.HashToken(token) {
		t.Fatalf("token %q: want 43 characters whose hash the tenant keeps", token)
	}
	got, err := e.svc.TenantByToken(ctx, token)
	must(t, "tenant by token", err)
	if got.ID != tn.ID || got.Settings["jwt.secret"] != "s3cret" {
		t.Fatalf("tenant by token: got %+v, want %s with its own copy of the settings", got, tn.ID)
	}

	tests := []struct {
		name  string
		token string
	}{
		{name: "unknown", token: auth.NewToken(auth.DefaultTokenFormat)},
		{name: "empty", token: ""},
		{name: "hash instead of token", token: tn.TokenHash.String()},
		{name: "prefix of the token", token: token[:42]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := e.svc.TenantByToken(ctx, tt.token)
			wantErr(t, "tenant by token", err, auth.ErrUnauthenticated)
			if got != nil {
				t.Fatalf("got tenant %v, want none", got)
			}
		})
	}
}

func TestCreateTenantRefused(t *testing.T) {
	tests := []struct {
		name string
		in   string
		code string
	}{
		{name: "empty name", in: "", code: auth.EInvalid},
		{name: "blank name", in: "   ", code: auth.EInvalid},
		{name: "name too long", in: strings.Repeat("n", 129), code: auth.EInvalid},
		{name: "taken name", in: "acme", code: auth.EConflict},
		{name: "the default tenant's name", in: auth.DefaultTenantName, code: auth.EConflict},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			e := newEnv(t)
			_, _, err := e.svc.CreateTenant(ctx, auth.NewTenant{Name: "acme"})
			must(t, "create acme", err)
			_, token, err := e.svc.CreateTenant(ctx, auth.NewTenant{Name: tt.in})
			wantCode(t, "create tenant", err, tt.code)
			if token != "" {
				t.Fatalf("a refused tenant got token %q", token)
			}
		})
	}
}

func TestUpdateTenant(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	tn, token, err := e.svc.CreateTenant(ctx, auth.NewTenant{Name: "acme", Settings: map[string]string{"a": "1", "b": "2"}})
	must(t, "create tenant", err)
	got, err := e.svc.UpdateTenant(ctx, tn.ID, auth.TenantUpdate{Name: "acme2", Settings: map[string]string{"a": "", "c": "3"}})
	must(t, "update tenant", err)
	want := map[string]string{"b": "2", "c": "3"}
	stored, err := e.svc.Tenant(ctx, tn.ID)
	must(t, "get tenant", err)
	for _, x := range []*auth.Tenant{got, stored} {
		free := map[string]string{}
		for k, v := range x.Settings {
			if !strings.HasPrefix(k, "tenantapi.") { // the policy's and the signing keys'
				free[k] = v
			}
		}
		if x.Name != "acme2" || len(free) != len(want) || free["b"] != "2" || free["c"] != "3" {
			t.Fatalf("after update: got %q %v, want acme2 %v", x.Name, free, want)
		}
		if len(x.Keys()) != 1 {
			t.Fatalf("a new tenant has %d signing keys, want 1", len(x.Keys()))
		}
	}
	_, err = e.svc.UpdateTenant(ctx, tn.ID, auth.TenantUpdate{Settings: map[string]string{"tenantapi.disabled": "true"}})
	wantCode(t, "a policy setting set directly", err, auth.EInvalid)
	if byToken, err := e.svc.TenantByToken(ctx, token); err != nil || byToken.ID != tn.ID {
		t.Fatalf("the token stopped finding the tenant after an update: %v", err)
	}
	_, err = e.svc.UpdateTenant(ctx, auth.NewID(), auth.TenantUpdate{Name: "x", Settings: nil})
	wantErr(t, "update unknown tenant", err, auth.ErrTenantNotFound)
}

func TestDeleteTenant(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	e.createUser(t, "alice", "correct horse")
	_, defaultSession := e.signIn(t, "alice", "correct horse")

	err := e.svc.DeleteTenant(ctx, auth.DefaultTenantID)
	wantCode(t, "delete the default tenant", err, auth.EForbidden)
	if _, err := e.svc.Tenant(ctx, auth.DefaultTenantID); err != nil {
		t.Fatalf("the default tenant is gone after a refused delete: %v", err)
	}

	tn, token, err := e.svc.CreateTenant(ctx, auth.NewTenant{Name: "acme"})
	must(t, "create tenant", err)
	u := e.createUserWith(t, auth.NewUser{TenantID: tn.ID, Name: "bob", Password: "battery staple"})
	_, sessToken, err := auth.StartSession(e.svc, ctx, u, auth.OriginTenant, auth.Client{}, auth.TokenFormat{}, 0)
	must(t, "start session", err)
	_, apiKey, err := e.svc.CreateToken(ctx, auth.NewAPIToken{TenantID: tn.ID, UserID: u.ID})
	must(t, "create token", err)

	must(t, "delete tenant", e.svc.DeleteTenant(ctx, tn.ID))
	_, err = e.svc.TenantByToken(ctx, token)
	wantErr(t, "tenant by token after delete", err, auth.ErrUnauthenticated)
	if e.live(t, sessToken) {
		t.Fatalf("a session of the deleted tenant still authenticates")
	}
	_, _, err = e.svc.AuthenticateToken(ctx, apiKey)
	wantErr(t, "API token of the deleted tenant", err, auth.ErrUnauthenticated)
	_, err = e.svc.User(ctx, tn.ID, u.ID)
	wantErr(t, "user of the deleted tenant", err, auth.ErrUserNotFound)
	if !e.live(t, defaultSession) {
		t.Fatalf("deleting a tenant ended a session of the default tenant")
	}
	if n := e.count(t); n != 1 {
		t.Fatalf("got %d sessions stored, want the default tenant's 1", n)
	}
	wantErr(t, "delete again", e.svc.DeleteTenant(ctx, tn.ID), auth.ErrTenantNotFound)
}

// The same login name in two tenants is two users, and nothing of one is
// reachable through the other.
func TestTenantIsolation(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	acme, _, err := e.svc.CreateTenant(ctx, auth.NewTenant{Name: "acme"})
	must(t, "create tenant", err)
	home := e.createUserWith(t, auth.NewUser{TenantID: auth.DefaultTenantID, Name: "alice", Email: "alice@example.com", Password: "home password"})
	away := e.createUserWith(t, auth.NewUser{TenantID: acme.ID, Name: "alice", Email: "alice@example.com", Password: "acme password"})
	if home.ID == away.ID {
		t.Fatalf("both alices have ID %q", home.ID)
	}

	signIn := func(tenant, pw string) (*auth.Session, *auth.User, error) {
		s, _, u, err := signInWith(e.svc, ctx, signInReq{TenantID: tenant, Login: "alice", Password: pw})
		return s, u, err
	}
	tests := []struct {
		name     string
		tenant   string
		pw       string
		wantUser string
	}{
		{name: "home alice at home", tenant: auth.DefaultTenantID, pw: "home password", wantUser: home.ID},
		{name: "acme alice at acme", tenant: acme.ID, pw: "acme password", wantUser: away.ID},
		{name: "acme password at home", tenant: auth.DefaultTenantID, pw: "acme password"},
		{name: "home password at acme", tenant: acme.ID, pw: "home password"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, u, err := signIn(tt.tenant, tt.pw)
			if tt.wantUser == "" {
				wantErr(t, "sign in", err, auth.ErrBadCredentials)
				return
			}
			must(t, "sign in", err)
			if u.ID != tt.wantUser || s.TenantID != tt.tenant {
				t.Fatalf("got user %q in tenant %q, want %q in %q", u.ID, s.TenantID, tt.wantUser, tt.tenant)
			}
		})
	}

	homeSess, homeToken := e.signIn(t, "alice", "home password")
	t.Run("no cross-tenant reads", func(t *testing.T) {
		_, err := e.svc.User(ctx, acme.ID, home.ID)
		wantErr(t, "home alice via acme", err, auth.ErrUserNotFound)
		_, err = e.svc.Session(ctx, acme.ID, homeSess.ID)
		wantErr(t, "home session via acme", err, auth.ErrSessionNotFound)
		list, err := e.svc.UserSessions(ctx, acme.ID, home.ID)
		must(t, "user sessions", err)
		if len(list) != 0 {
			t.Fatalf("acme lists %d sessions of home alice", len(list))
		}
		list, err = e.svc.ListSessions(ctx, auth.SessionFilter{TenantID: acme.ID})
		must(t, "list sessions", err)
		for _, s := range list {
			if s.TenantID != acme.ID {
				t.Fatalf("acme's list holds a session of tenant %q", s.TenantID)
			}
		}
	})
	t.Run("no cross-tenant writes", func(t *testing.T) {
		_, err := e.svc.RevokeSession(ctx, reach(acme.ID, ""), homeSess.ID)
		wantErr(t, "revoke via acme", err, auth.ErrSessionNotFound)
		n, err := e.svc.RevokeUserSessions(ctx, acme.ID, home.ID, "")
		must(t, "revoke user sessions via acme", err)
		if n != 0 {
			t.Fatalf("acme ended %d sessions of home alice", n)
		}
		inactive := auth.StateInactive
		_, err = e.svc.UpdateUser(ctx, acme.ID, home.ID, auth.UserUpdate{State: &inactive})
		wantErr(t, "deactivate via acme", err, auth.ErrUserNotFound)
		err = e.svc.SetPassword(ctx, acme.ID, home.ID, "hijacked password", true, "")
		wantErr(t, "set password via acme", err, auth.ErrUserNotFound)
		wantErr(t, "delete via acme", e.svc.DeleteUser(ctx, acme.ID, home.ID), auth.ErrUserNotFound)
		if !e.live(t, homeToken) {
			t.Fatalf("home alice's session ended by acme")
		}
		must(t, "home alice still signs in", e.trySignIn("alice", "home password"))
	})
	t.Run("deactivating one alice leaves the other", func(t *testing.T) {
		inactive := auth.StateInactive
		_, err := e.svc.UpdateUser(ctx, acme.ID, away.ID, auth.UserUpdate{State: &inactive})
		must(t, "deactivate acme alice", err)
		if !e.live(t, homeToken) {
			t.Fatalf("home alice's session ended with acme alice")
		}
		must(t, "home alice still signs in", e.trySignIn("alice", "home password"))
	})
}
