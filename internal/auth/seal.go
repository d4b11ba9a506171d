package auth

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"time"
)

// FactorKeySize is the length of the factor key.
const FactorKeySize = 32

// sealer encrypts what the core keeps or hands out about second factors
// with AES-256-GCM: TOTP secrets at rest (under the configured key) and
// short-lived tickets and WebAuthn ceremony states. Each purpose has its
// own subkey (HMAC-SHA256 of the key and the purpose), so that one kind
// of sealed value can never be taken for another.
type sealer struct {
	key     []byte // the configured key, or a random one of this process
	durable bool   // the key comes from the configuration
}

func newSealer(key []byte) *sealer {
	if len(key) == FactorKeySize {
		return &sealer{key: append([]byte(nil), key...), durable: true}
	}
	k := make([]byte, FactorKeySize)
	rand.Read(k)
	return &sealer{key: k}
}

// Sealing purposes.
const (
	sealTOTP     = "totp-secret"
	sealTicket   = "signin-ticket"
	sealWebAuthn = "webauthn-state"
	sealEmail    = "email-code"
)

func (s *sealer) subkey(purpose string) []byte {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte("sessiond factor key\x00" + purpose))
	return m.Sum(nil)
}

func (s *sealer) aead(purpose string) cipher.AEAD {
	block, err := aes.NewCipher(s.subkey(purpose))
	if err != nil {
		panic(err) // a 32-byte key always makes a cipher
	}
	g, err := cipher.NewGCM(block)
	if err != nil {
		panic(err)
	}
	return g
}

// sealVersion starts every sealed value, for later key rotation.
const sealVersion = 1

// seal encrypts plain for purpose: version, nonce, ciphertext and tag.
func (s *sealer) seal(purpose string, plain []byte) []byte {
	g := s.aead(purpose)
	out := make([]byte, 1+g.NonceSize(), 1+g.NonceSize()+len(plain)+g.Overhead())
	out[0] = sealVersion
	rand.Read(out[1:])
	return g.Seal(out, out[1:], plain, []byte(purpose))
}

// open decrypts what seal made for the same purpose and key; anything
// else (another key, purpose, a changed byte) fails.
func (s *sealer) open(purpose string, sealed []byte) ([]byte, bool) {
	g := s.aead(purpose)
	if len(sealed) < 1+g.NonceSize()+g.Overhead() || sealed[0] != sealVersion {
		return nil, false
	}
	plain, err := g.Open(nil, sealed[1:1+g.NonceSize()], sealed[1+g.NonceSize():], []byte(purpose))
	return plain, err == nil
}

// sealString seals plain with an expiry, as URL-safe text.
func (s *sealer) sealString(purpose string, plain []byte, expires time.Time) string {
	b := make([]byte, 8, 8+len(plain))
	putInt64(b, expires.UnixMilli())
	return base64.RawURLEncoding.EncodeToString(s.seal(purpose, append(b, plain...)))
}

// openString opens what sealString made, refusing it after its expiry.
func (s *sealer) openString(purpose, text string, now time.Time) ([]byte, bool) {
	raw, err := base64.RawURLEncoding.DecodeString(text)
	if err != nil {
		return nil, false
	}
	plain, ok := s.open(purpose, raw)
	if !ok || len(plain) < 8 || now.UnixMilli() >= getInt64(plain) {
		return nil, false
	}
	return plain[8:], true
}

// mac is a keyed hash, for values too short to hash bare (email codes).
func (s *sealer) mac(purpose string, parts ...string) []byte {
	m := hmac.New(sha256.New, s.subkey(purpose))
	for _, p := range parts {
		m.Write([]byte(p))
		m.Write([]byte{0})
	}
	return m.Sum(nil)
}

func putInt64(b []byte, v int64) {
	for i := 7; i >= 0; i-- {
		b[i] = byte(v)
		v >>= 8
	}
}

func getInt64(b []byte) int64 {
	var v int64
	for i := 0; i < 8; i++ {
		v = v<<8 | int64(b[i])
	}
	return v
}

// secondFactors is the Service's second-factor state.
type secondFactors struct {
	factors  FactorStore
	recovery RecoveryCodeStore
	ptokens  PersonalTokenStore
	seal     *sealer
	issuer   string
	courier  CodeSender
	emailTTL time.Duration
	reauth   time.Duration
	passkeys PasskeyConfig
}

func newSecondFactors(c SecondFactorConfig) secondFactors {
	sf := secondFactors{
		factors: c.Factors, recovery: c.RecoveryCodes, ptokens: c.PersonalTokens,
		seal: newSealer(c.Key), issuer: c.Issuer, courier: c.Courier,
		emailTTL: c.EmailCodeTTL, reauth: c.ReauthWindow, passkeys: c.Passkeys,
	}
	if sf.issuer == "" {
		sf.issuer = "sessiond"
	}
	if sf.emailTTL <= 0 {
		sf.emailTTL = time.Hour
	}
	if sf.reauth <= 0 {
		sf.reauth = DefaultReauthWindow
	}
	return sf
}
