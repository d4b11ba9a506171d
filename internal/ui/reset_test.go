package ui_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/sessiond/sessiond/internal/auth"
	"github.com/sessiond/sessiond/internal/config"
	"github.com/sessiond/sessiond/internal/courier/couriertest"
	"github.com/sessiond/sessiond/internal/server"
)

const resetPassword = "a fresh password for bob"

// mailEnv is newEnv with a real SMTP server on loopback as the courier.
func mailEnv(t *testing.T) (*env, *couriertest.Server) {
	t.Helper()
	mail := couriertest.Start(t, couriertest.Options{Mode: couriertest.StartTLS})
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	cfg.SMTPURL, cfg.SMTPFrom, cfg.SMTPTLS = mail.URL(), "Accounts <no-reply@example.com>", mail.ClientTLS()
	clk := newClock()
	app, err := server.Open(context.Background(), cfg, nil, clk.Now)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { app.Close() })
	srv := httptest.NewServer(app.Handler())
	t.Cleanup(srv.Close)
	return &env{t: t, app: app, svc: app.Service(), srv: srv, clock: clk}, mail
}

// rocketLogin signs in through the Rocket.Chat API and returns the
// headers of its later calls.
func (e *env) rocketLogin(name, password string) map[string]string {
	e.t.Helper()
	res, err := e.srv.Client().Post(e.srv.URL+"/api/v1/login", "application/json", strings.NewReader(`{"user":"`+name+`","password":"`+password+`"}`))
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	var out struct {
		Data struct{ UserID, AuthToken string }
	}
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil || out.Data.AuthToken == "" {
		e.t.Fatalf("rocket login: %d %v", res.StatusCode, err)
	}
	return map[string]string{"X-User-Id": out.Data.UserID, "X-Auth-Token": out.Data.AuthToken}
}

func (e *env) status(method, path string, headers map[string]string) int {
	e.t.Helper()
	req, _ := http.NewRequest(method, e.srv.URL+path, nil)
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	res, err := e.srv.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

var codePageID = regexp.MustCompile(`name="id" value="([0-9a-f]{16})"`)

// A user who forgot their password gets back in through the account
// pages: an email, the emailed code and a new password. Every session of
// theirs ends, in every API. Before, no route let them back in.
func TestForgotPassword(t *testing.T) {
	e, mail := mailEnv(t)
	ctx := context.Background()
	bob, err := e.svc.CreateUser(ctx, auth.NewUser{TenantID: auth.DefaultTenantID, Name: "bob", Email: "bob@example.com", Password: goodPassword})
	if err != nil {
		t.Fatal(err)
	}
	influx := e.apiSignIn("bob", goodPassword)
	rocket := e.rocketLogin("bob", goodPassword)
	other := e.client()
	other.signIn("bob", goodPassword)

	c := e.client()
	if p := c.mustGet("/ui/signin"); !strings.Contains(p.body, `<a href="/ui/reset">Forgot your password?</a>`) {
		t.Fatal("the sign-in page has no link to the reset")
	}
	c.mustGet("/ui/reset")
	p := c.post("/ui/reset", url.Values{"email": {" Bob@Example.com "}})
	if p.status != http.StatusOK || !strings.Contains(p.body, "If an account uses <strong>bob@example.com</strong>") {
		t.Fatalf("after the email: %d\n%s", p.status, p.body)
	}
	code := couriertest.Code(t, mail.WaitMails(1, 10*time.Second)[0])
	form := func(code, pw, confirm string) url.Values {
		m := codePageID.FindStringSubmatch(p.body)
		return url.Values{"id": {m[1]}, "tenant": {auth.DefaultTenantID}, "email": {"bob@example.com"}, "code": {code}, "new": {pw}, "confirm": {confirm}}
	}
	wrong := "000000"
	if code == wrong {
		wrong = "000001"
	}
	for _, c2 := range []struct {
		name, code, pw, confirm, want string
	}{
		{"a wrong code", wrong, resetPassword, resetPassword, "That code is not right"},
		{"not six digits", "12ab", resetPassword, resetPassword, "That code is not right"},
		{"the confirmation differs", code, resetPassword, resetPassword + "!", "do not match"},
		{"too short", code, "short", "short", "between 8 and 72"},
	} {
		q := c.post("/ui/reset/confirm", form(c2.code, c2.pw, c2.confirm))
		if q.status != http.StatusUnprocessableEntity || !strings.Contains(errorText(q.body), c2.want) {
			t.Fatalf("%s: %d %q", c2.name, q.status, errorText(q.body))
		}
	}
	q := c.post("/ui/reset/confirm", form(code, resetPassword, resetPassword))
	if q.status != http.StatusSeeOther || q.location() != "/ui/signin?m=reset" {
		t.Fatalf("confirm: %d %q\n%s", q.status, q.location(), q.body)
	}
	if f := flashText(c.mustGet("/ui/signin?m=reset").body); !strings.Contains(f, "Your password has been reset") {
		t.Fatalf("flash %q", f)
	}
	if st := e.apiMe(influx); st != http.StatusUnauthorized {
		t.Fatalf("the InfluxDB session after the reset: %d", st)
	}
	if st := e.status("GET", "/api/v1/me", rocket); st != http.StatusUnauthorized {
		t.Fatalf("the Rocket.Chat token after the reset: %d", st)
	}
	if q := other.get("/ui/sessions"); q.status != http.StatusSeeOther {
		t.Fatalf("the other browser's UI session after the reset: %d", q.status)
	}
	if n := len(e.sessions(bob)); n != 0 {
		t.Fatalf("%d sessions left", n)
	}
	c.signIn("bob", resetPassword)
	if u, _ := e.svc.User(ctx, auth.DefaultTenantID, bob.ID); !u.EmailVerified {
		t.Fatal("the email is not marked verified after a reset by email")
	}
}

// The code page answers alike whether or not the email, or the tenant,
// names an account; a code is sent only to an account's email, and a new
// one at most every minute.
func TestForgotPasswordAnswersAlike(t *testing.T) {
	e, mail := mailEnv(t)
	ctx := context.Background()
	if _, err := e.svc.CreateUser(ctx, auth.NewUser{TenantID: auth.DefaultTenantID, Name: "bob", Email: "bob@example.com", Password: goodPassword}); err != nil {
		t.Fatal(err)
	}
	pageFor := func(email, tenant string) (*client, *page) {
		c := e.client()
		c.mustGet("/ui/reset")
		p := c.post("/ui/reset", url.Values{"email": {email}, "tenant": {tenant}})
		if p.status != http.StatusOK {
			t.Fatalf("%s: %d %s", email, p.status, errorText(p.body))
		}
		return c, p
	}
	norm := func(p *page, email, tenant string) string {
		s := codePageID.ReplaceAllString(p.body, `name="id" value="ID"`)
		s = csrfRE.ReplaceAllString(s, `name="csrf" value="CSRF"`)
		s = strings.ReplaceAll(s, email, "EMAIL")
		return strings.ReplaceAll(s, `name="tenant" value="`+tenant+`"`, `name="tenant" value="TENANT"`)
	}
	bc, bp := pageFor("bob@example.com", "")
	_, np := pageFor("nobody@example.com", "")
	_, tp := pageFor("bob@example.com", "no-such-tenant")
	want := norm(bp, "bob@example.com", auth.DefaultTenantID)
	if got := norm(np, "nobody@example.com", auth.DefaultTenantID); got != want {
		t.Errorf("an unknown email's page differs:\n%s\nfrom\n%s", got, want)
	}
	if got := norm(tp, "bob@example.com", "no-such-tenant"); got != want {
		t.Errorf("an unknown tenant's page differs:\n%s\nfrom\n%s", got, want)
	}
	mail.WaitMails(1, 10*time.Second)
	m := codePageID.FindStringSubmatch(bp.body)
	resend := url.Values{"id": {m[1]}, "tenant": {auth.DefaultTenantID}, "email": {"bob@example.com"}}
	if p := bc.post("/ui/reset/resend", resend); p.status != http.StatusTooManyRequests || !strings.Contains(errorText(p.body), "moments ago") {
		t.Fatalf("resend at once: %d %q", p.status, errorText(p.body))
	}
	e.clock.Advance(time.Minute)
	if p := bc.post("/ui/reset/resend", resend); p.status != http.StatusOK || !strings.Contains(flashText(p.body), "new code") {
		t.Fatalf("resend after a minute: %d %q", p.status, flashText(p.body))
	}
	for _, x := range mail.WaitMails(2, 10*time.Second) {
		if x.To[0] != "bob@example.com" {
			t.Fatalf("a code went to %v", x.To)
		}
	}
	// A form without its CSRF token is refused.
	c := e.client()
	if p := c.postRaw("/ui/reset", url.Values{"email": {"bob@example.com"}}); p.status != http.StatusForbidden {
		t.Fatalf("no CSRF token: %d", p.status)
	}
}

// A tenant's user resets through the pages with the tenant field; their
// tenant API session ends with the reset.
func TestForgotPasswordInATenant(t *testing.T) {
	e, mail := mailEnv(t)
	ctx := context.Background()
	ten, _, err := e.svc.CreateTenant(ctx, auth.NewTenant{Name: "acme"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.CreateUser(ctx, auth.NewUser{TenantID: ten.ID, Name: "ann@example.com", Email: "ann@example.com", Password: goodPassword}); err != nil {
		t.Fatal(err)
	}
	in, err := e.svc.SignIn(ctx, auth.Attempt{TenantID: ten.ID, Login: "ann@example.com", LoginKind: auth.LoginEmail, Credential: auth.Password{Secret: goodPassword}, Origin: auth.OriginTenant})
	if err != nil {
		t.Fatal(err)
	}
	c := e.client()
	c.mustGet("/ui/reset")
	p := c.post("/ui/reset", url.Values{"email": {"ann@example.com"}, "tenant": {"ACME"}})
	code := couriertest.Code(t, mail.WaitMails(1, 10*time.Second)[0])
	id := codePageID.FindStringSubmatch(p.body)[1]
	q := c.post("/ui/reset/confirm", url.Values{"id": {id}, "tenant": {ten.ID}, "email": {"ann@example.com"}, "code": {code}, "new": {resetPassword}, "confirm": {resetPassword}})
	if q.status != http.StatusSeeOther {
		t.Fatalf("confirm: %d %q", q.status, errorText(q.body))
	}
	if _, _, err := e.svc.AuthenticateSession(ctx, ten.ID, in.User.ID, in.Session.ID, auth.CheckOptions{}); err == nil {
		t.Fatal("the tenant API session survived the reset")
	}
}

// TestBrowserForgotPassword walks "Forgot your password?" in Chromium:
// from the sign-in page to the code, read from the mail the server sent,
// to signing in with the new password.
func TestBrowserForgotPassword(t *testing.T) {
	e, mail := mailEnv(t)
	if _, err := e.svc.CreateUser(context.Background(), auth.NewUser{TenantID: auth.DefaultTenantID, Name: "bob", Email: "bob@example.com", Password: goodPassword}); err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t, e)
	b.phone()
	b.open("/ui/signin", "#username")
	b.do(chromedp.Click(chromedp.CSS(`a[href="/ui/reset"]`)), chromedp.WaitVisible(chromedp.CSS("#email")))
	if u := b.unlabelled(); len(u) > 0 {
		t.Errorf("controls without a label: %v", u)
	}
	b.do(chromedp.SendKeys(chromedp.CSS("#email"), "bob@example.com"), chromedp.Click(chromedp.CSS("button.primary")), chromedp.WaitVisible(chromedp.CSS("#code")))
	if !b.fitsWidth() {
		t.Error("the code page needs sideways scrolling on a phone")
	}
	if u := b.unlabelled(); len(u) > 0 {
		t.Errorf("controls without a label: %v", u)
	}
	b.shot("reset-code.png")
	code := couriertest.Code(t, mail.WaitMails(1, 10*time.Second)[0])
	b.do(
		chromedp.SendKeys(chromedp.CSS("#code"), code),
		chromedp.SendKeys(chromedp.CSS("#new"), resetPassword),
		chromedp.SendKeys(chromedp.CSS("#confirm"), resetPassword),
		chromedp.Click(chromedp.CSS("form[action='/ui/reset/confirm'] button.primary")),
		chromedp.WaitVisible(chromedp.CSS("p.flash")),
	)
	if got := b.text("p.flash"); !strings.Contains(got, "Your password has been reset") || b.path() != "/ui/signin?m=reset" {
		t.Fatalf("after the reset: %q at %s", got, b.path())
	}
	b.signIn("bob", resetPassword)
	b.waitPath("/ui/sessions")
}
