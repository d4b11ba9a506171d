package config

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/sessiond/sessiond/internal/auth"
)

// Factors configures second factors, passkeys and re-authentication.
type Factors struct {
	// Key is the factor key, 32 bytes in base64: it seals TOTP secrets at
	// rest. KeyFile names a file holding it instead. Without either, an
	// embedded store keeps one in FactorKeyFile beside its database; a
	// PostgreSQL store has none, and TOTP is refused until one is set.
	Key     string
	KeyFile string
	// ReauthWindow is how long a sign-in or re-authentication counts as
	// a recent proof (removing a factor, ending every other session).
	ReauthWindow time.Duration
	// PasskeyRPID and PasskeyOrigins name the WebAuthn relying party;
	// empty: the host and origin each request reached.
	PasskeyRPID    string
	PasskeyOrigins string
	// RocketRemember is Rocket.Chat's Accounts_TwoFactorAuthentication_RememberFor;
	// RocketPasswordFallback its Enforce_Password_Fallback.
	RocketRemember         time.Duration
	RocketPasswordFallback bool
}

// FactorKeyFile is the file, in the data directory, of the factor key
// made for an embedded store.
const FactorKeyFile = "factor.key"

func defaultFactors() Factors {
	return Factors{ReauthWindow: auth.DefaultReauthWindow, RocketRemember: 30 * time.Minute, RocketPasswordFallback: true}
}

func (c Config) validateFactors() []string {
	var p []string
	if c.Factors.Key != "" && c.Factors.KeyFile != "" {
		p = append(p, "factor-key and factor-key-file must not both be set")
	}
	if c.Factors.Key != "" {
		if _, err := decodeFactorKey(c.Factors.Key); err != nil {
			p = append(p, "factor-key: "+err.Error())
		}
	}
	if c.Factors.ReauthWindow < 30*time.Second || c.Factors.ReauthWindow > 24*time.Hour {
		p = append(p, "reauth-window must be between 30s and 24h")
	}
	if c.Factors.RocketRemember < 0 {
		p = append(p, "rocketchat-2fa-remember must not be negative")
	}
	if (c.Factors.PasskeyRPID == "") != (c.Factors.PasskeyOrigins == "") {
		p = append(p, "passkey-rp-id and passkey-origins must be set together")
	}
	return p
}

func decodeFactorKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			if len(b) != auth.FactorKeySize {
				return nil, fmt.Errorf("must be %d bytes, not %d", auth.FactorKeySize, len(b))
			}
			return b, nil
		}
	}
	return nil, errors.New("must be base64 (openssl rand -base64 32)")
}

// FactorKey returns the factor key the configuration names: --factor-key,
// else the file --factor-key-file names, else, for the embedded store,
// <data-dir>/factor.key (made with mode 0600 when missing); nil for a
// PostgreSQL store without one.
func (c Config) FactorKey() ([]byte, error) {
	if c.Factors.Key != "" {
		return decodeFactorKey(c.Factors.Key)
	}
	path := c.Factors.KeyFile
	if path == "" {
		if c.Store != "sqlite" {
			return nil, nil
		}
		path = filepath.Join(c.DataDir, FactorKeyFile)
		if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
			key := make([]byte, auth.FactorKeySize)
			rand.Read(key)
			if err := os.MkdirAll(c.DataDir, 0o700); err != nil {
				return nil, fmt.Errorf("factor key: %w", err)
			}
			f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
			if err == nil {
				_, err = f.WriteString(base64.StdEncoding.EncodeToString(key) + "\n")
				if cerr := f.Close(); err == nil {
					err = cerr
				}
			}
			if err != nil && !errors.Is(err, fs.ErrExist) {
				return nil, fmt.Errorf("factor key: %w", err)
			}
		}
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("factor key: %w", err)
	}
	key, err := decodeFactorKey(string(b))
	if err != nil {
		return nil, fmt.Errorf("factor key file %s: %w", path, err)
	}
	return key, nil
}

// PasskeyOriginList returns --passkey-origins as a list.
func (c Config) PasskeyOriginList() []string {
	var out []string
	for _, o := range strings.Split(c.Factors.PasskeyOrigins, ",") {
		if o = strings.TrimSpace(o); o != "" {
			out = append(out, o)
		}
	}
	return out
}
