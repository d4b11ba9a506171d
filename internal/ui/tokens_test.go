package ui_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sessiond/sessiond/internal/auth"
)

// TestPersonalTokensInSessionList: a personal access token shows in its
// owner's session list as a token, and is revoked there; nobody else can
// revoke it.
func TestPersonalTokensInSessionList(t *testing.T) {
	e := newEnv(t)
	alice, bob := e.user("alice", false), e.user("bob", false)
	ctx := context.Background()
	pt, secret, err := e.svc.CreatePersonalToken(ctx, alice.TenantID, alice.ID, "deploy-bot", true)
	if err != nil {
		t.Fatal(err)
	}
	b := e.client()
	b.signIn("bob", goodPassword)
	if p := b.post("/ui/tokens/"+pt.ID+"/revoke", nil); p.location() != "/ui/sessions?m=gone" {
		t.Fatalf("%s revoking alice's token: %d to %q", bob.Name, p.status, p.location())
	}
	c := e.client()
	page := c.signIn("alice", goodPassword)
	if !strings.Contains(page.body, "deploy-bot") || !strings.Contains(page.body, secret[len(secret)-6:]) || strings.Contains(page.body, secret) {
		t.Fatal("the session list does not show the token by name and last part only")
	}
	p := c.post("/ui/tokens/"+pt.ID+"/revoke", nil)
	if p.status != http.StatusSeeOther || p.location() != "/ui/sessions?m=token-revoked" {
		t.Fatalf("revoke: %d to %q", p.status, p.location())
	}
	if _, _, err := e.svc.AuthenticatePersonalToken(ctx, secret); auth.ErrorCode(err) != auth.EUnauthorized {
		t.Fatalf("revoked token: %v", err)
	}
}

// TestAdminResetsFactors: an admin removes the second factors of a user
// who lost them, after proving it is the admin.
func TestAdminResetsFactors(t *testing.T) {
	e := newEnv(t)
	e.user("root", true)
	alice := e.user("alice", false)
	ctx := context.Background()
	en, _ := e.svc.BeginTOTP(ctx, alice.TenantID, alice.ID)
	code, _ := auth.TOTPCode(en.Secret, e.clock.Now())
	if _, err := e.svc.ConfirmTOTP(ctx, alice.TenantID, alice.ID, code); err != nil {
		t.Fatal(err)
	}
	c := e.client()
	c.signIn("root", goodPassword)
	e.clock.Advance(auth.DefaultReauthWindow + time.Second)
	p := c.post("/ui/admin/users/"+alice.ID+"/factors/reset", nil)
	if p.status != http.StatusSeeOther || !strings.HasPrefix(p.location(), "/ui/reauth?") {
		t.Fatalf("reset without a recent proof: %d to %q", p.status, p.location())
	}
	if ok, _ := e.svc.HasSecondFactor(ctx, alice); !ok {
		t.Fatal("factors removed without a proof")
	}
	c.mustGet(p.location())
	c.post("/ui/reauth", map[string][]string{"password": {goodPassword}, "next": {"/ui/admin/users/" + alice.ID}})
	c.mustGet("/ui/admin/users/" + alice.ID)
	p = c.post("/ui/admin/users/"+alice.ID+"/factors/reset", nil)
	if p.status != http.StatusSeeOther || p.location() != "/ui/admin/users/"+alice.ID+"?m=factors-reset" {
		t.Fatalf("reset: %d to %q", p.status, p.location())
	}
	if ok, _ := e.svc.HasSecondFactor(ctx, alice); ok {
		t.Fatal("the factors are still there")
	}
	if n, _ := e.svc.RecoveryCodesLeft(ctx, alice.TenantID, alice.ID); n != 0 {
		t.Fatalf("%d recovery codes left", n)
	}
}
