package auth

import (
	"context"
	"time"

	"github.com/sessiond/sessiond/internal/argon2"
)

// SetMaxArgon2Memory lowers the memory bound on stored hashes, so that
// fuzzing cannot make one verification allocate a gigabyte.
func SetMaxArgon2Memory(h *Hasher, kib uint32) { h.maxMem = kib }

// StartSession starts a session for u without a credential: a fixture for
// tests about what is done with sessions. Outside tests, every session
// starts in SignIn.
func StartSession(s *Service, ctx context.Context, u *User, origin Origin, c Client, f TokenFormat, length time.Duration) (*Session, string, error) {
	return s.startSession(ctx, u, origin, c, f, length)
}

// VerifyFor is Hasher.Verify on behalf of client key.
func VerifyFor(h *Hasher, ctx context.Context, key, hash, pw string) (bool, error) {
	ok, _, err := h.verifyFor(ctx, key, hash, pw)
	return ok, err
}

// Admitted reports how many requests of client key the pool holds,
// running or waiting.
func Admitted(h *Hasher, key string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	if c := h.clients[key]; c != nil {
		return c.admitted
	}
	return 0
}

// OnThread runs fn as the pool runs a hash: with a worker, on a hash
// thread.
func OnThread(h *Hasher, fn func()) error {
	release, err := h.acquire(context.Background(), "")
	if err != nil {
		return err
	}
	defer release()
	h.onThread(func(*argon2.Memory) { fn() })
	return nil
}

// SetThreadIdle sets how long an idle hash thread waits before it ends.
func SetThreadIdle(h *Hasher, d time.Duration) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.threadIdle = d
}

// SetRefusePause sets how long a refusal waits before its answer.
func SetRefusePause(h *Hasher, d time.Duration) { h.pause = d }
