package auth

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// RenewWindow is how far a cookie-authenticated request pushes a session's
// expiry: to at least now + RenewWindow, never shorter (InfluxDB's rule).
const RenewWindow = 5 * time.Minute

// lastSeenResolution bounds how often a session's last-seen time is written.
const lastSeenResolution = time.Minute

// Config holds what a Service is built from.
type Config struct {
	Users    UserStore
	Tenants  TenantStore
	Tokens   TokenStore
	Sessions SessionStore
	Hasher   *Hasher

	// SessionLength is the lifetime of a new session (10 minutes when 0).
	SessionLength time.Duration
	// RenewDisabled turns off sliding renewal.
	RenewDisabled bool
	// Policy bounds new passwords (DefaultPolicy when zero).
	Policy PasswordPolicy
	// UserCacheTTL bounds how long a user read from the store is reused on
	// the session-check path (2s when 0; negative disables the cache).
	UserCacheTTL time.Duration
	// Now is the clock (time.Now when nil).
	Now func() time.Time
	// Logger receives operator logs (discarded when nil).
	Logger *slog.Logger

	// Limiter counts sign-in attempts for the lockout (no lockout when
	// nil). Share one across instances (Redis) so they share the counts.
	Limiter Limiter
	// Lockout is the brute-force policy (DefaultLockout when zero).
	Lockout LockoutPolicy
	// IdleTimeout ends a session that has not been used for this long,
	// whatever its expiry (0: no idle timeout beyond the expiry itself).
	IdleTimeout time.Duration
	// AbsoluteTimeout caps renewal: a session is never renewed past its
	// creation plus this (0: no cap). A session created with a longer
	// explicit length keeps that length.
	AbsoluteTimeout time.Duration
	// Audit receives security events (none when nil).
	Audit Auditor
	// MaxSessionsPerUser caps a user's live sessions: starting one more
	// ends the least recently used (see EventSessionEvict). 0: no cap.
	MaxSessionsPerUser int
	// Changes carries the changes this instance makes to tenants and
	// users to the other instances sharing the engine, and theirs here
	// (see Watch). Nil: this instance alone; caches of other instances
	// then see a change within UserCacheTTL.
	Changes ChangeFeed
	// SecondFactors configures second factors, recovery codes, personal
	// access tokens and re-authentication (factor.go).
	SecondFactors SecondFactorConfig

	// OTPs, Messages and Links keep one-time codes, the courier's outbox
	// and users' outside identities; the OTP module, password reset and
	// OTP and social sign-in need them (refused as restricted without).
	OTPs     OTPStore
	Messages MessageStore
	Links    LinkStore
	// Channels are the channels the courier delivers; codes are refused
	// for any other.
	Channels []Channel
	// OTP bounds one-time codes (DefaultOTPPolicy when zero).
	OTP OTPPolicy
	// IDTokens verifies identity providers' ID tokens for social sign-in.
	IDTokens IDTokenVerifier
}

// Service is sessiond's core. Every dialect calls it; it calls the stores.
type Service struct {
	users    UserStore
	tenants  TenantStore
	tokens   TokenStore
	sessions SessionStore
	hasher   *Hasher

	sessionLength time.Duration
	renewDisabled bool
	policy        PasswordPolicy
	cacheTTL      time.Duration
	now           func() time.Time
	log           *slog.Logger
	limiter       Limiter
	lockout       LockoutPolicy
	idle          time.Duration
	absolute      time.Duration
	auditor       Auditor
	changes       ChangeFeed
	sf            secondFactors
	otps          OTPStore
	messages      MessageStore
	links         LinkStore
	channels      []Channel
	otp           OTPPolicy
	idTokens      IDTokenVerifier
	maxSessions   int // live sessions per user; 0: no cap

	usersByID      cache[string, *userEntry] // the session-check path's users
	tenantsByID    cache[string, *Tenant]    // every request's tenant
	tenantsByToken cache[Hash, *Tenant]
	keys           signingKeys
	setupMu        sync.Mutex // one setup at a time in this process
}

// NewService returns a Service over the stores in cfg.
func NewService(cfg Config) *Service {
	s := &Service{
		users: cfg.Users, tenants: cfg.Tenants, tokens: cfg.Tokens, sessions: cfg.Sessions,
		hasher: cfg.Hasher, sessionLength: cfg.SessionLength, renewDisabled: cfg.RenewDisabled,
		policy: cfg.Policy, cacheTTL: cfg.UserCacheTTL, now: cfg.Now, log: cfg.Logger,
		limiter: cfg.Limiter, lockout: cfg.Lockout, idle: cfg.IdleTimeout, absolute: cfg.AbsoluteTimeout,
		auditor: cfg.Audit, changes: cfg.Changes, sf: newSecondFactors(cfg.SecondFactors),
		otps: cfg.OTPs, messages: cfg.Messages, links: cfg.Links, channels: cfg.Channels,
		otp: cfg.OTP.withDefaults(), idTokens: cfg.IDTokens, maxSessions: cfg.MaxSessionsPerUser,
	}
	if s.lockout == (LockoutPolicy{}) {
		s.lockout = DefaultLockout
	}
	if s.lockout.Window <= 0 {
		s.lockout.Window = DefaultLockout.Window
	}
	if s.lockout.MaxLock < s.lockout.Window {
		s.lockout.MaxLock = s.lockout.Window
	}
	if s.sessionLength <= 0 {
		s.sessionLength = 10 * time.Minute
	}
	if s.policy == (PasswordPolicy{}) {
		s.policy = DefaultPolicy
	}
	if s.cacheTTL == 0 {
		s.cacheTTL = 2 * time.Second
	}
	s.usersByID.ttl, s.tenantsByID.ttl, s.tenantsByToken.ttl = s.cacheTTL, s.cacheTTL, s.cacheTTL
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.hasher == nil {
		s.hasher = NewHasher(DefaultArgon2, 0, 0)
	}
	return s
}

// Now returns the service clock's time.
func (s *Service) Now() time.Time { return s.now() }

// SessionLength returns the lifetime of new sessions.
func (s *Service) SessionLength() time.Duration { return s.sessionLength }

// IdleTimeout returns the idle timeout of sessions (0: none).
func (s *Service) IdleTimeout() time.Duration { return s.idle }

// AbsoluteTimeout returns the cap on session renewal (0: none).
func (s *Service) AbsoluteTimeout() time.Duration { return s.absolute }

// Policy returns the password policy.
func (s *Service) Policy() PasswordPolicy { return s.policy }

// HashWorkers returns the number of password hashes run at once.
func (s *Service) HashWorkers() int { return s.hasher.Workers() }

// Init makes sure the default tenant exists.
func (s *Service) Init(ctx context.Context) error {
	_, err := s.tenants.TenantByID(ctx, DefaultTenantID)
	if ErrorCode(err) != ENotFound {
		return err
	}
	now := s.now().UTC()
	err = s.tenants.CreateTenant(ctx, &Tenant{ID: DefaultTenantID, Name: DefaultTenantName, Settings: map[string]string{}, CreatedAt: now, UpdatedAt: now})
	if ErrorCode(err) == EConflict {
		return nil // another instance made it first
	}
	return err
}

// userEntry is one user in the check path's cache, with what is read
// about them on a check's answer: the kinds of their confirmed second
// factors (Rocket.Chat's me lists them on every call), read on first
// need. They live and go with the entry, so whatever drops the user drops
// them too, and every change to a user's factors drops the user.
type userEntry struct {
	u       *User
	factors atomic.Uint32 // FactorKinds | factorKindsRead once read
}

// factorKindsRead marks userEntry.factors as read.
const factorKindsRead = 1 << 8

// cachedUser returns the user for the session-check path, from the cache
// when it is fresh enough.
func (s *Service) cachedUser(ctx context.Context, tenantID, id string) (*User, error) {
	now := s.now()
	if e, ok := s.usersByID.get(id, now); ok && e.u.TenantID == tenantID {
		return e.u, nil
	}
	gen := s.usersByID.gen()
	u, err := s.users.UserByID(ctx, tenantID, id)
	if err != nil {
		return nil, err
	}
	s.usersByID.put(id, &userEntry{u: u}, now, gen)
	return u, nil
}

// userChanged drops a changed user from this instance's cache and tells
// the other instances.
func (s *Service) userChanged(ctx context.Context, tenantID, id string) {
	s.usersByID.drop(id)
	s.publish(ctx, Change{Kind: ChangeUser, TenantID: tenantID, ID: id})
}

// tenantChanged drops a changed tenant from this instance's caches and
// tells the other instances.
func (s *Service) tenantChanged(ctx context.Context, id string) {
	s.dropTenant(id)
	s.publish(ctx, Change{Kind: ChangeTenant, TenantID: id, ID: id})
}

// publish tells the other instances of a change. The change is made
// already; a feed that cannot take it only delays it elsewhere to the
// cache TTL, so the failure is logged, not returned.
func (s *Service) publish(ctx context.Context, c Change) {
	if s.changes == nil {
		return
	}
	if err := s.changes.Publish(context.WithoutCancel(ctx), c); err != nil {
		s.log.Warn("change not published; other instances see it within the cache TTL", "kind", c.Kind, "err", err)
	}
}

// Watch applies the changes that instances sharing the change feed
// publish (this one's included) to this instance's caches, until ctx
// ends. It returns once the subscription is in place, at once without a
// feed, or with the feed's error.
func (s *Service) Watch(ctx context.Context) error {
	if s.changes == nil {
		return nil
	}
	return s.changes.Subscribe(ctx, s.apply)
}

// apply drops what a change makes stale.
func (s *Service) apply(c Change) {
	switch c.Kind {
	case ChangeTenant:
		s.dropTenant(c.ID)
	case ChangeUser:
		s.usersByID.drop(c.ID)
	case ChangeReset:
		s.usersByID.reset()
		s.tenantsByID.reset()
		s.tenantsByToken.reset()
	}
}

// dropTenant drops a tenant from this instance's caches.
func (s *Service) dropTenant(id string) {
	s.tenantsByID.drop(id)
	s.tenantsByToken.dropIf(func(t *Tenant) bool { return t.ID == id })
}
