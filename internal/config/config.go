// Package config holds sessiond's server configuration: defaults, then an
// optional config file, then SESSIOND_* environment variables, then flags,
// each later source overriding the earlier. Validate reports every bad
// value at once.
package config

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
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
	SessionLength               time.Duration
	SessionRenewDisabled        bool
	TLSCert                     string
	TLSKey                      string
	LogLevel                    string
	HashWorkers                 int
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
	AuditLog               string        // security events as JSON lines: a file path, "-" for stderr, "" off

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
		SessionLength:               10 * time.Minute,
		LogLevel:                    "info",
		PasswordMinLength:           8,
		PasswordMaxLength:           72,
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
		// Hardening.
		StoreTimeout:       time.Second,
		MaxSessionsPerUser: 500,
	}
}

// binding reads and writes one setting as text.
type binding struct {
	set func(c *Config, v string) error
	get func(c *Config) string
}

// option binds one setting to its flag name, which also names its
// SESSIOND_ variable and its config-file key.
type option struct {
	name  string
	usage string
	binding
}

func str(p func(*Config) *string) binding {
	return binding{func(c *Config, v string) error { *p(c) = v; return nil }, func(c *Config) string { return *p(c) }}
}

func boolean(p func(*Config) *bool) binding {
	return binding{func(c *Config, v string) error {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return fmt.Errorf("must be true or false")
		}
		*p(c) = b
		return nil
	}, func(c *Config) string {
		return strconv.FormatBool(*p(c))
	}}
}

func integer(p func(*Config) *int) binding {
	return binding{func(c *Config, v string) error {
		n, err := strconv.Atoi(v)
		if err != nil {
			return fmt.Errorf("must be a whole number")
		}
		*p(c) = n
		return nil
	}, func(c *Config) string {
		return strconv.Itoa(*p(c))
	}}
}

// duration accepts Go durations ("10m", "1h30m") and, as InfluxDB's
// --session-length does, a bare number of minutes.
func duration(p func(*Config) *time.Duration) binding {
	return binding{func(c *Config, v string) error {
		if n, err := strconv.Atoi(v); err == nil {
			*p(c) = time.Duration(n) * time.Minute
			return nil
		}
		d, err := time.ParseDuration(v)
		if err != nil {
			return fmt.Errorf("must be a duration such as 10m or a number of minutes")
		}
		*p(c) = d
		return nil
	}, func(c *Config) string {
		return p(c).String()
	}}
}

func options() []option {
	var o []option
	add := func(name, usage string, b binding) { o = append(o, option{name, usage, b}) }
	add("http-bind-address", "address the HTTP server listens on", str(func(c *Config) *string { return &c.HTTPBindAddress }))
	add("data-dir", "directory of the embedded database", str(func(c *Config) *string { return &c.DataDir }))
	add("store", `identity store: "sqlite" (embedded) or a postgres:// URL`, str(func(c *Config) *string { return &c.Store }))
	add("session-store", `session store: "memory", "sqlite", "postgres", or Redis (a redis:// or rediss:// URL, or host:port[,host:port...] for a cluster)`, str(func(c *Config) *string { return &c.SessionStore }))
	add("redis-key-prefix", "prefix of every Redis key (for several deployments on one Redis)", str(func(c *Config) *string { return &c.RedisKeyPrefix }))
	add("session-length", "lifetime of a new session (duration, or minutes)", duration(func(c *Config) *time.Duration { return &c.SessionLength }))
	add("session-renew-disabled", "do not extend sessions on use", boolean(func(c *Config) *bool { return &c.SessionRenewDisabled }))
	add("tls-cert", "TLS certificate file (PEM)", str(func(c *Config) *string { return &c.TLSCert }))
	add("tls-key", "TLS private key file (PEM)", str(func(c *Config) *string { return &c.TLSKey }))
	add("log-level", "debug, info, warn or error", str(func(c *Config) *string { return &c.LogLevel }))
	add("hash-workers", "concurrent password hashes (0: one per CPU)", integer(func(c *Config) *int { return &c.HashWorkers }))
	add("password-min-length", "shortest password accepted, in bytes", integer(func(c *Config) *int { return &c.PasswordMinLength }))
	add("password-max-length", "longest password accepted, in bytes", integer(func(c *Config) *int { return &c.PasswordMaxLength }))
	add("end-sessions-on-password-change", "a password change ends the user's other sessions", boolean(func(c *Config) *bool { return &c.EndSessionsOnPasswordChange }))
	add("rocketchat-login-expiration", "lifetime of a Rocket.Chat login token", duration(func(c *Config) *time.Duration { return &c.RocketLoginExpiration }))
	add("rocketchat-rate-limit", "Rocket.Chat API calls allowed per route and client IP in a window (0: no limit)", integer(func(c *Config) *int { return &c.RocketRateLimit }))
	add("tenant-signin-limit", "tenant API sign-ins per client IP per hour", integer(func(c *Config) *int { return &c.TenantSigninLimit }))
	add("tenant-signup-limit", "tenant API sign-ups per client IP per hour", integer(func(c *Config) *int { return &c.TenantSignupLimit }))
	add("trusted-proxies", "comma-separated proxy IPs or CIDRs whose --trusted-proxy-header gives the client IP (every API, the account pages, lockouts and rate limits)", str(func(c *Config) *string { return &c.TrustedProxies }))
	add("trusted-proxy-header", `header the trusted proxies name the client in: "X-Forwarded-For" or "Forwarded" (RFC 7239); only that one is read`, str(func(c *Config) *string { return &c.TrustedProxyHeader }))
	add("rocketchat-rate-limit-window", "Rocket.Chat rate-limit window (duration, or minutes)", duration(func(c *Config) *time.Duration { return &c.RocketRateLimitWindow }))
	add("max-body-bytes", "largest request body accepted", binding{func(c *Config, v string) error {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return fmt.Errorf("must be a whole number of bytes")
		}
		c.MaxBodyBytes = n
		return nil
	}, func(c *Config) string { return strconv.FormatInt(c.MaxBodyBytes, 10) }})
	add("lockout-account-limit", "sign-in attempts allowed per account in a lockout window (0: no per-account lockout; at most 100)", integer(func(c *Config) *int { return &c.LockoutAccountLimit }))
	add("lockout-ip-limit", "failed sign-ins allowed per client address (IPv6: per /64) in a lockout window (0: none)", integer(func(c *Config) *int { return &c.LockoutIPLimit }))
	add("lockout-window", "lockout counting window, and the first lock (duration, or minutes)", duration(func(c *Config) *time.Duration { return &c.LockoutWindow }))
	add("lockout-max", "longest lock; each consecutive lockout of an account doubles its lock up to this", duration(func(c *Config) *time.Duration { return &c.LockoutMaxLock }))
	add("session-idle-timeout", "end a session not used for this long (0: off; duration, or minutes)", duration(func(c *Config) *time.Duration { return &c.SessionIdleTimeout }))
	add("session-absolute-timeout", "never renew a session past its creation plus this (0: off; duration, or minutes)", duration(func(c *Config) *time.Duration { return &c.SessionAbsoluteTimeout }))
	add("password-allow-common", "accept passwords from the list of the 100,000 most common", boolean(func(c *Config) *bool { return &c.PasswordAllowCommon }))
	add("audit-log", `security events as JSON lines: a file path, "-" for stderr, empty for none`, str(func(c *Config) *string { return &c.AuditLog }))
	add("store-timeout", "deadline of every call to Redis and PostgreSQL: a hung engine answers 503 after this long (duration)", duration(func(c *Config) *time.Duration { return &c.StoreTimeout }))
	add("max-sessions-per-user", "live sessions a user may hold; signing in once more ends the least recently used (0: no cap)", integer(func(c *Config) *int { return &c.MaxSessionsPerUser }))
	add("cache-ttl", "longest reuse of a user or tenant read from the store on the check path; changes made through sessiond apply at once on every instance sharing Redis or PostgreSQL (duration)", duration(func(c *Config) *time.Duration { return &c.CacheTTL }))
	return o
}

// EnvName returns the environment variable of a flag.
func EnvName(flagName string) string {
	return "SESSIOND_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// Load builds the configuration from args (the flags after "serve"), the
// environment lookup and the config file named by --config or
// SESSIOND_CONFIG. It returns one error naming every bad value.
func Load(args []string, getenv func(string) string, stderr io.Writer) (Config, error) {
	c := Default()
	opts := options()
	var problems []string
	bad := func(src, name, v string, err error) {
		problems = append(problems, fmt.Sprintf("%s %s=%q: %v", src, name, v, err))
	}

	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	flagVals := map[string]string{}
	configPath := fs.String("config", getenv("SESSIOND_CONFIG"), "config file (JSON, or key: value / key = value lines)")
	for _, o := range opts {
		fs.Func(o.name, o.usage+" (default "+o.get(&c)+"; env "+EnvName(o.name)+")", func(v string) error {
			flagVals[o.name] = v
			return nil
		})
	}
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		problems = append(problems, fmt.Sprintf("unexpected arguments: %q", fs.Args()))
	}

	if *configPath != "" {
		file, err := readFile(*configPath)
		if err != nil {
			problems = append(problems, err.Error())
		}
		known := map[string]bool{}
		for _, o := range opts {
			known[o.name] = true
		}
		for k := range file {
			if !known[k] {
				problems = append(problems, fmt.Sprintf("config file: unknown setting %q", k))
			}
		}
		for _, o := range opts {
			if v, ok := file[o.name]; ok {
				if err := o.set(&c, v); err != nil {
					bad("config file", o.name, v, err)
				}
			}
		}
	}
	for _, o := range opts {
		if v := getenv(EnvName(o.name)); v != "" {
			if err := o.set(&c, v); err != nil {
				bad("env", EnvName(o.name), v, err)
			}
		}
	}
	for _, o := range opts {
		if v, ok := flagVals[o.name]; ok {
			if err := o.set(&c, v); err != nil {
				bad("flag", "--"+o.name, v, err)
			}
		}
	}
	if err := c.Validate(); err != nil {
		problems = append(problems, err.Error())
	}
	if len(problems) > 0 {
		return c, errors.New("invalid configuration: " + strings.Join(problems, "; "))
	}
	return c, nil
}

// readFile reads a JSON object or simple "key: value" / "key = value"
// lines (# starts a comment) into strings keyed by flag name.
func readFile(path string) (map[string]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config file: %v", err)
	}
	return parseFile(path, b)
}

// parseFile reads the contents b of the config file at path.
func parseFile(path string, b []byte) (map[string]string, error) {
	out := map[string]string{}
	if t := strings.TrimSpace(string(b)); strings.HasPrefix(t, "{") {
		var raw map[string]any
		if err := json.Unmarshal(b, &raw); err != nil {
			return nil, fmt.Errorf("config file %s: %v", path, err)
		}
		for k, v := range raw {
			out[normalKey(k)] = fmt.Sprint(v)
		}
		return out, nil
	}
	sc := bufio.NewScanner(strings.NewReader(string(b)))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.IndexAny(line, ":=")
		if i <= 0 {
			return nil, fmt.Errorf("config file %s line %d: want key: value", path, n)
		}
		v := strings.TrimSpace(line[i+1:])
		v = strings.Trim(v, `"'`)
		out[normalKey(strings.TrimSpace(line[:i]))] = v
	}
	return out, nil
}

func normalKey(k string) string { return strings.ToLower(strings.ReplaceAll(k, "_", "-")) }

// Validate reports every invalid value of c in one error.
func (c Config) Validate() error {
	var p []string
	if c.HTTPBindAddress == "" {
		p = append(p, "http-bind-address must not be empty")
	}
	if c.DataDir == "" {
		p = append(p, "data-dir must not be empty")
	}
	if c.Store != "sqlite" && !strings.HasPrefix(c.Store, "postgres://") && !strings.HasPrefix(c.Store, "postgresql://") {
		p = append(p, fmt.Sprintf("store %q must be sqlite or a postgres:// URL", c.Store))
	}
	switch {
	case c.SessionStore == "memory", c.SessionStore == "sqlite", c.SessionStore == "postgres",
		strings.HasPrefix(c.SessionStore, "redis://"), strings.HasPrefix(c.SessionStore, "rediss://"):
	case !strings.Contains(c.SessionStore, "://") && !slices.ContainsFunc(strings.Split(c.SessionStore, ","), func(a string) bool {
		_, port, err := net.SplitHostPort(strings.TrimSpace(a))
		return err != nil || port == ""
	}): // host:port[,host:port...]: a Redis server, or the seed nodes of a cluster
	default:
		p = append(p, fmt.Sprintf("session-store %q must be memory, sqlite, postgres, a redis:// or rediss:// URL, or a host:port list", c.SessionStore))
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
	if c.HashWorkers < 0 {
		p = append(p, "hash-workers must not be negative")
	}
	if c.PasswordMinLength < 8 {
		p = append(p, fmt.Sprintf("password-min-length %d must be at least 8", c.PasswordMinLength))
	}
	if c.PasswordMaxLength < 72 || c.PasswordMaxLength < c.PasswordMinLength || c.PasswordMaxLength > 4096 {
		p = append(p, fmt.Sprintf("password-max-length %d must be between 72 and 4096 and at least password-min-length", c.PasswordMaxLength))
	}
	p = append(p, c.validateSecurity()...)
	p = append(p, c.validateHardening()...)
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
	if len(p) > 0 {
		return errors.New(strings.Join(p, "; "))
	}
	return nil
}
