package auth

import (
	"context"
	"time"
)

// UserStore keeps users. Names are unique per tenant, and so are non-empty
// emails.
type UserStore interface {
	// CreateUser stores a new user. Returns EConflict if the ID, or the name
	// or email within the tenant, is taken.
	CreateUser(ctx context.Context, u *User) error
	// UserByID returns ErrUserNotFound if no user of that tenant has the ID.
	UserByID(ctx context.Context, tenantID, id string) (*User, error)
	// UserByName returns ErrUserNotFound if no user of the tenant has the name.
	UserByName(ctx context.Context, tenantID, name string) (*User, error)
	// UserByEmail returns ErrUserNotFound if no user of the tenant has the email.
	UserByEmail(ctx context.Context, tenantID, email string) (*User, error)
	// ListUsers returns the tenant's users ordered by ID, after f.After, at
	// most f.Limit of them (all when 0), and only those whose name or
	// email contains f.Search when set.
	ListUsers(ctx context.Context, f UserFilter) ([]*User, error)
	// UpdateUser replaces the stored user with u (matched by tenant and ID).
	// Returns ErrUserNotFound, or EConflict on a taken name or email.
	UpdateUser(ctx context.Context, u *User) error
	// DeleteUser returns ErrUserNotFound if there is no such user.
	DeleteUser(ctx context.Context, tenantID, id string) error
}

// UserFilter narrows ListUsers.
type UserFilter struct {
	TenantID string
	Search   string
	After    string
	Limit    int
}

// TenantStore keeps tenants.
type TenantStore interface {
	// CreateTenant returns EConflict if the ID or name is taken.
	CreateTenant(ctx context.Context, t *Tenant) error
	// TenantByID returns ErrTenantNotFound.
	TenantByID(ctx context.Context, id string) (*Tenant, error)
	// TenantByTokenHash returns ErrTenantNotFound.
	TenantByTokenHash(ctx context.Context, h Hash) (*Tenant, error)
	// ListTenants returns every tenant ordered by ID.
	ListTenants(ctx context.Context) ([]*Tenant, error)
	// UpdateTenant replaces name, settings, token hash and update time.
	// Returns ErrTenantNotFound, or EConflict on a taken name.
	UpdateTenant(ctx context.Context, t *Tenant) error
	// DeleteTenant removes the tenant and its users and tokens.
	// Returns ErrTenantNotFound.
	DeleteTenant(ctx context.Context, id string) error
}

// TokenStore keeps API tokens.
type TokenStore interface {
	// CreateToken returns EConflict if the ID or hash is taken.
	CreateToken(ctx context.Context, t *Token) error
	// TokenByHash returns ErrTokenNotFound.
	TokenByHash(ctx context.Context, h Hash) (*Token, error)
	// TokenByID returns ErrTokenNotFound if the tenant has no such token.
	TokenByID(ctx context.Context, tenantID, id string) (*Token, error)
	// ListTokens returns the tenant's tokens ordered by ID, only those of
	// userID when it is set.
	ListTokens(ctx context.Context, tenantID, userID string) ([]*Token, error)
	// UpdateToken replaces description, status and update time.
	// Returns ErrTokenNotFound.
	UpdateToken(ctx context.Context, t *Token) error
	// DeleteToken returns ErrTokenNotFound.
	DeleteToken(ctx context.Context, tenantID, id string) error
}

// SessionStore keeps sessions and an index of them by user, so that
// listing or revoking one user's sessions costs what that user has.
// Stores may drop a session once it has expired; a lookup may still return
// one that has expired but not been purged, and callers check ExpiresAt.
type SessionStore interface {
	// CreateSession stores s. Returns EConflict if its ID or token hash is taken.
	CreateSession(ctx context.Context, s *Session) error
	// SessionByTokenHash returns ErrSessionNotFound.
	SessionByTokenHash(ctx context.Context, h Hash) (*Session, error)
	// SessionByID returns ErrSessionNotFound.
	SessionByID(ctx context.Context, id string) (*Session, error)
	// TouchSession sets the last-seen time and the expiry of a session.
	// Returns ErrSessionNotFound.
	TouchSession(ctx context.Context, id string, lastSeen, expiresAt time.Time) error
	// UpdateSessionClient records a new use of a session by client c at
	// seen: it sets the last-seen time, the IP, the User-Agent and the
	// device headers (Device is replaced; nil clears it), and leaves the
	// expiry alone. Returns ErrSessionNotFound.
	UpdateSessionClient(ctx context.Context, id string, seen time.Time, c Client) error
	// DeleteSession removes one session. Returns ErrSessionNotFound.
	DeleteSession(ctx context.Context, id string) error
	// UserSessions returns the user's sessions, newest first.
	UserSessions(ctx context.Context, tenantID, userID string) ([]*Session, error)
	// CountUserSessions returns how many sessions of the user are stored:
	// never fewer than the live ones, and possibly some that have expired
	// but are not removed yet (what UserSessions returns is exact). It is
	// asked at every sign-in, so it must cost no more than an index read.
	CountUserSessions(ctx context.Context, tenantID, userID string) (int, error)
	// DeleteUserSessions removes the user's sessions except the one whose ID
	// is except (none when empty) and returns how many it removed.
	DeleteUserSessions(ctx context.Context, tenantID, userID, except string) (int, error)
	// ListSessions returns the tenant's sessions (all tenants when empty),
	// ordered by ID, after f.After, at most f.Limit (all when 0).
	ListSessions(ctx context.Context, f SessionFilter) ([]*Session, error)
	// CountSessions returns how many sessions are stored.
	CountSessions(ctx context.Context) (int, error)
}

// SessionFilter narrows ListSessions.
type SessionFilter struct {
	TenantID string
	After    string
	Limit    int
}

// Limiter counts events per key in fixed windows. With a shared engine
// (Redis) every instance sees one count, so a limit is one budget across
// them all. Counting is atomic: parallel hits never get past the limit.
type Limiter interface {
	// Hit records one event for key and reports whether the count in the
	// current window is within limit. A window starts at the first hit.
	Hit(ctx context.Context, key string, limit int, window time.Duration) (LimitResult, error)
	// Peek reports key's state without counting an event.
	Peek(ctx context.Context, key string, limit int) (LimitResult, error)
	// Reset forgets key's count.
	Reset(ctx context.Context, key string) error
}

// LimitResult is a Limiter's verdict.
type LimitResult struct {
	Allowed   bool
	Count     int       // events in the window, this one included
	Remaining int       // events still allowed in the window
	Reset     time.Time // when the window ends (zero when no window is open)
}

// FactorStore keeps users' second factors (TOTP secrets, passkeys, the
// email method). Factor IDs are unique across tenants.
type FactorStore interface {
	// CreateFactor stores f. Returns EConflict if its ID is taken, or if
	// it is a passkey whose credential ID another factor of the tenant has.
	CreateFactor(ctx context.Context, f *Factor) error
	// UserFactors returns the user's factors, oldest first.
	UserFactors(ctx context.Context, tenantID, userID string) ([]*Factor, error)
	// UpdateFactor replaces name, secret, confirmation, step, pending code
	// and last use of the stored factor (matched by tenant and ID).
	// Returns ErrFactorNotFound.
	UpdateFactor(ctx context.Context, f *Factor) error
	// AdvanceFactorStep sets the factor's last step to step and its last
	// use to at, only if the stored step is lower: it is atomic, so a
	// code (a TOTP time step, a passkey's counter) is accepted once even
	// when two requests race. Returns EConflict when the stored step is
	// step or higher, ErrFactorNotFound when there is no such factor.
	AdvanceFactorStep(ctx context.Context, tenantID, id string, step int64, at time.Time) error
	// DeleteFactor returns ErrFactorNotFound if there is no such factor.
	DeleteFactor(ctx context.Context, tenantID, id string) error
	// DeleteUserFactors removes every factor and recovery code of a user.
	DeleteUserFactors(ctx context.Context, tenantID, userID string) error
}

// RecoveryCodeStore keeps the hashes of users' single-use recovery codes.
type RecoveryCodeStore interface {
	// SetRecoveryCodes replaces the user's codes with hashes, all unused.
	SetRecoveryCodes(ctx context.Context, tenantID, userID string, hashes []Hash, at time.Time) error
	// UseRecoveryCode marks the user's unused code of hash h used at at,
	// atomically: of two racing uses one wins. Returns ErrNotFound when
	// the user has no unused code of that hash.
	UseRecoveryCode(ctx context.Context, tenantID, userID string, h Hash, at time.Time) error
	// RecoveryCodesLeft returns how many unused codes the user has.
	RecoveryCodesLeft(ctx context.Context, tenantID, userID string) (int, error)
}

// PersonalTokenStore keeps personal access tokens (Rocket.Chat's). Only
// their hashes are stored.
type PersonalTokenStore interface {
	// CreatePersonalToken returns EConflict if the ID or hash is taken, or
	// the user has a token of that name.
	CreatePersonalToken(ctx context.Context, t *PersonalToken) error
	// PersonalTokenByHash returns ErrTokenNotFound.
	PersonalTokenByHash(ctx context.Context, h Hash) (*PersonalToken, error)
	// UserPersonalTokens returns the user's tokens, oldest first.
	UserPersonalTokens(ctx context.Context, tenantID, userID string) ([]*PersonalToken, error)
	// UpdatePersonalToken replaces hash, last part, creation and last-use
	// times (matched by tenant and ID). Returns ErrTokenNotFound, or
	// EConflict when the hash is taken.
	UpdatePersonalToken(ctx context.Context, t *PersonalToken) error
	// DeletePersonalToken returns ErrTokenNotFound.
	DeletePersonalToken(ctx context.Context, tenantID, id string) error
}

// OTPStore keeps one-time codes (only their hashes). An OTP is found by
// its tenant and ID; its mutable fields change only by compare-and-swap
// on Version, so that parallel verifications never get more attempts
// than allowed and a code is consumed once.
type OTPStore interface {
	// CreateOTP stores o. Returns EConflict if its ID is taken.
	CreateOTP(ctx context.Context, o *OTP) error
	// OTPByID returns ErrOTPNotFound if the tenant has no OTP with the ID.
	OTPByID(ctx context.Context, tenantID, id string) (*OTP, error)
	// UpdateOTP replaces the stored OTP's code hash, status, attempts,
	// resends, last-sent, expiry, update time and version with o's, when
	// the stored version is o.Version-1. Returns ErrOTPNotFound, or
	// EConflict when the OTP changed since it was read.
	UpdateOTP(ctx context.Context, o *OTP) error
	// CancelOTPs sets every pending OTP of the tenant with the scope,
	// channel and recipient, except the one whose ID is except, to
	// cancelled at time at, and returns how many it changed.
	CancelOTPs(ctx context.Context, tenantID string, scope OTPScope, ch Channel, recipient, except string, at time.Time) (int, error)
	// PurgeOTPs deletes at most limit OTPs that expired before before,
	// whatever their status, and returns how many.
	PurgeOTPs(ctx context.Context, before time.Time, limit int) (int, error)
}

// MessageStore is the courier's outbox: messages are written here before
// anything is sent, and a worker delivers them, so that a restart or an
// outage of the mail server loses none. A claim leases a message to one
// worker (on any instance) and counts the attempt; the outcome is written
// only while that claim is the message's latest.
type MessageStore interface {
	// EnqueueMessage stores m, queued. Returns EConflict if its ID is taken.
	EnqueueMessage(ctx context.Context, m *Message) error
	// ClaimMessages takes at most limit queued messages due at now
	// (NextAttempt not after now), the earliest due first, and leases
	// them: atomically, each one's NextAttempt becomes now+lease and its
	// Attempts grows by one, so that no other claim takes it before the
	// lease ends. It returns them as they now stand.
	ClaimMessages(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]*Message, error)
	// FinishMessage writes the outcome of a claim: status, next attempt,
	// last error, code and body (cleared once final), sent and update
	// times, when the stored Attempts still equals m.Attempts. Returns
	// ErrMessageNotFound, or EConflict when a later claim took the message.
	FinishMessage(ctx context.Context, m *Message) error
	// MessageByID returns ErrMessageNotFound.
	MessageByID(ctx context.Context, id string) (*Message, error)
	// CountMessages returns how many messages have the status.
	CountMessages(ctx context.Context, status MessageStatus) (int, error)
	// PurgeMessages deletes at most limit messages that are no longer
	// queued and were last updated before before, and returns how many.
	PurgeMessages(ctx context.Context, before time.Time, limit int) (int, error)
}

// LinkStore keeps the outside identities linked to users: an identity
// provider's subject (Google, Apple, Facebook) or a verified phone
// number. A tenant links each identity to at most one user.
type LinkStore interface {
	// CreateLink stores l. Returns EConflict if the tenant has a link
	// for that provider and subject already.
	CreateLink(ctx context.Context, l *Link) error
	// LinkBySubject returns ErrLinkNotFound.
	LinkBySubject(ctx context.Context, tenantID, provider, subject string) (*Link, error)
	// UserLinks returns the user's links ordered by provider and subject.
	UserLinks(ctx context.Context, tenantID, userID string) ([]*Link, error)
	// DeleteLink returns ErrLinkNotFound if there is no such link.
	DeleteLink(ctx context.Context, tenantID, provider, subject string) error
	// DeleteUserLinks removes the user's links and returns how many.
	DeleteUserLinks(ctx context.Context, tenantID, userID string) (int, error)
}
