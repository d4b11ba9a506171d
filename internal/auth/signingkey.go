package auth

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
)

// A tenant's RS256 signing keys, which sign the tenant API's access and
// refresh tokens, live in its settings:
//
//	tenantapi.signingKey            kid of the key that signs new tokens
//	tenantapi.key.<kid>             base64 PKCS#8 DER of an RSA private key
//	tenantapi.key.<kid>.retireAt    RFC 3339; after it the key stops verifying
//
// A rotated-out key keeps verifying until every token it signed has
// expired (the tenant's refresh lifetime plus KeyRetireMargin), then is
// pruned at the next rotation.
const (
	settingActiveKey    = "tenantapi.signingKey"
	settingKeyPrefix    = "tenantapi.key."
	settingRetireSuffix = ".retireAt"
	keyBits             = 2048
)

// SigningKeyLeeway is the clock skew between instances that a verifier
// of the tenant's tokens may allow on their times.
const SigningKeyLeeway = 10 * time.Second

// KeyRetireMargin is how much longer than its tokens a rotated-out key
// keeps verifying.
const KeyRetireMargin = SigningKeyLeeway + time.Minute

// SigningKey is one parsed signing key of a tenant. It is shared and
// never changed; two reads of the same key material give the same
// *SigningKey, so callers may compare them.
type SigningKey struct {
	ID  string // the kid
	Key *rsa.PrivateKey
	raw string // the setting it was parsed from
}

// signingKeys keeps parsed keys, keyed by tenant ID and kid, so a request
// parses no key material. An entry is used only while its setting is the
// same text.
type signingKeys struct {
	m sync.Map // tenantID + "/" + kid -> *SigningKey
}

// liveKey returns the setting of tenant t's key kid if t has it and it
// has not retired at now.
func liveKey(t *Tenant, kid string, now time.Time) (string, bool) {
	if kid == "" || strings.ContainsAny(kid, "./") {
		return "", false
	}
	// Map lookups by string(bytes) do not allocate the key.
	var buf [64]byte
	name := append(append(buf[:0], settingKeyPrefix...), kid...)
	raw := t.Settings[string(name)]
	if raw == "" {
		return "", false
	}
	if v := t.Settings[string(append(name, settingRetireSuffix...))]; v != "" {
		at, err := time.Parse(time.RFC3339, v)
		if err != nil || !now.Before(at) {
			return "", false
		}
	}
	return raw, true
}

// KeyLive reports whether k is still a live key of t at now, with the
// same material (a cache of what k verified may then be trusted).
func (t *Tenant) KeyLive(k *SigningKey, now time.Time) bool {
	raw, ok := liveKey(t, k.ID, now)
	return ok && raw == k.raw
}

// key returns tenant t's key kid if t has it and it has not retired at now.
func (c *signingKeys) key(t *Tenant, kid string, now time.Time) (*SigningKey, bool) {
	raw, ok := liveKey(t, kid, now)
	if !ok {
		return nil, false
	}
	ck := t.ID + "/" + kid
	if v, ok := c.m.Load(ck); ok {
		if k := v.(*SigningKey); k.raw == raw {
			return k, true
		}
	}
	der, err := base64.StdEncoding.DecodeString(raw)
	if err != nil {
		return nil, false
	}
	parsed, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, false
	}
	priv, ok := parsed.(*rsa.PrivateKey)
	if !ok {
		return nil, false
	}
	k := &SigningKey{ID: kid, Key: priv, raw: raw}
	c.m.Store(ck, k)
	return k, true
}

// newKey generates a key and returns its kid and setting value.
func newKey() (string, string, error) {
	priv, err := rsa.GenerateKey(rand.Reader, keyBits)
	if err != nil {
		return "", "", err
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return "", "", err
	}
	return NewID(), base64.StdEncoding.EncodeToString(der), nil
}

// keySettings returns settings that add a fresh key and make it the
// signing key. When t is not nil its current signing key retires once its
// tokens have expired, and keys already retired at now are removed.
func keySettings(t *Tenant, now time.Time) (map[string]string, error) {
	kid, raw, err := newKey()
	if err != nil {
		return nil, Internal("generate signing key", err)
	}
	out := map[string]string{settingActiveKey: kid, settingKeyPrefix + kid: raw}
	if t == nil {
		return out, nil
	}
	_, refresh := t.TokenTTLs()
	for _, k := range keyIDs(t) {
		retire := t.Settings[settingKeyPrefix+k+settingRetireSuffix]
		switch {
		case k == t.Settings[settingActiveKey] && retire == "":
			out[settingKeyPrefix+k+settingRetireSuffix] = now.Add(refresh + KeyRetireMargin).UTC().Format(time.RFC3339)
		case retire != "":
			if at, err := time.Parse(time.RFC3339, retire); err != nil || !now.Before(at) {
				out[settingKeyPrefix+k] = ""
				out[settingKeyPrefix+k+settingRetireSuffix] = ""
			}
		}
	}
	return out, nil
}

// keyIDs lists the kids of a tenant's keys, sorted.
func keyIDs(t *Tenant) []string {
	var ids []string
	for k := range t.Settings {
		if kid, ok := strings.CutPrefix(k, settingKeyPrefix); ok && !strings.Contains(kid, ".") {
			ids = append(ids, kid)
		}
	}
	slices.Sort(ids)
	return ids
}

// KeyInfo describes one signing key for operators; never its material.
type KeyInfo struct {
	ID       string
	Active   bool
	RetireAt time.Time // zero while it has no end
}

// Keys lists the tenant's signing keys.
func (t *Tenant) Keys() []KeyInfo {
	var out []KeyInfo
	for _, kid := range keyIDs(t) {
		ki := KeyInfo{ID: kid, Active: kid == t.Settings[settingActiveKey]}
		if v := t.Settings[settingKeyPrefix+kid+settingRetireSuffix]; v != "" {
			ki.RetireAt, _ = time.Parse(time.RFC3339, v)
		}
		out = append(out, ki)
	}
	return out
}

// RotateSigningKey gives a tenant a new signing key. Tokens signed by the
// old one keep verifying until they expire. Returns the updated tenant,
// or ErrTenantNotFound.
func (s *Service) RotateSigningKey(ctx context.Context, tenantID string) (*Tenant, error) {
	t, err := s.tenants.TenantByID(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	set, err := keySettings(t, s.now())
	if err != nil {
		return nil, err
	}
	return s.updateTenant(ctx, tenantID, "", set)
}

// SigningKey returns the key that signs tenant t's new tokens, making one
// first if the tenant has none (a tenant made by an older sessiond or by
// hand). Two instances racing here both store a key; the store keeps one,
// and the loser's tokens fail verification and must sign in again.
func (s *Service) SigningKey(ctx context.Context, t *Tenant) (*SigningKey, error) {
	now := s.now()
	if k, ok := s.keys.key(t, t.Settings[settingActiveKey], now); ok {
		return k, nil
	}
	// t may be a cached copy older than a key made moments ago.
	nt, err := s.tenants.TenantByID(ctx, t.ID)
	if err != nil {
		return nil, err
	}
	if k, ok := s.keys.key(nt, nt.Settings[settingActiveKey], now); ok {
		return k, nil
	}
	set, err := keySettings(nil, now)
	if err != nil {
		return nil, err
	}
	if nt, err = s.updateTenant(ctx, t.ID, "", set); err != nil {
		return nil, err
	}
	if k, ok := s.keys.key(nt, nt.Settings[settingActiveKey], now); ok {
		return k, nil
	}
	return nil, Internal("signing key", fmt.Errorf("tenant %s has no usable signing key", t.ID))
}

// VerifyingKey returns tenant t's live key kid, for checking a token's
// signature. A kid t does not know may have been made on another
// instance after t was read: the tenant is then read again once.
func (s *Service) VerifyingKey(ctx context.Context, t *Tenant, kid string) (*SigningKey, bool) {
	now := s.now()
	if k, ok := s.keys.key(t, kid, now); ok {
		return k, true
	}
	if t.Settings[settingKeyPrefix+kid] != "" || !ValidID(kid) {
		return nil, false // known and retired, or not a kid at all
	}
	fresh, err := s.tenants.TenantByID(ctx, t.ID)
	if err != nil {
		return nil, false
	}
	if _, ok := liveKey(fresh, kid, now); ok {
		s.dropTenant(t.ID) // the cached tenant is out of date here
	}
	return s.keys.key(fresh, kid, now)
}

// PublicKeys returns the tenant's keys that still verify, in kid order.
func (s *Service) PublicKeys(t *Tenant) []*SigningKey {
	now := s.now()
	var out []*SigningKey
	for _, kid := range keyIDs(t) {
		if k, ok := s.keys.key(t, kid, now); ok {
			out = append(out, k)
		}
	}
	return out
}
