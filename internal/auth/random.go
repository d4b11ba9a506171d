package auth

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
)

// NewID returns a random 16-hex-character ID (64 bits), never all zeros.
func NewID() string {
	var b [8]byte
	for {
		rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
		if b != [8]byte{} {
			return hex.EncodeToString(b[:])
		}
	}
}

// TokenFormat says how many random bytes a secret token has and how it is
// written. Every format has at least 256 bits from crypto/rand.
type TokenFormat struct {
	Bytes  int
	Padded bool // base64url with '=' padding (InfluxDB's format) instead of raw base64url
}

// InfluxTokenFormat is InfluxDB's: 64 random bytes, padded base64url, 88 characters.
var InfluxTokenFormat = TokenFormat{Bytes: 64, Padded: true}

// DefaultTokenFormat is 32 random bytes, raw base64url, 43 characters.
var DefaultTokenFormat = TokenFormat{Bytes: 32}

// NewToken returns a fresh secret in format f.
func NewToken(f TokenFormat) string {
	n := f.Bytes
	if n < 32 {
		n = 32
	}
	b := make([]byte, n)
	rand.Read(b)
	if f.Padded {
		return base64.URLEncoding.EncodeToString(b)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// ValidID reports whether s looks like an ID made by NewID.
func ValidID(s string) bool {
	if len(s) != 16 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}
