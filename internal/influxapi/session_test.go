package influxapi_test

import (
	"context"
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sessiond/sessiond/internal/auth"
	"github.com/sessiond/sessiond/internal/config"
	"github.com/sessiond/sessiond/internal/openapitest"
	"github.com/sessiond/sessiond/internal/server/servertest"
)

func TestSigninCookieAttributes(t *testing.T) {
	e := start(t, "")
	e.seed()
	seen := map[string]bool{}
	for range 3 {
		resp, _ := e.do(req{method: "POST", path: "/api/v2/signin", basic: []string{userName, userPass}})
		raw := resp.Header.Get("Set-Cookie")
		m := regexp.MustCompile(`^influxdb-oss-session=([A-Za-z0-9_\-]{86}==); Path=/api/; Expires=([^;]+); HttpOnly; SameSite=Strict$`).FindStringSubmatch(raw)
		if m == nil {
			t.Fatalf("Set-Cookie %q is not InfluxDB's", raw)
		}
		if seen[m[1]] {
			t.Fatal("the same session key was issued twice")
		}
		seen[m[1]] = true
		exp, err := time.Parse(http.TimeFormat, m[2])
		if err != nil {
			t.Fatal(err)
		}
		if want := e.clock.Now().Add(10 * time.Minute); exp.Sub(want).Abs() > time.Second {
			t.Fatalf("Expires %v, want signin time + 10m = %v", exp, want)
		}
		if strings.Contains(raw, "Max-Age") {
			t.Fatal("Max-Age set")
		}
	}
}

func TestSecureCookieOverTLS(t *testing.T) {
	e := start(t, "")
	e.seed()
	srv := httptest.NewTLSServer(openapitest.Wrap(t, e.app.Handler()))
	defer srv.Close()
	r, _ := http.NewRequest("POST", srv.URL+"/api/v2/signin", nil)
	r.SetBasicAuth(userName, userPass)
	c := srv.Client()
	c.Transport.(*http.Transport).TLSClientConfig = &tls.Config{InsecureSkipVerify: true}
	resp, err := c.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if raw := resp.Header.Get("Set-Cookie"); !strings.Contains(raw, "; Secure") {
		t.Fatalf("no Secure over TLS: %q", raw)
	}
}

func TestExpiryAndRenewal(t *testing.T) {
	cases := []struct {
		name     string
		renewOff bool
		steps    []struct {
			at   time.Duration // since sign-in
			want int
		}
	}{
		{"expires after the session length without use", false, []struct {
			at   time.Duration
			want int
		}{{10 * time.Minute, 401}}},
		{"use within the last five minutes slides the expiry", false, []struct {
			at   time.Duration
			want int
		}{{7 * time.Minute, 200}, {11 * time.Minute, 200}, {15 * time.Minute, 200}, {19*time.Minute + 59*time.Second, 200}, {25 * time.Minute, 401}}},
		{"renewal never shortens", false, []struct {
			at   time.Duration
			want int
		}{{1 * time.Minute, 200}, {9 * time.Minute, 200}}},
		{"renewal disabled", true, []struct {
			at   time.Duration
			want int
		}{{7 * time.Minute, 200}, {9*time.Minute + 59*time.Second, 200}, {10 * time.Minute, 401}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := start(t, "", func(cfg *config.Config) { cfg.SessionRenewDisabled = c.renewOff })
			e.seed()
			key := e.signin(userName, userPass)
			t0 := e.clock.Now()
			for _, s := range c.steps {
				e.clock.Advance(t0.Add(s.at).Sub(e.clock.Now()))
				if got := e.status(req{method: "GET", path: "/api/v2/me", cookie: key}); got != s.want {
					t.Fatalf("at +%v: got %d, want %d", s.at, got, s.want)
				}
			}
		})
	}
}

func TestExpiredSessionIsGoneFromMemory(t *testing.T) {
	e := start(t, "")
	e.seed()
	key := e.signin(userName, userPass)
	ctx := context.Background()
	if n, _ := e.app.Service().CountSessions(ctx); n != 1 {
		t.Fatalf("%d sessions, want 1", n)
	}
	e.clock.Advance(11 * time.Minute)
	if got := e.status(req{method: "GET", path: "/api/v2/me", cookie: key}); got != 401 {
		t.Fatalf("expired session answered %d", got)
	}
	if n, _ := e.app.Service().CountSessions(ctx); n != 0 {
		t.Fatalf("the expired session is still held: %d", n)
	}
}

func TestRestart(t *testing.T) {
	for _, c := range []struct {
		store    string
		survives bool
	}{{"memory", false}, {"sqlite", true}} {
		t.Run(c.store, func(t *testing.T) {
			dir := t.TempDir()
			tune := func(cfg *config.Config) { cfg.SessionStore = c.store }
			a := start(t, dir, tune)
			a.seed()
			key := a.signin(userName, userPass)
			a.srv.Close()
			a.app.Close()

			b := start(t, dir, tune)
			want := 401
			if c.survives {
				want = 200
			}
			if got := b.status(req{method: "GET", path: "/api/v2/me", cookie: key}); got != want {
				t.Fatalf("after restart: %d, want %d", got, want)
			}
			if got := b.status(req{method: "GET", path: "/api/v2/me", token: operToken}); got != 200 {
				t.Fatalf("operator token lost across restart: %d", got)
			}
			if _, err := b.app.Service().UserByName(context.Background(), "0000000000000001", userName); err != nil {
				t.Fatalf("user lost across restart: %v", err)
			}
		})
	}
}

func TestConcurrentSigninSignout(t *testing.T) {
	e := start(t, "")
	e.seed()
	var wg sync.WaitGroup
	errs := make(chan string, 64)
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 5 {
				key := e.signin(userName, userPass)
				if s := e.status(req{method: "GET", path: "/api/v2/me", cookie: key}); s != 200 {
					errs <- "me: " + http.StatusText(s)
				}
				if w%2 == 0 && i%2 == 0 {
					continue // leave some signed in
				}
				if s := e.status(req{method: "POST", path: "/api/v2/signout", cookie: key}); s != 204 {
					errs <- "signout: " + http.StatusText(s)
				}
				if s := e.status(req{method: "GET", path: "/api/v2/me", cookie: key}); s != 401 {
					errs <- "me after signout: " + http.StatusText(s)
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n, _ := e.app.Service().CountSessions(context.Background()); n != 12 {
		t.Fatalf("%d sessions left, want 12", n)
	}
}

func TestSessionManagementAcrossUsers(t *testing.T) {
	e := start(t, "")
	e.seed()
	bob1 := e.signin(userName, userPass)
	bob2 := e.signin(userName, userPass)
	admin := e.signin(adminName, adminPass)
	_, body := e.do(req{method: "GET", path: "/api/v2/sessions", cookie: bob1})
	if n := strings.Count(body, `"userID": "`+userID+`"`); n != 2 || strings.Contains(body, adminID) {
		t.Fatalf("bob's list: %s", body)
	}
	if strings.Count(body, `"current": true`) != 1 {
		t.Fatalf("current session not marked once: %s", body)
	}
	if strings.Contains(body, bob1) || strings.Contains(body, bob2) {
		t.Fatal("a session list shows a token")
	}
	_, all := e.do(req{method: "GET", path: "/api/v2/sessions", cookie: admin})
	if strings.Count(all, `"id": `) != 3 {
		t.Fatalf("admin sees %s", all)
	}
	// bob cannot end the admin's session: it looks absent.
	adminSession := regexp.MustCompile(`"id": "([0-9a-f]{16})",\s+"userID": "` + adminID).FindStringSubmatch(all)[1]
	if s := e.status(req{method: "DELETE", path: "/api/v2/sessions/" + adminSession, cookie: bob1}); s != 404 {
		t.Fatalf("bob revoking admin's session: %d", s)
	}
	// The admin ends all of bob's sessions at once.
	if s := e.status(req{method: "DELETE", path: "/api/v2/users/" + userID + "/sessions", token: operToken}); s != 204 {
		t.Fatalf("revoke user sessions: %d", s)
	}
	for _, k := range []string{bob1, bob2} {
		if s := e.status(req{method: "GET", path: "/api/v2/me", cookie: k}); s != 401 {
			t.Fatalf("revoked session still works: %d", s)
		}
	}
	if s := e.status(req{method: "GET", path: "/api/v2/me", cookie: admin}); s != 200 {
		t.Fatalf("admin's own session ended: %d", s)
	}
}

func TestPasswordChangeEndsOtherSessions(t *testing.T) {
	e := start(t, "")
	e.seed()
	current := e.signin(userName, userPass)
	other := e.signin(userName, userPass)
	r := req{method: "PUT", path: "/api/v2/me/password", cookie: current, basic: []string{"ignored", userPass}, body: `{"password":"brand-new-password"}`}
	if s := e.status(r); s != 204 {
		t.Fatalf("password change: %d", s)
	}
	if s := e.status(req{method: "GET", path: "/api/v2/me", cookie: current}); s != 200 {
		t.Fatalf("current session ended: %d", s)
	}
	if s := e.status(req{method: "GET", path: "/api/v2/me", cookie: other}); s != 401 {
		t.Fatalf("other session survived a password change: %d", s)
	}
}

func TestDeletedUserSessionIsForbidden(t *testing.T) {
	e := start(t, "", func(cfg *config.Config) {})
	e.seed()
	key := e.signin(userName, userPass)
	if s := e.status(req{method: "PATCH", path: "/api/v2/users/" + userID, token: operToken, body: `{"status":"inactive"}`}); s != 200 {
		t.Fatalf("disable: %d", s)
	}
	// Disabling ends every session of the user at once.
	if s := e.status(req{method: "GET", path: "/api/v2/me", cookie: key}); s != 401 {
		t.Fatalf("disabled user's session: %d", s)
	}
	if s := e.status(req{method: "POST", path: "/api/v2/signin", basic: []string{userName, userPass}}); s != 403 {
		t.Fatalf("disabled user's sign-in: %d, want 403", s)
	}
}

func TestOtherTenantsCredentialsRefused(t *testing.T) {
	e := start(t, "")
	e.seed()
	ctx := context.Background()
	svc := e.app.Service()
	tn := e.tenant("elsewhere")
	u, err := svc.CreateUser(ctx, auth.NewUser{TenantID: tn.ID, Name: userName, Password: "elsewhere-password", Admin: true})
	if err != nil {
		t.Fatal(err)
	}
	_, key := servertest.SignIn(t, e.app, tn.ID, userName, "elsewhere-password", auth.OriginTenant, auth.Client{})
	_, tok, err := svc.CreateToken(ctx, auth.NewAPIToken{TenantID: tn.ID, UserID: u.ID, Permissions: operatorPermissionsForTest()})
	if err != nil {
		t.Fatal(err)
	}
	if s := e.status(req{method: "GET", path: "/api/v2/me", cookie: key}); s != 401 {
		t.Fatalf("another tenant's session: %d", s)
	}
	if s := e.status(req{method: "GET", path: "/api/v2/users", token: tok}); s != 401 {
		t.Fatalf("another tenant's API token: %d", s)
	}
	if s := e.status(req{method: "POST", path: "/api/v2/signin", basic: []string{userName, "elsewhere-password"}}); s != 401 {
		t.Fatalf("another tenant's user signed in here: %d", s)
	}
}
