package server_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sessiond/sessiond/internal/auth"
	"github.com/sessiond/sessiond/internal/config"
	"github.com/sessiond/sessiond/internal/server"
	"github.com/sessiond/sessiond/internal/server/servertest"
)

var cheap = servertest.Cheap

// serve runs a real App on a loopback port until the test ends.
func serve(t *testing.T, log *slog.Logger) (*server.App, context.CancelFunc, chan error) {
	t.Helper()
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	return serveConfig(t, cfg, log)
}

// serveConfig runs a real App on cfg, with cheap hashing, on a loopback
// port until the test ends (or cancel is called; done gets what Serve
// returns).
func serveConfig(t *testing.T, cfg config.Config, log *slog.Logger) (app *server.App, cancel context.CancelFunc, done chan error) {
	t.Helper()
	cfg.HTTPBindAddress = "127.0.0.1:0"
	cfg.PasswordHashCost = &cheap
	app, err := server.Open(context.Background(), cfg, log, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := app.Listen(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done = make(chan error, 1)
	go func() { done <- app.Serve(ctx) }()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	return app, cancel, done
}

func get(t *testing.T, url string, hdr map[string]string) (int, http.Header, string) {
	t.Helper()
	r, _ := http.NewRequest("GET", url, nil)
	for k, v := range hdr {
		r.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

func TestHealthReadyPing(t *testing.T) {
	app, _, _ := serve(t, nil)
	cases := []struct {
		path   string
		status int
		body   []string
	}{
		{"/ping", 204, nil},
		{"/health", 200, []string{`"status":"pass"`, `"name":"sessiond"`}},
		{"/ready", 200, []string{`"status": "ready"`, `"name": "sqlite"`, `"up": `}},
	}
	for _, c := range cases {
		status, hdr, body := get(t, app.URL()+c.path, nil)
		if status != c.status {
			t.Errorf("%s: %d, want %d", c.path, status, c.status)
		}
		if hdr.Get("X-Influxdb-Version") == "" {
			t.Errorf("%s: no X-Influxdb-Version", c.path)
		}
		for _, w := range c.body {
			if !strings.Contains(body, w) {
				t.Errorf("%s: body %s lacks %s", c.path, body, w)
			}
		}
	}
	r, _ := http.NewRequest("HEAD", app.URL()+"/ping", nil)
	resp, err := http.DefaultClient.Do(r)
	if err != nil || resp.StatusCode != 204 {
		t.Fatalf("HEAD /ping: %v %v", resp, err)
	}
}

func TestMetrics(t *testing.T) {
	app, _, _ := serve(t, nil)
	svc := app.Service()
	ctx := context.Background()
	if _, err := svc.CreateUser(ctx, auth.NewUser{TenantID: auth.DefaultTenantID, Name: "m", Password: "m-password"}); err != nil {
		t.Fatal(err)
	}
	for _, pw := range []string{"m-password", "wrong-password"} {
		r, _ := http.NewRequest("POST", app.URL()+"/api/v2/signin", nil)
		r.SetBasicAuth("m", pw)
		resp, err := http.DefaultClient.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	_, _, body := get(t, app.URL()+"/metrics", nil)
	for _, want := range []string{
		`sessiond_http_requests_total{code="204",route="POST /api/v2/signin"} 1`,
		`sessiond_http_requests_total{code="401",route="POST /api/v2/signin"} 1`,
		`sessiond_http_request_duration_seconds_count{route="POST /api/v2/signin"} 2`,
		`sessiond_signins_total{api="influxdb",outcome="success"} 1`,
		`sessiond_signins_total{api="influxdb",outcome="failure"} 1`,
		`sessiond_sessions_live 1`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

func TestRequestIDAndTraceLogged(t *testing.T) {
	var buf servertest.LogBuffer
	log := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	app, _, _ := serve(t, log)
	_, hdr, _ := get(t, app.URL()+"/ping", map[string]string{"Zap-Trace-Span": "4bf92f3577b34da6:00f067aa0ba902b7:0:1"})
	id := hdr.Get("X-Request-Id")
	if len(id) < 16 {
		t.Fatalf("no request ID header: %q", id)
	}
	_, hdr2, _ := get(t, app.URL()+"/ping", map[string]string{"X-Request-Id": "caller-chosen-1"})
	if hdr2.Get("X-Request-Id") != "caller-chosen-1" {
		t.Fatalf("a plain caller request ID was not kept: %q", hdr2.Get("X-Request-Id"))
	}
	_, hdr3, _ := get(t, app.URL()+"/ping", map[string]string{"X-Request-Id": "bad id\twith spaces"})
	if strings.Contains(hdr3.Get("X-Request-Id"), " ") {
		t.Fatal("an unsafe caller request ID was echoed")
	}
	logs := buf.String()
	if !strings.Contains(logs, `"request_id":"`+id+`"`) || !strings.Contains(logs, `"trace_id":"4bf92f3577b34da6"`) {
		t.Fatalf("request log lacks the request or trace ID:\n%s", logs)
	}
}

func TestGracefulShutdownFinishesInFlight(t *testing.T) {
	app, cancel, done := serve(t, nil)
	// A slow client holds a setup request open while the server is told to
	// stop; the server must finish it, and what it acknowledged must stay.
	pr, pw := io.Pipe()
	r, _ := http.NewRequest("POST", app.URL()+"/api/v2/setup", pr)
	result := make(chan int, 1)
	go func() {
		resp, err := http.DefaultClient.Do(r)
		if err != nil {
			result <- -1
			return
		}
		resp.Body.Close()
		result <- resp.StatusCode
	}()
	pw.Write([]byte(`{"username":"late",`))
	time.Sleep(50 * time.Millisecond) // let the request reach the handler
	cancel()
	select {
	case <-done:
		t.Fatal("Serve returned while a request was in flight")
	case <-time.After(100 * time.Millisecond):
	}
	pw.Write([]byte(`"password":"late-password","org":"o","bucket":"b"}`))
	pw.Close()
	if code := <-result; code != 201 {
		t.Fatalf("in-flight setup answered %d, want 201", code)
	}
	if err := <-done; err != nil {
		t.Fatalf("Serve: %v", err)
	}
	done <- nil // for the cleanup
	if _, err := app.Service().UserByName(context.Background(), auth.DefaultTenantID, "late"); err == nil {
		t.Fatal("the store is still open after Serve returned")
	}
}
