package server_test

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestRoutingMisses: a request no route matches is answered in JSON
// everywhere but under /ui/ (GET / leads to the account pages; see
// TestRootLeadsToTheAccountPages): InfluxDB's compact error at the root (as
// InfluxDB's router writes it, with X-Platform-Error-Code), each dialect's
// own under its prefix, and the account pages' HTML page under /ui/.
func TestRoutingMisses(t *testing.T) {
	app, _, _ := serve(t, nil)
	tests := []struct {
		name        string
		method      string
		path        string
		status      int
		contentType string
		body        string // the whole body when exact, else a part of it
		exact       bool
		allow       string
		errorCode   string // X-Platform-Error-Code, set on InfluxDB's answers only
	}{
		{"root with another method", "POST", "/", 405, "application/json; charset=utf-8", `{"code":"method not allowed","message":"allow: GET, HEAD"}`, true, "GET, HEAD", "method not allowed"},
		{"unknown path", "GET", "/nope", 404, "application/json; charset=utf-8", `{"code":"not found","message":"path not found"}`, true, "", "not found"},
		{"another API version", "GET", "/api/v3/x", 404, "application/json; charset=utf-8", `{"code":"not found","message":"path not found"}`, true, "", "not found"},
		{"prefix look-alike", "POST", "/api/v2x", 404, "application/json; charset=utf-8", `{"code":"not found","message":"path not found"}`, true, "", "not found"},
		{"wrong method on /health", "POST", "/health", 405, "application/json; charset=utf-8", `{"code":"method not allowed","message":"allow: GET, HEAD"}`, true, "GET, HEAD", "method not allowed"},
		{"wrong method on /ping", "DELETE", "/ping", 405, "application/json; charset=utf-8", `{"code":"method not allowed","message":"allow: GET, HEAD"}`, true, "GET, HEAD", "method not allowed"},
		{"InfluxDB dialect", "GET", "/api/v2/nope", 401, "application/json; charset=utf-8", `{"code":"unauthorized","message":"unauthorized access"}`, true, "", "unauthorized"},
		{"Rocket.Chat dialect", "GET", "/api/v1/nope", 404, "application/json", `"error":"API endpoint does not exist"`, false, "", ""},
		{"tenant dialect", "GET", "/auth/nope", 404, "application/json; charset=utf-8", `"code":"NOT_FOUND"`, false, "", ""},
		{"account pages", "GET", "/ui/nope", 404, "text/html; charset=utf-8", "<title>Not Found", false, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := http.NewRequest(tt.method, app.URL()+tt.path, nil)
			if err != nil {
				t.Fatal(err)
			}
			resp, err := http.DefaultClient.Do(r)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			body := string(b)
			if resp.StatusCode != tt.status {
				t.Errorf("status %d, want %d", resp.StatusCode, tt.status)
			}
			if got := resp.Header.Get("Content-Type"); got != tt.contentType {
				t.Errorf("Content-Type %q, want %q", got, tt.contentType)
			}
			if tt.exact && body != tt.body || !tt.exact && !strings.Contains(body, tt.body) {
				t.Errorf("body %q, want %q (exact: %t)", body, tt.body, tt.exact)
			}
			if got := resp.Header.Get("Allow"); got != tt.allow {
				t.Errorf("Allow %q, want %q", got, tt.allow)
			}
			if got := resp.Header.Get("X-Platform-Error-Code"); got != tt.errorCode {
				t.Errorf("X-Platform-Error-Code %q, want %q", got, tt.errorCode)
			}
			if tt.errorCode != "" && resp.Header.Get("X-Influxdb-Version") == "" {
				t.Error("an InfluxDB answer without X-Influxdb-Version")
			}
		})
	}
}
