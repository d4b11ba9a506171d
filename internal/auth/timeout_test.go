package auth_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/sessiond/sessiond/internal/auth"
)

func TestIdleTimeout(t *testing.T) {
	e := newEnv(t, func(c *auth.Config) { c.IdleTimeout = 5 * time.Minute; c.SessionLength = time.Hour })
	e.createUser(t, "alice", "correct horse")
	_, token := e.signIn(t, "alice", "correct horse")
	for _, at := range []time.Duration{4 * time.Minute, 8 * time.Minute, 12 * time.Minute, 16 * time.Minute} {
		e.clock.Set(at)
		if _, _, err := e.svc.Authenticate(context.Background(), token, auth.CheckOptions{Renew: true}); err != nil {
			t.Fatalf("use at %v, under the idle timeout since the last use: %v", at, err)
		}
	}
	e.clock.Set(21 * time.Minute)
	_, _, err := e.svc.Authenticate(context.Background(), token, auth.CheckOptions{Renew: true})
	wantErr(t, "after 5 idle minutes", err, auth.ErrUnauthenticated)
	if n := e.count(t); n != 0 {
		t.Fatalf("an idle-expired session is removed: %d stored", n)
	}
}

func TestIdleTimeoutHidesSessionsFromLists(t *testing.T) {
	e := newEnv(t, func(c *auth.Config) { c.IdleTimeout = 5 * time.Minute; c.SessionLength = time.Hour })
	u := e.createUser(t, "alice", "correct horse")
	sess, _ := e.signIn(t, "alice", "correct horse")
	e.clock.Set(6 * time.Minute)
	list, err := e.svc.UserSessions(context.Background(), auth.DefaultTenantID, u.ID)
	must(t, "list", err)
	if len(list) != 0 {
		t.Fatalf("idle session listed: %+v", list)
	}
	_, err = e.svc.Session(context.Background(), auth.DefaultTenantID, sess.ID)
	wantErr(t, "idle session by ID", err, auth.ErrSessionNotFound)
}

// Renewal slides the expiry (InfluxDB's rule) but never past creation plus
// the absolute timeout.
func TestAbsoluteTimeoutCapsRenewal(t *testing.T) {
	e := newEnv(t, func(c *auth.Config) { c.AbsoluteTimeout = 20 * time.Minute; c.SessionLength = 10 * time.Minute })
	e.createUser(t, "alice", "correct horse")
	_, token := e.signIn(t, "alice", "correct horse")
	for at := 4 * time.Minute; at < 20*time.Minute; at += 4 * time.Minute {
		e.clock.Set(at)
		if _, _, err := e.svc.Authenticate(context.Background(), token, auth.CheckOptions{Renew: true}); err != nil {
			t.Fatalf("use at %v: %v", at, err)
		}
	}
	e.clock.Set(20 * time.Minute)
	_, _, err := e.svc.Authenticate(context.Background(), token, auth.CheckOptions{Renew: true})
	wantErr(t, "at the absolute timeout", err, auth.ErrUnauthenticated)
}

// A session made with a longer explicit length (Rocket.Chat's login
// expiration) keeps it: the absolute timeout caps renewal only.
func TestAbsoluteTimeoutKeepsLongerExplicitLength(t *testing.T) {
	e := newEnv(t, func(c *auth.Config) { c.AbsoluteTimeout = 20 * time.Minute })
	u := e.createUser(t, "alice", "correct horse")
	_, token, err := auth.StartSession(e.svc, context.Background(), u, auth.OriginRocket, auth.Client{}, auth.TokenFormat{}, 90*24*time.Hour)
	must(t, "start", err)
	e.clock.Set(48 * time.Hour)
	_, _, err = e.svc.Authenticate(context.Background(), token, auth.CheckOptions{Renew: true})
	must(t, "long session after two days", err)
}

func TestRevokeAllSessions(t *testing.T) {
	e := newEnv(t)
	e.createUser(t, "alice", "correct horse")
	e.createUser(t, "bob", "battery staple")
	var tokens []string
	for range 3 {
		_, a := e.signIn(t, "alice", "correct horse")
		_, b := e.signIn(t, "bob", "battery staple")
		tokens = append(tokens, a, b)
	}
	n, err := e.svc.RevokeAllSessions(context.Background(), auth.DefaultTenantID)
	must(t, "revoke all", err)
	if n != 6 {
		t.Fatalf("revoked %d, want 6", n)
	}
	for _, tk := range tokens {
		if e.live(t, tk) {
			t.Fatal("a session survived RevokeAllSessions")
		}
	}
}

func TestCommonPasswordsRefused(t *testing.T) {
	if !auth.IsCommonPassword("password") || !auth.IsCommonPassword("PaSsWoRd") || !auth.IsCommonPassword("qwertyuiop") {
		t.Fatal("top passwords not on the list")
	}
	if auth.IsCommonPassword("correct horse battery staple 93") || auth.IsCommonPassword("") {
		t.Fatal("an uncommon password is on the list")
	}
	e := newEnv(t)
	u := e.createUser(t, "alice", "correct horse")
	ctx := context.Background()
	for _, pw := range []string{"password1", "iloveyou", "1234567890", "Superman1"} {
		_, err := e.svc.CreateUser(ctx, auth.NewUser{TenantID: auth.DefaultTenantID, Name: "x" + pw, Password: pw})
		wantCode(t, "create with "+pw, err, auth.EPasswordRule)
		if !strings.Contains(auth.ErrorMessage(err), "common") {
			t.Fatalf("message %q does not say why", auth.ErrorMessage(err))
		}
		wantCode(t, "set "+pw, e.svc.SetPassword(ctx, auth.DefaultTenantID, u.ID, pw, false, ""), auth.EPasswordRule)
		wantCode(t, "change to "+pw, e.svc.ChangePassword(ctx, auth.DefaultTenantID, u.ID, "correct horse", pw, false, ""), auth.EPasswordRule)
	}
	wantCode(t, "the user name as password", e.svc.SetPassword(ctx, auth.DefaultTenantID, u.ID, "ALICE", false, ""), auth.EPasswordRule)
	policy := auth.PasswordPolicy{MinBytes: 8, MaxBytes: 72, AllowCommon: true}
	must(t, "AllowCommon", policy.Check("password1"))
}

// The password accepted is the one verified: no truncation, case, or
// Unicode normalisation lets a different string in.
func TestPasswordExactness(t *testing.T) {
	e := newEnv(t, func(c *auth.Config) { c.Policy = auth.PasswordPolicy{MinBytes: 8, MaxBytes: 256} })
	ctx := context.Background()
	long := strings.Repeat("long passphrase ", 10) // 160 bytes
	tests := []struct{ pw, other string }{
		{long, long + "x"},
		{long, long[:72]},
		{"Correct Horse", "correct horse"},
		{"café au lait", "cafe\u0301 au lait"}, // NFC vs NFD
		{"  spaced out  ", "spaced out"},
	}
	for i, tt := range tests {
		name := "user" + string(rune('a'+i))
		e.createUserWith(t, auth.NewUser{TenantID: auth.DefaultTenantID, Name: name, Password: tt.pw})
		must(t, "exact password", e.trySignIn(name, tt.pw))
		wantErr(t, "other string", e.trySignIn(name, tt.other), auth.ErrBadCredentials)
	}
	if err := auth.DefaultPolicy.Check(strings.Repeat("ab", 32)); err != nil {
		t.Fatalf("64 bytes refused: %v", err)
	}
	_ = ctx
}

func TestAuditEventsCarryNoSecret(t *testing.T) {
	rec := &recorder{}
	e := newEnv(t, func(c *auth.Config) { c.Audit = rec })
	u := e.createUser(t, "alice", "correct horse")
	_, token := e.signIn(t, "alice", "correct horse")
	e.trySignIn("alice", "wrong horse")
	e.trySignIn("mallory", "some guess")
	ctx := auth.WithActor(context.Background(), auth.Actor{UserID: u.ID, TenantID: auth.DefaultTenantID})
	must(t, "change", e.svc.ChangePassword(ctx, auth.DefaultTenantID, u.ID, "correct horse", "new horse pass", true, ""))
	state := auth.StateSuspended
	_, err := e.svc.UpdateUser(ctx, auth.DefaultTenantID, u.ID, auth.UserUpdate{State: &state})
	must(t, "suspend", err)
	for _, typ := range []string{auth.EventUserCreate, auth.EventSignIn, auth.EventPasswordChange, auth.EventUserUpdate} {
		if len(rec.of(typ)) == 0 {
			t.Fatalf("no %s event", typ)
		}
	}
	signins := rec.of(auth.EventSignIn)
	if len(signins) != 3 || signins[0].Outcome != auth.OutcomeSuccess || signins[1].Outcome != auth.OutcomeFailure || signins[2].User != "" {
		t.Fatalf("sign-in events: %+v", signins)
	}
	if up := rec.of(auth.EventUserUpdate)[0]; up.Actor.UserID != u.ID || !strings.Contains(up.Detail, "suspended") {
		t.Fatalf("user update event: %+v", up)
	}
	for _, ev := range rec.events {
		s := strings.ToLower(strings.Join([]string{ev.Detail, ev.Target, ev.User, ev.Session}, " "))
		for _, secret := range []string{"correct horse", "wrong horse", "some guess", "new horse pass", "mallory", strings.ToLower(token), auth.HashToken(token).String()} {
			if strings.Contains(s, secret) {
				t.Fatalf("event %+v carries a secret", ev)
			}
		}
	}
}
