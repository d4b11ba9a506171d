package tenantapi_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/sessiond/sessiond/internal/auth"
)

// TestSignInRefusedWithSecondFactor: the tenant API has no second step,
// so the right password of a user with a second factor starts no session
// and answers 401 INVALID_CREDENTIALS naming the account pages; a wrong
// password keeps the generic answer.
func TestSignInRefusedWithSecondFactor(t *testing.T) {
	e := start(t)
	ten := e.tenant("acme")
	alice := e.signup(ten, "alice@example.com")
	ctx := context.Background()
	svc := e.app.Service()
	en, err := svc.BeginTOTP(ctx, ten.ID, alice.UserID)
	if err != nil {
		t.Fatal(err)
	}
	code, err := auth.TOTPCode(en.Secret, e.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.ConfirmTOTP(ctx, ten.ID, alice.UserID, code); err != nil {
		t.Fatal(err)
	}
	before, err := svc.UserSessions(ctx, ten.ID, alice.UserID)
	if err != nil {
		t.Fatal(err)
	}

	signin := func(pw string) (int, reply) {
		return e.post(ten, "/auth/signin", `{"method":"password","email":"alice@example.com","password":"`+pw+`"}`)
	}
	st, r := signin(password)
	wantError(t, "the right password alone", st, r, http.StatusUnauthorized, "INVALID_CREDENTIALS")
	if r.Error.Message != "This account has a second factor: sign in on the account pages" || r.Data != nil && string(r.Data) != "null" {
		t.Fatalf("the right password alone: message %q, data %s", r.Error.Message, r.Data)
	}
	st, r = signin("wrong-password")
	wantError(t, "a wrong password", st, r, http.StatusUnauthorized, "INVALID_CREDENTIALS")
	if r.Error.Message != "Invalid credentials" {
		t.Fatalf("a wrong password: message %q, want the generic one", r.Error.Message)
	}
	after, err := svc.UserSessions(ctx, ten.ID, alice.UserID)
	if err != nil {
		t.Fatal(err)
	}
	if len(after) != len(before) {
		t.Fatalf("%d sessions after the refused sign-ins, want %d", len(after), len(before))
	}
}
