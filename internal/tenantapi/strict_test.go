package tenantapi_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/sessiond/sessiond/internal/auth"
)

// TestStrictJSON: a body that names the sign-in method twice, holds
// bytes that are not UTF-8 or a lone surrogate is refused with
// BAD_REQUEST, never read as its last key or with U+FFFD: the body that
// says password and then guest signs no guest in.
func TestStrictJSON(t *testing.T) {
	e := start(t)
	ten := e.tenant("acme")
	tk := e.signup(ten, "user@example.com")
	tests := []struct {
		name string
		c    call
		msg  string
	}{
		{"method twice", call{method: "POST", path: "/auth/signin", body: `{"method":"password","method":"guest"}`}, `"method" twice`},
		{"email twice", call{method: "POST", path: "/auth/signin", body: `{"method":"password","email":"a@example.com","email":"user@example.com","password":"` + password + `"}`}, `"email" twice`},
		{"password of invalid bytes", call{method: "POST", path: "/auth/signup", body: "{\"method\":\"password\",\"email\":\"new@example.com\",\"password\":\"\xff\xfe\xfd\xfcabcdefgh\"}"}, "UTF-8"},
		{"email with a lone surrogate", call{method: "POST", path: "/auth/signup", body: `{"method":"password","email":"\udc00@example.com","password":"` + password + `"}`}, "surrogate"},
		{"terminate strategy twice", call{method: "POST", path: "/auth/terminate", token: tk.AccessToken, body: `{"reason":"r","strategy":"soft","strategy":"hard"}`}, `"strategy" twice`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.c.tenant = ten.Token
			st, r := e.send(tt.c)
			if st != http.StatusBadRequest || r.Error == nil || r.Error.Code != "BAD_REQUEST" || !strings.Contains(r.Error.Message, tt.msg) {
				t.Fatalf("got %d %+v %s, want 400 BAD_REQUEST naming %q", st, r.Error, r.Data, tt.msg)
			}
		})
	}
	users, err := e.app.Service().Users(context.Background(), auth.UserFilter{TenantID: ten.ID})
	if err != nil {
		t.Fatal(err)
	}
	if len(users) != 1 {
		t.Fatalf("%d users in the tenant, want only the one signed up", len(users))
	}
	if got := e.stored(ten, tk.UserID); got != "logged_in" {
		t.Fatalf("the user's status changed: %s", got)
	}
}
