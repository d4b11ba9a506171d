// Package oidctest runs an OpenID Connect issuer on loopback for tests:
// an RSA signing key, the discovery document, the JWK Set, and signed ID
// tokens with whatever claims a test needs, wrong ones included.
package oidctest

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Issuer is an identity provider on loopback.
type Issuer struct {
	srv     *httptest.Server
	key     *rsa.PrivateKey
	kid     string
	fetches atomic.Int32 // of the JWK Set
	mu      sync.Mutex
	down    bool
}

// keys are made once per test binary: RSA key generation is slow.
var (
	keysOnce sync.Once
	keyPool  []*rsa.PrivateKey
)

func keys(t testing.TB) []*rsa.PrivateKey {
	t.Helper()
	keysOnce.Do(func() {
		for range 2 {
			k, err := rsa.GenerateKey(rand.Reader, 2048)
			if err != nil {
				panic(err)
			}
			keyPool = append(keyPool, k)
		}
	})
	return keyPool
}

// New starts an issuer until the test ends.
func New(t testing.TB) *Issuer {
	t.Helper()
	is := &Issuer{key: keys(t)[0], kid: "test-key-1"}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		if is.isDown() {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		writeJSON(w, map[string]any{
			"issuer": is.URL(), "jwks_uri": is.KeysURL(), "authorization_endpoint": is.URL() + "/authorize",
			"token_endpoint": is.URL() + "/token", "id_token_signing_alg_values_supported": []string{"RS256"},
			"response_types_supported": []string{"id_token"}, "subject_types_supported": []string{"public"},
		})
	})
	mux.HandleFunc("GET /keys", func(w http.ResponseWriter, r *http.Request) {
		is.fetches.Add(1)
		if is.isDown() {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		pub := is.key.PublicKey
		writeJSON(w, map[string]any{"keys": []map[string]string{{
			"kty": "RSA", "use": "sig", "alg": "RS256", "kid": is.kid,
			"n": base64.RawURLEncoding.EncodeToString(pub.N.Bytes()),
			"e": base64.RawURLEncoding.EncodeToString(big.NewInt(int64(pub.E)).Bytes()),
		}}})
	})
	is.srv = httptest.NewServer(mux)
	t.Cleanup(is.srv.Close)
	return is
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(v)
}

// URL is the issuer (iss) and the base of its discovery document.
func (is *Issuer) URL() string { return is.srv.URL }

// KeysURL is its JWK Set.
func (is *Issuer) KeysURL() string { return is.srv.URL + "/keys" }

// Fetches counts the requests for the JWK Set so far.
func (is *Issuer) Fetches() int { return int(is.fetches.Load()) }

// SetDown makes the discovery document and the JWK Set answer 503.
func (is *Issuer) SetDown(down bool) {
	is.mu.Lock()
	is.down = down
	is.mu.Unlock()
}

func (is *Issuer) isDown() bool {
	is.mu.Lock()
	defer is.mu.Unlock()
	return is.down
}

// Claims are an ID token's claims for subject sub and audience aud,
// issued by this issuer at now and valid for an hour, with a verified
// email.
func (is *Issuer) Claims(sub, aud, email string, now time.Time) jwt.MapClaims {
	return jwt.MapClaims{
		"iss": is.URL(), "sub": sub, "aud": aud, "iat": now.Unix(), "exp": now.Add(time.Hour).Unix(),
		"email": email, "email_verified": true,
	}
}

// Sign signs claims with the issuer's published key.
func (is *Issuer) Sign(t testing.TB, c jwt.MapClaims) string {
	t.Helper()
	return sign(t, is.key, is.kid, c)
}

// SignUnpublished signs claims with a key the issuer does not publish,
// under the published key's ID: a forged signature.
func (is *Issuer) SignUnpublished(t testing.TB, c jwt.MapClaims) string {
	t.Helper()
	return sign(t, keys(t)[1], is.kid, c)
}

// SignWithKeyID signs with the published key but names another key ID.
func (is *Issuer) SignWithKeyID(t testing.TB, kid string, c jwt.MapClaims) string {
	t.Helper()
	return sign(t, is.key, kid, c)
}

func sign(t testing.TB, k *rsa.PrivateKey, kid string, c jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, c)
	tok.Header["kid"] = kid
	s, err := tok.SignedString(k)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
