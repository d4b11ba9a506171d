package storetest

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sessiond/sessiond/internal/auth"
)

// emailVerified is part of IdentityStore: a user's EmailVerified is kept
// by create and update and read back by every lookup.
func emailVerified(t *testing.T, s Identity) {
	ctx := context.Background()
	u := newUser("t1", "verified@example.com")
	u.Email, u.EmailVerified = "verified@example.com", true
	must(t, "create", s.CreateUser(ctx, u))
	v := newUser("t1", "unverified@example.com")
	v.Email = "unverified@example.com"
	must(t, "create", s.CreateUser(ctx, v))
	check := func(what string, u *auth.User, want bool) {
		t.Helper()
		for name, read := range map[string]func() (*auth.User, error){
			"byID":    func() (*auth.User, error) { return s.UserByID(ctx, u.TenantID, u.ID) },
			"byName":  func() (*auth.User, error) { return s.UserByName(ctx, u.TenantID, u.Name) },
			"byEmail": func() (*auth.User, error) { return s.UserByEmail(ctx, u.TenantID, u.Email) },
		} {
			got, err := read()
			must(t, what+" "+name, err)
			if got.EmailVerified != want {
				t.Fatalf("%s %s: EmailVerified %t, want %t", what, name, got.EmailVerified, want)
			}
		}
	}
	check("created verified", u, true)
	check("created unverified", v, false)
	v.EmailVerified, u.EmailVerified = true, false
	must(t, "update", s.UpdateUser(ctx, v))
	must(t, "update", s.UpdateUser(ctx, u))
	check("updated to verified", v, true)
	check("updated to unverified", u, false)

	// The search looks at emails as well as names.
	w := newUser("t1", "google 1234")
	w.Email = "carol@example.org"
	must(t, "create", s.CreateUser(ctx, w))
	found, err := s.ListUsers(ctx, auth.UserFilter{TenantID: "t1", Search: "example.org"})
	must(t, "search by email", err)
	if len(found) != 1 || found[0].ID != w.ID {
		t.Fatalf("search by email: %v", found)
	}
}

// newOTP is a pending OTP of tenant for recipient by email.
func newOTP(tenant, recipient string) *auth.OTP {
	return &auth.OTP{
		ID: auth.NewID(), TenantID: tenant, Scope: auth.ScopeEmailVerification, ScopeID: "ref-1", Channel: auth.ChannelEmail,
		Recipient: recipient, UserID: "u1", CodeHash: "$argon2id$code", Status: auth.OTPPending,
		CreatedAt: base, LastSentAt: base, ExpiresAt: base.Add(10 * time.Minute), UpdatedAt: base, Version: 1,
	}
}

// OTPStore runs the OTPStore contract. open returns an empty store.
func OTPStore(t *testing.T, open func(t *testing.T) auth.OTPStore) {
	ctx := context.Background()
	t.Run("CreateAndFind", func(t *testing.T) {
		s := open(t)
		in := newOTP("t1", "a@example.com")
		must(t, "create", s.CreateOTP(ctx, in))
		wantCode(t, "same id", s.CreateOTP(ctx, newOTPWithID(in.ID)), auth.EConflict)
		got, err := s.OTPByID(ctx, "t1", in.ID)
		must(t, "by id", err)
		if got.ID != in.ID || got.TenantID != "t1" || got.Scope != in.Scope || got.ScopeID != "ref-1" || got.Channel != in.Channel ||
			got.Recipient != in.Recipient || got.UserID != "u1" || got.CodeHash != in.CodeHash || got.Status != auth.OTPPending ||
			got.Attempts != 0 || got.Resends != 0 || got.Version != 1 || !sameTime(got.CreatedAt, base) ||
			!sameTime(got.LastSentAt, base) || !sameTime(got.ExpiresAt, in.ExpiresAt) || !sameTime(got.UpdatedAt, base) {
			t.Fatalf("got %+v, want %+v", got, in)
		}
		_, err = s.OTPByID(ctx, "t2", in.ID)
		wantCode(t, "other tenant", err, auth.ENotFound)
		_, err = s.OTPByID(ctx, "t1", auth.NewID())
		wantCode(t, "unknown id", err, auth.ENotFound)
	})
	t.Run("CompareAndSwap", func(t *testing.T) {
		s := open(t)
		in := newOTP("t1", "a@example.com")
		must(t, "create", s.CreateOTP(ctx, in))
		a, b := *in, *in
		a.Attempts, a.Version, a.UpdatedAt = 1, 2, base.Add(time.Minute)
		must(t, "first update", s.UpdateOTP(ctx, &a))
		b.Status, b.Version = auth.OTPCancelled, 2
		wantCode(t, "update from a stale read", s.UpdateOTP(ctx, &b), auth.EConflict)
		a.Status, a.CodeHash, a.Resends, a.LastSentAt, a.ExpiresAt, a.Version = auth.OTPVerified, "$argon2id$new", 2, base.Add(time.Minute), base.Add(time.Hour), 3
		must(t, "second update", s.UpdateOTP(ctx, &a))
		got, err := s.OTPByID(ctx, "t1", in.ID)
		must(t, "read", err)
		if got.Status != auth.OTPVerified || got.Attempts != 1 || got.Resends != 2 || got.CodeHash != "$argon2id$new" || got.Version != 3 ||
			!sameTime(got.ExpiresAt, base.Add(time.Hour)) || !sameTime(got.LastSentAt, base.Add(time.Minute)) || !sameTime(got.UpdatedAt, base.Add(time.Minute)) {
			t.Fatalf("after updates: %+v", got)
		}
		gone := newOTP("t1", "b@example.com")
		gone.Version = 2
		wantCode(t, "update of an unknown OTP", s.UpdateOTP(ctx, gone), auth.ENotFound)
	})
	t.Run("ParallelUpdatesOneWins", func(t *testing.T) {
		s := open(t)
		in := newOTP("t1", "a@example.com")
		must(t, "create", s.CreateOTP(ctx, in))
		var wins atomic.Int32
		var wg sync.WaitGroup
		for i := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				o := *in
				o.Attempts, o.Version = i+1, 2
				err := s.UpdateOTP(ctx, &o)
				switch auth.ErrorCode(err) {
				case "":
					wins.Add(1)
				case auth.EConflict:
				default:
					t.Errorf("update: %v", err)
				}
			}()
		}
		wg.Wait()
		if n := wins.Load(); n != 1 {
			t.Fatalf("%d updates from the same version won, want 1", n)
		}
	})
	t.Run("CancelOthers", func(t *testing.T) {
		s := open(t)
		keep := newOTP("t1", "a@example.com")
		older := newOTP("t1", "a@example.com")
		verified := newOTP("t1", "a@example.com")
		verified.Status = auth.OTPVerified
		otherScope := newOTP("t1", "a@example.com")
		otherScope.Scope = auth.ScopeOTPSignIn
		otherRecipient := newOTP("t1", "b@example.com")
		otherTenant := newOTP("t2", "a@example.com")
		for _, o := range []*auth.OTP{keep, older, verified, otherScope, otherRecipient, otherTenant} {
			must(t, "create", s.CreateOTP(ctx, o))
		}
		n, err := s.CancelOTPs(ctx, "t1", auth.ScopeEmailVerification, auth.ChannelEmail, "a@example.com", keep.ID, base.Add(time.Minute))
		must(t, "cancel", err)
		if n != 1 {
			t.Fatalf("cancelled %d, want 1", n)
		}
		for _, c := range []struct {
			o    *auth.OTP
			want auth.OTPStatus
		}{{keep, auth.OTPPending}, {older, auth.OTPCancelled}, {verified, auth.OTPVerified}, {otherScope, auth.OTPPending}, {otherRecipient, auth.OTPPending}, {otherTenant, auth.OTPPending}} {
			got, err := s.OTPByID(ctx, c.o.TenantID, c.o.ID)
			must(t, "read", err)
			if got.Status != c.want {
				t.Fatalf("OTP %s of %s %s: status %s, want %s", c.o.Scope, c.o.TenantID, c.o.Recipient, got.Status, c.want)
			}
		}
		got, _ := s.OTPByID(ctx, "t1", older.ID)
		if got.Version != 2 || !sameTime(got.UpdatedAt, base.Add(time.Minute)) {
			t.Fatalf("a cancelled OTP keeps version %d and update time %v; a stale compare-and-swap would still win", got.Version, got.UpdatedAt)
		}
	})
	t.Run("Purge", func(t *testing.T) {
		s := open(t)
		old := newOTP("t1", "a@example.com")
		old.ExpiresAt = base.Add(-48 * time.Hour)
		live := newOTP("t1", "b@example.com")
		for _, o := range []*auth.OTP{old, live} {
			must(t, "create", s.CreateOTP(ctx, o))
		}
		n, err := s.PurgeOTPs(ctx, base.Add(-24*time.Hour), 100)
		must(t, "purge", err)
		if n != 1 {
			t.Fatalf("purged %d, want 1", n)
		}
		_, err = s.OTPByID(ctx, "t1", old.ID)
		wantCode(t, "purged", err, auth.ENotFound)
		_, err = s.OTPByID(ctx, "t1", live.ID)
		must(t, "live one", err)
	})
}

func newOTPWithID(id string) *auth.OTP {
	o := newOTP("t9", "x@example.com")
	o.ID = id
	return o
}

// newMessage is a queued message due at base.
func newMessage(tenant, recipient string) *auth.Message {
	return &auth.Message{
		ID: auth.NewID(), TenantID: tenant, Channel: auth.ChannelEmail, Recipient: recipient, Purpose: auth.ScopeResetPassword,
		Code: "123456", Subject: "Your code", Body: "Your code is 123456.", Status: auth.MessageQueued,
		NextAttempt: base, CreatedAt: base, UpdatedAt: base, ExpiresAt: base.Add(10 * time.Minute),
	}
}

// MessageStore runs the MessageStore contract. open returns an empty store.
func MessageStore(t *testing.T, open func(t *testing.T) auth.MessageStore) {
	ctx := context.Background()
	lease := time.Minute
	t.Run("EnqueueAndClaim", func(t *testing.T) {
		s := open(t)
		in := newMessage("t1", "a@example.com")
		must(t, "enqueue", s.EnqueueMessage(ctx, in))
		wantCode(t, "same id", s.EnqueueMessage(ctx, in), auth.EConflict)
		got, err := s.ClaimMessages(ctx, base.Add(-time.Second), lease, 10)
		must(t, "claim before due", err)
		if len(got) != 0 {
			t.Fatalf("claimed %d messages before they were due", len(got))
		}
		got, err = s.ClaimMessages(ctx, base, lease, 10)
		must(t, "claim", err)
		if len(got) != 1 {
			t.Fatalf("claimed %d, want 1", len(got))
		}
		m := got[0]
		if m.ID != in.ID || m.TenantID != "t1" || m.Channel != auth.ChannelEmail || m.Recipient != in.Recipient || m.Purpose != in.Purpose ||
			m.Code != "123456" || m.Subject != in.Subject || m.Body != in.Body || m.Status != auth.MessageQueued || m.Attempts != 1 ||
			!sameTime(m.NextAttempt, base.Add(lease)) || !sameTime(m.CreatedAt, base) || !sameTime(m.ExpiresAt, in.ExpiresAt) || !m.SentAt.IsZero() {
			t.Fatalf("claimed %+v", m)
		}
		again, err := s.ClaimMessages(ctx, base.Add(lease/2), lease, 10)
		must(t, "claim during the lease", err)
		if len(again) != 0 {
			t.Fatalf("a leased message was claimed again: %+v", again)
		}
		again, err = s.ClaimMessages(ctx, base.Add(lease), lease, 10)
		must(t, "claim after the lease", err)
		if len(again) != 1 || again[0].Attempts != 2 {
			t.Fatalf("after the lease ended: %+v", again)
		}
		stale := *m
		stale.Status, stale.SentAt, stale.UpdatedAt = auth.MessageSent, base, base
		wantCode(t, "finish by the first claim", s.FinishMessage(ctx, &stale), auth.EConflict)
		done := *again[0]
		done.Status, done.SentAt, done.UpdatedAt, done.Code, done.Body, done.Subject = auth.MessageSent, base.Add(lease), base.Add(lease), "", "", ""
		must(t, "finish", s.FinishMessage(ctx, &done))
		read, err := s.MessageByID(ctx, in.ID)
		must(t, "read", err)
		if read.Status != auth.MessageSent || read.Code != "" || read.Body != "" || read.Subject != "" || !sameTime(read.SentAt, base.Add(lease)) || read.Attempts != 2 {
			t.Fatalf("after finish: %+v", read)
		}
		got, _ = s.ClaimMessages(ctx, base.Add(time.Hour), lease, 10)
		if len(got) != 0 {
			t.Fatalf("a sent message was claimed: %+v", got)
		}
		_, err = s.MessageByID(ctx, auth.NewID())
		wantCode(t, "unknown", err, auth.ENotFound)
		unknown := newMessage("t1", "x@example.com")
		wantCode(t, "finish unknown", s.FinishMessage(ctx, unknown), auth.ENotFound)
	})
	t.Run("Retry", func(t *testing.T) {
		s := open(t)
		in := newMessage("t1", "a@example.com")
		must(t, "enqueue", s.EnqueueMessage(ctx, in))
		got, _ := s.ClaimMessages(ctx, base, lease, 10)
		m := *got[0]
		m.NextAttempt, m.LastError, m.UpdatedAt = base.Add(10*time.Second), "451 try later", base
		must(t, "finish as a retry", s.FinishMessage(ctx, &m))
		got, _ = s.ClaimMessages(ctx, base.Add(9*time.Second), lease, 10)
		if len(got) != 0 {
			t.Fatalf("claimed before its retry was due: %+v", got)
		}
		got, _ = s.ClaimMessages(ctx, base.Add(10*time.Second), lease, 10)
		if len(got) != 1 || got[0].LastError != "451 try later" || got[0].Attempts != 2 || got[0].Code != "123456" {
			t.Fatalf("retry: %+v", got)
		}
	})
	t.Run("LimitAndOrder", func(t *testing.T) {
		s := open(t)
		var ids []string
		for i := range 5 {
			m := newMessage("t1", fmt.Sprintf("%d@example.com", i))
			m.CreatedAt, m.NextAttempt = base.Add(time.Duration(i)*time.Second), base.Add(time.Duration(i)*time.Second)
			ids = append(ids, m.ID)
			must(t, "enqueue", s.EnqueueMessage(ctx, m))
		}
		got, err := s.ClaimMessages(ctx, base.Add(time.Minute), lease, 3)
		must(t, "claim", err)
		if len(got) != 3 || got[0].ID != ids[0] || got[1].ID != ids[1] || got[2].ID != ids[2] {
			t.Fatalf("claimed %v, want the three due first", got)
		}
		n, err := s.CountMessages(ctx, auth.MessageQueued)
		must(t, "count", err)
		if n != 5 {
			t.Fatalf("queued %d, want 5 (claimed messages stay queued)", n)
		}
	})
	t.Run("ParallelClaimsTakeEachOnce", func(t *testing.T) {
		s := open(t)
		const n = 40
		for i := range n {
			must(t, "enqueue", s.EnqueueMessage(ctx, newMessage("t1", fmt.Sprintf("%d@example.com", i))))
		}
		var mu sync.Mutex
		seen := map[string]int{}
		var wg sync.WaitGroup
		for range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					got, err := s.ClaimMessages(ctx, base, lease, 3)
					if err != nil {
						t.Errorf("claim: %v", err)
						return
					}
					if len(got) == 0 {
						return
					}
					mu.Lock()
					for _, m := range got {
						seen[m.ID]++
					}
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		if len(seen) != n {
			t.Fatalf("claimed %d distinct messages, want %d", len(seen), n)
		}
		for id, k := range seen {
			if k != 1 {
				t.Fatalf("message %s claimed %d times in one lease", id, k)
			}
		}
	})
	t.Run("Purge", func(t *testing.T) {
		s := open(t)
		sent := newMessage("t1", "a@example.com")
		queued := newMessage("t1", "b@example.com")
		for _, m := range []*auth.Message{sent, queued} {
			must(t, "enqueue", s.EnqueueMessage(ctx, m))
		}
		got, _ := s.ClaimMessages(ctx, base, lease, 10)
		for _, m := range got {
			if m.ID == sent.ID {
				m.Status, m.SentAt, m.UpdatedAt = auth.MessageSent, base, base
				must(t, "finish", s.FinishMessage(ctx, m))
			}
		}
		n, err := s.PurgeMessages(ctx, base.Add(time.Hour), 10)
		must(t, "purge", err)
		if n != 1 {
			t.Fatalf("purged %d, want 1 (queued ones stay)", n)
		}
		_, err = s.MessageByID(ctx, queued.ID)
		must(t, "queued one", err)
	})
}

// LinkStore runs the LinkStore contract. open returns an empty store.
func LinkStore(t *testing.T, open func(t *testing.T) auth.LinkStore) {
	ctx := context.Background()
	s := open(t)
	a := &auth.Link{TenantID: "t1", Provider: "google", Subject: "sub-1", UserID: "u1", CreatedAt: base}
	must(t, "create", s.CreateLink(ctx, a))
	wantCode(t, "same subject", s.CreateLink(ctx, &auth.Link{TenantID: "t1", Provider: "google", Subject: "sub-1", UserID: "u2", CreatedAt: base}), auth.EConflict)
	for _, l := range []*auth.Link{
		{TenantID: "t1", Provider: "apple", Subject: "sub-1", UserID: "u1", CreatedAt: base},
		{TenantID: "t2", Provider: "google", Subject: "sub-1", UserID: "u9", CreatedAt: base},
		{TenantID: "t1", Provider: "phone", Subject: "+905551234567", UserID: "u2", CreatedAt: base},
	} {
		must(t, "create", s.CreateLink(ctx, l))
	}
	got, err := s.LinkBySubject(ctx, "t1", "google", "sub-1")
	must(t, "by subject", err)
	if got.UserID != "u1" || !sameTime(got.CreatedAt, base) {
		t.Fatalf("got %+v", got)
	}
	_, err = s.LinkBySubject(ctx, "t1", "facebook", "sub-1")
	wantCode(t, "unknown", err, auth.ENotFound)
	list, err := s.UserLinks(ctx, "t1", "u1")
	must(t, "user links", err)
	if len(list) != 2 || list[0].Provider != "apple" || list[1].Provider != "google" {
		t.Fatalf("user links: %+v", list)
	}
	must(t, "delete", s.DeleteLink(ctx, "t1", "apple", "sub-1"))
	wantCode(t, "delete twice", s.DeleteLink(ctx, "t1", "apple", "sub-1"), auth.ENotFound)
	n, err := s.DeleteUserLinks(ctx, "t1", "u1")
	must(t, "delete user links", err)
	if n != 1 {
		t.Fatalf("deleted %d, want 1", n)
	}
	if got, err := s.LinkBySubject(ctx, "t2", "google", "sub-1"); err != nil || got.UserID != "u9" {
		t.Fatalf("another tenant's link: %+v %v", got, err)
	}
}
