// Package config holds sessiond's server configuration: defaults, then an
// optional config file, then SESSIOND_* environment variables, then flags,
// each later source overriding the earlier. Validate reports every bad
// value at once.
package config

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sessiond/sessiond/internal/auth"
)

// Config is everything `sessiond serve` needs.
type Config struct {
	HTTPBindAddress             string
	DataDir                     string
	Store                       string // identity store: "sqlite" (embedded) or a postgres:// URL
	SessionStore                string // "memory", "sqlite", "postgres", or Redis: a redis:// or rediss:// URL or host:port[,host:port...]
	RedisKeyPrefix              string // starts every Redis key, so deployments can share one Redis
	RedisClientCache            bool   // keep session reads from Redis in memory, invalidated by Redis
	SessionLength               time.Duration
	SessionRenewDisabled        bool
	TLSCert                     string
	TLSKey                      string
	LogLevel                    string
	LogFormat                   string // "text", "json" or "auto" (text on a terminal)
	AccessLog                   bool   // one info line per HTTP request
	HashWorkers                 int
	HashNice                    int // nice value of the hash threads (0: the process's own)
	PasswordMinLength           int
	PasswordMaxLength           int
	EndSessionsOnPasswordChange bool
	RocketLoginExpiration       time.Duration
	RocketRateLimit             int           // calls per route and client IP per window; 0 turns the limiter off
	RocketRateLimitWindow       time.Duration // the Rocket.Chat rate-limit window
	TenantSigninLimit           int           // /auth/signin calls per client IP per hour (tenants may override)
	TenantSignupLimit           int           // /auth/signup calls per client IP per hour (tenants may override)
	TrustedProxies              string        // comma-separated IPs or CIDRs whose proxy header gives the client address
	TrustedProxyHeader          string        // the header they write it in: X-Forwarded-For or Forwarded
	CacheTTL                    time.Duration // how long a user or tenant read from the store is reused on the check path
	MaxBodyBytes                int64

	// Brute-force lockout (see auth.LockoutPolicy).
	LockoutAccountLimit int           // sign-in attempts per account in a window (0: no per-account limit)
	LockoutIPLimit      int           // failed sign-ins per client address in a window (0: none)
	LockoutWindow       time.Duration // the counting window and the first lock
	LockoutMaxLock      time.Duration // the longest lock (locks double per consecutive lockout)

	SessionIdleTimeout     time.Duration // end sessions unused this long (0: off)
	SessionAbsoluteTimeout time.Duration // never renew a session past creation plus this (0: off)
	PasswordAllowCommon    bool          // accept passwords from the list of the 100,000 most common
	Factors                Factors       // second factors, passkeys, re-authentication (factor.go)
	AuditLog               string        // security events as JSON lines: a file path, "-" for stderr, "" off

	// The courier (docs/tenant-api.md, "Courier"): how one-time codes reach
	// people. See courier.go.
	Courier              string // "" (SMTP and the webhook as configured) or "log"
	SMTPURL              string // smtp://[user:pass@]host:port (STARTTLS when offered) or smtps://
	SMTPFrom             string
	CourierWebhookURL    string
	CourierWebhookSecret string
	// SMTPTLS overrides the TLS configuration towards the mail server. It
	// has no flag: tests trust the certificate of their own mail server.
	SMTPTLS *tls.Config
	// Hardening: bounded waits on the engines, and a cap on sessions.
	StoreTimeout       time.Duration // deadline of every call to Redis and PostgreSQL
	MaxSessionsPerUser int           // live sessions a user may hold; a new one ends the least recently used (0: no cap)

	// PasswordHashCost overrides the argon2id parameters of new hashes. It
	// has no flag: production always uses auth.DefaultArgon2 (OWASP's
	// minimum); tests set cheap parameters to keep sign-ins fast.
	PasswordHashCost *auth.Argon2Params
}

// Default returns the configuration used when nothing is set.
func Default() Config {
	home, err := os.UserHomeDir()
	if err != nil || home == "" {
		home = "."
	}
	return Config{
		HTTPBindAddress:             ":8086",
		DataDir:                     filepath.Join(home, ".sessiond"),
		Store:                       "sqlite",
		SessionStore:                "memory",
		RedisKeyPrefix:              "sd",
		RedisClientCache:            true,
		SessionLength:               10 * time.Minute,
		LogLevel:                    "info",
		LogFormat:                   "auto",
		PasswordMinLength:           8,
		PasswordMaxLength:           72,
		HashNice:                    auth.DefaultHashNice,
		EndSessionsOnPasswordChange: true,
		RocketLoginExpiration:       90 * 24 * time.Hour,
		RocketRateLimit:             10,
		RocketRateLimitWindow:       time.Minute,
		TenantSigninLimit:           30,
		TenantSignupLimit:           10,
		MaxBodyBytes:                64 << 10,
		LockoutAccountLimit:         10,
		LockoutIPLimit:              50,
		LockoutWindow:               15 * time.Minute,
		LockoutMaxLock:              24 * time.Hour,
		SessionAbsoluteTimeout:      24 * time.Hour,
		TrustedProxyHeader:          "X-Forwarded-For",
		CacheTTL:                    2 * time.Second,
		Factors:                     defaultFactors(),
		// Hardening.
		StoreTimeout:       time.Second,
		MaxSessionsPerUser: 500,
	}
}

// Validate reports every invalid value of c in one error.
func (c Config) Validate() error {
	var p []string
	if err := checkBindAddress(c.HTTPBindAddress); err != nil {
		p = append(p, fmt.Sprintf("http-bind-address %q %v", c.HTTPBindAddress, err))
	}
	if c.DataDir == "" {
		p = append(p, "data-dir must not be empty")
	}
	if c.Store != "sqlite" && !strings.HasPrefix(c.Store, "postgres://") && !strings.HasPrefix(c.Store, "postgresql://") {
		p = append(p, fmt.Sprintf("store %q must be sqlite or a postgres:// URL", RedactURL(c.Store)))
	}
	switch {
	case c.SessionStore == "memory", c.SessionStore == "sqlite", c.SessionStore == "postgres",
		strings.HasPrefix(c.SessionStore, "redis://"), strings.HasPrefix(c.SessionStore, "rediss://"):
	case !strings.Contains(c.SessionStore, "://") && !slices.ContainsFunc(strings.Split(c.SessionStore, ","), func(a string) bool {
		_, port, err := net.SplitHostPort(strings.TrimSpace(a))
		return err != nil || port == ""
	}): // host:port[,host:port...]: a Redis server, or the seed nodes of a cluster
	default:
		p = append(p, fmt.Sprintf("session-store %q must be memory, sqlite, postgres, a redis:// or rediss:// URL, or a host:port list", RedactURL(c.SessionStore)))
	}
	if c.RedisKeyPrefix == "" || strings.ContainsAny(c.RedisKeyPrefix, "{}*?[]\\ ") {
		p = append(p, fmt.Sprintf("redis-key-prefix %q must not be empty nor hold braces, glob characters or spaces", c.RedisKeyPrefix))
	}
	if c.SessionStore == "postgres" && c.Store == "sqlite" {
		p = append(p, "session-store postgres needs store to be a postgres:// URL")
	}
	if c.SessionLength < time.Second {
		p = append(p, fmt.Sprintf("session-length %s must be at least 1s", c.SessionLength))
	}
	if (c.TLSCert == "") != (c.TLSKey == "") {
		p = append(p, "tls-cert and tls-key must be set together")
	}
	for _, f := range []string{c.TLSCert, c.TLSKey} {
		if f != "" {
			if _, err := os.Stat(f); err != nil {
				p = append(p, fmt.Sprintf("tls file %q: %v", f, errors.Unwrap(err)))
			}
		}
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		p = append(p, fmt.Sprintf("log-level %q must be debug, info, warn or error", c.LogLevel))
	}
	switch c.LogFormat {
	case "auto", "text", "json":
	default:
		p = append(p, fmt.Sprintf("log-format %q must be text, json or auto", c.LogFormat))
	}
	if c.HashWorkers < 0 {
		p = append(p, "hash-workers must not be negative")
	}
	if c.HashNice < 0 || c.HashNice > 19 {
		p = append(p, "hash-nice must be between 0 and 19")
	}
	if c.PasswordMinLength < 8 {
		p = append(p, fmt.Sprintf("password-min-length %d must be at least 8", c.PasswordMinLength))
	}
	if c.PasswordMaxLength < 72 || c.PasswordMaxLength < c.PasswordMinLength || c.PasswordMaxLength > 4096 {
		p = append(p, fmt.Sprintf("password-max-length %d must be between 72 and 4096 and at least password-min-length", c.PasswordMaxLength))
	}
	p = append(p, c.validateSecurity()...)
	p = append(p, c.validateCourier()...)
	if c.RocketLoginExpiration < time.Minute {
		p = append(p, "rocketchat-login-expiration must be at least 1m")
	}
	if c.RocketRateLimit < 0 {
		p = append(p, "rocketchat-rate-limit must not be negative")
	}
	if c.RocketRateLimitWindow < time.Second {
		p = append(p, "rocketchat-rate-limit-window must be at least 1s")
	}
	if c.TenantSigninLimit < 1 || c.TenantSignupLimit < 1 {
		p = append(p, "tenant-signin-limit and tenant-signup-limit must be at least 1")
	}
	for _, f := range strings.Split(c.TrustedProxies, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		if _, err := netip.ParsePrefix(f); err != nil {
			if _, err := netip.ParseAddr(f); err != nil {
				p = append(p, fmt.Sprintf("trusted-proxies: %q is neither an IP address nor a CIDR prefix", f))
			}
		}
	}
	if !strings.EqualFold(c.TrustedProxyHeader, "X-Forwarded-For") && !strings.EqualFold(c.TrustedProxyHeader, "Forwarded") {
		p = append(p, fmt.Sprintf("trusted-proxy-header: %q is neither X-Forwarded-For nor Forwarded", c.TrustedProxyHeader))
	}
	if c.CacheTTL < 0 || c.CacheTTL > time.Hour {
		p = append(p, "cache-ttl must be between 0s and 1h")
	}
	if c.MaxBodyBytes < 1024 {
		p = append(p, "max-body-bytes must be at least 1024")
	}
	p = append(p, c.validateFactors()...)
	p = append(p, c.validateHardening()...)
	if len(p) > 0 {
		return errors.New(strings.Join(p, "; "))
	}
	return nil
}

// checkBindAddress says what is wrong with a listen address: it must be
// host:port or :port, the port a number from 0 to 65535, the host empty,
// an IP address or a host name.
func checkBindAddress(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return errors.New("must be host:port or :port, such as :8086 or 127.0.0.1:8086")
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return fmt.Errorf("has port %q; want a number from 0 to 65535", port)
	}
	if host == "" {
		return nil
	}
	if _, err := netip.ParseAddr(host); err == nil {
		return nil
	}
	for _, label := range strings.Split(host, ".") {
		if label == "" || len(label) > 63 || strings.HasPrefix(label, "-") || strings.HasSuffix(label, "-") ||
			strings.ContainsFunc(label, func(r rune) bool {
				return !(r == '-' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z')
			}) {
			return fmt.Errorf("has host %q, neither an IP address nor a host name", host)
		}
	}
	return nil
}
