package server_test

import (
	"context"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sessiond/sessiond/internal/auth"
	"github.com/sessiond/sessiond/internal/config"
	"github.com/sessiond/sessiond/internal/courier/couriertest"
	"github.com/sessiond/sessiond/internal/oidc/oidctest"
	"github.com/sessiond/sessiond/internal/server"
	"github.com/sessiond/sessiond/internal/server/servertest"
)

const mailWait = 30 * time.Second // a bound, not a speed: the machine is shared

// mailConfig points cfg's courier at mail.
func mailConfig(cfg *config.Config, mail *couriertest.Server) {
	cfg.SMTPURL, cfg.SMTPFrom, cfg.SMTPTLS = mail.URL(), "sessiond <no-reply@example.com>", mail.ClientTLS()
}

// data is the data object of an envelope answer.
func data(t *testing.T, a answer) map[string]any {
	t.Helper()
	d, ok := a.json(t)["data"].(map[string]any)
	if !ok {
		t.Fatalf("no data in %d %s", a.status, a.body)
	}
	return d
}

// The points of issue 13's "Why", each as it now stands: every sign-in
// method and reset-password of the reference is served, /otp answers in
// the envelope, the management API lists a tenant's users and sets their
// password, and codes go out by email.
func TestIssue13Why(t *testing.T) {
	mail := couriertest.Start(t, couriertest.Options{Mode: couriertest.StartTLS})
	is := oidctest.New(t)
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	mailConfig(&cfg, mail)
	clk := servertest.NewClock(time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC))
	_, srv := servertest.Serve(t, cfg, clk.Now)
	base := srv.URL
	setup(t, base)
	x := createTenant(t, base, "acme")
	call := func(method, path, body string) answer {
		return do(t, request{method: method, url: base + path, body: body, headers: x.headers("")})
	}
	tenantAuth(t, base, "/auth/signup", x, "u@example.com")

	// "otp ... sign-in answer 403 RESTRICTED_CAPABILITY"
	a := call("POST", "/auth/signin", `{"method":"otp","step":"challenge","otpMethod":"email","recipient":"u@example.com"}`)
	want(t, "otp challenge", a, http.StatusCreated)
	otpID, _ := data(t, a)["id"].(string)
	// "Every peer server sends recovery codes by email."
	code := couriertest.Code(t, mail.WaitMails(1, mailWait)[0])
	want(t, "verify", call("POST", "/otp/verify", `{"id":"`+otpID+`","scope":"otp_signin","code":"`+code+`"}`), http.StatusCreated)
	want(t, "otp confirm", call("POST", "/auth/signin", `{"method":"otp","step":"confirm","token":"`+otpID+`"}`), http.StatusCreated)

	// "google, apple and facebook ... 403; mobile tenants that sign users
	// in with Google or Apple cannot use sessiond at all"
	for _, m := range []string{"google", "apple", "facebook"} {
		a := do(t, request{method: "PUT", url: base + "/api/v2/tenants/" + x.id + "/providers/" + m, headers: token(operToken),
			body: `{"clientIDs":["app"],"issuer":"` + is.URL() + `","keysURL":"` + is.KeysURL() + `"}`})
		want(t, "set up "+m, a, http.StatusOK)
		tok := is.Sign(t, is.Claims(m+"-sub", "app", m+"@example.com", clk.Now()))
		a = call("POST", "/auth/signin", `{"method":"`+m+`","token":"`+tok+`"}`)
		want(t, m+" sign-in", a, http.StatusCreated)
		if d := data(t, a); d["newUser"] != true || d["accessToken"] == "" {
			t.Fatalf("%s sign-in: %s", m, a.body)
		}
	}

	// "/auth/reset-password answer[s] 403 RESTRICTED_CAPABILITY"
	a = call("POST", "/auth/reset-password", `{"step":"challenge","email":"u@example.com"}`)
	want(t, "reset challenge", a, http.StatusCreated)
	mail.WaitMails(2, mailWait)

	// "/otp/* falls through to a plain-text 404 outside the envelope"
	a = call("POST", "/otp/create", `{"scope":"email_verification","method":"email","recipient":"u@example.com"}`)
	want(t, "otp create", a, http.StatusCreated)
	a = call("POST", "/otp/unknown", `{}`)
	if e, _ := a.json(t)["error"].(map[string]any); a.status != http.StatusNotFound || e["code"] != "NOT_FOUND" || a.json(t)["meta"] == nil {
		t.Fatalf("an unknown /otp route: %d %s", a.status, a.body)
	}

	// "the management API cannot set a tenant user's password, nor list a
	// tenant's users"
	a = do(t, request{method: "GET", url: base + "/api/v2/tenants/" + x.id + "/users?search=u%40example", headers: token(operToken)})
	want(t, "list users", a, http.StatusOK)
	users, _ := a.json(t)["users"].([]any)
	if len(users) != 1 {
		t.Fatalf("search: %s", a.body)
	}
	uid, _ := users[0].(map[string]any)["id"].(string)
	a = do(t, request{method: "PUT", url: base + "/api/v2/tenants/" + x.id + "/users/" + uid + "/password", body: `{"password":"set-by-the-operator"}`, headers: token(operToken)})
	want(t, "set password", a, http.StatusNoContent)
	a = call("POST", "/auth/signin", `{"method":"password","email":"u@example.com","password":"set-by-the-operator"}`)
	want(t, "sign in with the operator's password", a, http.StatusCreated)
}

var courierSent = regexp.MustCompile(`sessiond_courier_messages_total\{channel="email",outcome="sent"\} (\d+)`)

// The server stops with codes queued while the mail server is down; a
// new server on the same data directory delivers each once when the mail
// server is back, and the codes still verify.
func TestQueuedCodesSurviveARestart(t *testing.T) {
	mail := couriertest.Start(t, couriertest.Options{Mode: couriertest.ImplicitTLS})
	mail.Stop()
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	cfg.PasswordHashCost = &servertest.Cheap
	mailConfig(&cfg, mail)
	clk := servertest.NewClock(time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC))
	ctx := context.Background()

	first, err := server.Open(ctx, cfg, nil, clk.Now)
	if err != nil {
		t.Fatal(err)
	}
	ten, tenToken, err := first.Service().CreateTenant(ctx, auth.NewTenant{Name: "acme"})
	if err != nil {
		t.Fatal(err)
	}
	const n = 5
	ids := map[string]string{} // recipient -> OTP ID
	for i := range n {
		to := string(rune('a'+i)) + "@example.com"
		o, err := first.Service().CreateOTP(ctx, auth.OTPRequest{TenantID: ten.ID, Scope: auth.ScopeEmailVerification, Channel: auth.ChannelEmail, Recipient: to})
		if err != nil {
			t.Fatal(err)
		}
		ids[to] = o.ID
	}
	first.Close()

	mail.Restart()
	clk.Advance(time.Minute) // past the first retry's backoff
	second, srv := servertest.Serve(t, cfg, clk.Now)
	// Time passes while the test waits: on a loaded machine a first try
	// after the restart can time out, and its retry is due only when the
	// clock passes its backoff (10 s after a second failure).
	stop := make(chan struct{})
	go func() {
		for {
			select {
			case <-stop:
				return
			case <-time.After(500 * time.Millisecond):
				clk.Advance(5 * time.Second) // the codes live 10 minutes: mailWait is 30 s, 5 minutes here
			}
		}
	}()
	got := mail.WaitMails(n, mailWait)
	close(stop)
	seen := map[string]int{}
	for _, m := range got {
		seen[m.To[0]]++
	}
	for to, id := range ids {
		if seen[to] != 1 {
			t.Fatalf("%s received %d codes, want 1", to, seen[to])
		}
		var code string
		for _, m := range got {
			if m.To[0] == to {
				code = couriertest.Code(t, m)
			}
		}
		a := do(t, request{method: "POST", url: srv.URL + "/otp/verify", body: `{"id":"` + id + `","scope":"email_verification","code":"` + code + `"}`,
			headers: tenant{ten.ID, tenToken}.headers("")})
		want(t, "verify a code queued before the restart", a, http.StatusCreated)
	}
	// The mail server has a message before the courier records it as
	// sent (the answer to DATA confirms delivery, then the outcome is
	// written and counted), and a claimed message no longer counts as
	// queued while it is in flight: wait until all five are counted as
	// sent, then check each counts once and nothing waits.
	var a answer
	recorded := func() bool {
		a = do(t, request{method: "GET", url: srv.URL + "/metrics"})
		m := courierSent.FindStringSubmatch(a.body)
		if m == nil {
			return false
		}
		sent, _ := strconv.Atoi(m[1])
		return sent >= n && strings.Contains(a.body, "sessiond_courier_queue_depth 0")
	}
	deadline := time.Now().Add(mailWait)
	for !recorded() && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if m := courierSent.FindStringSubmatch(a.body); m == nil || m[1] != "5" || !strings.Contains(a.body, "sessiond_courier_queue_depth 0") {
		t.Fatalf("metrics after the restart: %v\n%s", m, grep(a.body, "sessiond_courier"))
	}
	_ = second
}

func grep(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
