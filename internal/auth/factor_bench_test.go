package auth_test

import (
	"context"
	"testing"
	"time"

	"github.com/sessiond/sessiond/internal/auth"
	"github.com/sessiond/sessiond/internal/store/memstore"
	"github.com/sessiond/sessiond/internal/store/sqlitestore"
)

// BenchmarkSignInFactorLookup is what step 4b adds to a password sign-in
// of a user without a second factor: one read of the user's factors. The
// hash is cheap here so that the lookup shows.
func BenchmarkSignInFactorLookup(b *testing.B) {
	for _, tc := range []struct {
		name    string
		factors bool
	}{{"without factor store", false}, {"user without factors", true}} {
		b.Run(tc.name, func(b *testing.B) {
			e := newEnv(b, func(c *auth.Config) {
				if tc.factors {
					db := c.Users.(*sqlitestore.DB)
					c.SecondFactors = auth.SecondFactorConfig{Factors: db, RecoveryCodes: db, Key: testFactorKey}
				}
			})
			e.createUser(b, "alice", "correct horse")
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				if _, err := e.svc.SignIn(ctx, auth.Attempt{TenantID: auth.DefaultTenantID, Login: "alice", Credential: auth.Password{Secret: "correct horse"}}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkStepUpRemembered is a Rocket.Chat twoFactorRequired route
// called again within the remember window: one limiter peek.
func BenchmarkStepUpRemembered(b *testing.B) {
	e := newEnv(b, func(c *auth.Config) {
		db := c.Users.(*sqlitestore.DB)
		c.Limiter = memstore.NewLimiter(c.Now)
		c.SecondFactors = auth.SecondFactorConfig{Factors: db, RecoveryCodes: db, Key: testFactorKey}
	})
	ctx := context.Background()
	e.createUser(b, "alice", "correct horse")
	in, err := e.svc.SignIn(ctx, auth.Attempt{TenantID: auth.DefaultTenantID, Login: "alice", Credential: auth.Password{Secret: "correct horse"}})
	if err != nil {
		b.Fatal(err)
	}
	e.clock.Advance(time.Hour)
	u, _ := e.svc.User(ctx, in.User.TenantID, in.User.ID)
	su := auth.StepUp{Session: in.Session, User: u, PasswordFallback: true, Remember: 30 * time.Minute, Client: auth.Client{IP: "192.0.2.1", UserAgent: "bench"}}
	su.Method, su.Code = auth.FactorMethodPassword, auth.Digest("correct horse")
	if _, err := e.svc.StepUp(ctx, su); err != nil {
		b.Fatal(err)
	}
	su.Method, su.Code = "", ""
	b.ReportAllocs()
	for b.Loop() {
		if _, err := e.svc.StepUp(ctx, su); err != nil {
			b.Fatal(err)
		}
	}
}
