package ui_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/sessiond/sessiond/internal/auth"
)

var operatorTokenRE = regexp.MustCompile(`<code id="operator-token">([^<]+)</code>`)

// tokenWorks reports whether tok is an operator token the API accepts.
func (e *env) tokenWorks(tok string) bool {
	e.t.Helper()
	req, _ := http.NewRequest("GET", e.srv.URL+"/api/v2/users", nil)
	req.Header.Set("Authorization", "Token "+tok)
	res, err := e.srv.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode == http.StatusOK
}

// TestSetupPage: a new server's /ui/ leads to the set-up page, which
// makes the admin and shows a working operator token once; mistakes are
// told on the page; once set up, the page is gone.
func TestSetupPage(t *testing.T) {
	e := newEnv(t)
	c := e.client()
	if p := c.get("/ui/"); p.location() != "/ui/setup" {
		t.Fatalf("/ui/ on a new server: %d to %q", p.status, p.location())
	}
	page := c.mustGet("/ui/setup")
	if !strings.Contains(page.body, "Set up sessiond") || !strings.Contains(page.body, "sessiond setup --username NAME --org ORG") {
		t.Fatalf("set-up page:\n%s", page.body)
	}
	good := url.Values{"username": {"root"}, "password": {goodPassword}, "password2": {goodPassword}, "org": {"acme"}}
	with := func(k, v string) url.Values {
		f := url.Values{}
		for kk, vv := range good {
			f[kk] = vv
		}
		f.Set(k, v)
		return f
	}
	for _, tc := range []struct {
		name   string
		form   url.Values
		status int
		msg    string
	}{
		{"passwords differ", with("password2", goodPassword+"x"), 400, "The two passwords differ."},
		{"no organization", with("org", " "), 400, "Fill in the user name, the password and the organization."},
		{"short password", with("password", "short"), 400, ""},
		{"no CSRF token", with("csrf", "forged"), 403, "This form has expired"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			form := tc.form
			if tc.name == "short password" {
				form = with("password", "short")
				form.Set("password2", "short")
			}
			p := c.post("/ui/setup", form)
			if p.status != tc.status || !strings.Contains(errorText(p.body), tc.msg) || errorText(p.body) == "" {
				t.Fatalf("status %d, error %q; want %d %q", p.status, errorText(p.body), tc.status, tc.msg)
			}
			if ok, _ := e.svc.SetupAllowed(t.Context()); !ok {
				t.Fatal("a refused form set the server up")
			}
		})
	}
	p := c.post("/ui/setup", good)
	m := operatorTokenRE.FindStringSubmatch(p.body)
	if p.status != http.StatusOK || m == nil || !strings.Contains(p.body, "shown only once") || !strings.Contains(p.body, "sessiond auth create --username root") {
		t.Fatalf("set up: %d\n%s", p.status, p.body)
	}
	if !e.tokenWorks(m[1]) {
		t.Fatal("the operator token shown does not work")
	}
	if p := c.get("/ui/setup"); p.location() != "/ui/signin" {
		t.Fatalf("set-up page after setup: %d to %q", p.status, p.location())
	}
	if p := c.post("/ui/setup", with("username", "intruder")); p.location() != "/ui/signin" {
		t.Fatalf("second set-up: %d to %q", p.status, p.location())
	}
	if _, err := e.svc.UserByName(t.Context(), auth.DefaultTenantID, "intruder"); err == nil {
		t.Fatal("a second set-up made a user")
	}
	c.signIn("root", goodPassword)
}

// TestBrowserSetup: in Chromium, a new server's root shows the set-up
// page, which takes the admin and shows the token.
func TestBrowserSetup(t *testing.T) {
	e := newEnv(t)
	b := newBrowser(t, e)
	b.open("/", "#org")
	if b.path() != "/ui/setup" {
		t.Fatalf("the root shows %s", b.path())
	}
	if n := b.unlabelled(); len(n) != 0 {
		t.Fatalf("unlabelled fields: %v", n)
	}
	b.do(
		chromedp.SendKeys(chromedp.CSS("#username"), "root"),
		chromedp.SendKeys(chromedp.CSS("#password"), goodPassword),
		chromedp.SendKeys(chromedp.CSS("#password2"), goodPassword),
		chromedp.SendKeys(chromedp.CSS("#org"), "acme"),
		chromedp.Click(chromedp.CSS("button.primary")),
		chromedp.WaitVisible(chromedp.CSS("#operator-token")),
	)
	b.shot("setup-done.png")
	if tok := b.text("#operator-token"); !e.tokenWorks(tok) {
		t.Fatalf("the token shown, %q, does not work", tok)
	}
}
