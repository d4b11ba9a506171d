package httpkit_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/sessiond/sessiond/internal/httpkit"
)

// TestMetricsCountEveryRequest: requests served at once on several
// routes and statuses, each pair first seen by many goroutines together,
// are each counted once in its own series and none is lost while the
// series are being added.
func TestMetricsCountEveryRequest(t *testing.T) {
	m := httpkit.NewMetrics()
	mux := http.NewServeMux()
	for i := range 4 {
		mux.HandleFunc(fmt.Sprintf("GET /r%d/{status}", i), func(w http.ResponseWriter, r *http.Request) {
			var code int
			fmt.Sscan(r.PathValue("status"), &code)
			w.WriteHeader(code)
		})
	}
	h := httpkit.Wrap(mux, httpkit.WrapOptions{Metrics: m})
	statuses := []int{200, 401, 404, 429}
	const each = 50
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for n := range each {
				for i := range 4 {
					st := statuses[(g+n+i)%len(statuses)]
					h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", fmt.Sprintf("/r%d/%d", i, st), nil))
				}
			}
		})
	}
	wg.Wait()
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body, _ := io.ReadAll(rec.Body)
	total, series := 0, 0
	for _, line := range strings.Split(string(body), "\n") {
		if !strings.HasPrefix(line, "sessiond_http_requests_total{") {
			continue
		}
		var n int
		fmt.Sscan(line[strings.LastIndexByte(line, ' ')+1:], &n)
		total += n
		series++
	}
	if want := 8 * each * 4; total != want || series != 16 {
		t.Fatalf("counted %d requests in %d series, want %d in 16:\n%s", total, series, want, body)
	}
	if !strings.Contains(string(body), `sessiond_rate_limited_total{api="other"} `+fmt.Sprint(8*each)) {
		t.Fatalf("429s not counted as rate limited:\n%s", body)
	}
}
