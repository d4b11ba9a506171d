package auth_test

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/sessiond/sessiond/internal/auth"
)

// Many goroutines sign in, check and sign out on one Service while the
// clock moves and readers list sessions. Run under -race. Every operation
// succeeds and the session count balances at the end.
func TestConcurrentSignInCheckSignOut(t *testing.T) {
	const (
		workers = 16
		rounds  = 25
		users   = 4
	)
	ctx := context.Background()
	e := newEnv(t, func(c *auth.Config) { c.Hasher = auth.NewHasher(fastArgon2, 4, 0) })
	var ids []string
	for i := range users {
		ids = append(ids, e.createUser(t, fmt.Sprintf("user%d", i), "correct horse").ID)
	}

	kept := make([]string, workers) // each worker's last session stays signed in
	errs := make(chan error, workers*rounds)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			name := fmt.Sprintf("user%d", w%users)
			for r := range rounds {
				sess, token, _, err := signInWith(e.svc, ctx, signInReq{
					TenantID: auth.DefaultTenantID, Login: name, Password: "correct horse", Origin: auth.OriginInflux,
				})
				if err != nil {
					errs <- fmt.Errorf("worker %d round %d: sign in: %w", w, r, err)
					return
				}
				for range 3 {
					got, u, err := e.svc.Authenticate(ctx, token, auth.CheckOptions{Renew: true})
					if err != nil {
						errs <- fmt.Errorf("worker %d round %d: authenticate: %w", w, r, err)
						return
					}
					if got.ID != sess.ID || u.Name != name {
						errs <- fmt.Errorf("worker %d round %d: authenticate gave session %s of %s, want %s of %s", w, r, got.ID, u.Name, sess.ID, name)
						return
					}
				}
				if r == rounds-1 {
					kept[w] = token
					return
				}
				if _, err := e.svc.SignOut(ctx, token); err != nil {
					errs <- fmt.Errorf("worker %d round %d: sign out: %w", w, r, err)
					return
				}
				if _, _, err := e.svc.Authenticate(ctx, token, auth.CheckOptions{}); !errorsIsAny(err, auth.ErrUnauthenticated) {
					errs <- fmt.Errorf("worker %d round %d: authenticate after sign out: got %v, want ErrUnauthenticated", w, r, err)
					return
				}
			}
		})
	}
	stop := make(chan struct{})
	var bg sync.WaitGroup
	bg.Go(func() { // the clock moves, well short of the session length
		for range 40 {
			select {
			case <-stop:
				return
			default:
			}
			e.clock.Advance(10 * time.Second)
			runtime.Gosched()
		}
	})
	bg.Go(func() { // readers
		for {
			select {
			case <-stop:
				return
			default:
			}
			if _, err := e.svc.ListSessions(ctx, auth.SessionFilter{}); err != nil {
				errs <- fmt.Errorf("list sessions: %w", err)
				return
			}
			if _, err := e.svc.UserSessions(ctx, auth.DefaultTenantID, ids[0]); err != nil {
				errs <- fmt.Errorf("user sessions: %w", err)
				return
			}
			if _, err := e.svc.CountSessions(ctx); err != nil {
				errs <- fmt.Errorf("count sessions: %w", err)
				return
			}
			runtime.Gosched()
		}
	})
	wg.Wait()
	close(stop)
	bg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if t.Failed() {
		t.FailNow()
	}

	if n := e.count(t); n != workers {
		t.Fatalf("sessions stored: got %d, want the %d kept ones", n, workers)
	}
	total := 0
	for _, id := range ids {
		list, err := e.svc.UserSessions(ctx, auth.DefaultTenantID, id)
		must(t, "user sessions", err)
		total += len(list)
	}
	if total != workers {
		t.Fatalf("sessions by user: got %d in all, want %d", total, workers)
	}
	for w, token := range kept {
		if _, err := e.svc.SignOut(ctx, token); err != nil {
			t.Fatalf("sign out worker %d's kept session: %v", w, err)
		}
	}
	if n := e.count(t); n != 0 {
		t.Fatalf("sessions stored after every sign-out: got %d, want 0", n)
	}
}

// Revoking a user's sessions while they sign in leaves the indexes in step:
// whatever survives is counted, listed and authenticates.
func TestConcurrentRevokeAndSignIn(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, func(c *auth.Config) { c.Hasher = auth.NewHasher(fastArgon2, 4, 0) })
	u := e.createUser(t, "alice", "correct horse")
	var mu sync.Mutex
	var tokens []string
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			for r := range 20 {
				if w == 0 && r%4 == 0 {
					if _, err := e.svc.RevokeUserSessions(ctx, auth.DefaultTenantID, u.ID, ""); err != nil {
						t.Errorf("revoke: %v", err)
						return
					}
					continue
				}
				_, token, _, err := signInWith(e.svc, ctx, signInReq{TenantID: auth.DefaultTenantID, Login: "alice", Password: "correct horse"})
				if err != nil {
					t.Errorf("sign in: %v", err)
					return
				}
				mu.Lock()
				tokens = append(tokens, token)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	live := 0
	for _, tok := range tokens {
		if e.live(t, tok) {
			live++
		}
	}
	list, err := e.svc.UserSessions(ctx, auth.DefaultTenantID, u.ID)
	must(t, "user sessions", err)
	if n := e.count(t); n != live || len(list) != live {
		t.Fatalf("got %d stored and %d listed, want the %d that authenticate", n, len(list), live)
	}
	n, err := e.svc.RevokeUserSessions(ctx, auth.DefaultTenantID, u.ID, "")
	must(t, "final revoke", err)
	if n != live || e.count(t) != 0 {
		t.Fatalf("final revoke ended %d, want %d, and left %d", n, live, e.count(t))
	}
}
