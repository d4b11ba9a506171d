package influxapi_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/sessiond/sessiond/internal/auth"
	"github.com/sessiond/sessiond/internal/config"
	"github.com/sessiond/sessiond/internal/courier/couriertest"
)

type userPage struct {
	Links map[string]string
	Users []struct {
		ID            string
		Name          string
		Email         string
		EmailVerified bool
		Method        string
		HasPassword   bool
		Identities    []string
		Status        string
	}
}

// A tenant's users, listed a page at a time and searched by name or
// email; a page's links.next leads to the next. Before, the management
// API could not list a tenant's users at all.
func TestListTenantUsers(t *testing.T) {
	e := start(t, "")
	e.seed()
	ctx := context.Background()
	svc := e.app.Service()
	ten := e.tenant("acme")
	for i := range 25 {
		email := fmt.Sprintf("user%02d@example.com", i)
		if i%5 == 0 {
			email = fmt.Sprintf("user%02d@example.org", i)
		}
		if _, err := svc.CreateUser(ctx, auth.NewUser{TenantID: ten.ID, Name: email, Email: email, Password: "a-good-password"}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := svc.CreateUser(ctx, auth.NewUser{TenantID: ten.ID, Name: "google 1234", Email: "carol@example.net", EmailVerified: true}); err != nil {
		t.Fatal(err)
	}
	page := func(path string) userPage {
		t.Helper()
		return getJSON[userPage](t, e, req{path: path, token: operToken})
	}
	base := "/api/v2/tenants/" + ten.ID + "/users"
	seen := map[string]bool{}
	next, pages := base+"?limit=10", 0
	for next != "" {
		p := page(next)
		pages++
		for _, u := range p.Users {
			if seen[u.ID] {
				t.Fatalf("user %s on two pages", u.ID)
			}
			seen[u.ID] = true
		}
		next = p.Links["next"]
		if next != "" && len(p.Users) != 10 {
			t.Fatalf("a page of %d before the last", len(p.Users))
		}
	}
	if len(seen) != 26 || pages != 3 {
		t.Fatalf("%d users on %d pages, want 26 on 3", len(seen), pages)
	}
	if p := page(base + "?search=example.org"); len(p.Users) != 5 || p.Links["next"] != "" {
		t.Fatalf("search by domain: %d users, next %q", len(p.Users), p.Links["next"])
	}
	p := page(base + "?search=" + url.QueryEscape("carol@example.net"))
	if len(p.Users) != 1 || p.Users[0].Name != "google 1234" || p.Users[0].Method != "google" || p.Users[0].HasPassword || !p.Users[0].EmailVerified {
		t.Fatalf("search by email: %+v", p.Users)
	}
	if p := page(base + "?search=nobody"); len(p.Users) != 0 || p.Users == nil {
		t.Fatalf("search for nobody: %+v", p)
	}
	if p := page(base + "?limit=2&search=example.org"); p.Links["next"] == "" || !strings.Contains(p.Links["next"], "search=example.org") {
		t.Fatalf("next keeps the search: %+v", p.Links)
	}
	for _, bad := range []string{"?limit=0", "?limit=101", "?limit=x", "?after=not-an-id", "?search=" + strings.Repeat("a", 257)} {
		resp, body := e.do(req{method: "GET", path: base + bad, token: operToken})
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, `"invalid"`) {
			t.Errorf("%s: %d %s", bad, resp.StatusCode, body)
		}
	}
	// Only an operator of the default tenant with read:orgs lists them.
	resp, _ := e.do(req{method: "GET", path: base, basic: []string{userName, userPass}})
	if resp.StatusCode != http.StatusUnauthorized && resp.StatusCode != http.StatusForbidden {
		t.Fatalf("bob lists a tenant's users: %d", resp.StatusCode)
	}
	for _, path := range []string{"/api/v2/tenants/" + auth.DefaultTenantID + "/users", "/api/v2/tenants/0000000000000999/users"} {
		if resp, body := e.do(req{method: "GET", path: path, token: operToken}); resp.StatusCode != http.StatusNotFound {
			t.Fatalf("%s: %d %s", path, resp.StatusCode, body)
		}
	}
}

// The operator sets a tenant user's password (the policy applies, and
// every session of the user ends), or has a reset code emailed to them.
func TestTenantUserPassword(t *testing.T) {
	mail := couriertest.Start(t, couriertest.Options{Mode: couriertest.StartTLS})
	e := start(t, "", func(c *config.Config) {
		c.SMTPURL, c.SMTPFrom, c.SMTPTLS = mail.URL(), "no-reply@example.com", mail.ClientTLS()
	})
	e.seed()
	ctx := context.Background()
	svc := e.app.Service()
	ten := e.tenant("acme")
	u, err := svc.CreateUser(ctx, auth.NewUser{TenantID: ten.ID, Name: "ann@example.com", Email: "ann@example.com", Password: "the-old-password"})
	if err != nil {
		t.Fatal(err)
	}
	in, err := svc.SignIn(ctx, auth.Attempt{TenantID: ten.ID, Login: "ann@example.com", LoginKind: auth.LoginEmail, Credential: auth.Password{Secret: "the-old-password"}, Origin: auth.OriginTenant})
	if err != nil {
		t.Fatal(err)
	}
	path := "/api/v2/tenants/" + ten.ID + "/users/" + u.ID + "/password"
	for _, c := range []struct {
		body   string
		status int
	}{
		{`{}`, http.StatusBadRequest},
		{`{"password":"short"}`, http.StatusBadRequest},
		{`{"password":"password"}`, http.StatusBadRequest}, // a common one
		{`{"password":"x","extra":1}`, http.StatusBadRequest},
	} {
		if resp, body := e.do(req{method: "PUT", path: path, token: operToken, body: c.body}); resp.StatusCode != c.status {
			t.Fatalf("%s: %d %s", c.body, resp.StatusCode, body)
		}
	}
	if resp, body := e.do(req{method: "PUT", path: path, token: operToken, body: `{"password":"set-by-the-operator"}`}); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("set: %d %s", resp.StatusCode, body)
	}
	if _, _, err := svc.AuthenticateSession(ctx, ten.ID, u.ID, in.Session.ID, auth.CheckOptions{}); err == nil {
		t.Fatal("the user's session survived the new password")
	}
	if _, err := svc.SignIn(ctx, auth.Attempt{TenantID: ten.ID, Login: "ann@example.com", LoginKind: auth.LoginEmail, Credential: auth.Password{Secret: "set-by-the-operator"}, Origin: auth.OriginTenant}); err != nil {
		t.Fatalf("sign in with the new password: %v", err)
	}
	if resp, _ := e.do(req{method: "PUT", path: "/api/v2/tenants/" + ten.ID + "/users/0000000000000999/password", token: operToken, body: `{"password":"set-by-the-operator"}`}); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("an unknown user: %d", resp.StatusCode)
	}

	resp, body := e.do(req{method: "POST", path: path + "/reset", token: operToken})
	if resp.StatusCode != http.StatusCreated || !strings.Contains(body, `"recipient": "ann@example.com"`) {
		t.Fatalf("reset: %d %s", resp.StatusCode, body)
	}
	m := mail.WaitMails(1, 10*time.Second)[0]
	if m.To[0] != "ann@example.com" || couriertest.Code(t, m) == "" {
		t.Fatalf("reset mail %+v", m)
	}
	noEmail, _ := svc.CreateUser(ctx, auth.NewUser{TenantID: ten.ID, Name: "guest device-1"})
	resp, body = e.do(req{method: "POST", path: "/api/v2/tenants/" + ten.ID + "/users/" + noEmail.ID + "/password/reset", token: operToken})
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "no email") {
		t.Fatalf("reset for a user without an email: %d %s", resp.StatusCode, body)
	}
	resp, body = e.do(req{method: "GET", path: "/api/v2/tenants/" + ten.ID + "/users/" + u.ID, token: operToken})
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `"hasPassword": true`) || !strings.Contains(body, `"method": "password"`) {
		t.Fatalf("get user: %d %s", resp.StatusCode, body)
	}
}

// Providers and templates are checked before they are kept.
func TestProvidersAndTemplates(t *testing.T) {
	e := start(t, "")
	e.seed()
	ten, _, err := e.app.Service().CreateTenant(context.Background(), auth.NewTenant{Name: "acme"})
	if err != nil {
		t.Fatal(err)
	}
	base := "/api/v2/tenants/" + ten.ID
	for _, c := range []struct {
		method, path, body string
		status             int
	}{
		{"PUT", "/providers/google", `{"clientIDs":["a b"]}`, http.StatusBadRequest},
		{"PUT", "/providers/google", `{"clientIDs":["app"],"issuer":"http://issuer.example"}`, http.StatusBadRequest},
		{"PUT", "/providers/google", `{"clientIDs":["app"],"keysURL":"ftp://keys"}`, http.StatusBadRequest},
		{"PUT", "/providers/myspace", `{"clientIDs":["app"]}`, http.StatusNotFound},
		{"PUT", "/providers/google", `{"clientIDs":["app"],"issuer":"https://issuer.example","keysURL":"https://issuer.example/keys"}`, http.StatusOK},
		{"PUT", "/providers/google", `{"clientIDs":[]}`, http.StatusOK},
		{"PUT", "/templates/reset_password/email", `{"subject":"Reset","body":"no code here"}`, http.StatusBadRequest},
		{"PUT", "/templates/reset_password/email", `{"subject":"Reset","body":"{{.Code"}`, http.StatusBadRequest},
		{"PUT", "/templates/reset_password/sms", `{"subject":"Reset","body":"{{.Code}}"}`, http.StatusBadRequest},
		{"PUT", "/templates/nothing/email", `{"subject":"Reset","body":"{{.Code}}"}`, http.StatusBadRequest},
		{"PUT", "/templates/reset_password/email", `{"subject":"{{.App}} reset","body":"Code: {{.Code}}"}`, http.StatusOK},
		{"DELETE", "/templates/reset_password/email", ``, http.StatusNoContent},
	} {
		resp, body := e.do(req{method: c.method, path: base + c.path, token: operToken, body: c.body})
		if resp.StatusCode != c.status {
			t.Errorf("%s %s %s: %d %s, want %d", c.method, c.path, c.body, resp.StatusCode, body, c.status)
		}
	}
	resp, body := e.do(req{method: "GET", path: base + "/templates", token: operToken})
	if resp.StatusCode != http.StatusOK || strings.Count(body, `"purpose"`) != 8 || strings.Contains(body, `"own": true`) {
		t.Fatalf("templates: %d %s", resp.StatusCode, body)
	}
}
