package auth_test

import (
	"context"
	"testing"
	"time"

	"github.com/sessiond/sessiond/internal/auth"
)

func TestCreateAndAuthenticateToken(t *testing.T) {
	tests := []struct {
		name    string
		secret  string
		wantLen int
	}{
		{name: "fresh secret in InfluxDB's format", wantLen: 88},
		{name: "chosen secret", secret: "my-operator-token", wantLen: len("my-operator-token")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			e := newEnv(t)
			u := e.createUser(t, "alice", "correct horse")
			perms := []auth.Permission{{Action: "read", Type: "buckets"}}
			tok, secret, err := e.svc.CreateToken(ctx, auth.NewAPIToken{
				TenantID: auth.DefaultTenantID, UserID: u.ID, OrgID: "0123456789abcdef", Description: "ci", Permissions: perms, Token: tt.secret,
			})
			must(t, "create token", err)
			if len(secret) != tt.wantLen || (tt.secret != "" && secret != tt.secret) {
				t.Fatalf("secret: got %q, want %d characters", secret, tt.wantLen)
			}
			perms[0].Action = "write" // the caller's slice is not shared
			stored, err := e.db.TokenByID(ctx, auth.DefaultTenantID, tok.ID)
			must(t, "token by ID", err)
			if stored.Hash != auth.HashToken(secret) || !stored.Active || stored.UserID != u.ID || stored.Description != "ci" || stored.OrgID != "0123456789abcdef" {
				t.Fatalf("stored token: got %+v", stored)
			}
			if len(stored.Permissions) != 1 || stored.Permissions[0].Action != "read" {
				t.Fatalf("stored permissions: got %+v, want one read", stored.Permissions)
			}
			if !auth.ValidID(tok.ID) || tok.ID == secret {
				t.Fatalf("token ID %q: want 16 hex characters distinct from the secret", tok.ID)
			}
			got, gotUser, err := e.svc.AuthenticateToken(ctx, secret)
			must(t, "authenticate token", err)
			if got.ID != tok.ID || gotUser.ID != u.ID {
				t.Fatalf("authenticate: got token %q of user %q, want %q of %q", got.ID, gotUser.ID, tok.ID, u.ID)
			}
		})
	}
}

func TestAuthenticateTokenRefused(t *testing.T) {
	inactive, active := auth.StateInactive, auth.StateActive
	off := false
	tests := []struct {
		name    string
		change  func(t *testing.T, e *env, u *auth.User, tok *auth.Token)
		secret  func(real string) string
		want    error  // the error, when it is a sentinel
		code    string // the code
		message string // the client message, when set
	}{
		{name: "empty secret", secret: func(string) string { return "" }, want: auth.ErrUnauthenticated, code: auth.EUnauthorized},
		{name: "unknown secret", secret: func(string) string { return auth.NewToken(auth.InfluxTokenFormat) }, want: auth.ErrUnauthenticated, code: auth.EUnauthorized},
		{name: "inactive token", change: func(t *testing.T, e *env, _ *auth.User, tok *auth.Token) {
			_, err := e.svc.UpdateToken(context.Background(), auth.DefaultTenantID, tok.ID, &off, nil)
			must(t, "deactivate token", err)
		}, code: auth.EUnauthorized, message: "token is inactive"},
		{name: "deleted token", change: func(t *testing.T, e *env, _ *auth.User, tok *auth.Token) {
			must(t, "delete token", e.svc.DeleteToken(context.Background(), auth.DefaultTenantID, tok.ID))
		}, want: auth.ErrUnauthenticated, code: auth.EUnauthorized},
		{name: "user inactive", change: func(t *testing.T, e *env, u *auth.User, _ *auth.Token) {
			_, err := e.svc.UpdateUser(context.Background(), u.TenantID, u.ID, auth.UserUpdate{State: &inactive})
			must(t, "deactivate user", err)
		}, want: auth.ErrUserInactive, code: auth.EInactive},
		{name: "user deleted behind the service", change: func(t *testing.T, e *env, u *auth.User, _ *auth.Token) {
			must(t, "delete user in store", e.db.DeleteUser(context.Background(), u.TenantID, u.ID))
			e.clock.Advance(3 * time.Second) // past the user cache
		}, want: auth.ErrUserInactive, code: auth.EInactive},
		{name: "user reactivated works again", change: func(t *testing.T, e *env, u *auth.User, _ *auth.Token) {
			_, err := e.svc.UpdateUser(context.Background(), u.TenantID, u.ID, auth.UserUpdate{State: &inactive})
			must(t, "deactivate user", err)
			_, err = e.svc.UpdateUser(context.Background(), u.TenantID, u.ID, auth.UserUpdate{State: &active})
			must(t, "reactivate user", err)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			e := newEnv(t)
			u := e.createUser(t, "alice", "correct horse")
			tok, secret, err := e.svc.CreateToken(ctx, auth.NewAPIToken{TenantID: auth.DefaultTenantID, UserID: u.ID})
			must(t, "create token", err)
			_, _, err = e.svc.AuthenticateToken(ctx, secret) // warm the user cache
			must(t, "authenticate before", err)
			if tt.change != nil {
				tt.change(t, e, u, tok)
			}
			if tt.secret != nil {
				secret = tt.secret(secret)
			}
			gotTok, gotUser, err := e.svc.AuthenticateToken(ctx, secret)
			if tt.code == "" {
				must(t, "authenticate token", err)
				return
			}
			wantCode(t, "authenticate token", err, tt.code)
			if tt.want != nil {
				wantErr(t, "authenticate token", err, tt.want)
			}
			if tt.message != "" {
				if got := auth.ErrorMessage(err); got != tt.message {
					t.Fatalf("message: got %q, want %q", got, tt.message)
				}
			}
			if gotTok != nil || gotUser != nil {
				t.Fatalf("got token %v, user %v; want none", gotTok, gotUser)
			}
		})
	}
}

func TestCreateTokenUnknownUser(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	other, _, err := e.svc.CreateTenant(ctx, auth.NewTenant{Name: "acme"})
	must(t, "create tenant", err)
	stranger := e.createUserWith(t, auth.NewUser{TenantID: other.ID, Name: "stranger", Password: "correct horse"})
	tests := []struct {
		name, tenant, user string
	}{
		{name: "no such user", tenant: auth.DefaultTenantID, user: auth.NewID()},
		{name: "user of another tenant", tenant: auth.DefaultTenantID, user: stranger.ID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, secret, err := e.svc.CreateToken(ctx, auth.NewAPIToken{TenantID: tt.tenant, UserID: tt.user})
			wantErr(t, "create token", err, auth.ErrUserNotFound)
			if secret != "" {
				t.Fatalf("got secret %q, want none", secret)
			}
		})
	}
}

func TestCreateTokenDuplicateSecret(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	u := e.createUser(t, "alice", "correct horse")
	_, _, err := e.svc.CreateToken(ctx, auth.NewAPIToken{TenantID: auth.DefaultTenantID, UserID: u.ID, Token: "same secret"})
	must(t, "first token", err)
	_, _, err = e.svc.CreateToken(ctx, auth.NewAPIToken{TenantID: auth.DefaultTenantID, UserID: u.ID, Token: "same secret"})
	wantCode(t, "second token with the same secret", err, auth.EConflict)
}

func TestUpdateToken(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	u := e.createUser(t, "alice", "correct horse")
	tok, secret, err := e.svc.CreateToken(ctx, auth.NewAPIToken{TenantID: auth.DefaultTenantID, UserID: u.ID, Description: "old"})
	must(t, "create token", err)
	off, on, desc := false, true, "new"
	got, err := e.svc.UpdateToken(ctx, auth.DefaultTenantID, tok.ID, &off, &desc)
	must(t, "deactivate", err)
	if got.Active || got.Description != "new" {
		t.Fatalf("after update: got %+v", got)
	}
	_, _, err = e.svc.AuthenticateToken(ctx, secret)
	wantCode(t, "inactive token", err, auth.EUnauthorized)
	_, err = e.svc.UpdateToken(ctx, auth.DefaultTenantID, tok.ID, &on, nil)
	must(t, "reactivate", err)
	_, _, err = e.svc.AuthenticateToken(ctx, secret)
	must(t, "authenticate reactivated token", err)
	stored, err := e.svc.APIToken(ctx, auth.DefaultTenantID, tok.ID)
	must(t, "get token", err)
	if stored.Description != "new" {
		t.Fatalf("a nil description changed it to %q", stored.Description)
	}
	_, err = e.svc.UpdateToken(ctx, "ffffffffffffffff", tok.ID, &off, nil)
	wantErr(t, "update from another tenant", err, auth.ErrTokenNotFound)
}
