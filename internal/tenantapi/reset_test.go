package tenantapi_test

import (
	"context"
	"encoding/json"
	"net/http"
	"sort"
	"strings"
	"testing"

	"github.com/sessiond/sessiond/internal/auth"
)

const newPassword = "a-brand-new-passphrase"

// A user who forgot their password gets back in: the reset code is
// emailed through a real mail server, read from the message, verified,
// and the confirm step sets the password, marks the email verified,
// clears the sign-in lockout and ends every session of the user and every
// personal access token of theirs (made through Rocket.Chat's API, which
// serves the default tenant; the core keeps them alike for every tenant).
// Before, /auth/reset-password answered 403 RESTRICTED_CAPABILITY, and
// then the tokens survived the reset.
func TestResetPasswordThroughSMTP(t *testing.T) {
	e, mail := startMail(t)
	ten := e.tenant("acme")
	first := e.signup(ten, "alice@example.com")
	second := e.signin(ten, "alice@example.com")
	_, pat, err := e.app.Service().CreatePersonalToken(context.Background(), ten.ID, first.UserID, "bot", true)
	if err != nil {
		t.Fatal(err)
	}
	// Someone guessed at the account until it locked.
	wrong := call{method: "POST", path: "/auth/signin", tenant: ten.Token, body: `{"method":"password","email":"alice@example.com","password":"wrong-password"}`}
	for range 10 {
		e.send(wrong)
	}
	if st, code := e.code(call{method: "POST", path: "/auth/signin", tenant: ten.Token, body: `{"method":"password","email":"alice@example.com","password":"` + password + `"}`}); st != http.StatusTooManyRequests {
		t.Fatalf("a locked account: %d %s", st, code)
	}

	o := e.otpOf(e.post(ten, "/auth/reset-password", `{"step":"challenge","email":" ALICE@example.com"}`))
	m := mail.WaitMails(1, mailWait)[0]
	if m.To[0] != "alice@example.com" || m.Subject != "Your password reset code" || !strings.Contains(m.Body, "acme") {
		t.Fatalf("mail %+v", m)
	}
	code := codeOf(t, mail, 1, "alice@example.com")
	confirm := func(pw string) (int, reply) {
		return e.post(ten, "/auth/reset-password", `{"step":"confirm","token":"`+o.ID+`","password":"`+pw+`"}`)
	}
	st, r := confirm(newPassword)
	wantError(t, "confirm before verifying", st, r, http.StatusConflict, "OTP_INVALID_STATE")
	st, r = e.post(ten, "/otp/verify", `{"id":"`+o.ID+`","scope":"email_verification","code":"`+code+`"}`)
	wantError(t, "verify under another scope", st, r, http.StatusNotFound, "OTP_NOT_FOUND")
	e.succeed(ten, "verify", "/otp/verify", `{"id":"`+o.ID+`","scope":"reset_password","code":"`+code+`"}`)
	st, r = confirm("short")
	if st != http.StatusBadRequest || r.Error.Code != "VALIDATION_ERROR" || r.Error.Validation["password"] == nil {
		t.Fatalf("a password the policy refuses: %d %+v", st, r.Error)
	}
	st, r = confirm(newPassword)
	if st != http.StatusCreated || string(r.Data) != `{"success":true}` {
		t.Fatalf("confirm: %d %s %+v", st, r.Data, r.Error)
	}
	for _, tk := range []tokens{first, second} {
		if st, code := e.code(call{method: "GET", path: "/auth/me", tenant: ten.Token, token: tk.AccessToken}); st != http.StatusUnauthorized || code != "INVALID_USER_TOKEN" {
			t.Fatalf("an access token from before the reset: %d %s", st, code)
		}
		if st, code := e.code(call{method: "POST", path: "/auth/refresh-token", tenant: ten.Token, body: `{"refreshToken":"` + tk.RefreshToken + `"}`}); st != http.StatusUnauthorized || code != "INVALID_REFRESH_TOKEN" {
			t.Fatalf("a refresh token from before the reset: %d %s", st, code)
		}
	}
	if _, _, err := e.app.Service().AuthenticatePersonalToken(context.Background(), pat); auth.ErrorCode(err) != auth.EUnauthorized {
		t.Fatalf("a personal access token from before the reset: %v, want unauthorized", err)
	}
	if st, code := e.code(call{method: "POST", path: "/auth/signin", tenant: ten.Token, body: `{"method":"password","email":"alice@example.com","password":"` + password + `"}`}); st != http.StatusUnauthorized || code != "INVALID_CREDENTIALS" {
		t.Fatalf("the old password: %d %s", st, code)
	}
	tk := e.tokens(call{method: "POST", path: "/auth/signin", tenant: ten.Token, body: `{"method":"password","email":"alice@example.com","password":"` + newPassword + `"}`}, http.StatusCreated)
	if u := e.meUser(ten, tk.AccessToken); !u.EmailVerified {
		t.Fatalf("after a reset by email: %+v", u)
	}
	st, r = confirm(newPassword + "-again")
	wantError(t, "confirm twice", st, r, http.StatusConflict, "OTP_INVALID_STATE")
}

// The challenge answers alike whoever the email names: a user who may
// reset, nobody, a user without a password, a suspended user. The OTP
// that answers for the others is never sent, yet verifies, resends and
// cancels exactly like the real one, so no answer reveals an account.
// (Both cost one code hash; docs/security.md has the rest.)
func TestResetPasswordEnumerationSafe(t *testing.T) {
	e, mail := startMail(t)
	ten := e.tenant("acme")
	e.signup(ten, "alice@example.com")
	carol := e.signup(ten, "carol@example.com")
	if st, r := e.send(call{method: "POST", path: "/auth/terminate", tenant: ten.Token, token: carol.AccessToken, body: `{"reason":"leaving","strategy":"soft"}`}); st != http.StatusCreated {
		t.Fatalf("suspend carol: %d %+v", st, r.Error)
	}
	ctx := context.Background()
	if _, err := e.app.Service().CreateUser(ctx, auth.NewUser{TenantID: ten.ID, Name: "otp@example.com", Email: "otp@example.com"}); err != nil {
		t.Fatal(err)
	}
	emails := []string{"alice@example.com", "nobody@example.com", "otp@example.com", "carol@example.com"}
	type answer struct {
		status  int
		headers string
		body    string
		id      string
	}
	challenge := func(email string) answer {
		resp, raw := e.do(call{method: "POST", path: "/auth/reset-password", tenant: ten.Token, body: `{"step":"challenge","email":"` + email + `"}`})
		var names []string
		for k := range resp.Header {
			if k != "Date" && k != "Content-Length" {
				names = append(names, k)
			}
		}
		sort.Strings(names)
		var r reply
		var o otpInfo
		if err := json.Unmarshal([]byte(raw), &r); err != nil || json.Unmarshal(r.Data, &o) != nil || o.ID == "" {
			t.Fatalf("challenge for %s: %d %s", email, resp.StatusCode, raw)
		}
		return answer{resp.StatusCode, strings.Join(names, ","), hexID.ReplaceAllString(raw, `"<id>"`), o.ID}
	}
	var got []answer
	for _, em := range emails {
		got = append(got, challenge(em))
	}
	for i, a := range got[1:] {
		if a.status != got[0].status || a.headers != got[0].headers || a.body != got[0].body {
			t.Errorf("the challenge for %s answered\n%d %s\n%s\nand for %s\n%d %s\n%s", emails[i+1], a.status, a.headers, a.body, emails[0], got[0].status, got[0].headers, got[0].body)
		}
	}
	// Only alice's code was sent.
	mails := mail.WaitMails(1, mailWait)
	for _, m := range mails {
		if m.To[0] != "alice@example.com" {
			t.Fatalf("a code went to %v", m.To)
		}
	}
	// The OTPs behave alike: a wrong code, a resend too soon, a resend,
	// a cancel.
	for i, a := range got {
		ref := `{"id":"` + a.id + `","scope":"reset_password"`
		st, r := e.post(ten, "/otp/verify", ref+`,"code":"999999"}`)
		wantError(t, emails[i]+": a wrong code", st, r, http.StatusBadRequest, "OTP_INVALID_CODE")
		if r.Error.Message != "invalid code: 4 attempts left" {
			t.Fatalf("%s: %q", emails[i], r.Error.Message)
		}
		st, r = e.post(ten, "/otp/resend", ref+`}`)
		wantError(t, emails[i]+": resend too soon", st, r, http.StatusTooManyRequests, "OTP_RESEND_TOO_SOON")
		st, r = e.post(ten, "/auth/reset-password", `{"step":"confirm","token":"`+a.id+`","password":"`+newPassword+`"}`)
		wantError(t, emails[i]+": confirm unverified", st, r, http.StatusConflict, "OTP_INVALID_STATE")
	}
	e.clock.Advance(e.app.Service().ResendInterval())
	for i, a := range got {
		e.succeed(ten, emails[i]+": resend", "/otp/resend", `{"id":"`+a.id+`","scope":"reset_password"}`)
		e.succeed(ten, emails[i]+": cancel", "/otp/cancel", `{"id":"`+a.id+`","scope":"reset_password"}`)
	}
	if n := len(mail.WaitMails(2, mailWait)); n != 2 {
		t.Fatalf("%d mails after the resends, want alice's 2", n)
	}
	for _, m := range mail.Mails() {
		if m.To[0] != "alice@example.com" {
			t.Fatalf("a code went to %v", m.To)
		}
	}
	// A malformed email is refused the same way for everyone.
	st, r := e.post(ten, "/auth/reset-password", `{"step":"challenge","email":"not-an-email"}`)
	if st != http.StatusBadRequest || r.Error.Validation["email"] == nil {
		t.Fatalf("a malformed email: %d %+v", st, r.Error)
	}
	st, r = e.post(ten, "/auth/reset-password", `{"step":"later"}`)
	if st != http.StatusBadRequest || r.Error.Validation["step"] == nil {
		t.Fatalf("an unknown step: %d %+v", st, r.Error)
	}
}
