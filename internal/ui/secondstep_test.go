package ui_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/sessiond/sessiond/internal/auth"
)

// TestSecondStep: after the right password of a user with an
// authenticator app, the pages ask for a code instead of starting a
// session; wrong codes are refused and counted, a recovery code works
// once, and past the lockout even the right code gets 429.
func TestSecondStep(t *testing.T) {
	e := newEnv(t)
	alice := e.user("alice", false)
	ctx := context.Background()
	en, err := e.svc.BeginTOTP(ctx, alice.TenantID, alice.ID)
	if err != nil {
		t.Fatal(err)
	}
	code, _ := auth.TOTPCode(en.Secret, e.clock.Now())
	codes, err := e.svc.ConfirmTOTP(ctx, alice.TenantID, alice.ID, code)
	if err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(time.Minute)

	c := e.client()
	c.get("/ui/signin")
	p := c.post("/ui/signin", url.Values{"username": {"alice"}, "password": {goodPassword}})
	if p.status != http.StatusOK || !strings.Contains(p.body, `action="/ui/signin/second"`) || c.cookie("sessiond_ui") != "" {
		t.Fatalf("password alone: status %d, session cookie %q; want the second step and no session", p.status, c.cookie("sessiond_ui"))
	}
	if len(e.sessions(alice)) != 0 {
		t.Fatal("a session was started before the second factor")
	}
	p = c.post("/ui/signin/second", url.Values{"code": {"000000"}})
	if p.status != http.StatusUnauthorized || !strings.Contains(p.body, `id="form-error"`) {
		t.Fatalf("wrong code: status %d, want 401 with the error", p.status)
	}
	p = c.post("/ui/signin/second", url.Values{"code": {codes[0]}})
	if p.status != http.StatusSeeOther || p.location() != "/ui/sessions" || c.cookie("sessiond_ui") == "" {
		t.Fatalf("recovery code: %d to %q", p.status, p.location())
	}
	if c.cookie("sessiond_ui_2fa") != "" {
		t.Fatal("the ticket cookie outlived the sign-in")
	}

	// The same recovery code in another browser: refused; past the
	// lockout (ten attempts of the login) even the right code is refused.
	d := e.client()
	d.get("/ui/signin")
	d.post("/ui/signin", url.Values{"username": {"alice"}, "password": {goodPassword}})
	if p := d.post("/ui/signin/second", url.Values{"code": {codes[0]}}); p.status != http.StatusUnauthorized {
		t.Fatalf("used recovery code: %d, want 401", p.status)
	}
	for i := 0; i < 10; i++ {
		p = d.post("/ui/signin/second", url.Values{"code": {"111111"}})
		if p.status == http.StatusTooManyRequests {
			break
		}
	}
	code, _ = auth.TOTPCode(en.Secret, e.clock.Now())
	if p.status != http.StatusTooManyRequests {
		p = d.post("/ui/signin/second", url.Values{"code": {code}})
	}
	if p.status != http.StatusTooManyRequests || p.header.Get("Retry-After") == "" {
		t.Fatalf("past the lockout: %d (Retry-After %q), want 429 with Retry-After", p.status, p.header.Get("Retry-After"))
	}
	// An expired ticket starts over.
	e.clock.Advance(auth.TicketTTL + time.Hour)
	f := e.client()
	f.get("/ui/signin")
	f.setCookie("sessiond_ui_2fa", "eA.bm90LWEtdGlja2V0")
	if p := f.post("/ui/signin/second", url.Values{"code": {"123456"}}); p.status != http.StatusSeeOther || p.location() != "/ui/signin?m=ended" {
		t.Fatalf("bad ticket: %d to %q", p.status, p.location())
	}
}
