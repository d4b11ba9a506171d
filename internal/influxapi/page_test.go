package influxapi_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/sessiond/sessiond/internal/auth"
)

// sessionsPage is the body of a session list.
type sessionsPage struct {
	Links    map[string]string `json:"links"`
	Sessions []struct {
		ID string `json:"id"`
	} `json:"sessions"`
}

// TestSessionListPages: GET /api/v2/sessions (one user's, or the
// tenant's for an admin) and GET /api/v2/tenants/{id}/sessions answer a
// page of limit (20 by default, at most 100) from offset, with links to
// the next and previous pages, as InfluxDB's lists page; the pages hold
// every session once. Before, the whole list came in one answer.
func TestSessionListPages(t *testing.T) {
	e := start(t, "")
	e.seed()
	for range 23 {
		e.signin(userName, userPass)
	}
	admin := e.signin(adminName, adminPass)
	get := func(path string) sessionsPage {
		t.Helper()
		return getJSON[sessionsPage](t, e, req{path: path, cookie: admin})
	}
	tests := []struct {
		name       string
		path       string
		rows       int
		next, prev string
	}{
		{"one user, first page", "/api/v2/sessions?userID=" + userID, 20, "/api/v2/sessions?limit=20&offset=20&userID=" + userID, ""},
		{"one user, second page", "/api/v2/sessions?userID=" + userID + "&offset=20", 3, "", "/api/v2/sessions?limit=20&offset=0&userID=" + userID},
		{"one user, past the end", "/api/v2/sessions?userID=" + userID + "&offset=99", 0, "", "/api/v2/sessions?limit=20&offset=79&userID=" + userID},
		{"the tenant, limit 10", "/api/v2/sessions?limit=10", 10, "/api/v2/sessions?limit=10&offset=10", ""},
		{"the tenant, last page", "/api/v2/sessions?limit=10&offset=20", 4, "", "/api/v2/sessions?limit=10&offset=10"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := get(tt.path)
			if len(p.Sessions) != tt.rows || p.Links["next"] != tt.next || p.Links["prev"] != tt.prev {
				t.Fatalf("%d rows, links %v; want %d rows, next %q, prev %q", len(p.Sessions), p.Links, tt.rows, tt.next, tt.prev)
			}
		})
	}
	// Walking the pages by their links finds every session once.
	seen := map[string]bool{}
	for path := "/api/v2/sessions?limit=7"; path != ""; {
		p := get(path)
		for _, s := range p.Sessions {
			if seen[s.ID] {
				t.Fatalf("session %s on two pages", s.ID)
			}
			seen[s.ID] = true
		}
		path = p.Links["next"]
	}
	if len(seen) != 24 {
		t.Fatalf("the pages hold %d sessions, want 24", len(seen))
	}
	// A tenant of the tenant API pages the same way.
	_, body := e.do(req{method: "POST", path: "/api/v2/tenants", token: operToken, body: `{"name":"shop"}`})
	shop := decodeTenant(t, body)
	ctx := context.Background()
	svc := e.app.Service()
	if _, err := svc.CreateUser(ctx, auth.NewUser{TenantID: shop.ID, Name: "ann@example.com", Email: "ann@example.com", Password: userPass}); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if _, err := svc.SignIn(ctx, auth.Attempt{TenantID: shop.ID, Login: "ann@example.com", LoginKind: auth.LoginEmail, Credential: auth.Password{Secret: userPass}, Origin: auth.OriginTenant}); err != nil {
			t.Fatal(err)
		}
	}
	shopPath := "/api/v2/tenants/" + shop.ID + "/sessions"
	if p := get(shopPath + "?limit=2"); len(p.Sessions) != 2 || p.Links["next"] != shopPath+"?limit=2&offset=2" {
		t.Fatalf("a tenant's first page: %d rows, links %v", len(p.Sessions), p.Links)
	}
	if p := get(shopPath + "?limit=2&offset=2"); len(p.Sessions) != 1 || p.Links["next"] != "" {
		t.Fatalf("a tenant's last page: %d rows, links %v", len(p.Sessions), p.Links)
	}
	for _, bad := range []string{"limit=0", "limit=101", "limit=ten", "offset=-1", "offset=x"} {
		if s := e.status(req{method: "GET", path: "/api/v2/sessions?" + bad, cookie: admin}); s != http.StatusBadRequest {
			t.Errorf("?%s: %d, want 400", bad, s)
		}
	}
}
