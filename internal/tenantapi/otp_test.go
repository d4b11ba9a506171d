package tenantapi_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sessiond/sessiond/internal/courier/couriertest"
)

// meUser is the user GET /auth/me shows.
type meUser struct {
	ID            string `json:"id"`
	Email         string `json:"email"`
	EmailVerified bool   `json:"emailVerified"`
	Method        string `json:"method"`
	Status        string `json:"status"`
}

func (e *env) meUser(t tenant, access string) meUser {
	e.t.Helper()
	st, r := e.send(call{method: "GET", path: "/auth/me", tenant: t.Token, token: access})
	if st != http.StatusOK {
		e.t.Fatalf("me: %d %+v", st, r.Error)
	}
	var m struct{ User meUser }
	json.Unmarshal(r.Data, &m)
	return m.User
}

// The OTP module end to end through a real mail server: a code for
// email_verification is emailed, read from the message, verified, and
// /auth/me then shows the email verified. Before, /otp/* answered the
// InfluxDB dialect's 404 outside the envelope.
func TestEmailVerificationThroughSMTP(t *testing.T) {
	e, mail := startMail(t)
	ten := e.tenant("acme")
	alice := e.signup(ten, "alice@example.com")
	if u := e.meUser(ten, alice.AccessToken); u.EmailVerified || u.Method != "password" {
		t.Fatalf("before: %+v", u)
	}
	o := e.otpOf(e.post(ten, "/otp/create", `{"scope":"email_verification","scopeId":"ref-42","method":"email","recipient":" Alice@Example.com "}`))
	if o.ResendInterval != 60 || o.ExpireAt != "2025-01-15T10:40:00.000Z" || o.LastSentAt != "2025-01-15T10:30:00.000Z" {
		t.Fatalf("created %+v", o)
	}
	m := mail.WaitMails(1, mailWait)[0]
	code := couriertest.Code(t, m)
	if m.To[0] != "alice@example.com" || m.Subject != "Your verification code" || !strings.Contains(m.Body, "acme") || !m.TLS {
		t.Fatalf("mail %+v", m)
	}
	ref := func(scope string) string { return `{"id":"` + o.ID + `","scope":"` + scope + `"}` }
	withCode := func(scope, c string) string {
		return `{"id":"` + o.ID + `","scope":"` + scope + `","code":"` + c + `"}`
	}
	st, r := e.post(ten, "/otp/verify", withCode("phone_verification", code))
	wantError(t, "verify under another scope", st, r, http.StatusNotFound, "OTP_NOT_FOUND")
	e.succeed(ten, "verify", "/otp/verify", withCode("email_verification", code))
	if u := e.meUser(ten, alice.AccessToken); !u.EmailVerified {
		t.Fatalf("after verification: %+v", u)
	}
	e.succeed(ten, "verify again", "/otp/verify", withCode("email_verification", code))
	st, r = e.post(ten, "/otp/verify", withCode("email_verification", other(code)))
	wantError(t, "a wrong code on a verified OTP", st, r, http.StatusBadRequest, "OTP_INVALID_CODE")
	st, r = e.post(ten, "/otp/cancel", ref("email_verification"))
	wantError(t, "cancel a verified OTP", st, r, http.StatusConflict, "OTP_INVALID_STATE")
	st, r = e.post(ten, "/otp/resend", ref("email_verification"))
	wantError(t, "resend a verified OTP", st, r, http.StatusConflict, "OTP_INVALID_STATE")
	if n := len(mail.Mails()); n != 1 {
		t.Fatalf("%d mails, want 1", n)
	}
}

// Every OTP_* error of the module, each in the state that produces it.
func TestOTPErrors(t *testing.T) {
	e, mail := startMail(t)
	ten := e.tenant("acme", `{"name":"acme","rateLimits":{"otp-create":1000}}`) // the limits have their own test
	mails := 0
	create := func(to string) (otpInfo, string) {
		t.Helper()
		o := e.otpOf(e.post(ten, "/otp/create", `{"scope":"email_verification","method":"email","recipient":"`+to+`"}`))
		mails++
		return o, codeOf(t, mail, mails, to)
	}
	body := func(o otpInfo, code string) string {
		if code == "" {
			return `{"id":"` + o.ID + `","scope":"email_verification"}`
		}
		return `{"id":"` + o.ID + `","scope":"email_verification","code":"` + code + `"}`
	}

	t.Run("OTP_NOT_FOUND", func(t *testing.T) {
		for _, id := range []string{"0123456789abcdef", "not-an-id"} {
			for _, path := range []string{"/otp/verify", "/otp/resend", "/otp/cancel"} {
				b := `{"id":"` + id + `","scope":"email_verification","code":"123456"}`
				if path != "/otp/verify" {
					b = `{"id":"` + id + `","scope":"email_verification"}`
				}
				st, r := e.post(ten, path, b)
				wantError(t, path+" "+id, st, r, http.StatusNotFound, "OTP_NOT_FOUND")
			}
		}
	})
	t.Run("OTP_INVALID_CODE then OTP_MAX_ATTEMPTS", func(t *testing.T) {
		o, code := create("bob@example.com")
		for left := 4; left >= 1; left-- {
			st, r := e.post(ten, "/otp/verify", body(o, other(code)))
			wantError(t, "a wrong code", st, r, http.StatusBadRequest, "OTP_INVALID_CODE")
			if want := fmt.Sprintf("%d attempt", left); !strings.Contains(r.Error.Message, want) {
				t.Fatalf("message %q does not say %q", r.Error.Message, want)
			}
		}
		st, r := e.post(ten, "/otp/verify", body(o, other(code)))
		wantError(t, "the fifth wrong code", st, r, http.StatusTooManyRequests, "OTP_MAX_ATTEMPTS")
		st, r = e.post(ten, "/otp/verify", body(o, code))
		wantError(t, "the right code after the fifth wrong one", st, r, http.StatusTooManyRequests, "OTP_MAX_ATTEMPTS")
		st, r = e.post(ten, "/otp/resend", body(o, ""))
		wantError(t, "resend a failed OTP", st, r, http.StatusConflict, "OTP_INVALID_STATE")
	})
	t.Run("OTP_RESEND_TOO_SOON, a new code", func(t *testing.T) {
		o, first := create("carol@example.com")
		resp, raw := e.do(call{method: "POST", path: "/otp/resend", tenant: ten.Token, body: body(o, "")})
		if resp.StatusCode != http.StatusTooManyRequests || !strings.Contains(raw, `"OTP_RESEND_TOO_SOON"`) || resp.Header.Get("Retry-After") != "60" {
			t.Fatalf("resend at once: %d %s Retry-After %q", resp.StatusCode, raw, resp.Header.Get("Retry-After"))
		}
		e.clock.Advance(59 * time.Second)
		resp, _ = e.do(call{method: "POST", path: "/otp/resend", tenant: ten.Token, body: body(o, "")})
		if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") != "1" {
			t.Fatalf("resend after 59 s: %d Retry-After %q", resp.StatusCode, resp.Header.Get("Retry-After"))
		}
		e.clock.Advance(time.Second)
		e.succeed(ten, "resend after a minute", "/otp/resend", body(o, ""))
		mails++
		second := codeOf(t, mail, mails, "carol@example.com")
		if second == first {
			t.Skip("the new code happens to equal the old one (one in a million)")
		}
		st, r := e.post(ten, "/otp/verify", body(o, first))
		wantError(t, "the replaced code", st, r, http.StatusBadRequest, "OTP_INVALID_CODE")
		e.succeed(ten, "the new code", "/otp/verify", body(o, second))
	})
	t.Run("OTP_MAX_RESENDS", func(t *testing.T) {
		o, _ := create("dave@example.com")
		for i := range 3 {
			e.clock.Advance(time.Minute)
			if st, r := e.post(ten, "/otp/resend", body(o, "")); st != http.StatusCreated {
				t.Fatalf("resend %d: %d %+v", i+1, st, r.Error)
			}
			mails++
		}
		e.clock.Advance(time.Minute)
		st, r := e.post(ten, "/otp/resend", body(o, ""))
		wantError(t, "a fourth resend", st, r, http.StatusTooManyRequests, "OTP_MAX_RESENDS")
		mail.WaitMails(mails, mailWait)
	})
	t.Run("OTP_EXPIRED", func(t *testing.T) {
		o, code := create("erin@example.com")
		e.clock.Advance(10 * time.Minute)
		st, r := e.post(ten, "/otp/verify", body(o, code))
		wantError(t, "verify after ten minutes", st, r, http.StatusBadRequest, "OTP_EXPIRED")
		st, r = e.post(ten, "/otp/resend", body(o, ""))
		wantError(t, "resend an expired OTP", st, r, http.StatusBadRequest, "OTP_EXPIRED")
		st, r = e.post(ten, "/otp/cancel", body(o, ""))
		wantError(t, "cancel an expired OTP", st, r, http.StatusBadRequest, "OTP_EXPIRED")
	})
	t.Run("OTP_INVALID_STATE, cancel twice", func(t *testing.T) {
		o, code := create("frank@example.com")
		e.succeed(ten, "cancel", "/otp/cancel", body(o, ""))
		e.succeed(ten, "cancel again", "/otp/cancel", body(o, ""))
		st, r := e.post(ten, "/otp/verify", body(o, code))
		wantError(t, "verify a cancelled OTP", st, r, http.StatusConflict, "OTP_INVALID_STATE")
		st, r = e.post(ten, "/otp/resend", body(o, ""))
		wantError(t, "resend a cancelled OTP", st, r, http.StatusConflict, "OTP_INVALID_STATE")
	})
	t.Run("create cancels the earlier pending OTP", func(t *testing.T) {
		a, codeA := create("gina@example.com")
		b, codeB := create("gina@example.com")
		st, r := e.post(ten, "/otp/verify", body(a, codeA))
		wantError(t, "the replaced OTP", st, r, http.StatusConflict, "OTP_INVALID_STATE")
		e.succeed(ten, "the new OTP", "/otp/verify", body(b, codeB))
	})
	t.Run("validation", func(t *testing.T) {
		for _, c := range []struct {
			path, body string
			fields     []string
		}{
			{"/otp/create", `{"scope":"reset_password","method":"email","recipient":"a@example.com"}`, []string{"scope"}},
			{"/otp/create", `{"scope":"otp_signin","method":"email","recipient":"a@example.com"}`, []string{"scope"}},
			{"/otp/create", `{"scope":"email_verification","method":"sms","recipient":"+905551234567"}`, []string{"method"}},
			{"/otp/create", `{"scope":"phone_verification","method":"sms","recipient":"05551234567"}`, []string{"recipient"}},
			{"/otp/create", `{"scope":"email_verification","method":"email","recipient":"not-an-email"}`, []string{"recipient"}},
			{"/otp/create", `{"scope":"email_verification","method":"pigeon","recipient":"a@example.com"}`, []string{"method"}},
			{"/otp/create", `{"extra":1}`, []string{"scope", "method", "recipient", "extra"}},
			{"/otp/verify", `{"id":"0123456789abcdef","scope":"email_verification","code":"12ab56"}`, []string{"code"}},
			{"/otp/verify", `{"scope":"nothing"}`, []string{"id", "scope", "code"}},
			{"/otp/resend", `{"id":"0123456789abcdef"}`, []string{"scope"}},
			{"/otp/cancel", `{"id":"0123456789abcdef","scope":"email_verification","code":"123456"}`, []string{"code"}},
		} {
			st, r := e.post(ten, c.path, c.body)
			wantError(t, c.path+" "+c.body, st, r, http.StatusBadRequest, "VALIDATION_ERROR")
			for _, f := range c.fields {
				if r.Error.Validation[f] == nil {
					t.Errorf("%s %s: no problem named for %s in %v", c.path, c.body, f, r.Error.Validation)
				}
			}
		}
		st, r := e.post(ten, "/otp/create", `{"scope":"phone_verification","method":"sms","recipient":"+905551234567"}`)
		wantError(t, "sms without an SMS channel", st, r, http.StatusForbidden, "RESTRICTED_CAPABILITY")
	})
}

// The OTP routes sit behind the tenant token like every route of the
// API, and a wrong method or path answers in the envelope.
func TestOTPRoutesInTheEnvelope(t *testing.T) {
	e, _ := startMail(t)
	ten := e.tenant("acme")
	st, r := e.send(call{method: "POST", path: "/otp/create", body: `{}`})
	wantError(t, "no tenant token", st, r, http.StatusUnauthorized, "MISSING_TENANT_TOKEN")
	st, r = e.send(call{method: "GET", path: "/otp/create", tenant: ten.Token})
	wantError(t, "GET /otp/create", st, r, http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED")
	st, r = e.send(call{method: "POST", path: "/otp/nothing", tenant: ten.Token})
	wantError(t, "an unknown OTP route", st, r, http.StatusNotFound, "NOT_FOUND")
	e.update(ten, `{"restrictedCapabilities":["otp-create"]}`)
	st, r = e.post(ten, "/otp/create", `{"scope":"email_verification","method":"email","recipient":"a@example.com"}`)
	wantError(t, "otp-create switched off", st, r, http.StatusForbidden, "RESTRICTED_CAPABILITY")
}
