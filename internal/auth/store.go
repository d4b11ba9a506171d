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
	// most f.Limit of them (all when 0), and only those whose name contains
	// f.Search when set.
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
