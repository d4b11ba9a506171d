package storetest

import (
	"bytes"
	"context"
	"sync"
	"testing"

	"github.com/sessiond/sessiond/internal/auth"
)

// Factors is a store of second factors, recovery codes and personal
// access tokens, as the embedded and PostgreSQL stores provide.
type Factors interface {
	auth.FactorStore
	auth.RecoveryCodeStore
	auth.PersonalTokenStore
}

func newFactor(tenant, user string, kind auth.FactorKind) *auth.Factor {
	return &auth.Factor{ID: auth.NewID(), TenantID: tenant, UserID: user, Kind: kind, Name: string(kind), CreatedAt: base}
}

// FactorStores runs the FactorStore, RecoveryCodeStore and
// PersonalTokenStore contracts. open returns an empty store.
func FactorStores(t *testing.T, open func(t *testing.T) Factors) {
	ctx := context.Background()
	tenant, user, other := auth.NewID(), auth.NewID(), auth.NewID()

	t.Run("FactorsRoundTrip", func(t *testing.T) {
		s := open(t)
		a := newFactor(tenant, user, auth.FactorTOTP)
		a.Secret = []byte{1, 2, 3}
		must(t, "create totp", s.CreateFactor(ctx, a))
		b := newFactor(tenant, user, auth.FactorPasskey)
		b.CreatedAt = base.Add(1e9)
		b.CredentialID, b.Secret, b.Confirmed, b.LastStep = []byte("cred-1"), []byte(`{"id":"x"}`), true, 7
		must(t, "create passkey", s.CreateFactor(ctx, b))
		wantCode(t, "same ID", s.CreateFactor(ctx, a), auth.EConflict)
		dup := newFactor(tenant, other, auth.FactorPasskey)
		dup.CredentialID = []byte("cred-1")
		wantCode(t, "same credential in the tenant", s.CreateFactor(ctx, dup), auth.EConflict)
		elsewhere := newFactor(auth.NewID(), other, auth.FactorPasskey)
		elsewhere.CredentialID = []byte("cred-1")
		must(t, "same credential in another tenant", s.CreateFactor(ctx, elsewhere))

		got, err := s.UserFactors(ctx, tenant, user)
		must(t, "list", err)
		if len(got) != 2 || got[0].ID != a.ID || got[1].ID != b.ID {
			t.Fatalf("got %d factors, want totp then passkey", len(got))
		}
		if !bytes.Equal(got[0].Secret, a.Secret) || got[0].Confirmed || got[0].Kind != auth.FactorTOTP || !sameTime(got[0].CreatedAt, base) {
			t.Fatalf("totp read back as %+v", got[0])
		}
		if !bytes.Equal(got[1].CredentialID, b.CredentialID) || !got[1].Confirmed || got[1].LastStep != 7 || !got[1].LastUsed.IsZero() {
			t.Fatalf("passkey read back as %+v", got[1])
		}
		if list, err := s.UserFactors(ctx, tenant, other); err != nil || len(list) != 0 {
			t.Fatalf("another user's factors: %d, %v", len(list), err)
		}

		a.Confirmed, a.Name, a.Code, a.CodeExpires, a.LastUsed = true, "phone", []byte("mac"), base.Add(3e9), base.Add(2e9)
		must(t, "update", s.UpdateFactor(ctx, a))
		got, _ = s.UserFactors(ctx, tenant, user)
		if !got[0].Confirmed || got[0].Name != "phone" || string(got[0].Code) != "mac" || !sameTime(got[0].CodeExpires, base.Add(3e9)) || !sameTime(got[0].LastUsed, base.Add(2e9)) {
			t.Fatalf("updated factor read back as %+v", got[0])
		}
		ghost := newFactor(tenant, user, auth.FactorTOTP)
		wantCode(t, "update unknown", s.UpdateFactor(ctx, ghost), auth.ENotFound)

		must(t, "delete", s.DeleteFactor(ctx, tenant, a.ID))
		wantCode(t, "delete again", s.DeleteFactor(ctx, tenant, a.ID), auth.ENotFound)
		wantCode(t, "delete in another tenant", s.DeleteFactor(ctx, auth.NewID(), b.ID), auth.ENotFound)
	})

	t.Run("AdvanceStepOnce", func(t *testing.T) {
		s := open(t)
		f := newFactor(tenant, user, auth.FactorTOTP)
		f.LastStep = 100
		must(t, "create", s.CreateFactor(ctx, f))
		wantCode(t, "same step", s.AdvanceFactorStep(ctx, tenant, f.ID, 100, base), auth.EConflict)
		wantCode(t, "older step", s.AdvanceFactorStep(ctx, tenant, f.ID, 99, base), auth.EConflict)
		wantCode(t, "unknown factor", s.AdvanceFactorStep(ctx, tenant, auth.NewID(), 101, base), auth.ENotFound)
		// Racing uses of one step: exactly one wins.
		var wg sync.WaitGroup
		wins := make(chan bool, 8)
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				wins <- s.AdvanceFactorStep(ctx, tenant, f.ID, 101, base.Add(1e9)) == nil
			}()
		}
		wg.Wait()
		close(wins)
		n := 0
		for w := range wins {
			if w {
				n++
			}
		}
		if n != 1 {
			t.Fatalf("%d racing uses of one step won, want 1", n)
		}
		got, _ := s.UserFactors(ctx, tenant, user)
		if got[0].LastStep != 101 || !sameTime(got[0].LastUsed, base.Add(1e9)) {
			t.Fatalf("after advancing: step %d, last used %v", got[0].LastStep, got[0].LastUsed)
		}
	})

	t.Run("RecoveryCodesOnce", func(t *testing.T) {
		s := open(t)
		h1, h2 := auth.HashToken("one"), auth.HashToken("two")
		must(t, "set", s.SetRecoveryCodes(ctx, tenant, user, []auth.Hash{h1, h2}, base))
		if n, err := s.RecoveryCodesLeft(ctx, tenant, user); err != nil || n != 2 {
			t.Fatalf("left: %d, %v; want 2", n, err)
		}
		must(t, "use", s.UseRecoveryCode(ctx, tenant, user, h1, base))
		wantCode(t, "use again", s.UseRecoveryCode(ctx, tenant, user, h1, base), auth.ENotFound)
		wantCode(t, "another user's", s.UseRecoveryCode(ctx, tenant, other, h2, base), auth.ENotFound)
		wantCode(t, "unknown", s.UseRecoveryCode(ctx, tenant, user, auth.HashToken("x"), base), auth.ENotFound)
		if n, _ := s.RecoveryCodesLeft(ctx, tenant, user); n != 1 {
			t.Fatalf("left after one use: %d, want 1", n)
		}
		must(t, "replace", s.SetRecoveryCodes(ctx, tenant, user, []auth.Hash{h1}, base))
		if n, _ := s.RecoveryCodesLeft(ctx, tenant, user); n != 1 {
			t.Fatalf("left after replacing: %d, want 1", n)
		}
		wantCode(t, "old code after replacing", s.UseRecoveryCode(ctx, tenant, user, h2, base), auth.ENotFound)
		f := newFactor(tenant, user, auth.FactorTOTP)
		must(t, "create factor", s.CreateFactor(ctx, f))
		must(t, "delete user factors", s.DeleteUserFactors(ctx, tenant, user))
		if n, _ := s.RecoveryCodesLeft(ctx, tenant, user); n != 0 {
			t.Fatalf("codes left after deleting the user's factors: %d", n)
		}
		if list, _ := s.UserFactors(ctx, tenant, user); len(list) != 0 {
			t.Fatalf("factors left after deleting the user's factors: %d", len(list))
		}
	})

	t.Run("PersonalTokens", func(t *testing.T) {
		s := open(t)
		a := &auth.PersonalToken{ID: auth.NewID(), TenantID: tenant, UserID: user, Name: "ci", Hash: auth.HashToken("a"), LastPart: "aaaaaa", BypassTwoFactor: true, CreatedAt: base}
		must(t, "create", s.CreatePersonalToken(ctx, a))
		same := *a
		same.ID, same.Hash = auth.NewID(), auth.HashToken("b")
		wantCode(t, "same name", s.CreatePersonalToken(ctx, &same), auth.EConflict)
		sameHash := *a
		sameHash.ID, sameHash.Name = auth.NewID(), "other"
		wantCode(t, "same hash", s.CreatePersonalToken(ctx, &sameHash), auth.EConflict)
		got, err := s.PersonalTokenByHash(ctx, a.Hash)
		must(t, "by hash", err)
		if got.ID != a.ID || got.Name != "ci" || !got.BypassTwoFactor || got.LastPart != "aaaaaa" || !sameTime(got.CreatedAt, base) {
			t.Fatalf("read back as %+v", got)
		}
		_, err = s.PersonalTokenByHash(ctx, auth.HashToken("nope"))
		wantCode(t, "unknown hash", err, auth.ENotFound)
		a.Hash, a.LastPart, a.CreatedAt = auth.HashToken("c"), "cccccc", base.Add(5e9)
		must(t, "update", s.UpdatePersonalToken(ctx, a))
		_, err = s.PersonalTokenByHash(ctx, auth.HashToken("a"))
		wantCode(t, "old hash", err, auth.ENotFound)
		list, err := s.UserPersonalTokens(ctx, tenant, user)
		must(t, "list", err)
		if len(list) != 1 || list[0].Hash != auth.HashToken("c") || !sameTime(list[0].CreatedAt, base.Add(5e9)) {
			t.Fatalf("list after update: %+v", list)
		}
		must(t, "delete", s.DeletePersonalToken(ctx, tenant, a.ID))
		wantCode(t, "delete again", s.DeletePersonalToken(ctx, tenant, a.ID), auth.ENotFound)
		wantCode(t, "update deleted", s.UpdatePersonalToken(ctx, a), auth.ENotFound)
	})
}
