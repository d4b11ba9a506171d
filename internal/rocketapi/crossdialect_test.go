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
