package influxapi_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// FuzzOrgsQuery: any query string on GET /api/v2/orgs gives the list (200)
// or InfluxDB's JSON error (400 for bad paging, 404 for an unknown org),
// never a panic or a 500.
func FuzzOrgsQuery(f *testing.F) {
	e := orgEnv(f)
	for _, s := range []string{"org=acme", "org=nope", "orgID=" + orgID, "orgID=zz", "userID=" + userID, "limit=0", "limit=x", "offset=-3",
		"after=" + orgID, "after=zz", "descending=yes", "org=%00", "org=acme&orgID=" + unknownID, "%%", "org=a%22b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, query string) {
		r := httptest.NewRequest("GET", "/api/v2/orgs", nil)
		r.URL.RawQuery = query
		r.Header.Set("Authorization", "Token "+operToken)
		fuzzServe(t, e, r, http.StatusOK, http.StatusBadRequest, http.StatusNotFound)
	})
}

// FuzzMemberBody: any body on POST /api/v2/orgs/{id}/members adds (201) or
// answers InfluxDB's JSON error, never a panic or a 500.
func FuzzMemberBody(f *testing.F) {
	e := orgEnv(f)
	for _, s := range []string{`{"id":"` + userID + `"}`, `{"id":"` + adminID + `"}`, `{"id":"` + unknownID + `"}`, `{"id":""}`, `{"id":null}`,
		`{"id":7}`, `{}`, `[]`, ``, `{"id":"` + userID + `","name":"bob"}`, `{"id":"0000000000000000"}`, `{"id":"ZZZZZZZZZZZZZZZZ"}`, `{"id":"` + userID + `"} x`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		r := httptest.NewRequest("POST", "/api/v2/orgs/"+orgID+"/members", strings.NewReader(body))
		r.Header.Set("Authorization", "Token "+operToken)
		r.Header.Set("Content-Type", "application/json")
		fuzzServe(t, e, r, http.StatusCreated, http.StatusBadRequest, http.StatusNotFound, http.StatusRequestEntityTooLarge, http.StatusUnprocessableEntity)
	})
}
