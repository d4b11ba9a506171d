package auth

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"log/slog"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"golang.org/x/crypto/bcrypt"

	"github.com/sessiond/sessiond/internal/argon2"
)

// Argon2Params are the argon2id cost parameters of new hashes.
type Argon2Params struct {
	MemoryKiB uint32
	Time      uint32
	Threads   uint8
}

// DefaultArgon2 is OWASP's recommended minimum: m=19 MiB, t=2, p=1.
var DefaultArgon2 = Argon2Params{MemoryKiB: 19 * 1024, Time: 2, Threads: 1}

// PasswordPolicy bounds password length in bytes and refuses the most
// common passwords. There are no composition rules. Nothing is truncated or
// normalised: a password outside the bounds is refused, and the one
// accepted is the one verified, byte for byte.
type PasswordPolicy struct {
	MinBytes int
	MaxBytes int
	// AllowCommon accepts passwords from the embedded list of the 100,000
	// most used ones (refused by default; see IsCommonPassword).
	AllowCommon bool
}

// DefaultPolicy matches InfluxDB: 8 to 72 bytes.
var DefaultPolicy = PasswordPolicy{MinBytes: 8, MaxBytes: 72}

// ErrCommonPassword is the EPasswordRule error for a password on the list
// of the most used ones.
var ErrCommonPassword = &Error{Code: EPasswordRule, Msg: "this password is one of the 100,000 most common passwords; choose another"}

// Check returns an EPasswordRule error when pw breaks the policy.
func (p PasswordPolicy) Check(pw string) error {
	if err := p.checkLength(pw); err != nil {
		return err
	}
	if !p.AllowCommon && IsCommonPassword(pw) {
		return ErrCommonPassword
	}
	return nil
}

func (p PasswordPolicy) checkLength(pw string) error {
	if !utf8.ValidString(pw) {
		return &Error{Code: EPasswordRule, Msg: "passwords must be valid UTF-8"}
	}
	if len(pw) < p.MinBytes || len(pw) > p.MaxBytes {
		return &Error{Code: EPasswordRule, Msg: fmt.Sprintf("passwords must be between %d and %d characters long", p.MinBytes, p.MaxBytes)}
	}
	return nil
}

// checkPassword applies the policy and refuses the user's own name (a
// context-specific word, as NIST SP 800-63B asks).
func (s *Service) checkPassword(pw, name string) error {
	if err := s.policy.Check(pw); err != nil {
		return err
	}
	if name != "" && strings.EqualFold(pw, name) {
		return &Error{Code: EPasswordRule, Msg: "a password must not be the user name"}
	}
	return nil
}

// Hasher hashes and verifies passwords in a bounded pool of workers, so
// that a flood of sign-ins queues up instead of taking every core from
// session checks. Waiters beyond the queue limit are refused, without a
// place in the queue.
//
// The pool is fair between clients: every request names its client (the
// sign-in's address), one client may hold at most a share of the queue
// (the rest of its requests are refused), and a free worker goes
// to the clients waiting in turn, one request each, rather than to the
// oldest request. So a flood from one address costs the others at most
// one hash of waiting per round, however long its own queue is, while a
// lone busy client still gets every worker.
//
// A refused request takes no place in the queue, but its answer waits
// refusePause: the hashes run at a lower priority than anything else, and
// a client that asks again as soon as it is refused would otherwise spend
// the CPU they need on refusals.
//
// The hashes themselves run on threads of the pool's own, at a lower
// priority (hashthread.go).
type Hasher struct {
	params  Argon2Params
	workers int
	queue   int           // requests admitted at once, running or waiting
	share   int           // requests one client may have admitted at once
	dummy   string        // hash verified for unknown users
	maxMem  uint32        // largest argon2 memory cost a stored hash may ask for, in KiB (0: maxArgon2MemoryKiB)
	pause   time.Duration // how long a refusal waits before it is answered (refusePause)

	mu       sync.Mutex
	running  int
	admitted int
	clients  map[string]*hashClient // clients with admitted requests
	turns    []*hashClient          // clients with waiting requests, in turn order

	idle       []*hashThread // threads waiting for work (hashthread.go)
	nice       int           // nice value of threads started from now on
	niceLog    *slog.Logger  // where a failure to set it is logged
	niceOnce   sync.Once
	threadIdle time.Duration // how long an idle thread waits for work before it ends

	waits hashWaits // how long admitted requests waited for a worker (hashstats.go)
}

// hashClient is one client's admitted and waiting requests.
type hashClient struct {
	key      string
	admitted int
	waiting  []chan struct{} // closed when the request may run
}

// maxArgon2MemoryKiB bounds the memory a stored hash can make a
// verification allocate (1 GiB): a corrupt or hostile hash must not take
// the machine down.
const maxArgon2MemoryKiB = 1 << 20

func (h *Hasher) maxMemoryKiB() uint32 {
	if h.maxMem > 0 {
		return h.maxMem
	}
	return maxArgon2MemoryKiB
}

// NewHasher returns a Hasher with workers concurrent hashes (NumCPU when
// 0) and at most queue requests admitted at once (64 per worker when 0).
// One client may have an eighth of the queue admitted, and never less
// than a worker's worth.
func NewHasher(params Argon2Params, workers, queue int) *Hasher {
	if workers <= 0 {
		workers = runtime.NumCPU()
	}
	if queue <= 0 {
		queue = workers * 64
	}
	if queue < workers {
		queue = workers
	}
	h := &Hasher{params: params, workers: workers, queue: queue, share: min(queue, max(workers, queue/8)), clients: map[string]*hashClient{},
		nice: DefaultHashNice, threadIdle: hashThreadIdle, pause: refusePause}
	h.dummy = h.hash(nil, "sessiond dummy password", make([]byte, 16))
	return h
}

// Workers returns the size of the worker pool.
func (h *Hasher) Workers() int { return h.workers }

// QueueFullRetry is how long a client refused by a full queue is told to
// wait (Retry-After).
const QueueFullRetry = time.Second

// refusePause is how long a refused request waits before its answer,
// unless its context ends first: about two hashes at the default cost. A
// client retrying at once then costs a refusal per pause rather than
// all the CPU the hashes would use (sign-ins from one address beyond
// its share, at the bench's 32 connections, went from 4,000 refusals a
// second and a third of the hash rate to 300 and all of it).
const refusePause = 50 * time.Millisecond

// acquire admits one request of client key and waits for a worker. The
// returned func gives the worker back. ErrHashQueueFull, after
// refusePause, when the queue, or the client's share of it, is full. Work
// of no client (key "": the operator's user management, an address that
// could not be read) is bounded by the queue alone.
func (h *Hasher) acquire(ctx context.Context, key string) (func(), error) {
	h.mu.Lock()
	c := h.clients[key]
	if h.admitted >= h.queue || key != "" && c != nil && c.admitted >= h.share {
		h.mu.Unlock()
		h.refuse(ctx)
		return nil, ErrHashQueueFull
	}
	if c == nil {
		c = &hashClient{key: key}
		h.clients[key] = c
	}
	c.admitted++
	h.admitted++
	release := func() { h.release(c) }
	if h.running < h.workers && len(h.turns) == 0 {
		h.running++
		h.mu.Unlock()
		h.waits.observe(0)
		return release, nil
	}
	queued := time.Now()
	ready := make(chan struct{})
	if len(c.waiting) == 0 {
		h.turns = append(h.turns, c)
	}
	c.waiting = append(c.waiting, ready)
	h.mu.Unlock()
	select {
	case <-ready:
		h.waits.observe(time.Since(queued))
		return release, nil
	case <-ctx.Done():
	}
	h.mu.Lock()
	if i := slices.Index(c.waiting, ready); i >= 0 {
		c.waiting = slices.Delete(c.waiting, i, i+1)
		if len(c.waiting) == 0 {
			h.turns = slices.DeleteFunc(h.turns, func(x *hashClient) bool { return x == c })
		}
		h.leave(c)
		h.mu.Unlock()
		return nil, &Error{Code: EUnavailable, Msg: "request cancelled", Err: ctx.Err()}
	}
	h.mu.Unlock()
	// The worker was handed over as the context ended: give it back.
	h.release(c)
	return nil, &Error{Code: EUnavailable, Msg: "request cancelled", Err: ctx.Err()}
}

// refuse waits out the pause of a refusal, or until ctx ends.
func (h *Hasher) refuse(ctx context.Context) {
	if h.pause <= 0 || ctx.Err() != nil {
		return
	}
	t := time.NewTimer(h.pause)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// release ends one running request of c and hands its worker to the
// next client in turn.
func (h *Hasher) release(c *hashClient) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.leave(c)
	if len(h.turns) == 0 {
		h.running--
		return
	}
	next := h.turns[0]
	ready := next.waiting[0]
	next.waiting = next.waiting[1:]
	h.turns = h.turns[1:]
	if len(next.waiting) > 0 {
		h.turns = append(h.turns, next) // its next request waits for its next turn
	}
	close(ready)
}

// leave forgets one admitted request of c. h.mu is held.
func (h *Hasher) leave(c *hashClient) {
	c.admitted--
	h.admitted--
	if c.admitted == 0 {
		delete(h.clients, c.key)
	}
}

// Hash returns a PHC-format argon2id hash of pw.
func (h *Hasher) Hash(ctx context.Context, pw string) (string, error) {
	return h.hashFor(ctx, "", pw)
}

// hashFor is Hash on behalf of client key.
func (h *Hasher) hashFor(ctx context.Context, key, pw string) (string, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", Internal("hash password", err)
	}
	release, err := h.acquire(ctx, key)
	if err != nil {
		return "", err
	}
	defer release()
	var hash string
	h.onThread(func(m *argon2.Memory) { hash = h.hash(m, pw, salt) })
	return hash, nil
}

// hash hashes pw on m, a hash thread's memory (nil: fresh memory).
func (h *Hasher) hash(m *argon2.Memory, pw string, salt []byte) string {
	p := h.params
	key := m.IDKey([]byte(pw), salt, p.Time, p.MemoryKiB, p.Threads, 32)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.MemoryKiB, p.Time, p.Threads, b64.EncodeToString(salt), b64.EncodeToString(key))
}

// Verify reports whether pw matches hash, and whether hash should be
// replaced by a new one (bcrypt, or weaker argon2id parameters). An empty
// or unreadable hash never matches but costs the same time as one that does.
func (h *Hasher) Verify(ctx context.Context, hash, pw string) (ok, rehash bool, err error) {
	return h.verifyFor(ctx, "", hash, pw)
}

// verifyFor is Verify on behalf of client key.
func (h *Hasher) verifyFor(ctx context.Context, key, hash, pw string) (ok, rehash bool, err error) {
	release, err := h.acquire(ctx, key)
	if err != nil {
		return false, false, err
	}
	defer release()
	h.onThread(func(m *argon2.Memory) { ok, rehash = h.verify(m, hash, pw) })
	return ok, rehash, nil
}

// verify is Verify's work, on a hash thread's memory m.
func (h *Hasher) verify(m *argon2.Memory, hash, pw string) (ok, rehash bool) {
	switch {
	case strings.HasPrefix(hash, "$argon2id$"):
		ok, weaker := h.verifyArgon2(m, hash, pw)
		return ok, ok && weaker
	case strings.HasPrefix(hash, "$2a$") || strings.HasPrefix(hash, "$2b$") || strings.HasPrefix(hash, "$2y$"):
		if cost, err := bcrypt.Cost([]byte(hash)); err != nil || cost > bcryptMaxCost {
			// A corrupt hash, or one that would take minutes: refuse it
			// for the time of a dummy verification.
			h.verifyArgon2(m, h.dummy, pw)
			return false, false
		}
		if len(pw) > bcryptMaxBytes {
			// bcrypt reads only the first 72 bytes: a longer password
			// would match the hash of its prefix. It cannot be the one
			// that was hashed, so it never matches.
			bcrypt.CompareHashAndPassword([]byte(hash), []byte(pw[:bcryptMaxBytes]))
			return false, false
		}
		ok := bcrypt.CompareHashAndPassword([]byte(hash), []byte(pw)) == nil
		return ok, ok
	}
	h.verifyArgon2(m, h.dummy, pw)
	return false, false
}

// bcryptMaxBytes is the most bcrypt reads of a password.
const bcryptMaxBytes = 72

// bcryptMaxCost is the highest bcrypt cost verified (InfluxDB uses 10).
const bcryptMaxCost = 16

// VerifyDummy spends the time of one verification, for unknown users.
func (h *Hasher) VerifyDummy(ctx context.Context, pw string) error {
	return h.dummyFor(ctx, "", pw)
}

// dummyFor is VerifyDummy on behalf of client key.
func (h *Hasher) dummyFor(ctx context.Context, key, pw string) error {
	_, _, err := h.verifyFor(ctx, key, h.dummy, pw)
	return err
}

func (h *Hasher) verifyArgon2(m *argon2.Memory, hash, pw string) (ok, weaker bool) {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 {
		return false, false
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false, false
	}
	var p Argon2Params
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.MemoryKiB, &p.Time, &p.Threads); err != nil {
		return false, false
	}
	if p.MemoryKiB == 0 || p.MemoryKiB > h.maxMemoryKiB() || p.Time == 0 || p.Time > 64 || p.Threads == 0 {
		return false, false
	}
	b64 := base64.RawStdEncoding
	salt, err1 := b64.DecodeString(parts[4])
	key, err2 := b64.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(key) == 0 || len(key) > 128 {
		return false, false
	}
	got := m.IDKey([]byte(pw), salt, p.Time, p.MemoryKiB, p.Threads, uint32(len(key)))
	ok = subtle.ConstantTimeCompare(got, key) == 1
	weaker = p.MemoryKiB < h.params.MemoryKiB || p.Time < h.params.Time || p.Threads < h.params.Threads
	return ok, weaker
}
