package server_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sessiond/sessiond/internal/auth"
	"github.com/sessiond/sessiond/internal/config"
	"github.com/sessiond/sessiond/internal/openapitest"
	"github.com/sessiond/sessiond/internal/server"
	"github.com/sessiond/sessiond/internal/server/servertest"
)

// TestRocketRevokeIsAuditedWithItsActor: a session ended through the
// Rocket.Chat dialect is an audit event naming who ended it.
func TestRocketRevokeIsAuditedWithItsActor(t *testing.T) {
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	cfg.PasswordHashCost = &cheap
	cfg.AuditLog = filepath.Join(t.TempDir(), "audit.jsonl")
	app, err := server.Open(context.Background(), cfg, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(openapitest.Wrap(t, app.Handler()))
	defer func() { srv.Close(); app.Close() }()
	ctx := context.Background()
	u, err := app.Service().CreateUser(ctx, auth.NewUser{TenantID: auth.DefaultTenantID, Name: "eve", Password: "eve-password-77"})
	if err != nil {
		t.Fatal(err)
	}
	other, _ := servertest.SignIn(t, app, auth.DefaultTenantID, u.Name, "eve-password-77", auth.OriginInflux, auth.Client{})
	mine, tok := servertest.SignIn(t, app, auth.DefaultTenantID, u.Name, "eve-password-77", auth.OriginRocket, auth.Client{})
	r, _ := http.NewRequest("POST", srv.URL+"/api/v1/sessions/logout.me", strings.NewReader(`{"sessionId":"`+other.ID+`"}`))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("X-User-Id", u.ID)
	r.Header.Set("X-Auth-Token", tok)
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("logout.me: %d", resp.StatusCode)
	}
	f, err := os.Open(cfg.AuditLog)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var ev struct {
			Event   string
			Session string
			Actor   struct{ User, Session string }
		}
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			t.Fatalf("audit line %q: %v", sc.Text(), err)
		}
		if ev.Event == auth.EventSessionRevoke && ev.Session == other.ID {
			if ev.Actor.User != u.ID || ev.Actor.Session != mine.ID {
				t.Fatalf("revoke audited with actor %+v, want user %s session %s", ev.Actor, u.ID, mine.ID)
			}
			if strings.Contains(sc.Text(), tok) {
				t.Fatal("the audit line holds a token")
			}
			return
		}
	}
	t.Fatal("no session.revoke event for the ended session")
}
