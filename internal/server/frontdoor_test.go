package server_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sessiond/sessiond/internal/auth"
	"github.com/sessiond/sessiond/internal/config"
	"github.com/sessiond/sessiond/internal/server"
	"github.com/sessiond/sessiond/internal/server/servertest"
)

// frontDoor is one server with the operator set up, bob in the default
// tenant and a tenant of the tenant API with one user.
type frontDoor struct {
	app      *server.App
	base     string
	clock    *servertest.Clock
	tenant   *auth.Tenant
	tenToken string
}

// frontDoorEpoch is the time of the front door's clock when it opens.
var frontDoorEpoch = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

func openFrontDoor(t *testing.T, tune ...func(*config.Config)) *frontDoor {
	t.Helper()
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	cfg.RocketRateLimit = 0
	for _, f := range tune {
		f(&cfg)
	}
	clk := servertest.NewClock(frontDoorEpoch)
	app, srv := servertest.Serve(t, cfg, clk.Now)
	f := &frontDoor{app: app, base: srv.URL, clock: clk}
	setup(t, f.base)
	createUser(t, f.base, "bob", bobPass)
	ctx := context.Background()
	var err error
	f.tenant, f.tenToken, err = app.Service().CreateTenant(ctx, auth.NewTenant{Name: "acme"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := app.Service().CreateUser(ctx, auth.NewUser{TenantID: f.tenant.ID, Name: "u@example.com", Email: "u@example.com", Password: tenantPW}); err != nil {
		t.Fatal(err)
	}
	return f
}

// tenantCall is a request to the tenant API with its headers.
func (f *frontDoor) tenantCall(method, path, body, accessToken string) request {
	h := map[string]string{"x-tenant-token": f.tenToken}
	for k, v := range device {
		h[k] = v
	}
	if accessToken != "" {
		h["x-token"] = accessToken
	}
	return request{method: method, url: f.base + path, body: body, headers: h}
}

// tenantSignIn signs u@example.com in through the tenant API and returns
// its access token and session ID.
func (f *frontDoor) tenantSignIn(t *testing.T) (string, string) {
	t.Helper()
	a := do(t, f.tenantCall("POST", "/auth/signin", `{"method":"password","email":"u@example.com","password":"`+tenantPW+`"}`, ""))
	want(t, "tenant sign-in", a, http.StatusCreated)
	access := a.json(t)["data"].(map[string]any)["accessToken"].(string)
	me := do(t, f.tenantCall("GET", "/auth/me", "", access))
	want(t, "tenant me", me, http.StatusOK)
	sid := me.json(t)["data"].(map[string]any)["session"].(map[string]any)["id"].(string)
	return access, sid
}

// An unserved or restricted method answers 403 RESTRICTED_CAPABILITY
// whatever the rest of the body holds: the gate runs before any field is
// checked. Before, sign-up with google or guest answered 400.
func TestGateBeforeValidation(t *testing.T) {
	f := openFrontDoor(t)
	for _, tc := range []struct{ path, body, capability string }{
		{"/auth/signup", `{"method":"google","token":"x"}`, "google"},
		{"/auth/signup", `{"method":"guest"}`, "guest"},
		{"/auth/signup", `{"method":"apple","unknown":42}`, "apple"},
		{"/auth/signup", `{"method":"otp"}`, "otp"},
		{"/auth/signin", `{"method":"google"}`, "google"}, // not set up by the tenant
		{"/auth/signin", `{"method":"facebook","token":"x","tokenType":"nonsense","extra":true}`, "facebook"},
	} {
		a := do(t, f.tenantCall("POST", tc.path, tc.body, ""))
		e, _ := a.json(t)["error"].(map[string]any)
		if a.status != http.StatusForbidden || e["code"] != "RESTRICTED_CAPABILITY" || e["message"] != "Capability "+tc.capability+" is restricted" {
			t.Errorf("%s %s: %d %s, want 403 Capability %s is restricted", tc.path, tc.body, a.status, a.body, tc.capability)
		}
	}
	// A served method still has its fields checked.
	a := do(t, f.tenantCall("POST", "/auth/signup", `{"method":"password","email":"bad"}`, ""))
	if e, _ := a.json(t)["error"].(map[string]any); a.status != http.StatusBadRequest || e["code"] != "VALIDATION_ERROR" {
		t.Errorf("password sign-up with a bad email: %d %s", a.status, a.body)
	}
}

// The operator's revoke by session ID reaches a session of any tenant,
// whichever API made it, through the InfluxDB dialect and through
// Rocket.Chat's admin route; the session's tokens fail at once. Before,
// both answered 404 for a session made through /auth/signin.
func TestOperatorRevokesAnyTenantsSession(t *testing.T) {
	f := openFrontDoor(t)

	access, sid := f.tenantSignIn(t)
	a := do(t, request{method: "DELETE", url: f.base + "/api/v2/sessions/" + sid, headers: token(operToken)})
	want(t, "operator revoke through /api/v2", a, http.StatusNoContent)
	if a := do(t, f.tenantCall("GET", "/auth/me", "", access)); a.status != http.StatusUnauthorized {
		t.Fatalf("access token of the revoked session: %d %s", a.status, a.body)
	}

	access, sid = f.tenantSignIn(t)
	admin := do(t, request{method: "POST", url: f.base + "/api/v1/login", body: `{"user":"admin","password":"` + adminPass + `"}`})
	want(t, "admin login", admin, http.StatusOK)
	data := admin.json(t)["data"].(map[string]any)
	rc := map[string]string{"X-User-Id": data["userId"].(string), "X-Auth-Token": data["authToken"].(string)}
	a = do(t, request{method: "GET", url: f.base + "/api/v1/sessions/info.admin?sessionId=" + sid, headers: rc})
	want(t, "Rocket.Chat admin info of a tenant session", a, http.StatusOK)
	a = do(t, request{method: "POST", url: f.base + "/api/v1/sessions/logout", body: `{"sessionId":"` + sid + `"}`, headers: rc})
	want(t, "Rocket.Chat admin logout of a tenant session", a, http.StatusOK)
	if a := do(t, f.tenantCall("GET", "/auth/me", "", access)); a.status != http.StatusUnauthorized {
		t.Fatalf("access token of the revoked session: %d %s", a.status, a.body)
	}

	// A user's own reach stays their own: bob cannot end the tenant's
	// sessions, through either dialect.
	_, sid = f.tenantSignIn(t)
	bob := influxSignin(t, f.base, "bob", bobPass)
	a = do(t, request{method: "DELETE", url: f.base + "/api/v2/sessions/" + sid, cookie: bob})
	want(t, "bob's revoke of another tenant's session", a, http.StatusNotFound)
	bobRC := do(t, request{method: "POST", url: f.base + "/api/v1/login", body: `{"user":"bob","password":"` + bobPass + `"}`})
	data = bobRC.json(t)["data"].(map[string]any)
	rc = map[string]string{"X-User-Id": data["userId"].(string), "X-Auth-Token": data["authToken"].(string)}
	a = do(t, request{method: "POST", url: f.base + "/api/v1/sessions/logout.me", body: `{"sessionId":"` + sid + `"}`, headers: rc})
	want(t, "bob's logout.me of another tenant's session", a, http.StatusNotFound)
}

// sessionsOf returns the IDs of the user's live sessions by the API that
// made them (the origin), read through the operator's /api/v2/sessions.
func (f *frontDoor) sessionsOf(t *testing.T, userID string) map[string]string {
	t.Helper()
	a := do(t, request{method: "GET", url: f.base + "/api/v2/sessions?userID=" + userID, headers: token(operToken)})
	want(t, "sessions of "+userID, a, http.StatusOK)
	var out struct {
		Sessions []struct{ ID, Origin string } `json:"sessions"`
	}
	if err := json.Unmarshal([]byte(a.body), &out); err != nil {
		t.Fatal(err)
	}
	ids := map[string]string{}
	for _, s := range out.Sessions {
		ids[s.Origin] = s.ID
	}
	return ids
}

// A tenant admin who is not the operator (in the InfluxDB dialect, a
// token holding write:users but not write:orgs) ends by ID any session of
// its tenant, whichever API made it, and none of another tenant: that one
// looks absent (404) and keeps working. The operator's route for one
// tenant (DELETE /api/v2/tenants/{id}/sessions/{sessionID}) stops at that
// tenant's edge too. Rocket.Chat has no admin who is not the operator:
// its admin routes (sessions/logout) are the operator's, and reach another
// tenant's sessions (TestOperatorRevokesAnyTenantsSession); here its
// admin ends a session of its tenant made by another API, and a user
// without the admin flag is refused there and ends nothing.
func TestTenantAdminRevokesWithinItsTenant(t *testing.T) {
	f := openFrontDoor(t)
	ctx := context.Background()
	bob, err := f.app.Service().UserByName(ctx, auth.DefaultTenantID, "bob")
	if err != nil {
		t.Fatal(err)
	}
	carolID := createUser(t, f.base, "carol", bobPass)
	orgs := do(t, request{method: "GET", url: f.base + "/api/v2/orgs", headers: token(operToken)})
	want(t, "orgs", orgs, http.StatusOK)
	orgID := orgs.json(t)["orgs"].([]any)[0].(map[string]any)["id"].(string)
	a := do(t, request{method: "POST", url: f.base + "/api/v2/authorizations", headers: token(operToken),
		body: `{"orgID":"` + orgID + `","userID":"` + carolID + `","permissions":[{"action":"read","resource":{"type":"users"}},{"action":"write","resource":{"type":"users"}}]}`})
	want(t, "carol's admin token", a, http.StatusCreated)
	tenantAdmin := token(a.json(t)["token"].(string))

	// bob's sessions of the default tenant, made by two APIs.
	bobInflux := influxSignin(t, f.base, "bob", bobPass)
	bobRocket := rocketLogin(t, f.base, "bob", bobPass)
	ids := f.sessionsOf(t, bob.ID)
	if ids[string(auth.OriginInflux)] == "" || ids[string(auth.OriginRocket)] == "" {
		t.Fatalf("bob's sessions: %v", ids)
	}
	// A session of another tenant (acme, through /auth/signin).
	access, acmeSID := f.tenantSignIn(t)

	a = do(t, request{method: "DELETE", url: f.base + "/api/v2/sessions/" + acmeSID, headers: tenantAdmin})
	want(t, "the tenant admin's revoke of another tenant's session", a, http.StatusNotFound)
	if a := do(t, f.tenantCall("GET", "/auth/me", "", access)); a.status != http.StatusOK {
		t.Fatalf("the other tenant's session after a refused revoke: %d %s", a.status, a.body)
	}
	// The operator's route for acme does not reach the default tenant's.
	a = do(t, request{method: "DELETE", url: f.base + "/api/v2/tenants/" + f.tenant.ID + "/sessions/" + ids[string(auth.OriginInflux)], headers: token(operToken)})
	want(t, "acme's route to a default-tenant session", a, http.StatusNotFound)
	want(t, "bob's InfluxDB session after refused revokes", influxMe(t, f.base, bobInflux), http.StatusOK)

	a = do(t, request{method: "DELETE", url: f.base + "/api/v2/sessions/" + ids[string(auth.OriginInflux)], headers: tenantAdmin})
	want(t, "the tenant admin's revoke of bob's InfluxDB session", a, http.StatusNoContent)
	want(t, "bob's revoked InfluxDB session", influxMe(t, f.base, bobInflux), http.StatusUnauthorized)
	want(t, "bob's Rocket.Chat session meanwhile", rocketMe(t, f.base, bobRocket), http.StatusOK)

	a = do(t, request{method: "DELETE", url: f.base + "/api/v2/sessions/" + ids[string(auth.OriginRocket)], headers: tenantAdmin})
	want(t, "the tenant admin's revoke of bob's Rocket.Chat session", a, http.StatusNoContent)
	want(t, "bob's revoked Rocket.Chat session", rocketMe(t, f.base, bobRocket), http.StatusUnauthorized)

	// Rocket.Chat: bob, who is not an admin, cannot end carol's session
	// through the admin route.
	carol := rocketLogin(t, f.base, "carol", bobPass)
	bobRocket = rocketLogin(t, f.base, "bob", bobPass)
	a = do(t, request{method: "POST", url: f.base + "/api/v1/sessions/logout", headers: bobRocket.headers(),
		body: `{"sessionId":"` + f.sessionsOf(t, carolID)[string(auth.OriginRocket)] + `"}`})
	want(t, "bob's admin logout of carol's session", a, http.StatusForbidden)
	want(t, "carol's session after bob's refused logout", rocketMe(t, f.base, carol), http.StatusOK)
	// Its admin ends any session of the tenant, whichever API made it.
	carolInflux := influxSignin(t, f.base, "carol", bobPass)
	admin := rocketLogin(t, f.base, "admin", adminPass)
	a = do(t, request{method: "POST", url: f.base + "/api/v1/sessions/logout", headers: admin.headers(),
		body: `{"sessionId":"` + f.sessionsOf(t, carolID)[string(auth.OriginInflux)] + `"}`})
	want(t, "the admin's logout of carol's InfluxDB session", a, http.StatusOK)
	want(t, "carol's revoked InfluxDB session", influxMe(t, f.base, carolInflux), http.StatusUnauthorized)
	want(t, "carol's Rocket.Chat session meanwhile", rocketMe(t, f.base, carol), http.StatusOK)
}

const (
	firefoxUA = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
	chromeUA  = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
)

// A resume login is a login: the session records the resuming client's
// address, User-Agent and time, and the lists show them. Before, it kept
// only the first device's. The two clients come through a trusted proxy
// with their own addresses; the resume comes an hour after the login.
func TestResumeRecordsTheClient(t *testing.T) {
	const firstIP, secondIP = "198.51.100.7", "203.0.113.9"
	f := openFrontDoor(t, func(c *config.Config) { c.TrustedProxies = "127.0.0.1, ::1" })
	login := do(t, request{method: "POST", url: f.base + "/api/v1/login", body: `{"user":"bob","password":"` + bobPass + `"}`,
		headers: map[string]string{"User-Agent": firefoxUA, "X-Forwarded-For": firstIP}})
	want(t, "login", login, http.StatusOK)
	data := login.json(t)["data"].(map[string]any)
	uid, tok := data["userId"].(string), data["authToken"].(string)

	f.clock.Advance(time.Hour)
	resumedAt := frontDoorEpoch.Add(time.Hour)
	resumed := do(t, request{method: "POST", url: f.base + "/api/v1/login", body: `{"resume":"` + tok + `"}`,
		headers: map[string]string{"User-Agent": chromeUA, "X-Forwarded-For": secondIP}})
	want(t, "resume", resumed, http.StatusOK)
	if got := resumed.json(t)["data"].(map[string]any)["authToken"]; got != tok {
		t.Fatalf("resume answered token %v, want the same one", got)
	}
	f.clock.Advance(time.Minute) // what reads the session later must not be what set its time

	// The operator's InfluxDB-dialect list, read first so that no use of
	// bob's token moves the last-seen time: the resuming client and time,
	// the login's creation time.
	a := do(t, request{method: "GET", url: f.base + "/api/v2/sessions?userID=" + uid, headers: token(operToken)})
	want(t, "/api/v2/sessions", a, http.StatusOK)
	var influx struct {
		Sessions []struct {
			CreatedAt, LastSeenAt time.Time
			IP, UserAgent         string
		} `json:"sessions"`
	}
	if err := json.Unmarshal([]byte(a.body), &influx); err != nil || len(influx.Sessions) != 1 {
		t.Fatalf("/api/v2/sessions: %v %s", err, a.body)
	}
	s := influx.Sessions[0]
	if s.IP != secondIP || s.UserAgent != chromeUA {
		t.Errorf("/api/v2/sessions shows client %s %q, want the resuming %s %q", s.IP, s.UserAgent, secondIP, chromeUA)
	}
	if !s.LastSeenAt.Equal(resumedAt) || !s.CreatedAt.Equal(frontDoorEpoch) {
		t.Errorf("/api/v2/sessions shows created %v, last seen %v; want created at the login %v, last seen at the resume %v",
			s.CreatedAt, s.LastSeenAt, frontDoorEpoch, resumedAt)
	}

	// Rocket.Chat's own list and info show the resuming client too.
	rc := map[string]string{"X-User-Id": uid, "X-Auth-Token": tok}
	list := do(t, request{method: "GET", url: f.base + "/api/v1/sessions/list", headers: rc})
	want(t, "sessions/list", list, http.StatusOK)
	var out struct {
		Sessions []map[string]any `json:"sessions"`
	}
	if err := json.Unmarshal([]byte(list.body), &out); err != nil || len(out.Sessions) != 1 {
		t.Fatalf("sessions/list: %v %s", err, list.body)
	}
	if !strings.Contains(list.body, `"name":"Chrome"`) || strings.Contains(list.body, "Firefox") || out.Sessions[0]["ip"] != secondIP {
		t.Fatalf("sessions/list does not show the resuming client %s: %s", secondIP, list.body)
	}
	info := do(t, request{method: "GET", url: f.base + "/api/v1/sessions/info?sessionId=" + out.Sessions[0]["sessionId"].(string), headers: rc})
	want(t, "sessions/info", info, http.StatusOK)
	m := info.json(t)
	if m["ip"] != secondIP || m["loginAt"] != frontDoorEpoch.Format("2006-01-02T15:04:05.000Z") {
		t.Errorf("sessions/info: %s; want ip %s, loginAt the login's", info.body, secondIP)
	}
	if last, err := time.Parse(time.RFC3339, m["lastActivityAt"].(string)); err != nil || last.Before(resumedAt) {
		t.Errorf("sessions/info lastActivityAt %v, want the resume's %v or later", m["lastActivityAt"], resumedAt)
	}
}

// A change to a tenant's policy takes effect with the answer that made
// it: no cache keeps the old one. Before, GET /auth/logout kept answering
// 200 for about 2 s after the restriction was set.
func TestRestrictionTakesEffectAtOnce(t *testing.T) {
	f := openFrontDoor(t)
	access, _ := f.tenantSignIn(t)
	want(t, "logout before", do(t, f.tenantCall("GET", "/auth/logout", "", access)), http.StatusOK)
	a := do(t, request{method: "PATCH", url: f.base + "/api/v2/tenants/" + f.tenant.ID, body: `{"restrictedCapabilities":["logout"]}`, headers: token(operToken)})
	want(t, "restrict logout", a, http.StatusOK)
	a = do(t, f.tenantCall("GET", "/auth/logout", "", access))
	if e, _ := a.json(t)["error"].(map[string]any); a.status != http.StatusForbidden || e["code"] != "RESTRICTED_CAPABILITY" {
		t.Fatalf("logout right after the restriction: %d %s", a.status, a.body)
	}
	a = do(t, request{method: "PATCH", url: f.base + "/api/v2/tenants/" + f.tenant.ID, body: `{"restrictedCapabilities":[]}`, headers: token(operToken)})
	want(t, "lift the restriction", a, http.StatusOK)
	want(t, "logout right after it is lifted", do(t, f.tenantCall("GET", "/auth/logout", "", access)), http.StatusOK)
}
