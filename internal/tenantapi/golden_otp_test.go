package tenantapi_test

import (
	"net/http"
	"testing"
	"time"
)

// TestGoldenOTP pins the bodies and headers of the OTP module,
// reset-password and otp sign-in, success and every OTP_* error, to
// testdata/golden (and the JSON Schemas of testdata/schema).
func TestGoldenOTP(t *testing.T) {
	e, mail := startMail(t)
	ten := e.tenant("acme")
	e.signup(ten, "alice@example.com")
	post := func(path, body string) call {
		return call{method: "POST", path: path, tenant: ten.Token, body: body}
	}
	created := e.otpOf(e.post(ten, "/otp/create", `{"scope":"email_verification","method":"email","recipient":"alice@example.com"}`))
	code := codeOf(t, mail, 1, "alice@example.com")
	failing := e.otpOf(e.post(ten, "/otp/create", `{"scope":"email_verification","method":"email","recipient":"bob@example.com"}`))
	codeOf(t, mail, 2, "bob@example.com")
	pendingReset := e.otpOf(e.post(ten, "/auth/reset-password", `{"step":"challenge","email":"someone@example.com"}`))
	ref := func(o otpInfo, scope string) string { return `{"id":"` + o.ID + `","scope":"` + scope + `"}` }
	verify := func(o otpInfo, scope, code string) string {
		return `{"id":"` + o.ID + `","scope":"` + scope + `","code":"` + code + `"}`
	}
	cases := []goldenCase{
		{name: "otp-create", status: 201, schema: "otp",
			call: post("/otp/create", `{"scope":"email_verification","method":"email","recipient":"carol@example.com"}`)},
		{name: "otp-create-validation", status: 400, schema: "error",
			call: post("/otp/create", `{"scope":"reset_password","method":"fax","recipient":""}`)},
		{name: "otp-verify-not-found", status: 404, schema: "error",
			call: post("/otp/verify", verify(otpInfo{ID: "0123456789abcdef"}, "email_verification", "123456"))},
		{name: "otp-verify-invalid-code", status: 400, schema: "error",
			call: post("/otp/verify", verify(created, "email_verification", other(code)))},
		{name: "otp-verify-ok", status: 201, schema: "success",
			call: post("/otp/verify", verify(created, "email_verification", code))},
		{name: "otp-resend-invalid-state", status: 409, schema: "error",
			call: post("/otp/resend", ref(created, "email_verification"))},
		{name: "otp-resend-too-soon", status: 429, schema: "error",
			call: post("/otp/resend", ref(failing, "email_verification"))},
		{name: "otp-verify-max-attempts", status: 429, schema: "error",
			before: func() {
				for range 4 {
					e.post(ten, "/otp/verify", verify(failing, "email_verification", "999999"))
				}
			},
			call: post("/otp/verify", verify(failing, "email_verification", "999999"))},
		{name: "otp-cancel-ok", status: 201, schema: "success",
			call: post("/otp/cancel", ref(e.otpOf(e.post(ten, "/otp/create", `{"scope":"email_verification","method":"email","recipient":"dave@example.com"}`)), "email_verification"))},
		{name: "reset-password-challenge", status: 201, schema: "otp",
			call: post("/auth/reset-password", `{"step":"challenge","email":"alice@example.com"}`)},
		{name: "reset-password-challenge-unknown", status: 201, schema: "otp",
			call: post("/auth/reset-password", `{"step":"challenge","email":"nobody@example.com"}`)},
		{name: "reset-password-confirm-unverified", status: 409, schema: "error",
			call: post("/auth/reset-password", `{"step":"confirm","token":"`+pendingReset.ID+`","password":"a-new-password"}`)},
		{name: "signin-otp-challenge", status: 201, schema: "otp",
			call: post("/auth/signin", `{"method":"otp","step":"challenge","otpMethod":"email","recipient":"erin@example.com"}`)},
		{name: "signin-otp-confirm-unverified", status: 401, schema: "error",
			call: post("/auth/signin", `{"method":"otp","step":"confirm","token":"`+created.ID+`"}`)},
		{name: "otp-expired", status: 400, schema: "error",
			before: func() { e.clock.Advance(11 * time.Minute) },
			call:   post("/otp/cancel", ref(e.otpOf(e.post(ten, "/otp/create", `{"scope":"email_verification","method":"email","recipient":"fred@example.com"}`)), "email_verification"))},
	}
	runGolden(t, e, cases)
	if resp, _ := e.do(post("/otp/verify", `{}`)); resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("an empty verify: %d", resp.StatusCode)
	}
}
