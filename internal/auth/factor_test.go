package auth_test

import (
	"bytes"
	"context"
	"encoding/base32"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sessiond/sessiond/internal/auth"
	"github.com/sessiond/sessiond/internal/store/memstore"
	"github.com/sessiond/sessiond/internal/store/sqlitestore"
)

// testFactorKey is the factor key of the tests' services.
var testFactorKey = []byte("0123456789abcdef0123456789abcdef")

// mailbox is an in-test CodeSender: the interface the courier satisfies.
type mailbox struct {
	mu   sync.Mutex
	sent []auth.CodeMessage
}

func (m *mailbox) SendCode(_ context.Context, msg auth.CodeMessage) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sent = append(m.sent, msg)
	return nil
}

func (m *mailbox) last(t *testing.T) auth.CodeMessage {
	t.Helper()
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.sent) == 0 {
		t.Fatal("no code was sent")
	}
	return m.sent[len(m.sent)-1]
}

// factorEnv is an env with second factors, a limiter, the default
// lockout (or p), an audit recorder and a mailbox.
func factorEnv(t *testing.T, p ...auth.LockoutPolicy) (*env, *recorder, *mailbox) {
	t.Helper()
	policy := auth.DefaultLockout
	if len(p) > 0 {
		policy = p[0]
	}
	rec, box := &recorder{}, &mailbox{}
	e := newEnv(t, func(c *auth.Config) {
		db := c.Users.(*sqlitestore.DB)
		c.Limiter, c.Lockout, c.Audit = memstore.NewLimiter(c.Now), policy, rec
		c.SecondFactors = auth.SecondFactorConfig{Factors: db, RecoveryCodes: db, PersonalTokens: db, Key: testFactorKey, Courier: box}
	})
	return e, rec, box
}

// enrolTOTP gives user u TOTP and returns its secret and recovery codes.
func enrolTOTP(t *testing.T, e *env, u *auth.User) (string, []string) {
	t.Helper()
	ctx := context.Background()
	en, err := e.svc.BeginTOTP(ctx, u.TenantID, u.ID)
	must(t, "begin totp", err)
	codes, err := e.svc.ConfirmTOTP(ctx, u.TenantID, u.ID, totpCode(t, en.Secret, e.clock.Now()))
	must(t, "confirm totp", err)
	if len(codes) != auth.RecoveryCodeCount {
		t.Fatalf("got %d recovery codes, want %d", len(codes), auth.RecoveryCodeCount)
	}
	return en.Secret, codes
}

func totpCode(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	c, err := auth.TOTPCode(secret, at)
	must(t, "totp code", err)
	return c
}

// signIn2 signs name in with a password and, when set, a second factor.
func signIn2(e *env, name, pw string, second *auth.SecondFactor) (*auth.SignedIn, error) {
	return e.svc.SignIn(context.Background(), auth.Attempt{
		TenantID: auth.DefaultTenantID, Login: name, Credential: auth.Password{Secret: pw},
		Client: auth.Client{IP: "192.0.2.9"}, Second: second,
	})
}

func wantChallenge(t *testing.T, err error, invalid bool) *auth.Challenge {
	t.Helper()
	ch, ok := auth.ChallengeOf(err)
	if !ok {
		t.Fatalf("got %v (code %q), want a second-factor challenge", err, auth.ErrorCode(err))
	}
	if ch.Invalid != invalid {
		t.Fatalf("challenge invalid = %t, want %t", ch.Invalid, invalid)
	}
	return ch
}

// TestSecondFactorAtSignIn: a password alone no longer signs in a user
// with TOTP; the code does, once; wrong, reused and expired codes fail.
func TestSecondFactorAtSignIn(t *testing.T) {
	e, rec, _ := factorEnv(t)
	u := e.createUser(t, "alice", "correct horse")
	secret, _ := enrolTOTP(t, e, u)
	e.clock.Advance(time.Minute) // past the enrolment's code

	_, err := signIn2(e, "alice", "correct horse", nil)
	ch := wantChallenge(t, err, false)
	if ch.Method != auth.FactorMethodTOTP || !ch.Has(auth.FactorMethodRecovery) || ch.Ticket == "" {
		t.Fatalf("challenge %+v: want totp asked, recovery offered, a ticket", ch)
	}
	if _, err := signIn2(e, "alice", "wrong password", &auth.SecondFactor{Code: totpCode(t, secret, e.clock.Now())}); auth.ErrorCode(err) != auth.EUnauthorized {
		t.Fatalf("wrong password with a good code: %v, want unauthorized", err)
	}

	code := totpCode(t, secret, e.clock.Now())
	tests := []struct {
		name  string
		code  string
		at    time.Duration // clock move before the attempt
		valid bool
	}{
		{name: "wrong code", code: "000000", valid: false},
		{name: "not a code", code: "12345", valid: false},
		{name: "right code", code: code, valid: true},
		{name: "the same code again", code: code, valid: false},
		{name: "a code from two minutes ago", code: totpCode(t, secret, e.clock.Now().Add(-2*time.Minute)), at: time.Minute, valid: false},
		{name: "the next step's code", code: totpCode(t, secret, e.clock.Now().Add(time.Minute)), valid: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.clock.Advance(tt.at)
			in, err := signIn2(e, "alice", "correct horse", &auth.SecondFactor{Code: tt.code})
			if tt.valid {
				must(t, "sign in", err)
				if in.Session == nil || in.Token == "" {
					t.Fatal("no session")
				}
				return
			}
			wantChallenge(t, err, true)
		})
	}
	// One sign-in event per attempt, the challenge's outcome named.
	var outcomes []string
	for _, ev := range rec.of(auth.EventSignIn) {
		outcomes = append(outcomes, ev.Outcome)
	}
	want := "second_factor failure failure failure success failure failure success"
	if got := strings.Join(outcomes, " "); got != want {
		t.Fatalf("sign-in outcomes %q, want %q", got, want)
	}
}

// TestRecoveryCodes: a recovery code signs in once; the same code twice
// fails; a new set replaces the old.
func TestRecoveryCodes(t *testing.T) {
	e, _, _ := factorEnv(t)
	u := e.createUser(t, "alice", "correct horse")
	_, codes := enrolTOTP(t, e, u)
	ctx := context.Background()

	_, err := signIn2(e, "alice", "correct horse", &auth.SecondFactor{Method: auth.FactorMethodRecovery, Code: strings.ToUpper(codes[0])})
	must(t, "first use (any case)", err)
	_, err = signIn2(e, "alice", "correct horse", &auth.SecondFactor{Method: auth.FactorMethodRecovery, Code: codes[0]})
	wantChallenge(t, err, true)
	// A recovery code is accepted where a TOTP code is (as Rocket.Chat's backup codes).
	_, err = signIn2(e, "alice", "correct horse", &auth.SecondFactor{Method: auth.FactorMethodTOTP, Code: codes[1]})
	must(t, "as a totp code", err)
	if n, _ := e.svc.RecoveryCodesLeft(ctx, u.TenantID, u.ID); n != auth.RecoveryCodeCount-2 {
		t.Fatalf("%d codes left, want %d", n, auth.RecoveryCodeCount-2)
	}
	fresh, err := e.svc.RegenerateRecoveryCodes(ctx, u.TenantID, u.ID)
	must(t, "regenerate", err)
	_, err = signIn2(e, "alice", "correct horse", &auth.SecondFactor{Code: codes[2]})
	wantChallenge(t, err, true)
	_, err = signIn2(e, "alice", "correct horse", &auth.SecondFactor{Code: fresh[2]})
	must(t, "new code", err)
}

// TestSecondFactorLockout: guessing codes with the right password counts
// against the login, and past the limit even the right code is refused
// before any hash; a password alone never resets the count.
func TestSecondFactorLockout(t *testing.T) {
	e, rec, _ := factorEnv(t, smallLockout) // three attempts per login
	u := e.createUser(t, "alice", "correct horse")
	secret, _ := enrolTOTP(t, e, u)
	e.clock.Advance(time.Minute)
	_, err := signIn2(e, "alice", "correct horse", &auth.SecondFactor{Code: "111111"})
	wantChallenge(t, err, true)
	// The password alone (a challenge) between guesses resets nothing...
	_, err = signIn2(e, "alice", "correct horse", nil)
	wantChallenge(t, err, false)
	_, err = signIn2(e, "alice", "correct horse", &auth.SecondFactor{Code: "222222"})
	wantChallenge(t, err, true)
	// ...so the fourth attempt is refused, the right code too, before any hash.
	_, err = signIn2(e, "alice", "correct horse", &auth.SecondFactor{Code: totpCode(t, secret, e.clock.Now())})
	if auth.ErrorCode(err) != auth.ELocked {
		t.Fatalf("right code past the limit: %v, want locked", err)
	}

	// The account pages' second step (a ticket) counts against the same
	// login: the challenge and two wrong codes use its three attempts.
	e2, rec2, _ := factorEnv(t, smallLockout)
	u2 := e2.createUser(t, "bob", "correct horse")
	secret2, _ := enrolTOTP(t, e2, u2)
	e2.clock.Advance(time.Minute)
	_, err = signIn2(e2, "bob", "correct horse", nil)
	ch2 := wantChallenge(t, err, false)
	step := func(code string) error {
		_, err := e2.svc.SignIn(context.Background(), auth.Attempt{TenantID: auth.DefaultTenantID, Credential: auth.Ticket{Token: ch2.Ticket}, Second: &auth.SecondFactor{Code: code}})
		return err
	}
	wantChallenge(t, step("333333"), true)
	wantChallenge(t, step("444444"), true)
	if err := step(totpCode(t, secret2, e2.clock.Now())); auth.ErrorCode(err) != auth.ELocked {
		t.Fatalf("ticket past the limit: %v, want locked", err)
	}
	if got := rec.of(auth.EventSignIn); got[len(got)-1].Outcome != auth.OutcomeLocked {
		t.Fatalf("last attempt recorded %q, want locked", got[len(got)-1].Outcome)
	}
	if got := rec2.of(auth.EventSignIn); got[len(got)-1].Outcome != auth.OutcomeLocked {
		t.Fatalf("last ticket attempt recorded %q, want locked", got[len(got)-1].Outcome)
	}
}

// TestTicket: the second step signs in with the ticket and the code,
// within TicketTTL, and a changed ticket proves nothing.
func TestTicket(t *testing.T) {
	e, _, _ := factorEnv(t)
	u := e.createUser(t, "alice", "correct horse")
	secret, _ := enrolTOTP(t, e, u)
	e.clock.Advance(time.Minute)
	_, err := signIn2(e, "alice", "correct horse", nil)
	ticket := wantChallenge(t, err, false).Ticket
	step := func(tok, code string) error {
		_, err := e.svc.SignIn(context.Background(), auth.Attempt{TenantID: auth.DefaultTenantID, Credential: auth.Ticket{Token: tok}, Second: &auth.SecondFactor{Code: code}})
		return err
	}
	if err := step(ticket, ""); err == nil {
		t.Fatal("a ticket without a code signed in")
	}
	tampered := "Ym9i" + ticket[strings.Index(ticket, "."):] // another login in the clear part
	if err := step(tampered, totpCode(t, secret, e.clock.Now())); auth.ErrorCode(err) != auth.EUnauthorized {
		t.Fatalf("changed ticket: %v, want unauthorized", err)
	}
	must(t, "ticket and code", step(ticket, totpCode(t, secret, e.clock.Now())))
	e.clock.Advance(auth.TicketTTL)
	if err := step(ticket, totpCode(t, secret, e.clock.Now())); auth.ErrorCode(err) != auth.EUnauthorized {
		t.Fatalf("expired ticket: %v, want unauthorized", err)
	}
}

// TestReauthentication: removing a factor and ending every other session
// need a recent proof; a wrong password is refused and counted; a good
// one replaces the session.
func TestReauthentication(t *testing.T) {
	e, rec, _ := factorEnv(t)
	ctx := context.Background()
	u := e.createUser(t, "alice", "correct horse")
	secret, _ := enrolTOTP(t, e, u)
	e.clock.Advance(time.Minute)
	in, err := signIn2(e, "alice", "correct horse", &auth.SecondFactor{Code: totpCode(t, secret, e.clock.Now())})
	must(t, "sign in", err)
	other, err := signIn2(e, "alice", "correct horse", &auth.SecondFactor{Method: auth.FactorMethodTOTP, Code: totpCode(t, secret, e.clock.Now().Add(30*time.Second))})
	must(t, "second sign in", err)
	fs, _ := e.svc.Factors(ctx, u.TenantID, u.ID)

	e.clock.Advance(auth.DefaultReauthWindow + time.Second)
	if p := e.svc.Recent(in.Session); p != nil {
		t.Fatal("a session older than the window counts as recent")
	}
	if _, err := e.svc.EndOtherSessions(ctx, in.Session, e.svc.Recent(in.Session)); auth.ErrorCode(err) != auth.EReauth {
		t.Fatalf("end others without a proof: %v, want reauth_required", err)
	}
	if err := e.svc.RemoveFactor(ctx, in.Session, nil, fs[0].ID); auth.ErrorCode(err) != auth.EReauth {
		t.Fatalf("remove factor without a proof: %v, want reauth_required", err)
	}
	if err := e.svc.RemoveFactor(ctx, in.Session, e.svc.Recent(other.Session), fs[0].ID); auth.ErrorCode(err) != auth.EReauth {
		t.Fatalf("another session's proof: %v, want reauth_required", err)
	}
	if _, _, err := e.svc.Reauthenticate(ctx, in.Token, auth.Client{}, auth.Proof{Password: "wrong"}); auth.ErrorCode(err) != auth.EUnauthorized {
		t.Fatalf("reauth with a wrong password: %v, want unauthorized", err)
	}
	sess, tok, err := e.svc.Reauthenticate(ctx, in.Token, auth.Client{}, auth.Proof{Second: &auth.SecondFactor{Code: totpCode(t, secret, e.clock.Now())}})
	must(t, "reauth with a code", err)
	if _, _, err := e.svc.Authenticate(ctx, in.Token, auth.CheckOptions{}); err == nil {
		t.Fatal("the secret from before the re-authentication still works")
	}
	n, err := e.svc.EndOtherSessions(ctx, sess, e.svc.Recent(sess))
	must(t, "end others after reauth", err)
	if n != 1 {
		t.Fatalf("ended %d sessions, want 1", n)
	}
	must(t, "remove factor after reauth", e.svc.RemoveFactor(ctx, sess, e.svc.Recent(sess), fs[0].ID))
	if _, err := signIn2(e, "alice", "correct horse", nil); err != nil {
		t.Fatalf("password alone after removing the only factor: %v", err)
	}
	if n, _ := e.svc.RecoveryCodesLeft(ctx, u.TenantID, u.ID); n != 0 {
		t.Fatalf("%d recovery codes left after the last factor went", n)
	}
	_ = tok
	reauths := rec.of(auth.EventReauth)
	if len(reauths) != 2 || reauths[0].Outcome != auth.OutcomeFailure || reauths[1].Outcome != auth.OutcomeSuccess {
		t.Fatalf("reauth events %+v", reauths)
	}
}

// TestEmailCode: the email method sends a code through the courier
// interface (an in-test one here), good once and until it expires.
func TestEmailCode(t *testing.T) {
	e, _, box := factorEnv(t)
	ctx := context.Background()
	u := e.createUserWith(t, auth.NewUser{TenantID: auth.DefaultTenantID, Name: "alice", Email: "alice@example.com", Password: "correct horse"})
	must(t, "enable email", e.svc.EnableEmailFactor(ctx, u.TenantID, u.ID))

	_, err := signIn2(e, "alice", "correct horse", nil)
	ch := wantChallenge(t, err, false)
	if ch.Method != auth.FactorMethodEmail || !ch.CodeSent {
		t.Fatalf("challenge %+v: want an email code sent", ch)
	}
	msg := box.last(t)
	if msg.To != "alice@example.com" || len(msg.Code) != 6 {
		t.Fatalf("sent %+v", msg)
	}
	// Asked again, the pending code stands: no second mail.
	_, err = signIn2(e, "alice", "correct horse", nil)
	if ch := wantChallenge(t, err, false); ch.CodeSent {
		t.Fatal("a second code was sent while one was pending")
	}
	_, err = signIn2(e, "alice", "correct horse", &auth.SecondFactor{Method: auth.FactorMethodEmail, Code: msg.Code})
	must(t, "email code", err)
	_, err = signIn2(e, "alice", "correct horse", &auth.SecondFactor{Method: auth.FactorMethodEmail, Code: msg.Code})
	wantChallenge(t, err, true)

	_, err = signIn2(e, "alice", "correct horse", nil)
	wantChallenge(t, err, false)
	late := box.last(t)
	e.clock.Advance(time.Hour + time.Second)
	_, err = signIn2(e, "alice", "correct horse", &auth.SecondFactor{Code: late.Code})
	wantChallenge(t, err, true)
}

// TestStepUp: Rocket.Chat's twoFactorRequired check: the password
// fallback for a user without a factor, the remember window per client,
// and a bypassing token.
func TestStepUp(t *testing.T) {
	e, _, _ := factorEnv(t)
	ctx := context.Background()
	u := e.createUser(t, "alice", "correct horse")
	in, err := signIn2(e, "alice", "correct horse", nil)
	must(t, "sign in", err)
	e.clock.Advance(time.Hour) // past "remember right after registration"
	u, _ = e.svc.User(ctx, u.TenantID, u.ID)
	chrome := auth.Client{IP: "192.0.2.1", UserAgent: "Chrome"}
	base := auth.StepUp{Session: in.Session, User: u, PasswordFallback: true, Remember: 30 * time.Minute, Client: chrome}

	step := func(mod func(*auth.StepUp)) error {
		s := base
		mod(&s)
		_, err := e.svc.StepUp(ctx, s)
		return err
	}
	ch := wantChallenge(t, step(func(*auth.StepUp) {}), false)
	if ch.Method != auth.FactorMethodPassword || len(ch.Methods) != 0 {
		t.Fatalf("challenge %+v: want the password fallback, no methods", ch)
	}
	wantChallenge(t, step(func(s *auth.StepUp) { s.Code, s.Method = auth.Digest("wrong"), "password" }), true)
	must(t, "fallback", step(func(s *auth.StepUp) { s.Code, s.Method = strings.ToUpper(auth.Digest("correct horse")), "password" }))
	must(t, "remembered", step(func(*auth.StepUp) {}))
	wantChallenge(t, step(func(s *auth.StepUp) { s.Client.UserAgent = "Firefox" }), false)
	wantChallenge(t, step(func(s *auth.StepUp) { s.NoRemember = true }), false)
	must(t, "bypass", step(func(s *auth.StepUp) { s.Bypass = true }))
	if err := step(func(s *auth.StepUp) { s.PasswordFallback = false; s.Client.UserAgent = "Safari" }); err != nil {
		t.Fatalf("no factor, no fallback: %v, want a pass", err)
	}
	e.clock.Advance(31 * time.Minute)
	wantChallenge(t, step(func(*auth.StepUp) {}), false)
}

// TestPersonalTokens: made, listed, authenticated, regenerated (the old
// secret fails), removed.
func TestPersonalTokens(t *testing.T) {
	e, _, _ := factorEnv(t)
	ctx := context.Background()
	u := e.createUser(t, "alice", "correct horse")
	pt, secret, err := e.svc.CreatePersonalToken(ctx, u.TenantID, u.ID, "ci", true)
	must(t, "create", err)
	if _, _, err := e.svc.CreatePersonalToken(ctx, u.TenantID, u.ID, " ci ", false); auth.ErrorCode(err) != auth.EConflict {
		t.Fatalf("same name: %v, want conflict", err)
	}
	if _, _, err := e.svc.CreatePersonalToken(ctx, u.TenantID, u.ID, "", false); auth.ErrorCode(err) != auth.EInvalid {
		t.Fatalf("empty name: %v, want invalid", err)
	}
	got, gu, err := e.svc.AuthenticatePersonalToken(ctx, secret)
	must(t, "authenticate", err)
	if got.ID != pt.ID || gu.ID != u.ID || !got.BypassTwoFactor || got.LastPart != secret[len(secret)-6:] {
		t.Fatalf("got %+v for %s", got, gu.ID)
	}
	_, fresh, err := e.svc.RegeneratePersonalToken(ctx, u.TenantID, u.ID, "ci")
	must(t, "regenerate", err)
	if _, _, err := e.svc.AuthenticatePersonalToken(ctx, secret); auth.ErrorCode(err) != auth.EUnauthorized {
		t.Fatalf("old secret: %v, want unauthorized", err)
	}
	must(t, "remove", e.svc.RevokePersonalToken(ctx, auth.Reach{TenantID: u.TenantID, UserID: u.ID}, pt.ID))
	if _, _, err := e.svc.AuthenticatePersonalToken(ctx, fresh); auth.ErrorCode(err) != auth.EUnauthorized {
		t.Fatalf("removed token: %v, want unauthorized", err)
	}
}

// TestTOTPNeedsKey: without a factor key TOTP is refused, not stored in
// the clear.
func TestTOTPNeedsKey(t *testing.T) {
	e := newEnv(t, func(c *auth.Config) {
		db := c.Users.(*sqlitestore.DB)
		c.SecondFactors = auth.SecondFactorConfig{Factors: db, RecoveryCodes: db}
	})
	u := e.createUser(t, "alice", "correct horse")
	if _, err := e.svc.BeginTOTP(context.Background(), u.TenantID, u.ID); auth.ErrorCode(err) != auth.ENotImplemented {
		t.Fatalf("BeginTOTP without a key: %v, want not_implemented", err)
	}
}

// TestTOTPSecretSealedAtRest: what the store holds for a TOTP factor is
// the secret sealed under the factor key: neither the secret's base32
// text (as the app shows it, in either case) nor its bytes appear in it,
// and a service with another key cannot use it.
func TestTOTPSecretSealedAtRest(t *testing.T) {
	e, _, _ := factorEnv(t)
	ctx := context.Background()
	u := e.createUser(t, "alice", "correct horse")
	secret, _ := enrolTOTP(t, e, u)
	e.clock.Advance(time.Minute)

	fs, err := e.db.UserFactors(ctx, u.TenantID, u.ID) // the store's own value, not the core's
	must(t, "stored factors", err)
	if len(fs) != 1 || fs[0].Kind != auth.FactorTOTP || len(fs[0].Secret) == 0 {
		t.Fatalf("stored factors %+v: want one TOTP factor with a stored secret", fs)
	}
	raw := fs[0].Secret
	key, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(secret)
	must(t, "decode the secret", err)
	for what, clear := range map[string][]byte{
		"base32 text":            []byte(secret),
		"base32 text, lowercase": []byte(strings.ToLower(secret)),
		"bytes":                  key,
	} {
		if bytes.Contains(raw, clear) {
			t.Errorf("the stored secret holds its %s in the clear", what)
		}
	}

	other := auth.NewService(auth.Config{
		Users: e.db, Tenants: e.db, Tokens: e.db, Sessions: e.sessions, Hasher: e.hasher, Now: e.clock.Now,
		SecondFactors: auth.SecondFactorConfig{Factors: e.db, RecoveryCodes: e.db, Key: []byte("another key, 32 bytes long......")},
	})
	must(t, "init", other.Init(ctx))
	in, err := other.SignIn(ctx, auth.Attempt{
		TenantID: auth.DefaultTenantID, Login: "alice", Credential: auth.Password{Secret: "correct horse"},
		Second: &auth.SecondFactor{Method: auth.FactorMethodTOTP, Code: totpCode(t, secret, e.clock.Now())},
	})
	if err == nil || in != nil {
		t.Fatal("a service with another factor key accepted the TOTP code")
	}
	// The right key still opens it.
	_, err = signIn2(e, "alice", "correct horse", &auth.SecondFactor{Method: auth.FactorMethodTOTP, Code: totpCode(t, secret, e.clock.Now())})
	must(t, "sign in with the configured key", err)
}
