package tenantapi

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"math/big"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/sessiond/sessiond/internal/auth"
)

// keyBits is the size of a tenant's RSA signing keys.
const keyBits = 2048

// A tenant's RS256 signing keys live in its settings:
//
//	tenantapi.signingKey            kid of the key that signs new tokens
//	tenantapi.key.<kid>             base64 PKCS#8 DER of an RSA private key
//	tenantapi.key.<kid>.retireAt    RFC 3339; after it the key stops verifying
//
// A rotated-out key keeps verifying until every token it signed has
// expired (the tenant's refresh lifetime plus a margin), then is pruned at
// the next rotation.

// signingKey is one parsed key.
type signingKey struct {
	kid  string
	raw  string // the setting it was parsed from
	priv *rsa.PrivateKey
}

// keyCache keeps parsed keys, keyed by tenant ID and kid, so a request
// parses no key material. An entry is used only while its setting is the
// same text.
type keyCache struct {
	m sync.Map // tenantID + "/" + kid -> *signingKey
}

// liveKey returns the setting of tenant t's key kid if t has it and it
// has not retired at now.
func liveKey(t *auth.Tenant, kid string, now time.Time) (string, bool) {
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

// key returns tenant t's key kid if t has it and it has not retired at now.
func (c *keyCache) key(t *auth.Tenant, kid string, now time.Time) (*signingKey, bool) {
	raw, ok := liveKey(t, kid, now)
	if !ok {
		return nil, false
	}
	ck := t.ID + "/" + kid
	if v, ok := c.m.Load(ck); ok {
		if k := v.(*signingKey); k.raw == raw {
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
	k := &signingKey{kid: kid, raw: raw, priv: priv}
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
	return auth.NewID(), base64.StdEncoding.EncodeToString(der), nil
}

// keySettings returns settings that add a fresh key and make it the
// signing key. When t is not nil its current signing key retires once its
// tokens have expired, and keys already retired at now are removed.
func keySettings(t *auth.Tenant, now time.Time) (map[string]string, error) {
	kid, raw, err := newKey()
	if err != nil {
		return nil, auth.Internal("generate signing key", err)
	}
	out := map[string]string{settingActiveKey: kid, settingKeyPrefix + kid: raw}
	if t == nil {
		return out, nil
	}
	_, refresh := ttls(t)
	for _, k := range keyIDs(t) {
		retire := t.Settings[settingKeyPrefix+k+settingRetireSuffix]
		switch {
		case k == t.Settings[settingActiveKey] && retire == "":
			out[settingKeyPrefix+k+settingRetireSuffix] = now.Add(refresh + retireMargin).UTC().Format(time.RFC3339)
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
func keyIDs(t *auth.Tenant) []string {
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

// Keys lists a tenant's signing keys.
func Keys(t *auth.Tenant) []KeyInfo {
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

// RotateKey gives a tenant a new signing key. Tokens signed by the old one
// keep verifying until they expire. Returns the updated tenant.
func RotateKey(ctx context.Context, svc *auth.Service, tenantID string) (*auth.Tenant, error) {
	t, err := svc.Tenant(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	set, err := keySettings(t, svc.Now())
	if err != nil {
		return nil, err
	}
	return svc.UpdateTenant(ctx, tenantID, "", set)
}

// signer returns the key that signs tenant t's new tokens, generating one
// first if the tenant has none (a tenant made by an older sessiond or by
// hand). Two instances racing here both store a key; the store keeps one,
// and the loser's tokens fail verification and must sign in again.
func (h *Handler) signer(ctx context.Context, t *auth.Tenant) (*signingKey, error) {
	now := h.svc.Now()
	if k, ok := h.keys.key(t, t.Settings[settingActiveKey], now); ok {
		return k, nil
	}
	// The cached tenant may predate a key made moments ago: ask the store.
	nt, err := h.svc.Tenant(ctx, t.ID)
	if err != nil {
		return nil, err
	}
	if k, ok := h.keys.key(nt, nt.Settings[settingActiveKey], now); ok {
		return k, nil
	}
	set, err := keySettings(nil, now)
	if err != nil {
		return nil, err
	}
	nt, err = h.svc.UpdateTenant(ctx, t.ID, "", set)
	if err != nil {
		return nil, err
	}
	if k, ok := h.keys.key(nt, nt.Settings[settingActiveKey], now); ok {
		return k, nil
	}
	return nil, auth.Internal("signing key", fmt.Errorf("tenant %s has no usable signing key", t.ID))
}

// publicKeys is a tenant's JWK Set: every key that still verifies.
func (h *Handler) publicKeys(t *auth.Tenant) jwks {
	out := jwks{Keys: []jwk{}}
	now := h.svc.Now()
	for _, kid := range keyIDs(t) {
		k, ok := h.keys.key(t, kid, now)
		if !ok {
			continue
		}
		pub := k.priv.PublicKey
		out.Keys = append(out.Keys, jwk{
			Kty: "RSA", Use: "sig", Alg: "RS256", Kid: kid,
			N: base64.RawURLEncoding.EncodeToString(pub.N.Bytes()),
			E: base64.RawURLEncoding.EncodeToString(big.NewInt(int64(pub.E)).Bytes()),
		})
	}
	return out
}
