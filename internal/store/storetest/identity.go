package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/sessiond/sessiond/internal/auth"
)

// Identity is a store of users, tenants and tokens, as the embedded and
// PostgreSQL stores provide.
type Identity interface {
	auth.UserStore
	auth.TenantStore
	auth.TokenStore
}

func newUser(tenant, name string) *auth.User {
	return &auth.User{ID: auth.NewID(), TenantID: tenant, Name: name, State: auth.StateActive, PasswordHash: "$argon2id$x", CreatedAt: base, UpdatedAt: base}
}

func newTenant(name string) *auth.Tenant {
	return &auth.Tenant{ID: auth.NewID(), Name: name, TokenHash: auth.HashToken(name + "-token"), Settings: map[string]string{"a": "1"}, CreatedAt: base, UpdatedAt: base}
}

// wantDigest checks that every read of u (which has an email) returns
// DigestHash want.
func wantDigest(t *testing.T, s Identity, u *auth.User, want string) {
	t.Helper()
	ctx := context.Background()
	for _, r := range []struct {
		name string
		read func() (*auth.User, error)
	}{
		{"byID", func() (*auth.User, error) { return s.UserByID(ctx, u.TenantID, u.ID) }},
		{"byName", func() (*auth.User, error) { return s.UserByName(ctx, u.TenantID, u.Name) }},
		{"byEmail", func() (*auth.User, error) { return s.UserByEmail(ctx, u.TenantID, u.Email) }},
		{"list", func() (*auth.User, error) {
			list, err := s.ListUsers(ctx, auth.UserFilter{TenantID: u.TenantID})
			for _, x := range list {
				if x.ID == u.ID {
					return x, err
				}
			}
			return nil, fmt.Errorf("user %s not listed (%v)", u.ID, err)
		}},
	} {
		got, err := r.read()
		must(t, r.name, err)
		if got.DigestHash != want {
			t.Fatalf("%s: DigestHash %q, want %q", r.name, got.DigestHash, want)
		}
	}
}

// IdentityStore runs the UserStore, TenantStore and TokenStore contracts.
// open returns an empty store.
func IdentityStore(t *testing.T, open func(t *testing.T) Identity) {
	ctx := context.Background()
	t.Run("Tenants", func(t *testing.T) {
		s := open(t)
		a := newTenant("acme")
		must(t, "create", s.CreateTenant(ctx, a))
		wantCode(t, "same name", s.CreateTenant(ctx, newTenant("acme")), auth.EConflict)
		got, err := s.TenantByID(ctx, a.ID)
		must(t, "by id", err)
		if got.Name != "acme" || got.TokenHash != a.TokenHash || got.Settings["a"] != "1" || !sameTime(got.CreatedAt, base) {
			t.Fatalf("got %+v, want %+v", got, a)
		}
		got, err = s.TenantByTokenHash(ctx, a.TokenHash)
		must(t, "by token", err)
		if got.ID != a.ID {
			t.Fatalf("by token: got %s", got.ID)
		}
		_, err = s.TenantByTokenHash(ctx, auth.HashToken("other"))
		wantCode(t, "unknown token", err, auth.ENotFound)
		_, err = s.TenantByID(ctx, auth.NewID())
		wantCode(t, "unknown id", err, auth.ENotFound)
		a.Name, a.Settings = "acme2", map[string]string{"b": "2"}
		must(t, "update", s.UpdateTenant(ctx, a))
		got, _ = s.TenantByID(ctx, a.ID)
		if got.Name != "acme2" || got.Settings["b"] != "2" || got.Settings["a"] != "" {
			t.Fatalf("after update: %+v", got)
		}
		b := newTenant("beta")
		must(t, "create b", s.CreateTenant(ctx, b))
		b.Name = "acme2"
		wantCode(t, "rename onto taken", s.UpdateTenant(ctx, b), auth.EConflict)
		list, err := s.ListTenants(ctx)
		must(t, "list", err)
		if len(list) != 2 {
			t.Fatalf("listed %d tenants, want 2", len(list))
		}
		u := newUser(a.ID, "alice")
		must(t, "user in tenant", s.CreateUser(ctx, u))
		must(t, "delete", s.DeleteTenant(ctx, a.ID))
		wantCode(t, "delete twice", s.DeleteTenant(ctx, a.ID), auth.ENotFound)
		_, err = s.UserByID(ctx, a.ID, u.ID)
		wantCode(t, "user of deleted tenant", err, auth.ENotFound)
		wantCode(t, "update missing", s.UpdateTenant(ctx, a), auth.ENotFound)
	})
	t.Run("Users", func(t *testing.T) {
		s := open(t)
		u := newUser("t1", "alice")
		u.Email, u.Admin, u.DigestHash = "alice@example.com", true, "$argon2id$digest-1"
		must(t, "create", s.CreateUser(ctx, u))
		wantCode(t, "same name", s.CreateUser(ctx, newUser("t1", "alice")), auth.EConflict)
		dupMail := newUser("t1", "alice2")
		dupMail.Email = "alice@example.com"
		wantCode(t, "same email", s.CreateUser(ctx, dupMail), auth.EConflict)
		must(t, "same name, other tenant", s.CreateUser(ctx, newUser("t2", "alice")))
		must(t, "two users without email", s.CreateUser(ctx, newUser("t1", "bob")))
		for name, find := range map[string]func() (*auth.User, error){
			"byID":    func() (*auth.User, error) { return s.UserByID(ctx, "t1", u.ID) },
			"byName":  func() (*auth.User, error) { return s.UserByName(ctx, "t1", "alice") },
			"byEmail": func() (*auth.User, error) { return s.UserByEmail(ctx, "t1", "alice@example.com") },
		} {
			got, err := find()
			must(t, name, err)
			if got.ID != u.ID || got.Name != "alice" || got.Email != u.Email || !got.Admin || got.State != auth.StateActive || got.PasswordHash != u.PasswordHash || got.DigestHash != u.DigestHash || !sameTime(got.CreatedAt, base) {
				t.Fatalf("%s: got %+v, want %+v", name, got, u)
			}
		}
		wantDigest(t, s, u, "$argon2id$digest-1")
		_, err := s.UserByID(ctx, "t2", u.ID)
		wantCode(t, "other tenant's id", err, auth.ENotFound)
		_, err = s.UserByName(ctx, "t1", "carol")
		wantCode(t, "unknown name", err, auth.ENotFound)
		_, err = s.UserByEmail(ctx, "t1", "")
		wantCode(t, "empty email", err, auth.ENotFound)
		u.Name, u.State, u.Presence, u.UpdatedAt = "alicia", auth.StateInactive, "logged_out", base.Add(time.Hour)
		u.DigestHash = "$argon2id$digest-2"
		must(t, "update", s.UpdateUser(ctx, u))
		got, _ := s.UserByID(ctx, "t1", u.ID)
		if got.Name != "alicia" || got.State != auth.StateInactive || got.Presence != "logged_out" || !sameTime(got.UpdatedAt, u.UpdatedAt) {
			t.Fatalf("after update: %+v", got)
		}
		wantDigest(t, s, u, "$argon2id$digest-2")
		u.DigestHash = ""
		must(t, "clear digest", s.UpdateUser(ctx, u))
		wantDigest(t, s, u, "")
		u.DigestHash = "$argon2id$digest-3"
		must(t, "set digest again", s.UpdateUser(ctx, u))
		wantDigest(t, s, u, "$argon2id$digest-3")
		if bob, err := s.UserByName(ctx, "t1", "bob"); err != nil || bob.DigestHash != "" {
			t.Fatalf("a user created without a digest verifier: %+v %v", bob, err)
		}
		bob, _ := s.UserByName(ctx, "t1", "bob")
		bob.Name = "alicia"
		wantCode(t, "rename onto taken", s.UpdateUser(ctx, bob), auth.EConflict)
		list, err := s.ListUsers(ctx, auth.UserFilter{TenantID: "t1"})
		must(t, "list", err)
		if len(list) != 2 || list[0].ID > list[1].ID {
			t.Fatalf("list: %v", list)
		}
		page, _ := s.ListUsers(ctx, auth.UserFilter{TenantID: "t1", After: list[0].ID, Limit: 5})
		if len(page) != 1 || page[0].ID != list[1].ID {
			t.Fatalf("page: %v", page)
		}
		found, _ := s.ListUsers(ctx, auth.UserFilter{TenantID: "t1", Search: "lic"})
		if len(found) != 1 || found[0].ID != u.ID {
			t.Fatalf("search: %v", found)
		}
		must(t, "delete", s.DeleteUser(ctx, "t1", u.ID))
		wantCode(t, "delete twice", s.DeleteUser(ctx, "t1", u.ID), auth.ENotFound)
		wantCode(t, "update deleted", s.UpdateUser(ctx, u), auth.ENotFound)
	})
	t.Run("EmailVerified", func(t *testing.T) { emailVerified(t, open(t)) })
	t.Run("Tokens", func(t *testing.T) {
		s := open(t)
		tok := &auth.Token{
			ID: auth.NewID(), TenantID: "t1", UserID: "u1", Hash: auth.HashToken("secret"), Description: "d", Active: true, OrgID: "o1",
			Permissions: []auth.Permission{{Action: "read", Type: "users"}, {Action: "write", Type: "users", ID: "u1"}}, CreatedAt: base, UpdatedAt: base,
		}
		must(t, "create", s.CreateToken(ctx, tok))
		dup := *tok
		dup.ID = auth.NewID()
		wantCode(t, "same hash", s.CreateToken(ctx, &dup), auth.EConflict)
		got, err := s.TokenByHash(ctx, tok.Hash)
		must(t, "by hash", err)
		if got.ID != tok.ID || got.UserID != "u1" || !got.Active || got.OrgID != "o1" || len(got.Permissions) != 2 || got.Permissions[1] != tok.Permissions[1] {
			t.Fatalf("got %+v, want %+v", got, tok)
		}
		_, err = s.TokenByID(ctx, "t2", tok.ID)
		wantCode(t, "other tenant", err, auth.ENotFound)
		_, err = s.TokenByHash(ctx, auth.HashToken("nope"))
		wantCode(t, "unknown", err, auth.ENotFound)
		tok.Active, tok.Description = false, "off"
		must(t, "update", s.UpdateToken(ctx, tok))
		got, _ = s.TokenByID(ctx, "t1", tok.ID)
		if got.Active || got.Description != "off" {
			t.Fatalf("after update: %+v", got)
		}
		other := &auth.Token{ID: auth.NewID(), TenantID: "t1", UserID: "u2", Hash: auth.HashToken("s2"), Active: true, CreatedAt: base, UpdatedAt: base}
		must(t, "create other", s.CreateToken(ctx, other))
		all, _ := s.ListTokens(ctx, "t1", "")
		mine, _ := s.ListTokens(ctx, "t1", "u1")
		if len(all) != 2 || len(mine) != 1 {
			t.Fatalf("list: all %d mine %d", len(all), len(mine))
		}
		must(t, "delete", s.DeleteToken(ctx, "t1", tok.ID))
		wantCode(t, "delete twice", s.DeleteToken(ctx, "t1", tok.ID), auth.ENotFound)
		wantCode(t, "update deleted", s.UpdateToken(ctx, tok), auth.ENotFound)
	})
}
