package tenantapi_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/sessiond/sessiond/internal/config"
	"github.com/sessiond/sessiond/internal/courier"
)

// otpSignIn runs the three steps of an otp sign-in for recipient: the
// challenge, the verification of the code read by codeFor, and the
// confirmation, which it returns.
func (e *env) otpSignIn(ten tenant, channel, recipient string, codeFor func() string) (int, reply) {
	e.t.Helper()
	o := e.otpOf(e.post(ten, "/auth/signin", `{"method":"otp","step":"challenge","otpMethod":"`+channel+`","recipient":"`+recipient+`"}`))
	e.succeed(ten, "verify", "/otp/verify", `{"id":"`+o.ID+`","scope":"otp_signin","code":"`+codeFor()+`"}`)
	return e.post(ten, "/auth/signin", `{"method":"otp","step":"confirm","token":"`+o.ID+`"}`)
}

// tokensOf decodes a 201 answer carrying a token pair.
func (e *env) tokensOf(st int, r reply) tokens {
	e.t.Helper()
	if st != http.StatusCreated || r.Error != nil {
		e.t.Fatalf("sign-in: %d %+v", st, r.Error)
	}
	var tk tokens
	if err := json.Unmarshal(r.Data, &tk); err != nil {
		e.t.Fatal(err)
	}
	return tk
}

// OTP sign-in end to end through a real mail server: the first sign-in
// of an email makes its user (newUser, email verified), the next finds
// it, a password user signs in by code too, and a code signs in once.
// Before, method otp answered 403 RESTRICTED_CAPABILITY.
func TestOTPSignInThroughSMTP(t *testing.T) {
	e, mail := startMail(t)
	ten := e.tenant("acme")
	bob := e.signup(ten, "bob@example.com")
	mails := 0
	next := func(to string) func() string {
		return func() string {
			mails++
			return codeOf(t, mail, mails, to)
		}
	}

	first := e.tokensOf(e.otpSignIn(ten, "email", "New@Example.com", next("new@example.com")))
	if first.NewUser == nil || !*first.NewUser {
		t.Fatalf("first otp sign-in: %+v", first)
	}
	if m := mail.Mails()[0]; m.Subject != "Your sign-in code" {
		t.Fatalf("mail %+v", m)
	}
	if u := e.meUser(ten, first.AccessToken); u.Email != "new@example.com" || !u.EmailVerified || u.Method != "otp" {
		t.Fatalf("the new user: %+v", u)
	}
	again := e.tokensOf(e.otpSignIn(ten, "email", "new@example.com", next("new@example.com")))
	if again.NewUser == nil || *again.NewUser || again.UserID != first.UserID {
		t.Fatalf("second otp sign-in: %+v, first %+v", again, first)
	}
	byCode := e.tokensOf(e.otpSignIn(ten, "email", "bob@example.com", next("bob@example.com")))
	if byCode.UserID != bob.UserID || *byCode.NewUser {
		t.Fatalf("a password user by code: %+v, want user %s", byCode, bob.UserID)
	}
	if u := e.meUser(ten, byCode.AccessToken); !u.EmailVerified || u.Method != "password" {
		t.Fatalf("bob after a code: %+v", u)
	}

	// A code signs in once; an unverified one never.
	o := e.otpOf(e.post(ten, "/auth/signin", `{"method":"otp","step":"challenge","otpMethod":"email","recipient":"new@example.com"}`))
	code := next("new@example.com")()
	confirm := `{"method":"otp","step":"confirm","token":"` + o.ID + `"}`
	st, r := e.post(ten, "/auth/signin", confirm)
	wantError(t, "confirm before verifying", st, r, http.StatusUnauthorized, "INVALID_CREDENTIALS")
	e.succeed(ten, "verify", "/otp/verify", `{"id":"`+o.ID+`","scope":"otp_signin","code":"`+code+`"}`)
	e.tokensOf(e.post(ten, "/auth/signin", confirm))
	st, r = e.post(ten, "/auth/signin", confirm)
	wantError(t, "confirm twice", st, r, http.StatusUnauthorized, "INVALID_CREDENTIALS")
	st, r = e.post(ten, "/auth/signin", `{"method":"otp","step":"confirm","token":"0123456789abcdef"}`)
	wantError(t, "an unknown OTP", st, r, http.StatusUnauthorized, "INVALID_CREDENTIALS")

	// A suspended user's right code still does not sign in.
	carol := e.signup(ten, "carol@example.com")
	if st, r := e.send(call{method: "POST", path: "/auth/terminate", tenant: ten.Token, token: carol.AccessToken, body: `{"reason":"r","strategy":"soft"}`}); st != http.StatusCreated {
		t.Fatalf("suspend: %d %+v", st, r.Error)
	}
	st, r = e.otpSignIn(ten, "email", "carol@example.com", next("carol@example.com"))
	wantError(t, "a suspended user", st, r, http.StatusForbidden, "USER_SUSPENDED")

	for _, c := range []struct{ body, field string }{
		{`{"method":"otp","step":"challenge","recipient":"a@example.com"}`, "otpMethod"},
		{`{"method":"otp","step":"challenge","otpMethod":"email"}`, "recipient"},
		{`{"method":"otp","step":"challenge","otpMethod":"email","recipient":"a@example.com","password":"x"}`, "password"},
		{`{"method":"otp","step":"confirm"}`, "token"},
		{`{"method":"otp","step":"confirm","token":"not-an-id"}`, "token"},
		{`{"method":"otp","step":"later","token":"0123456789abcdef"}`, "step"},
		{`{"method":"otp"}`, "step"},
	} {
		st, r := e.post(ten, "/auth/signin", c.body)
		if st != http.StatusBadRequest || r.Error.Code != "VALIDATION_ERROR" || r.Error.Validation[c.field] == nil {
			t.Errorf("%s: %d %+v, want a problem with %s", c.body, st, r.Error, c.field)
		}
	}
	if n := len(mail.Mails()); n != mails {
		t.Fatalf("%d mails, want %d: a refused challenge sent a code", n, mails)
	}
}

// hook is an operator's webhook endpoint that checks the signature and
// keeps the codes, as an SMS provider's adapter would.
type hook struct {
	mu     sync.Mutex
	secret []byte
	got    []map[string]string
	bad    int
	ready  chan struct{}
}

func (h *hook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	h.mu.Lock()
	defer h.mu.Unlock()
	sig := r.Header.Get(courier.SignatureHeader)
	ts, v1, _ := strings.Cut(sig, ",v1=")
	mac := hmac.New(sha256.New, h.secret)
	mac.Write([]byte(strings.TrimPrefix(ts, "t=") + "."))
	mac.Write(body)
	if want := hex.EncodeToString(mac.Sum(nil)); !hmac.Equal([]byte(v1), []byte(want)) {
		h.bad++
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	var m map[string]string
	json.Unmarshal(body, &m)
	h.got = append(h.got, m)
	h.ready <- struct{}{}
}

// OTP sign-in by SMS, delivered through the signed webhook: the first
// sign-in of a phone makes its user, the next finds it.
func TestOTPSignInBySMSWebhook(t *testing.T) {
	h := &hook{secret: []byte("0123456789abcdef-webhook"), ready: make(chan struct{}, 16)}
	srv := httptest.NewServer(h)
	defer srv.Close()
	e := start(t, func(c *config.Config) { c.CourierWebhookURL, c.CourierWebhookSecret = srv.URL, string(h.secret) })
	ten := e.tenant("acme")
	code := func() string {
		<-h.ready
		h.mu.Lock()
		defer h.mu.Unlock()
		m := h.got[len(h.got)-1]
		if m["channel"] != "sms" || m["recipient"] != "+905551234567" || m["purpose"] != "otp_signin" || !strings.Contains(m["body"], m["code"]) {
			t.Fatalf("webhook received %v", m)
		}
		return m["code"]
	}
	first := e.tokensOf(e.otpSignIn(ten, "sms", "+905551234567", code))
	second := e.tokensOf(e.otpSignIn(ten, "sms", "+905551234567", code))
	if !*first.NewUser || *second.NewUser || first.UserID != second.UserID || h.bad != 0 {
		t.Fatalf("sms sign-ins: %+v then %+v (bad signatures %d)", first, second, h.bad)
	}
	if u := e.meUser(ten, first.AccessToken); u.Method != "otp" || u.Email != "" {
		t.Fatalf("the phone's user: %+v", u)
	}
	links, err := e.app.Service().UserLinks(context.Background(), ten.ID, first.UserID)
	if err != nil || len(links) != 1 || links[0].Provider != "phone" || links[0].Subject != "+905551234567" {
		t.Fatalf("links %+v %v", links, err)
	}
}
