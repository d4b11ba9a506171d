package audit_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/sessiond/sessiond/internal/audit"
	"github.com/sessiond/sessiond/internal/auth"
	"github.com/sessiond/sessiond/internal/httpkit"
)

func TestRecordWritesOneJSONLine(t *testing.T) {
	var buf bytes.Buffer
	l := audit.New(&buf, nil)
	var ctx context.Context
	h := httpkit.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { ctx = r.Context() }), httpkit.WrapOptions{Log: slog.New(slog.DiscardHandler)})
	r := httptest.NewRequest("GET", "/", nil)
	r.RemoteAddr = "192.0.2.5:4000"
	r.Header.Set("X-Request-Id", "req-1")
	h.ServeHTTP(httptest.NewRecorder(), r)

	at := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	l.Record(ctx, auth.Event{Time: at, Type: auth.EventUserUpdate, TenantID: "0000000000000001", User: "00000000000000b0",
		Actor: auth.Actor{UserID: "0a1b2c3d4e5f6789", TokenID: "00000000000000aa"}, Detail: "state active -> inactive"})
	l.Record(ctx, auth.Event{Time: at, Type: auth.EventSignIn, Outcome: auth.OutcomeFailure, IP: "198.51.100.1"})

	lines := bytes.Split(bytes.TrimSpace(buf.Bytes()), []byte("\n"))
	if len(lines) != 2 {
		t.Fatalf("got %d lines, want 2:\n%s", len(lines), buf.String())
	}
	var got map[string]any
	if err := json.Unmarshal(lines[0], &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"time": "2030-01-02T03:04:05Z", "event": "user.update", "tenant": "0000000000000001", "user": "00000000000000b0",
		"actor": map[string]any{"user": "0a1b2c3d4e5f6789", "token": "00000000000000aa"}, "ip": "192.0.2.5",
		"request_id": "req-1", "detail": "state active -> inactive",
	}
	gb, _ := json.Marshal(got)
	wb, _ := json.Marshal(want)
	if string(gb) != string(wb) {
		t.Fatalf("got %s\nwant %s", gb, wb)
	}
	if err := json.Unmarshal(lines[1], &got); err != nil || got["ip"] != "198.51.100.1" || got["outcome"] != "failure" {
		t.Fatalf("the core's address wins over the connection's: %v %v", got, err)
	}
}
