package auth_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sessiond/sessiond/internal/auth"
	"github.com/sessiond/sessiond/internal/store/memstore"
)

// otpEnv is a Service with the OTP module wired to its SQLite database
// (OTPs, outbox, links) and an email channel.
func otpEnv(t *testing.T, opts ...func(*auth.Config)) (*env, *auth.Tenant) {
	t.Helper()
	e := newEnv(t, append([]func(*auth.Config){func(c *auth.Config) {
		c.OTPs, c.Links, c.Channels, c.Limiter = c.Users.(auth.OTPStore), c.Users.(auth.LinkStore), []auth.Channel{auth.ChannelEmail}, memstore.NewLimiter(c.Now)
		c.Messages = c.Users.(auth.MessageStore)
	}}, opts...)...)
	ten, _, err := e.svc.CreateTenant(context.Background(), auth.NewTenant{Name: "acme"})
	if err != nil {
		t.Fatal(err)
	}
	return e, ten
}

// lastCode returns the code of the newest queued message to recipient.
func (e *env) lastCode(t *testing.T, recipient string) string {
	t.Helper()
	list, err := e.db.ClaimMessages(context.Background(), e.clock.Now().Add(time.Hour), time.Minute, 1000)
	if err != nil {
		t.Fatal(err)
	}
	code := ""
	for _, m := range list {
		if m.Recipient == recipient {
			code = m.Code
		}
	}
	if code == "" {
		t.Fatalf("no message to %s", recipient)
	}
	return code
}

// Parallel guesses never get more tries than the policy allows: each try
// is reserved (by compare-and-swap on the OTP) before the code is hashed.
func TestParallelGuessesGetNoMoreTries(t *testing.T) {
	e, ten := otpEnv(t)
	ctx := context.Background()
	o, err := e.svc.CreateOTP(ctx, auth.OTPRequest{TenantID: ten.ID, Scope: auth.ScopeEmailVerification, Channel: auth.ChannelEmail, Recipient: "a@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	code := e.lastCode(t, "a@example.com")
	wrong := "000000"
	if code == wrong {
		wrong = "000001"
	}
	var tried atomic.Int32
	var wg sync.WaitGroup
	for range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := e.svc.VerifyOTP(ctx, ten.ID, o.ID, auth.ScopeEmailVerification, wrong, auth.Client{})
			switch auth.ErrorCode(err) {
			case auth.EOTPInvalidCode:
				tried.Add(1)
			case auth.EOTPMaxAttempts: // the last try, and every one after it
			default:
				t.Errorf("verify: %v", err)
			}
		}()
	}
	wg.Wait()
	got, err := e.db.OTPByID(ctx, ten.ID, o.ID)
	if err != nil {
		t.Fatal(err)
	}
	max := auth.DefaultOTPPolicy.MaxAttempts
	if got.Attempts != max || got.Status != auth.OTPFailed || int(tried.Load()) != max-1 {
		t.Fatalf("after 40 parallel wrong codes: %d tries recorded, status %s, %d told to try again; want %d, failed, %d",
			got.Attempts, got.Status, tried.Load(), max, max-1)
	}
	if _, err := e.svc.VerifyOTP(ctx, ten.ID, o.ID, auth.ScopeEmailVerification, code, auth.Client{}); auth.ErrorCode(err) != auth.EOTPMaxAttempts {
		t.Fatalf("the right code after the tries ran out: %v", err)
	}
}

// A verified otp_signin OTP signs in once, however many confirm it at once.
func TestParallelConfirmsSignInOnce(t *testing.T) {
	e, ten := otpEnv(t)
	ctx := context.Background()
	o, err := e.svc.StartOTPSignIn(ctx, auth.OTPRequest{TenantID: ten.ID, Channel: auth.ChannelEmail, Recipient: "a@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.VerifyOTP(ctx, ten.ID, o.ID, auth.ScopeOTPSignIn, e.lastCode(t, "a@example.com"), auth.Client{}); err != nil {
		t.Fatal(err)
	}
	var ok atomic.Int32
	var wg sync.WaitGroup
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := e.svc.SignIn(ctx, auth.Attempt{TenantID: ten.ID, Credential: auth.VerifiedOTP{ID: o.ID}, Origin: auth.OriginTenant})
			switch auth.ErrorCode(err) {
			case "":
				ok.Add(1)
			case auth.EUnauthorized:
			default:
				t.Errorf("sign in: %v", err)
			}
		}()
	}
	wg.Wait()
	if n := ok.Load(); n != 1 {
		t.Fatalf("%d sign-ins from one code, want 1", n)
	}
	if n := e.count(t); n != 1 {
		t.Fatalf("%d sessions, want 1", n)
	}
}

// fakeVerifier stands in for an identity provider, so that the core's
// rules on what a verified token proves are tested alone.
type fakeVerifier struct{ claims map[string]*auth.IDClaims }

func (f fakeVerifier) VerifyIDToken(_ context.Context, p auth.SocialProvider, raw string, _ time.Time) (*auth.IDClaims, error) {
	c, ok := f.claims[raw]
	if !ok || len(p.ClientIDs) == 0 {
		return nil, &auth.Error{Code: auth.EUnauthorized, Msg: "unknown token"}
	}
	return c, nil
}

// The first sign-ins of one identity, at once, make one user.
func TestParallelFirstSocialSignInsMakeOneUser(t *testing.T) {
	v := fakeVerifier{claims: map[string]*auth.IDClaims{"tok": {Subject: "s-1", Email: "new@example.com", EmailVerified: true}}}
	e, ten := otpEnv(t, func(c *auth.Config) { c.IDTokens = v })
	ctx := context.Background()
	if _, err := e.svc.SetSocialProvider(ctx, ten.ID, auth.MethodGoogle, auth.SocialProviderUpdate{ClientIDs: []string{"app"}}); err != nil {
		t.Fatal(err)
	}
	users := sync.Map{}
	var fresh atomic.Int32
	var wg sync.WaitGroup
	for range 12 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			in, err := e.svc.SignIn(ctx, auth.Attempt{TenantID: ten.ID, Credential: auth.IDToken{Provider: auth.MethodGoogle, Token: "tok"}, Origin: auth.OriginTenant})
			if err != nil {
				t.Errorf("sign in: %v", err)
				return
			}
			users.Store(in.User.ID, true)
			if in.NewUser {
				fresh.Add(1)
			}
		}()
	}
	wg.Wait()
	n := 0
	users.Range(func(any, any) bool { n++; return true })
	if n != 1 || fresh.Load() != 1 {
		t.Fatalf("%d users, %d told they are new; want 1 and 1", n, fresh.Load())
	}
	list, _ := e.svc.Users(ctx, auth.UserFilter{TenantID: ten.ID})
	if len(list) != 1 || list[0].Email != "new@example.com" || !list[0].EmailVerified {
		t.Fatalf("users %+v", list)
	}
}

// Deleting a user frees their identities: the next sign-in with the same
// subject makes a new user instead of reaching the deleted one.
func TestDeletedUserFreesTheirIdentity(t *testing.T) {
	v := fakeVerifier{claims: map[string]*auth.IDClaims{"tok": {Subject: "s-1"}}}
	e, ten := otpEnv(t, func(c *auth.Config) { c.IDTokens = v })
	ctx := context.Background()
	e.svc.SetSocialProvider(ctx, ten.ID, auth.MethodApple, auth.SocialProviderUpdate{ClientIDs: []string{"app"}})
	signIn := func() *auth.SignedIn {
		in, err := e.svc.SignIn(ctx, auth.Attempt{TenantID: ten.ID, Credential: auth.IDToken{Provider: auth.MethodApple, Token: "tok"}, Origin: auth.OriginTenant})
		if err != nil {
			t.Fatal(err)
		}
		return in
	}
	first := signIn()
	if err := e.svc.DeleteUser(ctx, ten.ID, first.User.ID); err != nil {
		t.Fatal(err)
	}
	if links, _ := e.svc.UserLinks(ctx, ten.ID, first.User.ID); len(links) != 0 {
		t.Fatalf("links of a deleted user: %+v", links)
	}
	second := signIn()
	if second.User.ID == first.User.ID || !second.NewUser {
		t.Fatalf("after deletion: %+v", second)
	}
}

// A new email is not verified: changing a verified email drops the mark.
func TestNewEmailIsUnverified(t *testing.T) {
	e, ten := otpEnv(t)
	ctx := context.Background()
	u := e.createUserWith(t, auth.NewUser{TenantID: ten.ID, Name: "a@example.com", Email: "a@example.com", EmailVerified: true})
	same := "a@example.com"
	if got, _ := e.svc.UpdateUser(ctx, ten.ID, u.ID, auth.UserUpdate{Email: &same}); !got.EmailVerified {
		t.Fatal("the same email lost its mark")
	}
	other := "b@example.com"
	if got, _ := e.svc.UpdateUser(ctx, ten.ID, u.ID, auth.UserUpdate{Email: &other}); got.EmailVerified {
		t.Fatal("a new email is marked verified")
	}
}

// A tenant's own template words its messages; one that does not show
// the code, or does not parse, is refused.
func TestMessageTemplates(t *testing.T) {
	e, ten := otpEnv(t)
	ctx := context.Background()
	for _, c := range []struct {
		name string
		mt   auth.MessageTemplate
	}{
		{"no code", auth.MessageTemplate{Subject: "Hi", Body: "Hello {{.App}}"}},
		{"does not parse", auth.MessageTemplate{Subject: "Hi", Body: "{{.Code"}},
		{"unknown field", auth.MessageTemplate{Subject: "Hi", Body: "{{.Code}} {{.Password}}"}},
		{"two-line subject", auth.MessageTemplate{Subject: "Hi\nBcc: x@example.com", Body: "{{.Code}}"}},
		{"email without a subject", auth.MessageTemplate{Body: "{{.Code}}"}},
	} {
		if _, err := e.svc.SetMessageTemplate(ctx, ten.ID, auth.ScopeEmailVerification, auth.ChannelEmail, c.mt); auth.ErrorCode(err) != auth.EInvalid {
			t.Errorf("%s: %v, want invalid", c.name, err)
		}
	}
	if _, err := e.svc.SetMessageTemplate(ctx, ten.ID, auth.ScopeEmailVerification, auth.ChannelEmail,
		auth.MessageTemplate{Subject: "{{.App}}: confirm your address", Body: "Code {{.Code}}, for {{.Minutes}} minutes."}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.CreateOTP(ctx, auth.OTPRequest{TenantID: ten.ID, Scope: auth.ScopeEmailVerification, Channel: auth.ChannelEmail, Recipient: "a@example.com"}); err != nil {
		t.Fatal(err)
	}
	list, _ := e.db.ClaimMessages(ctx, e.clock.Now(), time.Minute, 10)
	if len(list) != 1 || list[0].Subject != "acme: confirm your address" || list[0].Body != fmt.Sprintf("Code %s, for 10 minutes.", list[0].Code) {
		t.Fatalf("message %+v", list)
	}
}
