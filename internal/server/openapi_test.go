package server_test

import (
	"io"
	"io/fs"
	"net/http"
	"sort"
	"strings"
	"testing"

	"github.com/sessiond/sessiond/internal/openapitest"
	"github.com/sessiond/sessiond/openapi"
)

// TestOpenAPIDocumentsServed: /openapi/ lists every document and serves
// each as kept in the repository.
func TestOpenAPIDocumentsServed(t *testing.T) {
	app, _, _ := serve(t, nil)
	status, _, body := get(t, app.URL()+"/openapi/", nil)
	if status != 200 {
		t.Fatalf("GET /openapi/: %d", status)
	}
	for _, d := range openapi.Documents() {
		if !strings.Contains(body, `"/openapi/`+d.File+`"`) {
			t.Errorf("the index does not list %s: %s", d.File, body)
		}
		want, _ := fs.ReadFile(openapi.Files, d.File)
		status, h, got := get(t, app.URL()+"/openapi/"+d.File, nil)
		if status != 200 || got != string(want) || !strings.HasPrefix(h.Get("Content-Type"), "application/yaml") {
			t.Errorf("GET /openapi/%s: %d %s, not the file", d.File, status, h.Get("Content-Type"))
		}
	}
	if status, _, _ := get(t, app.URL()+"/openapi/nope.yaml", nil); status != 404 {
		t.Errorf("an unknown document: %d", status)
	}
}

// routingMiss reports whether an answer is a router's "no such route",
// in each API's words, rather than a route's own answer.
func routingMiss(path string, status int, body string) bool {
	switch {
	case status == http.StatusMethodNotAllowed:
		return true
	case strings.HasPrefix(path, "/api/v1/"):
		return strings.Contains(body, "API endpoint does not exist")
	case strings.HasPrefix(path, "/auth/"), strings.HasPrefix(path, "/otp/"):
		return status == http.StatusNotFound && strings.Contains(body, `"NOT_FOUND"`) && !strings.Contains(body, "session")
	}
	return strings.Contains(body, `"path not found"`)
}

// TestEveryDocumentedRouteIsServed: each operation of every document is
// answered by a route of the server, not by a routing miss, so the
// documents describe no route the server lacks. (openapitest.Wrap, around
// the end-to-end tests, checks the other way: every answer they get is
// described.)
func TestEveryDocumentedRouteIsServed(t *testing.T) {
	// Path parameters that are not IDs take a value they may hold.
	examples := strings.NewReplacer("{method}", "google", "{purpose}", "email_verification", "{channel}", "email")
	app, _, _ := serve(t, nil)
	base := app.URL()
	setup(t, base)
	ten := createTenant(t, base, "docs")
	docs, err := openapitest.Load()
	if err != nil {
		t.Fatal(err)
	}
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	seen := 0
	for _, d := range docs {
		paths := d.T.Paths.InMatchingOrder()
		sort.Strings(paths)
		for _, p := range paths {
			for method := range d.T.Paths.Value(p).Operations() {
				path := p
				for _, param := range []string{"{userID}", "{orgID}", "{authID}", "{sessionID}", "{tenantID}", "{key}", "{id}"} {
					path = strings.ReplaceAll(path, param, "0000000000000001")
				}
				path = examples.Replace(path)
				req, _ := http.NewRequest(method, base+path, strings.NewReader("{}"))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Authorization", "Token "+operToken)
				for k, v := range ten.headers("") {
					req.Header.Set(k, v)
				}
				resp, err := noRedirect.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if routingMiss(path, resp.StatusCode, string(b)) {
					t.Errorf("%s: %s %s is documented but not served: %d %s", d.File, method, p, resp.StatusCode, b)
				}
				seen++
			}
		}
	}
	if seen < 60 {
		t.Fatalf("only %d operations documented", seen)
	}
}
