package ui_test

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/sessiond/sessiond/internal/auth"
)

// chromiumPath is Debian's Chromium, which .ci/run installs.
const chromiumPath = "/usr/bin/chromium"

// screenshotDir holds what the browser tests saw. signin.png and
// sessions.png are committed; the rest are written on every run and
// ignored by git.
const screenshotDir = "testdata/screenshots"

// browser is one headless Chromium with a fresh profile, driven through
// the DevTools protocol.
type browser struct {
	t   *testing.T
	ctx context.Context
	e   *env
}

func newBrowser(t *testing.T, e *env) *browser {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Skipf("browser test skipped: %s is absent (install Debian's chromium package; .ci/run does)", chromiumPath)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.Flag("lang", "en-US"),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1024, 768),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() {
		cancel()
		cancelAlloc() // waits for Chromium to exit, before the profile is removed
	})
	// The first Run starts the browser; it must not have a timeout.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start Chromium: %v", err)
	}
	return &browser{t: t, ctx: ctx, e: e}
}

// do runs steps with a time limit.
func (b *browser) do(steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		b.t.Fatalf("browser: %v", err)
	}
}

// run runs a read (text, count, location, screenshot) with a time limit.
// A read that lands while the page is being replaced fails with "navigated
// or closed" and is tried again on the new page: reads are idempotent.
func run[T any](b *browser, a chromedp.Action[T]) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	for {
		v, err := chromedp.Run(ctx, a)
		if err == nil {
			return v
		}
		if !strings.Contains(err.Error(), "navigated or closed") || ctx.Err() != nil {
			b.t.Fatalf("browser: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (b *browser) open(path string, waitFor string) {
	b.t.Helper()
	b.do(chromedp.Navigate(b.e.srv.URL+path), chromedp.WaitVisible(chromedp.CSS(waitFor)))
}

func (b *browser) text(sel string) string {
	b.t.Helper()
	return strings.TrimSpace(run(b, chromedp.Text(chromedp.CSS(sel))))
}

func (b *browser) count(sel string) int {
	b.t.Helper()
	return run(b, chromedp.Evaluate[int](`document.querySelectorAll(`+jsString(sel)+`).length`))
}

func (b *browser) path() string {
	b.t.Helper()
	loc := run(b, chromedp.Location())
	return strings.TrimPrefix(loc, b.e.srv.URL)
}

// waitPath waits until the browser has gone to path (a navigation that
// keeps the elements a test would wait for, such as a search).
func (b *browser) waitPath(path string) {
	b.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for b.path() != path {
		if time.Now().After(deadline) {
			b.t.Fatalf("browser stayed at %q, want %q", b.path(), path)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// shot saves a full-page PNG of what the browser shows.
func (b *browser) shot(name string) {
	b.t.Helper()
	png := run(b, chromedp.FullScreenshot(100))
	if err := os.MkdirAll(screenshotDir, 0o755); err != nil {
		b.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(screenshotDir, name), png, 0o644); err != nil {
		b.t.Fatal(err)
	}
}

// phone makes the viewport a phone's (412 CSS pixels wide, touch).
func (b *browser) phone() {
	b.t.Helper()
	b.do(chromedp.EmulateViewport(412, 800, chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulatePortrait))
}

func (b *browser) desktop() {
	b.t.Helper()
	b.do(chromedp.EmulateViewport(900, 700))
}

// fitsWidth reports whether the page needs no sideways scrolling.
func (b *browser) fitsWidth() bool {
	b.t.Helper()
	return run(b, chromedp.Evaluate[bool](`document.documentElement.scrollWidth <= window.innerWidth`))
}

// focused names the element with keyboard focus by its id, or its tag and
// text.
func (b *browser) focused() string {
	b.t.Helper()
	return run(b, chromedp.Evaluate[string](`(e => e.id || (e.tagName.toLowerCase() + ":" + e.textContent.trim()))(document.activeElement)`))
}

// unlabelled lists the form controls a screen reader could not name.
func (b *browser) unlabelled() []string {
	b.t.Helper()
	return run(b, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll("input:not([type=hidden]), button")).
		filter(e => e.tagName === "BUTTON" ? e.textContent.trim() === "" : e.labels.length === 0).
		map(e => e.outerHTML)`))
}

func jsString(s string) string {
	return "'" + strings.ReplaceAll(strings.ReplaceAll(s, `\`, `\\`), `'`, `\'`) + "'"
}

// signIn fills and sends the sign-in form.
func (b *browser) signIn(name, password string) {
	b.t.Helper()
	b.do(
		chromedp.SendKeys(chromedp.CSS("#username"), name),
		chromedp.SendKeys(chromedp.CSS("#password"), password),
		chromedp.Click(chromedp.CSS("button.primary")),
	)
}

// TestBrowserSessions walks the whole self-service path in Chromium: sign
// in, see the API client's session beside this one, sign it out and see its
// token refused, change the password, sign out.
func TestBrowserSessions(t *testing.T) {
	e := newEnv(t)
	alice := e.user("alice", false)
	key := e.apiSignIn("alice", goodPassword)
	b := newBrowser(t, e)

	b.phone()
	b.open("/ui/signin", "#username")
	if got := run(b, chromedp.Evaluate[string](`document.documentElement.lang`)); got != "en" {
		t.Errorf("lang = %q, want en", got)
	}
	if u := b.unlabelled(); len(u) > 0 {
		t.Errorf("controls without a label: %v", u)
	}
	b.shot("signin.png")
	// Focus starts in the username field and Tab walks the form in order.
	var order []string
	order = append(order, b.focused())
	for range 3 {
		b.do(chromedp.KeyEvent(kb.Tab))
		order = append(order, b.focused())
	}
	if got, want := strings.Join(order, " > "), "username > password > tenant > button:Sign in"; got != want {
		t.Errorf("focus order %q, want %q", got, want)
	}
	if !b.fitsWidth() {
		t.Error("the sign-in page scrolls sideways on a phone")
	}

	b.signIn("alice", goodPassword)
	b.do(chromedp.WaitVisible(chromedp.CSS("ul.sessions")))
	if n := b.count("li.session"); n != 2 {
		t.Fatalf("sessions listed: %d, want 2", n)
	}
	current := b.text("li.session.current")
	if !strings.Contains(current, "This device") || !strings.Contains(current, "Headless Chrome") || !strings.Contains(current, "Account pages") {
		t.Errorf("current session reads %q", current)
	}
	other := b.text("li.session:not(.current)")
	for _, want := range []string{"influxdb-client-go 2.14.0", "InfluxDB API", "127.0.0.1", "2 Nov 2026, 09:30 UTC", "just now"} {
		if !strings.Contains(other, want) {
			t.Errorf("API session reads %q, lacks %q", other, want)
		}
	}
	if !b.fitsWidth() {
		t.Error("the sessions page scrolls sideways on a phone")
	}
	b.shot("sessions-phone.png")
	b.desktop()
	b.shot("sessions.png")

	b.do(
		chromedp.Click(chromedp.CSS("li.session:not(.current) button")),
		chromedp.WaitVisible(chromedp.CSS("p.flash")),
	)
	if got := b.text("p.flash"); got != "That session has been signed out." {
		t.Errorf("flash %q", got)
	}
	if n := b.count("li.session"); n != 1 {
		t.Errorf("sessions listed after sign-out: %d, want 1", n)
	}
	if got := e.apiMe(key); got != http.StatusUnauthorized {
		t.Errorf("API token after its session was signed out: %d, want 401", got)
	}

	b.do(
		chromedp.Click(chromedp.CSS(`nav a[href="/ui/password"]`)),
		chromedp.WaitVisible(chromedp.CSS("#current")),
	)
	if u := b.unlabelled(); len(u) > 0 {
		t.Errorf("controls without a label: %v", u)
	}
	b.do(
		chromedp.SendKeys(chromedp.CSS("#current"), goodPassword),
		chromedp.SendKeys(chromedp.CSS("#new"), newPassword),
		chromedp.SendKeys(chromedp.CSS("#confirm"), newPassword),
		chromedp.Click(chromedp.CSS("button.primary")),
		chromedp.WaitVisible(chromedp.CSS("p.flash")),
	)
	if got := b.text("p.flash"); !strings.HasPrefix(got, "Your password has been changed") {
		t.Errorf("flash after the password change %q", got)
	}
	b.shot("password-changed.png")

	b.do(
		chromedp.Click(chromedp.CSS("form.signout button")),
		chromedp.WaitVisible(chromedp.CSS("#username")),
	)
	if got := b.text("p.flash"); got != "You have signed out." {
		t.Errorf("flash after sign-out %q", got)
	}
	if n := len(e.sessions(alice)); n != 0 {
		t.Errorf("sessions after sign-out: %d, want 0", n)
	}
	b.open("/ui/sessions", "#username")
	if p := b.path(); p != "/ui/signin" {
		t.Errorf("sessions page after sign-out went to %q, want /ui/signin", p)
	}
	e.apiSignIn("alice", newPassword)
}

// TestBrowserFailedSignIn: a wrong password shows the generic message,
// keeps the username and puts the focus back in the password field.
func TestBrowserFailedSignIn(t *testing.T) {
	e := newEnv(t)
	alice := e.user("alice", false)
	b := newBrowser(t, e)
	b.phone()
	b.open("/ui/signin", "#username")
	b.signIn("alice", "not the password")
	b.do(chromedp.WaitVisible(chromedp.CSS("p.error")))
	if got := b.text("p.error"); got != genericFailure {
		t.Errorf("message %q, want %q", got, genericFailure)
	}
	if got := run(b, chromedp.Evaluate[string](`document.querySelector("#username").value`)); got != "alice" {
		t.Errorf("username field %q, want alice", got)
	}
	if got := b.focused(); got != "password" {
		t.Errorf("focus on %q, want password", got)
	}
	if n := len(e.sessions(alice)); n != 0 {
		t.Errorf("sessions: %d, want 0", n)
	}
	b.shot("signin-failed.png")
}

// TestBrowserAdminEndsSessions: an admin finds a user, sees their sessions
// and ends them all; the user's API tokens are refused at once.
func TestBrowserAdminEndsSessions(t *testing.T) {
	e := newEnv(t)
	e.user("root", true)
	// A fixed ID keeps the screenshots the same from run to run.
	bob, err := e.svc.CreateUser(context.Background(), auth.NewUser{TenantID: auth.DefaultTenantID, Name: "bob", Password: goodPassword, ID: "b0b0b0b0b0b0b0b0"})
	if err != nil {
		t.Fatal(err)
	}
	k1 := e.apiSignIn("bob", goodPassword)
	k2 := e.apiSignIn("bob", goodPassword)
	b := newBrowser(t, e)
	b.desktop()
	b.open("/ui/signin", "#username")
	b.signIn("root", goodPassword)
	b.do(
		chromedp.WaitVisible(chromedp.CSS("ul.sessions")),
		chromedp.Click(chromedp.CSS(`nav a[href="/ui/admin/users"]`)),
		chromedp.WaitVisible(chromedp.CSS("#q")),
		chromedp.SendKeys(chromedp.CSS("#q"), "bob"),
		chromedp.Click(chromedp.CSS(".search button")),
	)
	b.waitPath("/ui/admin/users?q=bob")
	b.do(chromedp.WaitVisible(chromedp.CSS(`a[href="/ui/admin/users/` + bob.ID + `"]`)))
	if n := b.count("ul.users li"); n != 1 {
		t.Errorf("users found for bob: %d, want 1", n)
	}
	b.do(
		chromedp.Click(chromedp.CSS(`a[href="/ui/admin/users/`+bob.ID+`"]`)),
		chromedp.WaitVisible(chromedp.CSS(`form[action="/ui/admin/users/`+bob.ID+`/sessions/signout"]`)),
	)
	if got := b.text("h1"); got != "bob" {
		t.Errorf("heading %q, want bob", got)
	}
	if n := b.count("li.session"); n != 2 {
		t.Fatalf("bob's sessions listed: %d, want 2", n)
	}
	b.shot("admin-user.png")
	b.do(
		chromedp.Click(chromedp.CSS(`form[action="/ui/admin/users/`+bob.ID+`/sessions/signout"] button`)),
		chromedp.WaitVisible(chromedp.CSS("p.flash")),
	)
	if got := b.text("p.flash"); got != "Ended 2 sessions of this user." {
		t.Errorf("flash %q", got)
	}
	if n := b.count("li.session"); n != 0 {
		t.Errorf("bob's sessions listed after ending them: %d, want 0", n)
	}
	for i, k := range []string{k1, k2} {
		if got := e.apiMe(k); got != http.StatusUnauthorized {
			t.Errorf("bob's API session %d: %d, want 401", i+1, got)
		}
	}
	b.shot("admin-user-ended.png")
}
