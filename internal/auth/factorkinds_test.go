package auth_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/sessiond/sessiond/internal/auth"
	"github.com/sessiond/sessiond/internal/store/memstore"
	"github.com/sessiond/sessiond/internal/store/sqlitestore"
)

// localFeed is a ChangeFeed between services of one test: Publish calls
// every subscriber before it returns.
type localFeed struct {
	mu   sync.Mutex
	subs []func(auth.Change)
}

func (f *localFeed) Publish(_ context.Context, c auth.Change) error {
	f.mu.Lock()
	subs := slices.Clone(f.subs)
	f.mu.Unlock()
	for _, fn := range subs {
		fn(c)
	}
	return nil
}

func (f *localFeed) Subscribe(ctx context.Context, fn func(auth.Change)) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.subs = append(f.subs, fn)
	return nil
}

// factorCacheEnv is a factorEnv whose user cache keeps users for an hour,
// so that only a drop can make a change show; cfg is its Config, to build
// a second instance over the same stores.
func factorCacheEnv(t *testing.T, feed auth.ChangeFeed) (*env, auth.Config) {
	t.Helper()
	var cfg auth.Config
	e := newEnv(t, func(c *auth.Config) {
		db := c.Users.(*sqlitestore.DB)
		c.Limiter = memstore.NewLimiter(c.Now)
		c.SecondFactors = auth.SecondFactorConfig{Factors: db, RecoveryCodes: db, PersonalTokens: db, Key: testFactorKey, Courier: &mailbox{}}
		c.UserCacheTTL, c.Changes = time.Hour, feed
		cfg = *c
	})
	return e, cfg
}

// kindsOf checks token's session and returns its user's confirmed factor
// kinds, as Rocket.Chat's me does.
func kindsOf(t *testing.T, svc *auth.Service, token string) auth.FactorKinds {
	t.Helper()
	_, u, err := svc.Authenticate(context.Background(), token, auth.CheckOptions{})
	must(t, "authenticate", err)
	ks, err := svc.ConfirmedFactorKinds(context.Background(), u)
	must(t, "confirmed factor kinds", err)
	return ks
}

func wantKinds(t *testing.T, what string, got auth.FactorKinds, want ...auth.FactorKind) {
	t.Helper()
	for _, k := range []auth.FactorKind{auth.FactorTOTP, auth.FactorEmail, auth.FactorPasskey} {
		in := false
		for _, w := range want {
			in = in || w == k
		}
		if got.Has(k) != in {
			t.Fatalf("%s: kinds %08b: has %s = %t, want %t", what, got, k, got.Has(k), in)
		}
	}
}

// TestConfirmedFactorKinds: the kinds are read once and kept with the
// cached user; every change to the user's factors made through the
// service shows on the next check, and one made behind its back shows
// when the cache TTL has passed.
func TestConfirmedFactorKinds(t *testing.T) {
	ctx := context.Background()
	e, _ := factorCacheEnv(t, nil)
	u := e.createUserWith(t, auth.NewUser{TenantID: auth.DefaultTenantID, Name: "alice", Email: "alice@example.com", Password: "correct horse"})
	sess, token := e.signIn(t, "alice", "correct horse")
	wantKinds(t, "no factor", kindsOf(t, e.svc, token))

	must(t, "enable email", e.svc.EnableEmailFactor(ctx, u.TenantID, u.ID))
	wantKinds(t, "email enabled", kindsOf(t, e.svc, token), auth.FactorEmail)

	en, err := e.svc.BeginTOTP(ctx, u.TenantID, u.ID)
	must(t, "begin totp", err)
	wantKinds(t, "totp pending", kindsOf(t, e.svc, token), auth.FactorEmail)
	_, err = e.svc.ConfirmTOTP(ctx, u.TenantID, u.ID, totpCode(t, en.Secret, e.clock.Now()))
	must(t, "confirm totp", err)
	wantKinds(t, "totp confirmed", kindsOf(t, e.svc, token), auth.FactorEmail, auth.FactorTOTP)

	_, err = e.svc.RemoveFactors(ctx, sess, e.svc.Recent(sess), auth.FactorTOTP)
	must(t, "remove totp", err)
	wantKinds(t, "totp removed", kindsOf(t, e.svc, token), auth.FactorEmail)

	_, err = e.svc.ResetSecondFactors(ctx, u.TenantID, u.ID)
	must(t, "reset", err)
	wantKinds(t, "factors reset", kindsOf(t, e.svc, token))

	// Behind the service's back, the kinds kept with the user stand until
	// the cache TTL ends: they are read through the cache, not per call.
	must(t, "enable email", e.svc.EnableEmailFactor(ctx, u.TenantID, u.ID))
	wantKinds(t, "email enabled again", kindsOf(t, e.svc, token), auth.FactorEmail)
	must(t, "delete in the store", e.db.DeleteUserFactors(ctx, u.TenantID, u.ID))
	wantKinds(t, "deleted in the store, cached", kindsOf(t, e.svc, token), auth.FactorEmail)
	e.clock.Advance(time.Hour) // the session has ended too
	_, token = e.signIn(t, "alice", "correct horse")
	wantKinds(t, "deleted in the store, past the TTL", kindsOf(t, e.svc, token))
}

// TestConfirmedFactorKindsAcrossInstances: a factor enabled or removed on
// one instance shows at once on another that kept the user's kinds,
// through the change feed.
func TestConfirmedFactorKindsAcrossInstances(t *testing.T) {
	ctx := context.Background()
	feed := &localFeed{}
	a, cfg := factorCacheEnv(t, feed)
	b := auth.NewService(cfg)
	for _, svc := range []*auth.Service{a.svc, b} {
		must(t, "watch", svc.Watch(ctx))
	}
	u := a.createUserWith(t, auth.NewUser{TenantID: auth.DefaultTenantID, Name: "bob", Email: "bob@example.com", Password: "correct horse"})
	sess, token := a.signIn(t, "bob", "correct horse")
	wantKinds(t, "on B, no factor", kindsOf(t, b, token))

	must(t, "enable email on A", a.svc.EnableEmailFactor(ctx, u.TenantID, u.ID))
	wantKinds(t, "on B, email enabled on A", kindsOf(t, b, token), auth.FactorEmail)

	_, err := a.svc.RemoveFactors(ctx, sess, a.svc.Recent(sess), auth.FactorEmail)
	must(t, "remove email on A", err)
	wantKinds(t, "on B, email removed on A", kindsOf(t, b, token))
}
