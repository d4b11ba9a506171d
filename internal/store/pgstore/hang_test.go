package pgstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/sessiond/sessiond/internal/auth"
	"github.com/sessiond/sessiond/internal/store/storetest"
)

// TestHangIsUnavailableAndRecovers stops a PostgreSQL of the test's own
// (the postmaster and its backends, SIGSTOP): a call under a deadline
// ends with EUnavailable, on the pool's open connection first and then on
// a new one (the kernel accepts it; nobody answers), rather than waiting
// on the server; after SIGCONT the same pool works again.
func TestHangIsUnavailableAndRecovers(t *testing.T) {
	pg := storetest.StartPostgres(t)
	db := open(t, pg.DSN(), nil)
	s := db.SessionStore()
	ctx := context.Background()
	x, steps := awayCalls(t, db)

	pg.Hang()
	defer pg.Resume() // before the pool closes, should the test stop hung
	const deadline = 200 * time.Millisecond
	for _, step := range steps {
		ctx, cancel := context.WithTimeout(ctx, deadline)
		start := time.Now()
		err := step.call(ctx)
		cancel()
		if got := auth.ErrorCode(err); got != auth.EUnavailable {
			t.Fatalf("%s while hung: got code %q (%v), want %q", step.name, got, err, auth.EUnavailable)
		}
		t.Logf("%s while hung, under a %v deadline: %v after %v", step.name, deadline, err, time.Since(start).Round(time.Millisecond))
	}

	pg.Resume()
	start := time.Now()
	for {
		_, err := s.SessionByTokenHash(ctx, x.TokenHash)
		if err == nil {
			break
		}
		if time.Since(start) > 10*time.Second {
			t.Fatalf("no recovery after the server resumed: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Logf("back %v after SIGCONT", time.Since(start).Round(time.Millisecond))
}
