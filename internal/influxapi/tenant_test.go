package influxapi_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/sessiond/sessiond/internal/auth"
	"github.com/sessiond/sessiond/internal/server/servertest"
)

// tenantView is what the management API shows of a tenant.
type tenantView struct {
	ID                     string
	Name                   string
	Token                  string
	Disabled               bool
	RestrictedCapabilities []string
	ClientHeaders          string
	RateLimits             map[string]int
	AccessTokenTTL         string
	RefreshTokenTTL        string
	SigningKeys            []struct {
		ID     string
		Active bool
	}
}

func decodeTenant(t *testing.T, body string) tenantView {
	t.Helper()
	var v tenantView
	if err := json.Unmarshal([]byte(body), &v); err != nil {
		t.Fatalf("%v: %s", err, body)
	}
	return v
}

// TestTenantManagement drives /api/v2/tenants with the operator token:
// create (token shown once), list, get, patch, rotate the key, restrict a
// user, list and revoke sessions, delete.
func TestTenantManagement(t *testing.T) {
	e := start(t, "")
	e.seed()
	resp, body := e.do(req{method: "POST", path: "/api/v2/tenants", token: operToken, body: `{"name":"acme","restrictedCapabilities":["terminate"],"rateLimits":{"logout":5},"accessTokenTTL":"15m"}`})
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("create: %d %s", resp.StatusCode, body)
	}
	created := decodeTenant(t, body)
	if created.Token == "" || len(created.SigningKeys) != 1 || !created.SigningKeys[0].Active ||
		created.AccessTokenTTL != "15m0s" || created.RefreshTokenTTL != "24h0m0s" || created.RateLimits["logout"] != 5 ||
		created.ClientHeaders != "require" || strings.Join(created.RestrictedCapabilities, ",") != "terminate" {
		t.Fatalf("created tenant %+v", created)
	}
	stored, err := e.app.Service().TenantByToken(t.Context(), created.Token)
	if err != nil || stored.ID != created.ID {
		t.Fatalf("the shown token does not find the tenant: %v", err)
	}

	resp, body = e.do(req{method: "GET", path: "/api/v2/tenants", token: operToken})
	if resp.StatusCode != http.StatusOK || strings.Contains(body, created.Token) || strings.Contains(body, auth.DefaultTenantID) {
		t.Fatalf("list: %d %s", resp.StatusCode, body)
	}
	var list struct{ Tenants []tenantView }
	json.Unmarshal([]byte(body), &list)
	if len(list.Tenants) != 1 || list.Tenants[0].ID != created.ID {
		t.Fatalf("list: %s", body)
	}

	resp, body = e.do(req{method: "PATCH", path: "/api/v2/tenants/" + created.ID, token: operToken, body: `{"name":"acme2","disabled":true,"restrictedCapabilities":[],"clientHeaders":"accept","rateLimits":{"logout":-1}}`})
	got := decodeTenant(t, body)
	if resp.StatusCode != http.StatusOK || got.Name != "acme2" || !got.Disabled || len(got.RestrictedCapabilities) != 0 || got.ClientHeaders != "accept" || len(got.RateLimits) != 0 || got.Token != "" {
		t.Fatalf("patch: %d %s", resp.StatusCode, body)
	}

	resp, body = e.do(req{method: "POST", path: "/api/v2/tenants/" + created.ID + "/keys", token: operToken})
	if got := decodeTenant(t, body); resp.StatusCode != http.StatusCreated || len(got.SigningKeys) != 2 {
		t.Fatalf("rotate: %d %s", resp.StatusCode, body)
	}

	u, err := e.app.Service().CreateUser(t.Context(), auth.NewUser{TenantID: created.ID, Name: "u@example.com", Email: "u@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	resp, body = e.do(req{method: "PATCH", path: "/api/v2/tenants/" + created.ID + "/users/" + u.ID, token: operToken, body: `{"restrictedCapabilities":["logout","logout"],"status":"suspended"}`})
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `"restrictedCapabilities": [`+"\n\t\t\"logout\"\n\t]") || !strings.Contains(body, `"status": "suspended"`) {
		t.Fatalf("patch user: %d %s", resp.StatusCode, body)
	}

	sess, _ := servertest.SeedSession(t, e.app, u, auth.OriginTenant, auth.Client{}, auth.TokenFormat{}, 0)
	resp, body = e.do(req{method: "GET", path: "/api/v2/tenants/" + created.ID + "/sessions", token: operToken})
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, sess.ID) {
		t.Fatalf("sessions: %d %s", resp.StatusCode, body)
	}
	if s := e.status(req{method: "DELETE", path: "/api/v2/tenants/" + created.ID + "/sessions/" + sess.ID, token: operToken}); s != http.StatusNoContent {
		t.Fatalf("revoke session: %d", s)
	}
	if s := e.status(req{method: "DELETE", path: "/api/v2/tenants/" + created.ID + "/sessions/" + sess.ID, token: operToken}); s != http.StatusNotFound {
		t.Fatalf("revoke session twice: %d", s)
	}

	if s := e.status(req{method: "DELETE", path: "/api/v2/tenants/" + created.ID, token: operToken}); s != http.StatusNoContent {
		t.Fatalf("delete: %d", s)
	}
	if s := e.status(req{method: "GET", path: "/api/v2/tenants/" + created.ID, token: operToken}); s != http.StatusNotFound {
		t.Fatalf("get after delete: %d", s)
	}
}

// TestTenantManagementErrors: who may manage tenants, and bad input.
func TestTenantManagementErrors(t *testing.T) {
	e := start(t, "")
	e.seed()
	bob := e.signin(userName, userPass)
	usersOnly := "users-only-token"
	if _, _, err := e.app.Service().CreateToken(t.Context(), auth.NewAPIToken{TenantID: auth.DefaultTenantID, UserID: adminID, Token: usersOnly,
		Permissions: []auth.Permission{{Action: "read", Type: "users"}, {Action: "write", Type: "users"}}}); err != nil {
		t.Fatal(err)
	}
	admin := e.signin(adminName, adminPass)
	tests := []struct {
		name   string
		r      req
		status int
		want   string
	}{
		{"no credentials", req{method: "GET", path: "/api/v2/tenants"}, 401, "unauthorized access"},
		{"non-admin session", req{method: "GET", path: "/api/v2/tenants", cookie: bob}, 401, "read:orgs is unauthorized"},
		{"token without orgs", req{method: "POST", path: "/api/v2/tenants", token: usersOnly, body: `{"name":"x"}`}, 401, "write:orgs is unauthorized"},
		{"admin session", req{method: "GET", path: "/api/v2/tenants", cookie: admin}, 200, `"tenants"`},
		{"missing name", req{method: "POST", path: "/api/v2/tenants", token: operToken, body: `{}`}, 400, "tenant name is required"},
		{"unknown field", req{method: "POST", path: "/api/v2/tenants", token: operToken, body: `{"name":"x","colour":"red"}`}, 400, "unknown field"},
		{"bad capability", req{method: "POST", path: "/api/v2/tenants", token: operToken, body: `{"name":"x","restrictedCapabilities":["fly"]}`}, 400, "is not a capability"},
		{"bad header policy", req{method: "POST", path: "/api/v2/tenants", token: operToken, body: `{"name":"x","clientHeaders":"maybe"}`}, 400, "clientHeaders"},
		{"bad limit", req{method: "POST", path: "/api/v2/tenants", token: operToken, body: `{"name":"x","rateLimits":{"fly":1}}`}, 400, "not an endpoint"},
		{"bad ttl", req{method: "POST", path: "/api/v2/tenants", token: operToken, body: `{"name":"x","accessTokenTTL":"1s"}`}, 400, "accessTokenTTL"},
		{"default tenant", req{method: "GET", path: "/api/v2/tenants/" + auth.DefaultTenantID, token: operToken}, 404, "tenant not found"},
		{"delete default tenant", req{method: "DELETE", path: "/api/v2/tenants/" + auth.DefaultTenantID, token: operToken}, 404, "tenant not found"},
		{"unknown tenant", req{method: "PATCH", path: "/api/v2/tenants/" + unknownID, token: operToken, body: `{"name":"y"}`}, 404, "tenant not found"},
		{"bad tenant id", req{method: "GET", path: "/api/v2/tenants/nope", token: operToken}, 404, "tenant not found"},
		{"unknown user", req{method: "PATCH", path: "/api/v2/tenants/" + unknownID + "/users/" + unknownID, token: operToken, body: `{"status":"active"}`}, 404, "not found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := e.do(tt.r)
			if resp.StatusCode != tt.status || !strings.Contains(body, tt.want) {
				t.Fatalf("got %d %s, want %d containing %q", resp.StatusCode, body, tt.status, tt.want)
			}
		})
	}
}
