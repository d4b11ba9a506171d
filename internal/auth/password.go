package auth

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"runtime"
	"strings"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"
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
// session checks. Waiters beyond the queue limit are refused at once.
type Hasher struct {
	params Argon2Params
	slots  chan struct{} // one token per worker
	queue  chan struct{} // one token per admitted request (running or waiting)
	dummy  string        // hash verified for unknown users
	maxMem uint32        // largest argon2 memory cost a stored hash may ask for, in KiB (0: maxArgon2MemoryKiB)
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
	h := &Hasher{params: params, slots: make(chan struct{}, workers), queue: make(chan struct{}, queue)}
	h.dummy = h.hash("sessiond dummy password", make([]byte, 16))
	return h
}

// Workers returns the size of the worker pool.
func (h *Hasher) Workers() int { return cap(h.slots) }

func (h *Hasher) acquire(ctx context.Context) (func(), error) {
	select {
	case h.queue <- struct{}{}:
	default:
		return nil, ErrHashQueueFull
	}
	select {
	case h.slots <- struct{}{}:
		return func() { <-h.slots; <-h.queue }, nil
	case <-ctx.Done():
		<-h.queue
		return nil, &Error{Code: EUnavailable, Msg: "request cancelled", Err: ctx.Err()}
	}
}

// Hash returns a PHC-format argon2id hash of pw.
func (h *Hasher) Hash(ctx context.Context, pw string) (string, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", Internal("hash password", err)
	}
	release, err := h.acquire(ctx)
	if err != nil {
		return "", err
	}
	defer release()
	return h.hash(pw, salt), nil
}

func (h *Hasher) hash(pw string, salt []byte) string {
	p := h.params
	key := argon2.IDKey([]byte(pw), salt, p.Time, p.MemoryKiB, p.Threads, 32)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.MemoryKiB, p.Time, p.Threads, b64.EncodeToString(salt), b64.EncodeToString(key))
}

// Verify reports whether pw matches hash, and whether hash should be
// replaced by a new one (bcrypt, or weaker argon2id parameters). An empty
// or unreadable hash never matches but costs the same time as one that does.
func (h *Hasher) Verify(ctx context.Context, hash, pw string) (ok, rehash bool, err error) {
	release, err := h.acquire(ctx)
	if err != nil {
		return false, false, err
	}
	defer release()
	switch {
	case strings.HasPrefix(hash, "$argon2id$"):
		ok, weaker := h.verifyArgon2(hash, pw)
		return ok, ok && weaker, nil
	case strings.HasPrefix(hash, "$2a$") || strings.HasPrefix(hash, "$2b$") || strings.HasPrefix(hash, "$2y$"):
		if cost, err := bcrypt.Cost([]byte(hash)); err != nil || cost > bcryptMaxCost {
			// A corrupt hash, or one that would take minutes: refuse it
			// for the time of a dummy verification.
			h.verifyArgon2(h.dummy, pw)
			return false, false, nil
		}
		if len(pw) > bcryptMaxBytes {
			// bcrypt reads only the first 72 bytes: a longer password
			// would match the hash of its prefix. It cannot be the one
			// that was hashed, so it never matches.
			bcrypt.CompareHashAndPassword([]byte(hash), []byte(pw[:bcryptMaxBytes]))
			return false, false, nil
		}
		ok := bcrypt.CompareHashAndPassword([]byte(hash), []byte(pw)) == nil
		return ok, ok, nil
	}
	h.verifyArgon2(h.dummy, pw)
	return false, false, nil
}

// bcryptMaxBytes is the most bcrypt reads of a password.
const bcryptMaxBytes = 72

// bcryptMaxCost is the highest bcrypt cost verified (InfluxDB uses 10).
const bcryptMaxCost = 16

// VerifyDummy spends the time of one verification, for unknown users.
func (h *Hasher) VerifyDummy(ctx context.Context, pw string) error {
	_, _, err := h.Verify(ctx, h.dummy, pw)
	return err
}

func (h *Hasher) verifyArgon2(hash, pw string) (ok, weaker bool) {
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
	got := argon2.IDKey([]byte(pw), salt, p.Time, p.MemoryKiB, p.Threads, uint32(len(key)))
	ok = subtle.ConstantTimeCompare(got, key) == 1
	weaker = p.MemoryKiB < h.params.MemoryKiB || p.Time < h.params.Time || p.Threads < h.params.Threads
	return ok, weaker
}
