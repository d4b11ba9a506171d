package config

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// option binds one setting of Config to its four spellings: the flag
// (--flag), the environment variable (SESSIOND_FLAG, and SESSIOND_FLAG_FILE
// for a secret), the place in the config file (section.key) and its row in
// the README's table. options() is the one list of them: adding a setting
// is a field in Config, its default in Default, one add(...) line below
// and, when it has rules, a check in Validate.
type option struct {
	flag   string // flag name without dashes
	key    string // "section.key" in the config file
	usage  string
	secret secrecy
	// shown is the default as the docs show it, when Default's value
	// depends on the machine (the home directory, the CPUs).
	shown string
	binding
}

// secrecy says how a setting is hidden in `sessiond config print`,
// errors and logs.
type secrecy int

const (
	public    secrecy = iota
	secretURL         // a URL whose password is hidden (engine URLs)
	secret            // hidden whole (keys, passwords)
)

// binding reads and writes one setting as text.
type binding struct {
	kind string // "string", "int", "bool", "duration": the flag's type and the file's
	set  func(c *Config, v string) error
	get  func(c *Config) string
}

func str(p func(*Config) *string) binding {
	return binding{"string", func(c *Config, v string) error { *p(c) = v; return nil }, func(c *Config) string { return *p(c) }}
}

func boolean(p func(*Config) *bool) binding {
	return binding{"bool", func(c *Config, v string) error {
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
	return binding{"int", func(c *Config, v string) error {
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

func integer64(p func(*Config) *int64) binding {
	return binding{"int", func(c *Config, v string) error {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return fmt.Errorf("must be a whole number")
		}
		*p(c) = n
		return nil
	}, func(c *Config) string { return strconv.FormatInt(*p(c), 10) }}
}

// duration accepts Go durations ("10m", "1h30m") and, as InfluxDB's
// --session-length does, a bare number of minutes.
func duration(p func(*Config) *time.Duration) binding {
	return binding{"duration", func(c *Config, v string) error {
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

// optionMod sets what add's plain arguments do not: secrecy, the shown
// default.
type optionMod func(*option)

func secretValue(o *option)      { o.secret = secret }
func secretURLValue(o *option)   { o.secret = secretURL }
func shownAs(s string) optionMod { return func(o *option) { o.shown = s } }

// options lists every setting, in the order of the config file's sections
// and of the README's table.
func options() []option {
	var o []option
	add := func(flag, key, usage string, b binding, mods ...optionMod) {
		opt := option{flag: flag, key: key, usage: usage, binding: b}
		for _, m := range mods {
			m(&opt)
		}
		o = append(o, opt)
	}
	// http
	add("http-bind-address", "http.bind-address", "address the HTTP server listens on (host:port or :port)", str(func(c *Config) *string { return &c.HTTPBindAddress }))
	add("tls-cert", "http.tls-cert", "TLS certificate file (PEM); with --tls-key, serve HTTPS", str(func(c *Config) *string { return &c.TLSCert }))
	add("tls-key", "http.tls-key", "TLS private key file (PEM)", str(func(c *Config) *string { return &c.TLSKey }))
	add("max-body-bytes", "http.max-body-bytes", "largest request body accepted, in bytes", integer64(func(c *Config) *int64 { return &c.MaxBodyBytes }))
	add("trusted-proxies", "http.trusted-proxies", "comma-separated proxy IPs or CIDRs whose --trusted-proxy-header gives the client address (every API, the account pages, lockouts and rate limits)", str(func(c *Config) *string { return &c.TrustedProxies }))
	add("trusted-proxy-header", "http.trusted-proxy-header", `the header those proxies name the client in: "X-Forwarded-For" or "Forwarded" (RFC 7239); only that one is read`, str(func(c *Config) *string { return &c.TrustedProxyHeader }))
	// storage
	add("data-dir", "storage.data-dir", "directory of the embedded database", str(func(c *Config) *string { return &c.DataDir }), shownAs("~/.sessiond"))
	add("store", "storage.store", `users, tenants, tokens: "sqlite" (embedded) or a postgres:// URL`, str(func(c *Config) *string { return &c.Store }), secretURLValue)
	add("session-store", "storage.session-store", `sessions and counters: "memory" (lost at restart, as InfluxDB), "sqlite", "postgres", or Redis (a redis:// or rediss:// URL, or host:port[,host:port...] for a cluster's seed nodes)`, str(func(c *Config) *string { return &c.SessionStore }), secretURLValue)
	add("redis-key-prefix", "storage.redis-key-prefix", "prefix of every Redis key and of the change-feed channel (for several deployments on one Redis)", str(func(c *Config) *string { return &c.RedisKeyPrefix }))
	add("redis-client-cache", "storage.redis-client-cache", "keep sessions read from Redis in memory, dropped on every instance when Redis reports a change (CLIENT TRACKING): a repeated check makes no round trip; another instance's revoke applies within milliseconds, at most 200 ms", boolean(func(c *Config) *bool { return &c.RedisClientCache }))
	add("store-timeout", "storage.timeout", "deadline of every call to Redis and PostgreSQL: a hung engine answers 503 after this long", duration(func(c *Config) *time.Duration { return &c.StoreTimeout }))
	add("cache-ttl", "storage.cache-ttl", "longest reuse of a user or tenant read from the store; changes made through sessiond apply at once on every instance sharing Redis or PostgreSQL", duration(func(c *Config) *time.Duration { return &c.CacheTTL }))
	// sessions
	add("session-length", "sessions.length", "lifetime of a new session (duration, or minutes)", duration(func(c *Config) *time.Duration { return &c.SessionLength }))
	add("session-renew-disabled", "sessions.renew-disabled", "do not slide the expiry of sessions on use", boolean(func(c *Config) *bool { return &c.SessionRenewDisabled }))
	add("session-idle-timeout", "sessions.idle-timeout", "end a session not used for this long (0: off)", duration(func(c *Config) *time.Duration { return &c.SessionIdleTimeout }))
	add("session-absolute-timeout", "sessions.absolute-timeout", "never renew a session past its creation plus this (0: off)", duration(func(c *Config) *time.Duration { return &c.SessionAbsoluteTimeout }))
	add("max-sessions-per-user", "sessions.max-per-user", "live sessions a user may hold; signing in once more ends the least recently used (0: no cap)", integer(func(c *Config) *int { return &c.MaxSessionsPerUser }))
	add("end-sessions-on-password-change", "sessions.end-on-password-change", "a password change ends the user's other sessions and personal access tokens", boolean(func(c *Config) *bool { return &c.EndSessionsOnPasswordChange }))
	// passwords
	add("password-min-length", "passwords.min-length", "shortest password accepted, in bytes (at least 8)", integer(func(c *Config) *int { return &c.PasswordMinLength }))
	add("password-max-length", "passwords.max-length", "longest password accepted, in bytes (72 to 4096)", integer(func(c *Config) *int { return &c.PasswordMaxLength }))
	add("password-allow-common", "passwords.allow-common", "accept passwords from the list of the 100,000 most common", boolean(func(c *Config) *bool { return &c.PasswordAllowCommon }))
	add("hash-workers", "passwords.hash-workers", "concurrent password hashes (0: one per CPU)", integer(func(c *Config) *int { return &c.HashWorkers }))
	add("hash-nice", "passwords.hash-nice", "nice value (0-19) of the threads that hash passwords, so that session checks go first (0: off; Linux)", integer(func(c *Config) *int { return &c.HashNice }))
	// lockout
	add("lockout-account-limit", "lockout.account-limit", "sign-in attempts allowed per account in a lockout window (0: off; at most 100)", integer(func(c *Config) *int { return &c.LockoutAccountLimit }))
	add("lockout-ip-limit", "lockout.ip-limit", "failed sign-ins allowed per client address (IPv6: per /64) in a lockout window (0: off)", integer(func(c *Config) *int { return &c.LockoutIPLimit }))
	add("lockout-window", "lockout.window", "lockout counting window, and the first lock", duration(func(c *Config) *time.Duration { return &c.LockoutWindow }))
	add("lockout-max", "lockout.max", "longest lock; each consecutive lockout of an account doubles its lock up to this", duration(func(c *Config) *time.Duration { return &c.LockoutMaxLock }))
	// rocketchat
	add("rocketchat-login-expiration", "rocketchat.login-expiration", "lifetime of a Rocket.Chat login token", duration(func(c *Config) *time.Duration { return &c.RocketLoginExpiration }))
	add("rocketchat-rate-limit", "rocketchat.rate-limit", "Rocket.Chat calls allowed per route and client IP in a window (0: no limit)", integer(func(c *Config) *int { return &c.RocketRateLimit }))
	add("rocketchat-rate-limit-window", "rocketchat.rate-limit-window", "the Rocket.Chat rate-limit window", duration(func(c *Config) *time.Duration { return &c.RocketRateLimitWindow }))
	// tenant-api
	add("tenant-signin-limit", "tenant-api.signin-limit", "tenant API sign-ins per client IP per hour (tenants may override)", integer(func(c *Config) *int { return &c.TenantSigninLimit }))
	add("tenant-signup-limit", "tenant-api.signup-limit", "tenant API sign-ups per client IP per hour (tenants may override)", integer(func(c *Config) *int { return &c.TenantSignupLimit }))
	// log
	add("log-level", "log.level", "debug, info, warn or error", str(func(c *Config) *string { return &c.LogLevel }))
	add("log-format", "log.format", "text, json, or auto (text on a terminal, else JSON)", str(func(c *Config) *string { return &c.LogFormat }))
	add("access-log", "log.access", "log one info line per HTTP request (method, route, status, duration, client address)", boolean(func(c *Config) *bool { return &c.AccessLog }))
	add("audit-log", "log.audit", `security events as JSON lines: a file path, "-" for stderr, empty for none`, str(func(c *Config) *string { return &c.AuditLog }))
	// second factors
	add("factor-key", "factors.key", "32 random bytes in base64 that seal TOTP secrets at rest (prefer --factor-key-file or SESSIOND_FACTOR_KEY_FILE)", str(func(c *Config) *string { return &c.Factors.Key }), secretValue)
	add("factor-key-file", "factors.key-file", "file holding the factor key (base64); default with the embedded store: <data-dir>/factor.key, made at first start", str(func(c *Config) *string { return &c.Factors.KeyFile }))
	add("reauth-window", "factors.reauth-window", "how long a sign-in or re-authentication lets a user remove a factor or end every other session on the account pages", duration(func(c *Config) *time.Duration { return &c.Factors.ReauthWindow }))
	add("passkey-rp-id", "factors.passkey-rp-id", "WebAuthn relying party ID, e.g. example.com (default: the host each request reached)", str(func(c *Config) *string { return &c.Factors.PasskeyRPID }))
	add("passkey-origins", "factors.passkey-origins", "comma-separated origins allowed for passkeys, e.g. https://login.example.com (with --passkey-rp-id)", str(func(c *Config) *string { return &c.Factors.PasskeyOrigins }))
	add("rocketchat-2fa-remember", "rocketchat.2fa-remember", "how long a good second factor spares a Rocket.Chat token further codes from the same client (0: never)", duration(func(c *Config) *time.Duration { return &c.Factors.RocketRemember }))
	add("rocketchat-2fa-password-fallback", "rocketchat.2fa-password-fallback", "ask Rocket.Chat users without a second factor for their password on routes that need one", boolean(func(c *Config) *bool { return &c.Factors.RocketPasswordFallback }))
	// courier
	add("courier", "courier.mode", `how codes are delivered: "" (email by --smtp-url, else --courier-webhook-url; SMS by the webhook) or "log" (written to the log only, for development)`, str(func(c *Config) *string { return &c.Courier }))
	add("smtp-url", "courier.smtp-url", "mail server for codes: smtp://[user:pass@]host:port (STARTTLS when offered) or smtps://… (TLS from the start)", str(func(c *Config) *string { return &c.SMTPURL }), secretURLValue)
	add("smtp-from", "courier.smtp-from", "sender of the codes' emails, such as 'Acme <no-reply@acme.example>'", str(func(c *Config) *string { return &c.SMTPFrom }))
	add("courier-webhook-url", "courier.webhook-url", "JSON POST endpoint for messages SMTP does not carry (SMS; email too without --smtp-url)", str(func(c *Config) *string { return &c.CourierWebhookURL }))
	add("courier-webhook-secret", "courier.webhook-secret", "HMAC-SHA256 key of the webhook's X-Sessiond-Signature header (at least 16 bytes)", str(func(c *Config) *string { return &c.CourierWebhookSecret }), secretValue)
	return o
}

// EnvName returns the environment variable of a flag.
func EnvName(flagName string) string {
	return "SESSIOND_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}
