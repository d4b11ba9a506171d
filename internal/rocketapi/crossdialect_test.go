package rocketapi_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/sessiond/sessiond/internal/config"
)

// influxSignIn signs in through the InfluxDB dialect and returns the
// session cookie's value.
func (e *env) influxSignIn(user, pw string) string {
	e.t.Helper()
	hr, _ := http.NewRequest("POST", e.srv.URL+"/api/v2/signin", nil)
	hr.SetBasicAuth(user, pw)
	resp, err := e.srv.Client().Do(hr)
	if err != nil {
		e.t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		e.t.Fatalf("influx signin: %d", resp.StatusCode)
	}
	for _, c := range resp.Cookies() {
		if c.Name == "influxdb-oss-session" {
			return c.Value
		}
	}
	e.t.Fatal("no session cookie")
	return ""
}

func (e *env) influxMe(cookie string) int {
	e.t.Helper()
	hr, _ := http.NewRequest("GET", e.srv.URL+"/api/v2/me", nil)
	hr.AddCookie(&http.Cookie{Name: "influxdb-oss-session", Value: cookie})
	resp, err := e.srv.Client().Do(hr)
	if err != nil {
		e.t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestOtherDialectSessions: one core, one list. An InfluxDB cookie session
// shows in sessions/list with its origin, and logout.me ends it for the
// InfluxDB API at once.
func TestOtherDialectSessions(t *testing.T) {
	e := start(t)
	bob := e.login(bobName, bobPass, chromeUA)
	cookie := e.influxSignIn(bobName, bobPass)
	if e.influxMe(cookie) != http.StatusOK {
		t.Fatal("cookie does not work before the logout")
	}
	r := e.get("/api/v1/sessions/list", &bob)
	wantStatus(t, r, http.StatusOK)
	var influxID string
	for _, s := range r.json(t)["sessions"].([]any) {
		row := s.(map[string]any)
		if row["origin"] == "influxdb" {
			influxID = row["_id"].(string)
		}
	}
	if influxID == "" {
		t.Fatalf("InfluxDB session not listed: %s", r.body)
	}
	r = e.post("/api/v1/sessions/logout.me", `{"sessionId":"`+influxID+`"}`, &bob)
	wantStatus(t, r, http.StatusOK)
	if got := e.influxMe(cookie); got != http.StatusUnauthorized {
		t.Errorf("InfluxDB /me after logout.me = %d, want 401", got)
	}
	// And the other way: a Rocket.Chat session ended by the InfluxDB API.
	cookie = e.influxSignIn(bobName, bobPass)
	hr, _ := http.NewRequest("DELETE", e.srv.URL+"/api/v2/sessions/"+e.sessionOf(bob), nil)
	hr.AddCookie(&http.Cookie{Name: "influxdb-oss-session", Value: cookie})
	resp, err := e.srv.Client().Do(hr)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("influx DELETE session: %d", resp.StatusCode)
	}
	wantStatus(t, e.get("/api/v1/me", &bob), http.StatusUnauthorized)
}

// TestInactiveUser: deactivating a user ends their tokens at once.
func TestInactiveUser(t *testing.T) {
	e := start(t)
	bob := e.login(bobName, bobPass, "")
	admin := e.login(adminName, adminPass, "")
	hr, _ := http.NewRequest("PATCH", e.srv.URL+"/api/v2/users/"+bobID, strings.NewReader(`{"status":"inactive"}`))
	cookie := e.influxSignIn(adminName, adminPass)
	hr.AddCookie(&http.Cookie{Name: "influxdb-oss-session", Value: cookie})
	resp, err := e.srv.Client().Do(hr)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("deactivate: %d", resp.StatusCode)
	}
	wantStatus(t, e.get("/api/v1/me", &bob), http.StatusUnauthorized)
	wantStatus(t, e.post("/api/v1/login", `{"resume":"`+bob.token+`"}`, nil), http.StatusUnauthorized)
	wantStatus(t, e.get("/api/v1/me", &admin), http.StatusOK)
}

// TestRevokeAcrossInstances: two sessiond instances share one data
// directory with the SQLite session store. A session ended through one is
// refused by the other on its very next request.
func TestRevokeAcrossInstances(t *testing.T) {
	shared := func(dir string) func(*config.Config) {
		return func(c *config.Config) { c.DataDir, c.SessionStore = dir, "sqlite" }
	}
	dir := t.TempDir()
	a := start(t, shared(dir))
	b := attach(t, a.clock, shared(dir))
	first := a.login(bobName, bobPass, chromeUA)
	second := b.login(bobName, bobPass, firefoxUA)
	wantStatus(t, b.get("/api/v1/me", &first), http.StatusOK)

	r := b.get("/api/v1/sessions/list", &second)
	wantStatus(t, r, http.StatusOK)
	if n := len(r.json(t)["sessions"].([]any)); n != 2 {
		t.Fatalf("instance b lists %d sessions, want 2", n)
	}
	r = b.post("/api/v1/sessions/logout.me", `{"sessionId":"`+a.sessionOf(first)+`"}`, &second)
	wantStatus(t, r, http.StatusOK)
	wantStatus(t, a.get("/api/v1/me", &first), http.StatusUnauthorized)
	wantStatus(t, a.get("/api/v1/me", &second), http.StatusOK)
}

// influxDo sends a request with an InfluxDB session cookie (and Basic
// credentials when user is set) and returns the status.
func (e *env) influxDo(method, path, cookie, body, user, pw string) int {
	e.t.Helper()
	hr, _ := http.NewRequest(method, e.srv.URL+path, strings.NewReader(body))
	hr.Header.Set("Content-Type", "application/json")
	hr.AddCookie(&http.Cookie{Name: "influxdb-oss-session", Value: cookie})
	if user != "" {
		hr.SetBasicAuth(user, pw)
	}
	resp, err := e.srv.Client().Do(hr)
	if err != nil {
		e.t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestPasswordChangeEndsPersonalAccessTokens: a personal access token
// ends with the user's logins when a password change ends them (here an
// administrator's set-password through the InfluxDB API, which ends every
// session by default); before, it outlived the change. With
// --end-sessions-on-password-change=false the owner's own change keeps
// both.
func TestPasswordChangeEndsPersonalAccessTokens(t *testing.T) {
	const next = "a-brand-new-bob-password"
	tests := []struct {
		name   string
		tune   func(*config.Config)
		change func(e *env) int
		ends   bool
	}{
		{
			name: "set by an administrator",
			tune: func(*config.Config) {},
			change: func(e *env) int {
				return e.influxDo("POST", "/api/v2/users/"+bobID+"/password", e.influxSignIn(adminName, adminPass), `{"password":"`+next+`"}`, "", "")
			},
			ends: true,
		},
		{
			name: "own change keeping other sessions",
			tune: func(c *config.Config) { c.EndSessionsOnPasswordChange = false },
			change: func(e *env) int {
				return e.influxDo("PUT", "/api/v2/me/password", e.influxSignIn(bobName, bobPass), `{"password":"`+next+`"}`, bobName, bobPass)
			},
			ends: false,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := start(t, tt.tune)
			bob := e.login(bobName, bobPass, chromeUA)
			r := e.post("/api/v1/users.generatePersonalAccessToken", `{"tokenName":"bot","bypassTwoFactor":true}`, &bob)
			wantStatus(t, r, http.StatusOK)
			pat := cred{bobID, r.json(t)["token"].(string)}
			wantStatus(t, e.get("/api/v1/me", &pat), http.StatusOK)

			if st := tt.change(e); st != http.StatusNoContent {
				t.Fatalf("password change: %d, want 204", st)
			}
			want := http.StatusOK
			if tt.ends {
				want = http.StatusUnauthorized
			}
			if got := e.get("/api/v1/me", &pat).status; got != want {
				t.Errorf("me with the personal access token after the change: %d, want %d", got, want)
			}
			if got := e.get("/api/v1/me", &bob).status; got != want {
				t.Errorf("me with bob's login after the change: %d, want %d", got, want)
			}
			if !tt.ends {
				r = e.get("/api/v1/users.getPersonalAccessTokens", &bob)
				wantStatus(t, r, http.StatusOK)
				if n := len(r.json(t)["tokens"].([]any)); n != 1 {
					t.Errorf("%d tokens listed after the change, want 1", n)
				}
			}
		})
	}
}
