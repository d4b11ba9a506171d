package server_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/sessiond/sessiond/internal/auth"
	"github.com/sessiond/sessiond/internal/config"
	"github.com/sessiond/sessiond/internal/courier/couriertest"
	"github.com/sessiond/sessiond/internal/server/servertest"
)

// The email second factor reaches the user through the courier: with a
// mail server configured, Rocket.Chat's users.2fa.enableEmail turns it
// on, a password login answers totp-required with the method email and
// a code generated, the code arrives by SMTP, and the login with it
// succeeds; a code used once does not sign in again.
func TestEmailSecondFactorThroughSMTP(t *testing.T) {
	mail := couriertest.Start(t, couriertest.Options{Mode: couriertest.StartTLS})
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	cfg.RocketRateLimit = 0
	mailConfig(&cfg, mail)
	clk := servertest.NewClock(time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC))
	app, srv := servertest.Serve(t, cfg, clk.Now)
	base := srv.URL
	if _, err := app.Service().CreateUser(context.Background(), auth.NewUser{TenantID: auth.DefaultTenantID, Name: "bob", Email: "bob@example.com", Password: bobPass}); err != nil {
		t.Fatal(err)
	}
	r := rocketLogin(t, base, "bob", bobPass)
	want(t, "enable email 2FA", do(t, request{method: "POST", url: base + "/api/v1/users.2fa.enableEmail", body: `{}`, headers: r.headers()}), http.StatusOK)

	login := `{"user":"bob","password":"` + bobPass + `"}`
	a := do(t, request{method: "POST", url: base + "/api/v1/login", body: login})
	details, _ := a.json(t)["details"].(map[string]any)
	if a.status != http.StatusUnauthorized || a.json(t)["error"] != "totp-required" || details["method"] != "email" || details["codeGenerated"] != true {
		t.Fatalf("password alone: %d %s", a.status, a.body)
	}
	mails := mail.WaitMails(1, mailWait)
	if len(mails) != 1 || mails[0].To[0] != "bob@example.com" {
		t.Fatalf("mails: %+v", mails)
	}
	code := couriertest.Code(t, mails[0])
	withCode := `{"user":"bob","password":"` + bobPass + `","code":"` + code + `"}`
	want(t, "login with the emailed code", do(t, request{method: "POST", url: base + "/api/v1/login", body: withCode}), http.StatusOK)
	if a := do(t, request{method: "POST", url: base + "/api/v1/login", body: withCode}); a.status != http.StatusUnauthorized {
		t.Fatalf("the same code again: %d %s", a.status, a.body)
	}
}
