package auth_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sessiond/sessiond/internal/auth"
	"github.com/sessiond/sessiond/internal/store/memstore"
)

// recorder is an Auditor that keeps every event.
type recorder struct {
	mu     sync.Mutex
	events []auth.Event
}

func (r *recorder) Record(_ context.Context, e auth.Event) {
	r.mu.Lock()
	r.events = append(r.events, e)
	r.mu.Unlock()
}

func (r *recorder) of(typ string) []auth.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []auth.Event
	for _, e := range r.events {
		if e.Type == typ {
			out = append(out, e)
		}
	}
	return out
}

// lockoutEnv is an env with a limiter and the given lockout policy.
func lockoutEnv(t *testing.T, p auth.LockoutPolicy) (*env, *recorder) {
	t.Helper()
	rec := &recorder{}
	var lim *memstore.Limiter
	e := newEnv(t, func(c *auth.Config) {
		lim = memstore.NewLimiter(c.Now)
		c.Limiter, c.Lockout, c.Audit = lim, p, rec
	})
	return e, rec
}

func signInFrom(e *env, name, pw, ip string) error {
	_, _, _, err := signInWith(e.svc, context.Background(), signInReq{
		TenantID: auth.DefaultTenantID, Login: name, Password: pw, Client: auth.Client{IP: ip},
	})
	return err
}

var smallLockout = auth.LockoutPolicy{AccountLimit: 3, IPLimit: 100, Window: 15 * time.Minute, MaxLock: 2 * time.Hour}

func TestLockoutAccount(t *testing.T) {
	e, rec := lockoutEnv(t, smallLockout)
	e.createUser(t, "alice", "correct horse")
	for i := 1; i <= 3; i++ {
		wantErr(t, "wrong password", signInFrom(e, "alice", "wrong horse", "192.0.2.1"), auth.ErrBadCredentials)
	}
	err := signInFrom(e, "alice", "correct horse", "192.0.2.2")
	wantCode(t, "right password after the limit", err, auth.ELocked)
	until, ok := auth.LockedUntil(err)
	if !ok || !until.Equal(start.Add(15*time.Minute)) {
		t.Fatalf("LockedUntil: got %v %v, want %v", until, ok, start.Add(15*time.Minute))
	}
	if n := len(rec.of(auth.EventLockout)); n != 1 {
		t.Fatalf("got %d lockout events, want 1", n)
	}
	e.clock.Set(15*time.Minute - time.Second)
	wantCode(t, "just before the lock ends", signInFrom(e, "alice", "correct horse", "192.0.2.2"), auth.ELocked)
	e.clock.Set(15 * time.Minute)
	must(t, "right password once the lock ends", signInFrom(e, "alice", "correct horse", "192.0.2.2"))
}

func TestLockoutGrowsWithConsecutiveLocks(t *testing.T) {
	e, _ := lockoutEnv(t, smallLockout)
	e.createUser(t, "alice", "correct horse")
	at := time.Duration(0)
	for _, want := range []time.Duration{15 * time.Minute, 30 * time.Minute, time.Hour, 2 * time.Hour, 2 * time.Hour} {
		e.clock.Set(at)
		for range 3 {
			signInFrom(e, "alice", "wrong horse", "192.0.2.1")
		}
		until, _ := auth.LockedUntil(signInFrom(e, "alice", "wrong horse", "192.0.2.1"))
		if got := until.Sub(start.Add(at)); got != want {
			t.Fatalf("lock at %v: got %v, want %v", at, got, want)
		}
		at += want
	}
	e.clock.Set(at)
	must(t, "a good sign-in after the lock", signInFrom(e, "alice", "correct horse", "192.0.2.1"))
	for range 3 {
		signInFrom(e, "alice", "wrong horse", "192.0.2.1")
	}
	until, _ := auth.LockedUntil(signInFrom(e, "alice", "wrong horse", "192.0.2.1"))
	if got := until.Sub(start.Add(at)); got != 15*time.Minute {
		t.Fatalf("after a good sign-in the lock should start over at 15m, got %v", got)
	}
}

func TestLockoutGoodSignInResets(t *testing.T) {
	e, _ := lockoutEnv(t, smallLockout)
	e.createUser(t, "alice", "correct horse")
	for range 10 {
		wantErr(t, "wrong", signInFrom(e, "alice", "wrong horse", "192.0.2.1"), auth.ErrBadCredentials)
		wantErr(t, "wrong", signInFrom(e, "alice", "wrong horse", "192.0.2.1"), auth.ErrBadCredentials)
		must(t, "right", signInFrom(e, "alice", "correct horse", "192.0.2.1"))
	}
}

func TestLockoutUnknownLoginLocksToo(t *testing.T) {
	e, _ := lockoutEnv(t, smallLockout)
	for range 3 {
		wantErr(t, "unknown", signInFrom(e, "nobody", "whatever-pw", "192.0.2.1"), auth.ErrBadCredentials)
	}
	wantCode(t, "unknown past the limit", signInFrom(e, "NoBody", "whatever-pw", "192.0.2.1"), auth.ELocked)
}

func TestLockoutPerIP(t *testing.T) {
	e, _ := lockoutEnv(t, auth.LockoutPolicy{AccountLimit: 100, IPLimit: 5, Window: time.Minute, MaxLock: time.Hour})
	e.createUser(t, "alice", "correct horse")
	for i := range 5 {
		wantErr(t, "stuffing", signInFrom(e, "user"+string(rune('a'+i)), "whatever-pw", "2001:db8::1"), auth.ErrBadCredentials)
	}
	wantCode(t, "same /64", signInFrom(e, "alice", "correct horse", "2001:db8::2"), auth.ELocked)
	must(t, "another address", signInFrom(e, "alice", "correct horse", "2001:db8:1::1"))
	e.clock.Set(time.Minute)
	must(t, "after the window", signInFrom(e, "alice", "correct horse", "2001:db8::2"))
}

// 50 parallel wrong passwords: no more than the limit are evaluated, and
// the right password is refused afterwards.
func TestLockoutConcurrent(t *testing.T) {
	e, _ := lockoutEnv(t, auth.LockoutPolicy{AccountLimit: 10, IPLimit: 1000, Window: time.Hour, MaxLock: time.Hour})
	e.createUser(t, "alice", "correct horse")
	var bad, locked atomic.Int32
	var wg sync.WaitGroup
	for range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			switch auth.ErrorCode(signInFrom(e, "alice", "wrong horse", "192.0.2.1")) {
			case auth.EUnauthorized:
				bad.Add(1)
			case auth.ELocked:
				locked.Add(1)
			default:
				t.Error("unexpected error")
			}
		}()
	}
	wg.Wait()
	if bad.Load() != 10 || locked.Load() != 40 {
		t.Fatalf("got %d evaluated and %d locked, want 10 and 40", bad.Load(), locked.Load())
	}
	wantCode(t, "right password", signInFrom(e, "alice", "correct horse", "192.0.2.1"), auth.ELocked)
}

func TestLockoutListAndClear(t *testing.T) {
	e, rec := lockoutEnv(t, smallLockout)
	u := e.createUser(t, "alice", "correct horse")
	for range 4 {
		signInFrom(e, "alice", "wrong horse", "192.0.2.9")
	}
	list, err := e.svc.Lockouts(context.Background())
	must(t, "list", err)
	var acct, ip *auth.Lockout
	for i := range list {
		switch list[i].Kind {
		case "login":
			acct = &list[i]
		case "ip":
			ip = &list[i]
		}
	}
	// The login's key is a hash of the name as typed; Lockouts tells
	// whose it is.
	if acct == nil || !acct.Locked || acct.UserID != u.ID || acct.Strikes != 1 || acct.Failures != 3 {
		t.Fatalf("login lockout: got %+v in %+v", acct, list)
	}
	if ip == nil || ip.Locked || ip.IP != "192.0.2.9" || ip.Failures != 4 {
		t.Fatalf("ip entry: got %+v", ip)
	}
	if acct.Key != auth.LoginLockoutKey(auth.DefaultTenantID, "ALICE") {
		t.Fatalf("key %q, want %q", acct.Key, auth.LoginLockoutKey(auth.DefaultTenantID, "alice"))
	}
	must(t, "clear", e.svc.ClearLockout(context.Background(), acct.Key))
	must(t, "sign in after clear", signInFrom(e, "alice", "correct horse", "192.0.2.9"))
	wantCode(t, "bad key", e.svc.ClearLockout(context.Background(), "account:x"), auth.EInvalid)
	if len(rec.of(auth.EventLockoutClear)) != 1 {
		t.Fatal("no lockout.clear event")
	}
}

// A wrong old password counts like a failed sign-in.
func TestLockoutChangePassword(t *testing.T) {
	e, _ := lockoutEnv(t, smallLockout)
	u := e.createUser(t, "alice", "correct horse")
	for range 3 {
		wantErr(t, "wrong old", e.svc.ChangePassword(context.Background(), auth.DefaultTenantID, u.ID, "wrong horse", "a new passphrase", false, ""), auth.ErrWrongOldPassword)
	}
	wantCode(t, "right old, locked", e.svc.ChangePassword(context.Background(), auth.DefaultTenantID, u.ID, "correct horse", "a new passphrase", false, ""), auth.ELocked)
}

func TestLockoutOffWithoutLimiter(t *testing.T) {
	e := newEnv(t)
	e.createUser(t, "alice", "correct horse")
	for range 20 {
		signInFrom(e, "alice", "wrong horse", "192.0.2.1")
	}
	must(t, "no limiter, no lockout", signInFrom(e, "alice", "correct horse", "192.0.2.1"))
	if list, err := e.svc.Lockouts(context.Background()); err != nil || len(list) != 0 {
		t.Fatalf("lockouts without a limiter: %v %v", list, err)
	}
}

// A digest sign-in (Rocket.Chat's {digest}) is counted under the same
// login as the password, and refused while it is locked.
func TestLockoutDigest(t *testing.T) {
	e, rec := lockoutEnv(t, smallLockout)
	e.createUser(t, "alice", "correct horse")
	digest := func(pw string) error {
		_, err := e.svc.SignIn(context.Background(), auth.Attempt{
			TenantID: auth.DefaultTenantID, Login: "alice", Credential: auth.PasswordDigest{SHA256: auth.Digest(pw)},
			Client: auth.Client{IP: "192.0.2.1"},
		})
		return err
	}
	for range 2 {
		wantErr(t, "bad digest", digest("wrong horse"), auth.ErrBadCredentials)
	}
	wantErr(t, "bad password", signInFrom(e, "alice", "wrong horse", "192.0.2.1"), auth.ErrBadCredentials)
	wantCode(t, "good digest while locked", digest("correct horse"), auth.ELocked)
	e.clock.Set(15 * time.Minute)
	must(t, "good digest after the lock", digest("correct horse"))
	if n := len(rec.of(auth.EventSignIn)); n != 5 {
		t.Fatalf("%d sign-in events, want 5", n)
	}
}

// A locked login or address is refused before any password hash: with
// the hash pool full, a locked attempt still answers ELocked at once,
// while one that would hash is refused by the pool.
func TestLockoutRefusesBeforeHashing(t *testing.T) {
	h := auth.NewHasher(fastArgon2, 1, 1)
	rec := &recorder{}
	e := newEnv(t, func(c *auth.Config) {
		c.Hasher, c.Limiter, c.Audit = h, memstore.NewLimiter(c.Now), rec
		c.Lockout = auth.LockoutPolicy{AccountLimit: 2, IPLimit: 3, Window: time.Hour, MaxLock: time.Hour}
	})
	e.createUser(t, "alice", "correct horse")
	for range 2 {
		wantErr(t, "wrong password", signInFrom(e, "alice", "wrong horse", "192.0.2.1"), auth.ErrBadCredentials)
	}
	wantErr(t, "unknown login", signInFrom(e, "nobody", "wrong horse", "192.0.2.1"), auth.ErrBadCredentials)

	busy := occupy(t, h)
	waitFull(t, h, busy)
	wantCode(t, "locked login, pool full", signInFrom(e, "alice", "correct horse", "192.0.2.2"), auth.ELocked)
	wantCode(t, "locked address, pool full", signInFrom(e, "carol", "any password", "192.0.2.1"), auth.ELocked)
	err := signInFrom(e, "bob", "any password", "192.0.2.3")
	wantCode(t, "neither locked, pool full", err, auth.EUnavailable)
	if d, ok := auth.RetryAfter(err); !ok || d <= 0 {
		t.Fatalf("a full pool gives no Retry-After: %v %v", d, ok)
	}
	if err := <-busy.done; err != nil {
		t.Fatalf("occupant: %v", err)
	}
	outcomes := map[string]int{}
	for _, ev := range rec.of(auth.EventSignIn) {
		outcomes[ev.Outcome]++
	}
	if outcomes[auth.OutcomeLocked] != 2 || outcomes[auth.OutcomeUnavailable] != 1 || outcomes[auth.OutcomeFailure] != 3 {
		t.Fatalf("sign-in outcomes %v", outcomes)
	}
}

// More parallel sign-ins with the right password than the limit: the
// excess may be refused for the moment, but the account never locks.
func TestLockoutParallelGoodSignInsNeverLock(t *testing.T) {
	e, rec := lockoutEnv(t, auth.LockoutPolicy{AccountLimit: 3, IPLimit: 1000, Window: time.Hour, MaxLock: time.Hour})
	e.createUser(t, "alice", "correct horse")
	var wg sync.WaitGroup
	for range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := signInFrom(e, "alice", "correct horse", "192.0.2.1"); err != nil && auth.ErrorCode(err) != auth.ELocked {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if n := len(rec.of(auth.EventLockout)); n != 0 {
		t.Fatalf("%d lockouts from good sign-ins", n)
	}
	must(t, "a good sign-in after the burst", signInFrom(e, "alice", "correct horse", "192.0.2.1"))
}

// waitFull returns once the pool refuses a probe: o holds its only place.
func waitFull(t testing.TB, h *auth.Hasher, o *occupant) {
	t.Helper()
	untilRefused(t, o, func() error {
		_, err := h.Hash(context.Background(), "probe password")
		return err
	})
}
