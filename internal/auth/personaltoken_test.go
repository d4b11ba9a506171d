package auth_test

import (
	"context"
	"testing"
	"time"

	"github.com/sessiond/sessiond/internal/auth"
	"github.com/sessiond/sessiond/internal/store/sqlitestore"
)

// TestPasswordChangeEndsPersonalTokens: a password change that ends the
// user's other sessions removes their personal access tokens too: a
// reset (how an owner takes a compromised account back), an
// administrator's set-password and the owner's own change. One that keeps
// the other sessions keeps the tokens.
func TestPasswordChangeEndsPersonalTokens(t *testing.T) {
	const (
		pw    = "correct horse"
		next  = "a brand new passphrase"
		email = "alice@example.com"
	)
	ctx := context.Background()
	type change func(t *testing.T, e *env, u *auth.User, keep *auth.Session) error
	tests := []struct {
		name       string
		change     change
		tokensLive bool
	}{
		{name: "reset", change: func(t *testing.T, e *env, u *auth.User, _ *auth.Session) error {
			o, err := e.svc.StartPasswordReset(ctx, auth.ResetRequest{TenantID: u.TenantID, Email: email})
			must(t, "start reset", err)
			return e.svc.CompletePasswordReset(ctx, u.TenantID, o.ID, e.lastCode(t, email), next, auth.Client{})
		}},
		{name: "set by an administrator, ending sessions", change: func(_ *testing.T, e *env, u *auth.User, _ *auth.Session) error {
			return e.svc.SetPassword(ctx, u.TenantID, u.ID, next, true, "")
		}},
		{name: "own change, ending other sessions", change: func(_ *testing.T, e *env, u *auth.User, keep *auth.Session) error {
			return e.svc.ChangePassword(ctx, u.TenantID, u.ID, pw, next, true, keep.ID)
		}},
		{name: "own change, keeping other sessions", tokensLive: true, change: func(_ *testing.T, e *env, u *auth.User, keep *auth.Session) error {
			return e.svc.ChangePassword(ctx, u.TenantID, u.ID, pw, next, false, keep.ID)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, ten := otpEnv(t, func(c *auth.Config) {
				db := c.Users.(*sqlitestore.DB)
				c.SecondFactors = auth.SecondFactorConfig{Factors: db, RecoveryCodes: db, PersonalTokens: db, Key: testFactorKey}
			})
			u := e.createUserWith(t, auth.NewUser{TenantID: ten.ID, Name: "alice", Email: email, Password: pw})
			_, bot, err := e.svc.CreatePersonalToken(ctx, ten.ID, u.ID, "bot", true)
			must(t, "create token", err)
			_, ci, err := e.svc.CreatePersonalToken(ctx, ten.ID, u.ID, "ci", false)
			must(t, "create token", err)
			keep, _, err := auth.StartSession(e.svc, ctx, u, auth.OriginTenant, auth.Client{}, auth.TokenFormat{}, time.Hour)
			must(t, "start session", err)

			must(t, "change the password", tt.change(t, e, u, keep))

			for _, secret := range []string{bot, ci} {
				_, _, err := e.svc.AuthenticatePersonalToken(ctx, secret)
				switch {
				case tt.tokensLive && err != nil:
					t.Fatalf("a token after the change: %v, want it to work", err)
				case !tt.tokensLive && auth.ErrorCode(err) != auth.EUnauthorized:
					t.Fatalf("a token after the change: %v, want unauthorized", err)
				}
			}
			left, err := e.svc.PersonalTokens(ctx, ten.ID, u.ID)
			must(t, "list tokens", err)
			if want := map[bool]int{true: 2, false: 0}[tt.tokensLive]; len(left) != want {
				t.Fatalf("%d tokens listed after the change, want %d", len(left), want)
			}
		})
	}
}
