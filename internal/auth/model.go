package auth

import (
	"crypto/sha256"
	"encoding/hex"
	"time"
)

// DefaultTenantID is the tenant that always exists; the InfluxDB and
// Rocket.Chat dialects work in it.
const DefaultTenantID = "0000000000000001"

// DefaultTenantName is the name of the default tenant.
const DefaultTenantName = "default"

// Tenant is the isolation boundary for users: names are unique per tenant
// and nothing crosses tenants.
type Tenant struct {
	ID        string
	Name      string
	TokenHash Hash              // hash of the tenant token; zero for the default tenant
	Settings  map[string]string // dialect settings (org name, capability switches, limits)
	CreatedAt time.Time
	UpdatedAt time.Time
}

// UserState is the life-cycle state of a user.
type UserState string

// The user states. Only StateActive may authenticate.
const (
	StateActive     UserState = "active"
	StateInactive   UserState = "inactive"
	StateSuspended  UserState = "suspended"
	StateTerminated UserState = "terminated"
)

// Valid reports whether s is one of the known states.
func (s UserState) Valid() bool {
	switch s {
	case StateActive, StateInactive, StateSuspended, StateTerminated:
		return true
	}
	return false
}

// User is an account in one tenant.
type User struct {
	ID           string // 16 lower-case hex characters
	TenantID     string
	Name         string // login name, unique in the tenant
	Email        string // optional, unique in the tenant when set
	State        UserState
	Admin        bool
	PasswordHash string // PHC string (argon2id) or bcrypt hash; empty when no password is set
	// DigestHash verifies the lower-case hex SHA-256 of the password,
	// hashed as PasswordHash is (argon2id PHC), for clients that send only
	// that digest (Rocket.Chat's {digest} and {hashed} logins). Empty when
	// no password is set or the verifier has not been made yet.
	DigestHash string
	Presence   string // dialect presence status (e.g. logged_in / logged_out)
	CreatedAt  time.Time
	UpdatedAt  time.Time

	// EmailVerified says the user proved they receive mail at Email (a
	// code sent there, or an identity provider that vouches for it). A
	// new email is unverified.
	EmailVerified bool
}

// Origin names the API that created a session.
type Origin string

// Known origins.
const (
	OriginInflux Origin = "influxdb"
	OriginRocket Origin = "rocketchat"
	OriginTenant Origin = "tenant"
	OriginUI     Origin = "ui"
)

// Hash is the SHA-256 of a secret. Stores keep only hashes of tokens.
type Hash [32]byte

// HashToken returns the hash under which a secret token is stored.
func HashToken(token string) Hash {
	if len(token) <= 128 {
		var buf [128]byte // tokens are hashed on every check: no allocation
		return sha256.Sum256(buf[:copy(buf[:], token)])
	}
	return sha256.Sum256([]byte(token))
}

// String returns the hash in hex, for storage engines that key by text.
func (h Hash) String() string { return hex.EncodeToString(h[:]) }

// IsZero reports whether h is unset.
func (h Hash) IsZero() bool { return h == Hash{} }

// ParseHash reads a hash written by Hash.String.
func ParseHash(s string) (Hash, bool) {
	var h Hash
	if len(s) != 64 {
		return h, false
	}
	if _, err := hex.Decode(h[:], []byte(s)); err != nil {
		return h, false
	}
	return h, true
}

// Client describes where a request came from. It is recorded on sessions.
type Client struct {
	IP        string
	UserAgent string
	// Device holds the tenant API's client headers (x-device-id, x-platform ...).
	Device map[string]string
}

// Session is one signed-in device of one user. Its secret token is never
// stored; TokenHash finds it.
type Session struct {
	ID        string // public ID, 16 hex characters, distinct from the token
	TokenHash Hash
	UserID    string
	TenantID  string
	Origin    Origin
	CreatedAt time.Time
	ExpiresAt time.Time
	LastSeen  time.Time
	IP        string
	UserAgent string
	// Device may be shared with the store that returned the session:
	// replace it, never change it in place.
	Device map[string]string
}

// Expired reports whether the session has ended at now.
func (s *Session) Expired(now time.Time) bool { return !now.Before(s.ExpiresAt) }

// Permission is one grant of an API token: an action on a resource type,
// optionally narrowed to one resource ID or one organization.
type Permission struct {
	Action string // "read" or "write"
	Type   string
	ID     string
	OrgID  string
}

// Token is a long-lived API token (InfluxDB "authorization"). Only its hash
// is stored.
type Token struct {
	ID          string
	TenantID    string
	UserID      string
	Hash        Hash
	Description string
	Active      bool
	OrgID       string
	Permissions []Permission
	CreatedAt   time.Time
	UpdatedAt   time.Time
}
