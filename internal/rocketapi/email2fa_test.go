package rocketapi_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/sessiond/sessiond/internal/config"
	"github.com/sessiond/sessiond/internal/courier/couriertest"
)

// mailWait bounds how long a test waits for the courier's mail: long, as
// a loaded machine may be slow; a test that passes never waits it out.
const mailWait = 30 * time.Second

// startMail starts sessiond with a real SMTP server on loopback as its
// courier, so that email second factors can be enabled.
func startMail(t *testing.T) (*env, *couriertest.Server) {
	t.Helper()
	mail := couriertest.Start(t, couriertest.Options{Mode: couriertest.StartTLS})
	e := start(t, func(c *config.Config) {
		c.SMTPURL, c.SMTPFrom, c.SMTPTLS = mail.URL(), "sessiond <no-reply@example.com>", mail.ClientTLS()
	})
	return e, mail
}

// TestSendEmailCode: users.2fa.sendEmailCode mails a fresh code to a user
// with email 2FA, named by username or email, and answers every other
// name (a user without it, nobody) alike; the code it sent is good.
func TestSendEmailCode(t *testing.T) {
	e, mail := startMail(t)
	bob := e.login(bobName, bobPass, chromeUA)
	wantStatus(t, e.post("/api/v1/users.2fa.enableEmail", ``, &bob), http.StatusOK)

	send := func(body string) reply {
		return e.post("/api/v1/users.2fa.sendEmailCode", body, nil)
	}
	r := send(`{"emailOrUsername":"` + bobName + `"}`)
	wantStatus(t, r, http.StatusOK)
	m := mail.WaitMails(1, mailWait)[0]
	if len(m.To) != 1 || m.To[0] != bobEmail {
		t.Fatalf("the code went to %v, want %s", m.To, bobEmail)
	}
	code := couriertest.Code(t, m)
	for _, name := range []string{carolName, "nobody", "nobody@example.com"} {
		if o := send(`{"emailOrUsername":"` + name + `"}`); o.status != r.status || string(o.body) != string(r.body) {
			t.Errorf("for %s: %d %s, want the answer for bob: %d %s", name, o.status, o.body, r.status, r.body)
		}
	}
	r = send(`{}`)
	wantStatus(t, r, http.StatusBadRequest)
	if r.json(t)["errorType"] != "error-parameter-required" {
		t.Fatalf("no emailOrUsername: %s", r.body)
	}

	// By email too; the newer code replaces the first.
	wantStatus(t, send(`{"emailOrUsername":"`+bobEmail+`"}`), http.StatusOK)
	mails := mail.WaitMails(2, mailWait)
	var fresh string
	for _, m := range mails[1:] {
		if m.To[0] != bobEmail {
			t.Fatalf("a code went to %v", m.To)
		}
		fresh = couriertest.Code(t, m)
	}
	login := func(c string) reply {
		return e.do(req{method: "POST", path: "/api/v1/login", body: loginBody(bobName, bobPass, "code", c)})
	}
	if fresh != code {
		wantStatus(t, login(code), http.StatusUnauthorized)
	}
	wantStatus(t, login(fresh), http.StatusOK)
}

// TestDisableEmail: users.2fa.disableEmail asks for the emailed code every
// time, refuses a wrong one, and with the right one turns email 2FA off,
// so the password alone signs in again.
func TestDisableEmail(t *testing.T) {
	e, mail := startMail(t)
	bob := e.login(bobName, bobPass, chromeUA)
	wantStatus(t, e.post("/api/v1/users.2fa.enableEmail", ``, &bob), http.StatusOK)
	disable := func(h map[string]string) reply {
		return e.do(req{method: "POST", path: "/api/v1/users.2fa.disableEmail", cred: &bob, ua: chromeUA, header: h})
	}
	r := disable(nil)
	wantStatus(t, r, http.StatusBadRequest)
	d, _ := r.json(t)["details"].(map[string]any)
	if r.json(t)["errorType"] != "totp-required" || d["method"] != "email" || d["codeGenerated"] != true {
		t.Fatalf("no code: %s", r.body)
	}
	code := couriertest.Code(t, mail.WaitMails(1, mailWait)[0])
	emailHeader := func(c string) map[string]string {
		return map[string]string{"x-2fa-method": "email", "x-2fa-code": c}
	}
	r = disable(emailHeader(otherCode(code)))
	wantStatus(t, r, http.StatusBadRequest)
	if r.json(t)["errorType"] != "totp-invalid" {
		t.Fatalf("wrong code: %s", r.body)
	}
	wantStatus(t, e.do(req{method: "POST", path: "/api/v1/login", body: loginBody(bobName, bobPass)}), http.StatusUnauthorized)

	wantStatus(t, disable(emailHeader(code)), http.StatusOK)
	wantStatus(t, e.do(req{method: "POST", path: "/api/v1/login", body: loginBody(bobName, bobPass)}), http.StatusOK)
	// Nothing is left to disable: the route no longer asks for an email
	// code (the password fallback, if anything).
	r = disable(nil)
	if d, _ := r.json(t)["details"].(map[string]any); d["method"] == "email" {
		t.Fatalf("email still asked for after disabling it: %s", r.body)
	}
}
