package influxapi_test

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/sessiond/sessiond/internal/auth"
)

// TestSigninWithSecondFactor: InfluxDB's Basic sign-in has no place for a
// second factor, so a user who has one cannot complete it with a password
// alone: a wrong password is the usual 401, the right one a 401 whose
// message sends the user to the account pages or an API token.
func TestSigninWithSecondFactor(t *testing.T) {
	e := start(t, t.TempDir())
	e.seed()
	ctx := context.Background()
	svc := e.app.Service()
	en, err := svc.BeginTOTP(ctx, auth.DefaultTenantID, userID)
	if err != nil {
		t.Fatal(err)
	}
	code, _ := auth.TOTPCode(en.Secret, e.clock.Now())
	if _, err := svc.ConfirmTOTP(ctx, auth.DefaultTenantID, userID, code); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		pass    string
		message string
	}{
		{name: "wrong password", pass: "not-it", message: "unauthorized access"},
		{name: "right password", pass: userPass, message: "this account has a second factor: sign in on the account pages (/ui/) or use an API token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := e.do(req{method: "POST", path: "/api/v2/signin", basic: []string{userName, tt.pass}})
			if resp.StatusCode != http.StatusUnauthorized {
				t.Fatalf("status %d, want 401; %s", resp.StatusCode, body)
			}
			if len(resp.Cookies()) != 0 {
				t.Fatal("a cookie was set")
			}
			var got struct{ Code, Message string }
			if err := json.Unmarshal([]byte(body), &got); err != nil || got.Code != "unauthorized" || got.Message != tt.message {
				t.Fatalf("body %s, want code unauthorized and message %q", body, tt.message)
			}
		})
	}
	// An API token of the same user still works.
	if got := e.status(req{method: "GET", path: "/api/v2/me", token: operToken}); got != http.StatusOK {
		t.Fatalf("API token: %d", got)
	}
}
