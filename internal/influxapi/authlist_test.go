package influxapi_test

import (
	"encoding/json"
	"net/url"
	"slices"
	"strings"
	"testing"
)

// TestListAuthorizationsFilters: GET /api/v2/authorizations filters as
// InfluxDB's does (authorization/http_server.go): by user and org name,
// looked up first, and by userID, orgID and id, which must be IDs. The
// influx CLI's `auth list -o ORG`, `-u USER` and `-i ID` send them; the
// API also filters by a token's secret.
func TestListAuthorizationsFilters(t *testing.T) {
	e := start(t, "")
	resp, body := e.do(req{method: "POST", path: "/api/v2/setup", body: `{"username":"root","password":"root-password","org":"acme","bucket":"b"}`})
	if resp.StatusCode != 201 {
		t.Fatalf("setup: %d %s", resp.StatusCode, body)
	}
	var setup struct {
		Org  struct{ ID string }
		Auth struct{ ID, Token string }
	}
	if err := json.Unmarshal([]byte(body), &setup); err != nil || setup.Auth.Token == "" || setup.Org.ID == "" {
		t.Fatalf("setup answer: %v %s", err, body)
	}
	list := func(query string) (int, []string) {
		t.Helper()
		resp, body := e.do(req{method: "GET", path: "/api/v2/authorizations" + query, token: setup.Auth.Token})
		var out struct{ Authorizations []struct{ ID string } }
		json.Unmarshal([]byte(body), &out)
		var ids []string
		for _, a := range out.Authorizations {
			ids = append(ids, a.ID)
		}
		return resp.StatusCode, ids
	}
	for _, tc := range []struct {
		query  string
		status int
		has    bool // the setup token is listed
	}{
		{"", 200, true},
		{"?org=acme", 200, true},
		{"?org=nope", 404, false},
		{"?orgID=" + setup.Org.ID, 200, true},
		{"?orgID=" + strings.ToUpper(setup.Org.ID), 200, true},
		{"?orgID=00000000000000ff", 200, false},
		{"?orgID=xyz", 400, false},
		{"?id=" + setup.Auth.ID, 200, true},
		{"?id=00000000000000ff", 200, false},
		{"?id=0000000000000000", 400, false},
		{"?user=root", 200, true},
		{"?user=nobody", 404, false},
		{"?userID=x", 400, false},
		{"?org=acme&orgID=00000000000000ff", 200, true}, // the name wins, as in InfluxDB
		{"?token=" + url.QueryEscape(setup.Auth.Token), 200, true},
		{"?token=not-a-token", 200, false},
	} {
		status, ids := list(tc.query)
		if status != tc.status || slices.Contains(ids, setup.Auth.ID) != tc.has {
			t.Errorf("GET /api/v2/authorizations%s: %d listing %v; want %d, setup token listed: %v", tc.query, status, ids, tc.status, tc.has)
		}
		if tc.query == "?id="+setup.Auth.ID && len(ids) != 1 {
			t.Errorf("?id= listed %d tokens, want exactly one", len(ids))
		}
	}
}
