package ui_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"
	"github.com/sessiond/sessiond/internal/auth"
)

// local is the test server's address under the name localhost: WebAuthn
// takes a domain as the relying party, never an IP address, and
// localhost is a secure context over plain HTTP.
func (b *browser) local(path string) string {
	return strings.Replace(b.e.srv.URL, "127.0.0.1", "localhost", 1) + path
}

func (b *browser) go2(path, waitFor string) {
	b.t.Helper()
	b.do(chromedp.Navigate(b.local(path)), chromedp.WaitVisible(chromedp.CSS(waitFor)))
}

// waitLocal waits until the browser is at path on the localhost address.
func (b *browser) waitLocal(path string) {
	b.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		loc := run(b, chromedp.Location())
		if strings.TrimPrefix(loc, b.local("")) == path {
			return
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("browser stayed at %q, want %q", loc, path)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// virtualAuthenticator gives the browser a platform authenticator that
// holds discoverable credentials and verifies its user at once (the
// DevTools WebAuthn domain).
func (b *browser) virtualAuthenticator() webauthn.AuthenticatorID {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	if _, err := chromedp.Call(ctx, webauthn.Enable, webauthn.EnableParams{}); err != nil {
		b.t.Fatalf("WebAuthn.enable: %v", err)
	}
	res, err := chromedp.Call(ctx, webauthn.AddVirtualAuthenticator, webauthn.AddVirtualAuthenticatorParams{Options: &webauthn.VirtualAuthenticatorOptions{
		Protocol: webauthn.AuthenticatorProtocolCtap2, Ctap2version: webauthn.Ctap2versionCtap21, Transport: webauthn.AuthenticatorTransportInternal,
		HasResidentKey: true, HasUserVerification: true, IsUserVerified: true, AutomaticPresenceSimulation: true,
	}})
	if err != nil {
		b.t.Fatalf("WebAuthn.addVirtualAuthenticator: %v", err)
	}
	return res.AuthenticatorID
}

func (b *browser) credentials(id webauthn.AuthenticatorID) []*webauthn.Credential {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	res, err := chromedp.Call(ctx, webauthn.GetCredentials, webauthn.GetCredentialsParams{AuthenticatorID: id})
	if err != nil {
		b.t.Fatalf("WebAuthn.getCredentials: %v", err)
	}
	return res.Credentials
}

func (b *browser) signInAt(name, password string) {
	b.t.Helper()
	b.go2("/ui/signin", "#username")
	b.signIn(name, password)
}

// TestBrowserPasskey: Chromium's virtual authenticator registers a
// passkey on the account pages, the browser signs out, and signs in with
// the passkey alone.
func TestBrowserPasskey(t *testing.T) {
	e := newEnv(t)
	alice := e.user("alice", false)
	b := newBrowser(t, e)
	authID := b.virtualAuthenticator()

	b.signInAt("alice", goodPassword)
	b.waitLocal("/ui/sessions")
	b.go2("/ui/security", "#passkey-add")
	b.do(chromedp.SendKeys(chromedp.CSS("#passkey-name"), "Laptop"), chromedp.Click(chromedp.CSS("#passkey-add")))
	// The first factor comes with recovery codes.
	b.do(chromedp.WaitVisible(chromedp.CSS("#recovery-codes")))
	if n := b.count("#recovery-codes li"); n != auth.RecoveryCodeCount {
		t.Fatalf("%d recovery codes shown, want %d", n, auth.RecoveryCodeCount)
	}
	creds := b.credentials(authID)
	if len(creds) != 1 || !creds[0].IsResidentCredential {
		t.Fatalf("authenticator holds %d credentials, want one discoverable", len(creds))
	}
	if got := auth.PasskeyHandle(alice); strings.TrimSpace(string(creds[0].UserHandle)) == "" || got == "" {
		t.Fatal("the passkey has no user handle")
	}
	b.go2("/ui/security", ".passkey-name")
	if got := b.text(".passkey-name"); got != "Laptop" {
		t.Fatalf("passkey listed as %q, want Laptop", got)
	}
	b.shot("security.png")

	// Sign out, then in with the passkey alone.
	b.do(chromedp.Click(chromedp.CSS("form.signout button")))
	b.waitLocal("/ui/signin?m=signedout")
	b.do(chromedp.WaitVisible(chromedp.CSS("#passkey-signin")), chromedp.Click(chromedp.CSS("#passkey-signin")))
	b.waitLocal("/ui/sessions")
	if got := b.text(".who strong"); got != "alice" {
		t.Fatalf("signed in as %q, want alice", got)
	}
	live := e.sessions(alice)
	if len(live) != 1 || live[0].Origin != auth.OriginUI {
		t.Fatalf("alice has %d sessions after the passkey sign-in, want one of the pages", len(live))
	}
	// With a passkey, the password alone is no longer enough either.
	b.do(chromedp.Click(chromedp.CSS("form.signout button")))
	b.waitLocal("/ui/signin?m=signedout")
	b.signInAt("alice", goodPassword)
	b.do(chromedp.WaitVisible(chromedp.CSS("[data-options='/ui/signin/second/options']")), chromedp.Click(chromedp.CSS("[data-options='/ui/signin/second/options']")))
	b.waitLocal("/ui/sessions")
}

// TestBrowserTOTP: an authenticator app is enrolled in the browser with a
// code the test computes from the key the page shows; the next sign-in
// asks for a code after the password; ending every other session asks
// for the password again once the sign-in is older than the window.
func TestBrowserTOTP(t *testing.T) {
	e := newEnv(t)
	alice := e.user("alice", false)
	other := e.apiSignIn("alice", goodPassword)
	b := newBrowser(t, e)

	b.signInAt("alice", goodPassword)
	b.waitLocal("/ui/sessions")
	b.go2("/ui/security", "#totp-start")
	b.do(chromedp.Click(chromedp.CSS("#totp-start")), chromedp.WaitVisible(chromedp.CSS("#totp-secret")))
	secret := b.text("#totp-secret")
	if w := run(b, chromedp.Evaluate[int](`document.getElementById('totp-qr').naturalWidth`)); w < 100 {
		t.Fatalf("QR code is %d pixels wide", w)
	}
	b.shot("totp.png")
	b.do(chromedp.SendKeys(chromedp.CSS("#code"), "000000"), chromedp.Submit(chromedp.CSS("#code")))
	b.do(chromedp.WaitVisible(chromedp.CSS("#form-error")))
	code, _ := auth.TOTPCode(secret, e.clock.Now())
	b.do(chromedp.SendKeys(chromedp.CSS("#code"), code), chromedp.Submit(chromedp.CSS("#code")), chromedp.WaitVisible(chromedp.CSS("#recovery-codes")))
	if n := b.count("#recovery-codes li"); n != auth.RecoveryCodeCount {
		t.Fatalf("%d recovery codes, want %d", n, auth.RecoveryCodeCount)
	}
	if ok, _ := e.svc.HasSecondFactor(context.Background(), alice); !ok {
		t.Fatal("TOTP is not on after the enrolment")
	}

	// The next sign-in: password, then a code.
	b.do(chromedp.Click(chromedp.CSS("form.signout button")))
	b.waitLocal("/ui/signin?m=signedout")
	b.signInAt("alice", goodPassword)
	b.do(chromedp.WaitVisible(chromedp.CSS("#code")))
	e.clock.Advance(30 * time.Second)
	code, _ = auth.TOTPCode(secret, e.clock.Now())
	b.do(chromedp.SendKeys(chromedp.CSS("#code"), code), chromedp.Submit(chromedp.CSS("#code")))
	b.waitLocal("/ui/sessions")

	// Older than the window: "sign out everywhere else" asks again.
	e.clock.Advance(auth.DefaultReauthWindow + time.Minute)
	if e.apiMe(other) != 200 {
		t.Fatal("the API session ended early")
	}
	b.go2("/ui/sessions", "form.bulk button")
	b.do(chromedp.Click(chromedp.CSS("form.bulk button")))
	b.waitLocal("/ui/reauth?next=%2Fui%2Fsessions")
	if e.apiMe(other) != 200 {
		t.Fatal("other sessions ended without a fresh proof")
	}
	b.do(chromedp.SendKeys(chromedp.CSS("#password"), "wrong password"), chromedp.Submit(chromedp.CSS("#password")), chromedp.WaitVisible(chromedp.CSS("#form-error")))
	b.do(chromedp.SendKeys(chromedp.CSS("#password"), goodPassword), chromedp.Submit(chromedp.CSS("#password")))
	b.waitLocal("/ui/sessions")
	b.do(chromedp.Click(chromedp.CSS("form.bulk button")))
	b.waitLocal("/ui/sessions?m=others&n=1")
	if e.apiMe(other) != 401 {
		t.Fatal("the other session survived")
	}
}

// recoveryCodes reads the codes the recovery codes page shows.
func (b *browser) recoveryCodes() []string {
	b.t.Helper()
	b.do(chromedp.WaitVisible(chromedp.CSS("#recovery-codes")))
	return run(b, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll("#recovery-codes li code")).map(e => e.textContent.trim())`))
}

// TestBrowserPasskeyRenameAndNewRecoveryCodes: on the account pages a
// passkey is renamed, and a new set of recovery codes replaces the old
// one: an old code no longer signs in, a new one does, once. Making new
// codes needs a recent proof, as removing a factor does.
func TestBrowserPasskeyRenameAndNewRecoveryCodes(t *testing.T) {
	e := newEnv(t)
	alice := e.user("alice", false)
	b := newBrowser(t, e)
	b.virtualAuthenticator()
	ctx := context.Background()

	b.signInAt("alice", goodPassword)
	b.waitLocal("/ui/sessions")
	b.go2("/ui/security", "#passkey-add")
	b.do(chromedp.SendKeys(chromedp.CSS("#passkey-name"), "Laptop"), chromedp.Click(chromedp.CSS("#passkey-add")))
	first := b.recoveryCodes()
	if len(first) != auth.RecoveryCodeCount {
		t.Fatalf("%d recovery codes at the first factor, want %d", len(first), auth.RecoveryCodeCount)
	}

	// Rename.
	rename := `form[action$="/rename"] input[name="name"]`
	b.go2("/ui/security", rename)
	if !run(b, chromedp.Evaluate[bool](`(e => { e.value = ""; return true })(document.querySelector(`+jsString(rename)+`))`)) {
		t.Fatal("could not empty the name field")
	}
	b.do(chromedp.SendKeys(chromedp.CSS(rename), "Work laptop"), chromedp.Submit(chromedp.CSS(rename)))
	// The form posts and the answer redirects back to this same page.
	deadline := time.Now().Add(20 * time.Second)
	for b.text(".passkey-name") != "Work laptop" {
		if time.Now().After(deadline) {
			t.Fatalf("after the rename the page lists %q, want Work laptop", b.text(".passkey-name"))
		}
		time.Sleep(20 * time.Millisecond)
	}
	b.waitLocal("/ui/security")
	fs, err := e.svc.Factors(ctx, alice.TenantID, alice.ID)
	if err != nil || len(fs) != 1 || fs[0].Name != "Work laptop" {
		t.Fatalf("after the rename the core holds %d factors (%v), want one named Work laptop", len(fs), err)
	}
	if got := b.text("#codes-left"); got != "10" {
		t.Fatalf("%s recovery codes left, want 10", got)
	}

	// New codes, within the re-authentication window of this sign-in.
	b.do(chromedp.Click(chromedp.CSS(`form[action="/ui/security/recovery"] button`)))
	fresh := b.recoveryCodes()
	if len(fresh) != auth.RecoveryCodeCount {
		t.Fatalf("%d new recovery codes, want %d", len(fresh), auth.RecoveryCodeCount)
	}
	for _, c := range fresh {
		for _, o := range first {
			if c == o {
				t.Fatalf("new code %q was in the old set", c)
			}
		}
	}

	// The old code no longer signs in; a new one does, once.
	b.go2("/ui/sessions", "form.signout button")
	b.do(chromedp.Click(chromedp.CSS("form.signout button")))
	b.waitLocal("/ui/signin?m=signedout")
	b.signInAt("alice", goodPassword)
	b.do(chromedp.WaitVisible(chromedp.CSS("#code")))
	b.do(chromedp.SendKeys(chromedp.CSS("#code"), first[0]), chromedp.Submit(chromedp.CSS("#code")), chromedp.WaitVisible(chromedp.CSS("#form-error")))
	if v := run(b, chromedp.Evaluate[string](`document.getElementById("code").value`)); v != "" {
		t.Fatalf("the refused code %q is still in the field", v)
	}
	b.do(chromedp.SendKeys(chromedp.CSS("#code"), fresh[0]), chromedp.Submit(chromedp.CSS("#code")))
	b.waitLocal("/ui/sessions")
	b.go2("/ui/security", "#codes-left")
	if got := b.text("#codes-left"); got != "9" {
		t.Fatalf("%s recovery codes left after one was used, want 9", got)
	}

	// Older than the window, new codes ask for the password first.
	e.clock.Advance(auth.DefaultReauthWindow + time.Minute)
	b.go2("/ui/security", `form[action="/ui/security/recovery"] button`)
	b.do(chromedp.Click(chromedp.CSS(`form[action="/ui/security/recovery"] button`)))
	b.waitLocal("/ui/reauth?next=%2Fui%2Fsecurity")
	if n, err := e.svc.RecoveryCodesLeft(ctx, alice.TenantID, alice.ID); err != nil || n != 9 {
		t.Fatalf("codes left after a refused renewal: %d (%v), want the 9 unchanged", n, err)
	}
}
