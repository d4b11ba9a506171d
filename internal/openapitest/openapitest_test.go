package openapitest

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestDocumentsAreValid: every document loads as OpenAPI 3.1 and passes
// kin-openapi's validation.
func TestDocumentsAreValid(t *testing.T) {
	docs, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range docs {
		if d.T.OpenAPI != "3.1.0" {
			t.Errorf("%s: openapi %q, want 3.1.0", d.File, d.T.OpenAPI)
		}
		if d.T.Paths.Len() == 0 {
			t.Errorf("%s: no paths", d.File)
		}
	}
}

// TestCheck: an answer a document describes passes; one it does not, or
// a success from a route no document has, fails; a routing miss of an
// undocumented path passes.
func TestCheck(t *testing.T) {
	docs, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	json := http.Header{"Content-Type": {"application/json; charset=utf-8"}}
	cases := []struct {
		name   string
		method string
		path   string
		status int
		body   string
		ok     bool
	}{
		{"described", "GET", "/api/v2/setup", 200, `{"allowed": true}`, true},
		{"wrong body", "GET", "/api/v2/setup", 200, `{"allowed": "yes"}`, false},
		{"an error in the API's shape", "GET", "/api/v2/me", 401, `{"code":"unauthorized","message":"unauthorized access"}`, true},
		{"an error in another shape", "GET", "/api/v2/me", 401, `{"error":"no"}`, false},
		{"undescribed status", "GET", "/health", 418, `{}`, false},
		{"success of an undocumented route", "GET", "/api/v2/buckets", 200, `{}`, false},
		{"miss of an undocumented route", "GET", "/api/v3/x", 404, `{"code":"not found","message":"path not found"}`, true},
		{"Rocket.Chat", "GET", "/api/v1/me", 401, `{"success":false,"error":"You must be logged in to do this.","status":"error","message":"You must be logged in to do this."}`, true},
		{"tenant API", "GET", "/auth/me", 401, `{"meta":{"requestId":"x","timestamp":"2026-01-02T03:04:05.000Z"},"error":{"message":"m","code":"UNAUTHORIZED","status":401}}`, true},
		{"tenant API without its envelope", "GET", "/auth/me", 401, `{"message":"m"}`, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest(tc.method, tc.path, nil)
			err := Check(docs, req, tc.status, json, []byte(tc.body))
			if (err == nil) != tc.ok {
				t.Fatalf("got %v, want ok=%t", err, tc.ok)
			}
		})
	}
}
