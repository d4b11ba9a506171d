package tenantapi_test

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/sessiond/sessiond/internal/config"
	"github.com/sessiond/sessiond/internal/courier/couriertest"
)

// mailWait bounds how long a test waits for the courier's mail.
const mailWait = 10 * time.Second

// startMail starts sessiond with a real SMTP server on loopback as its
// courier (STARTTLS), as an operator would run it.
func startMail(t *testing.T, tune ...func(*config.Config)) (*env, *couriertest.Server) {
	t.Helper()
	mail := couriertest.Start(t, couriertest.Options{Mode: couriertest.StartTLS})
	withMail := func(c *config.Config) {
		c.SMTPURL, c.SMTPFrom, c.SMTPTLS = mail.URL(), "Acme <no-reply@acme.example>", mail.ClientTLS()
	}
	return start(t, append([]func(*config.Config){withMail}, tune...)...), mail
}

// otpInfo is the OTP object create and the challenge steps answer.
type otpInfo struct {
	ID             string `json:"id"`
	ExpireAt       string `json:"expireAt"`
	ResendInterval int    `json:"resendInterval"`
	LastSentAt     string `json:"lastSentAt"`
}

// post sends a JSON body to path in tenant t.
func (e *env) post(t tenant, path, body string) (int, reply) {
	e.t.Helper()
	return e.send(call{method: "POST", path: path, tenant: t.Token, body: body})
}

// otpOf decodes a 201 answer carrying an OTP.
func (e *env) otpOf(st int, r reply) otpInfo {
	e.t.Helper()
	if st != http.StatusCreated || r.Error != nil {
		e.t.Fatalf("want 201 with an OTP, got %d %+v", st, r.Error)
	}
	var o otpInfo
	if err := json.Unmarshal(r.Data, &o); err != nil || o.ID == "" {
		e.t.Fatalf("OTP answer %s: %v", r.Data, err)
	}
	return o
}

// wantError checks an error answer's status and code.
func wantError(t *testing.T, what string, st int, r reply, status int, code string) {
	t.Helper()
	if st != status || r.Error == nil || r.Error.Code != code {
		t.Fatalf("%s: got %d %+v, want %d %s", what, st, r.Error, status, code)
	}
}

// succeed posts body to path and wants 201 {"success":true}.
func (e *env) succeed(t tenant, what, path, body string) {
	e.t.Helper()
	st, r := e.post(t, path, body)
	if st != http.StatusCreated || r.Error != nil || string(r.Data) != `{"success":true}` {
		e.t.Fatalf("%s: got %d %s %+v, want 201 success", what, st, r.Data, r.Error)
	}
}

// codeOf waits for the n-th mail (counting from 1) and returns its code,
// checking it went to want.
func codeOf(t *testing.T, mail *couriertest.Server, n int, want string) string {
	t.Helper()
	m := mail.WaitMails(n, mailWait)[n-1]
	if len(m.To) != 1 || m.To[0] != want {
		t.Fatalf("mail %d went to %v, want %s", n, m.To, want)
	}
	return couriertest.Code(t, m)
}

// other returns a six-digit code that is not c.
func other(c string) string {
	if c == "000000" {
		return "000001"
	}
	return "000000"
}
