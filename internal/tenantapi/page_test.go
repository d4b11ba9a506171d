package tenantapi_test

import (
	"encoding/json"
	"net/http"
	"testing"
)

// TestSessionPages: GET /auth/sessions answers a page of limit (50 by
// default, at most 100) from offset with the total beside it; a bad
// limit or offset is a VALIDATION_ERROR naming it. Before, every session
// came in one answer.
func TestSessionPages(t *testing.T) {
	e := start(t)
	ten := e.tenant("acme")
	tk := e.signup(ten, "user@example.com")
	for range 4 {
		e.signin(ten, "user@example.com")
	}
	tests := []struct {
		name                string
		query               string
		rows, limit, offset int
	}{
		{"default", "", 5, 50, 0},
		{"limit 2", "?limit=2", 2, 2, 0},
		{"limit 2 from 4", "?limit=2&offset=4", 1, 2, 4},
		{"past the end", "?offset=9", 0, 50, 9},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, r := e.send(call{method: "GET", path: "/auth/sessions" + tt.query, tenant: ten.Token, token: tk.AccessToken})
			if st != http.StatusOK {
				t.Fatalf("%d %+v", st, r.Error)
			}
			var d struct {
				Sessions             []struct{ ID string } `json:"sessions"`
				Total, Limit, Offset int
			}
			if err := json.Unmarshal(r.Data, &d); err != nil {
				t.Fatal(err)
			}
			if len(d.Sessions) != tt.rows || d.Total != 5 || d.Limit != tt.limit || d.Offset != tt.offset {
				t.Fatalf("%d rows, total %d, limit %d, offset %d; want %d, 5, %d, %d", len(d.Sessions), d.Total, d.Limit, d.Offset, tt.rows, tt.limit, tt.offset)
			}
		})
	}
	for _, bad := range []struct{ query, field string }{{"?limit=0", "limit"}, {"?limit=101", "limit"}, {"?offset=-1", "offset"}, {"?limit=x&offset=y", "offset"}} {
		st, r := e.send(call{method: "GET", path: "/auth/sessions" + bad.query, tenant: ten.Token, token: tk.AccessToken})
		if st != http.StatusBadRequest || r.Error == nil || r.Error.Code != "VALIDATION_ERROR" || r.Error.Validation[bad.field] == nil {
			t.Fatalf("%s: %d %+v, want VALIDATION_ERROR naming %s", bad.query, st, r.Error, bad.field)
		}
	}
}
