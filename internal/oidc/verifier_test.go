package oidc_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/sessiond/sessiond/internal/auth"
	"github.com/sessiond/sessiond/internal/oidc"
	"github.com/sessiond/sessiond/internal/oidc/oidctest"
)

var now = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

// clock is the refresh bound's clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func provider(is *oidctest.Issuer, discovery bool) auth.SocialProvider {
	p := auth.SocialProvider{Method: auth.MethodGoogle, Issuers: []string{is.URL()}, KeysURL: is.KeysURL(), ClientIDs: []string{"app-1", "app-2"}}
	if discovery {
		p.KeysURL = ""
	}
	return p
}

func TestVerifyIDToken(t *testing.T) {
	is := oidctest.New(t)
	v := oidc.New(oidc.Options{})
	good := func() jwt.MapClaims { return is.Claims("sub-1", "app-2", "Ann@Example.com", now) }
	with := func(k string, val any) jwt.MapClaims {
		c := good()
		if val == nil {
			delete(c, k)
		} else {
			c[k] = val
		}
		return c
	}
	cases := []struct {
		name      string
		token     string
		discovery bool
		wantCode  string
	}{
		{name: "good", token: is.Sign(t, good())},
		{name: "good, keys found by discovery", token: is.Sign(t, good()), discovery: true},
		{name: "audience among several", token: is.Sign(t, with("aud", []string{"someone-else", "app-1"}))},
		{name: "forged signature", token: is.SignUnpublished(t, good()), wantCode: auth.EUnauthorized},
		{name: "wrong issuer", token: is.Sign(t, with("iss", "https://accounts.example.org")), wantCode: auth.EUnauthorized},
		{name: "wrong audience", token: is.Sign(t, with("aud", "someone-else")), wantCode: auth.EUnauthorized},
		{name: "no audience", token: is.Sign(t, with("aud", nil)), wantCode: auth.EUnauthorized},
		{name: "expired", token: is.Sign(t, with("exp", now.Add(-time.Second).Unix())), wantCode: auth.EUnauthorized},
		{name: "not yet valid", token: is.Sign(t, with("nbf", now.Add(time.Hour).Unix())), wantCode: auth.EUnauthorized},
		{name: "not a JWT", token: "not.a.jwt", wantCode: auth.EUnauthorized},
		{name: "unsigned", token: unsigned(t, good()), wantCode: auth.EUnauthorized},
		{name: "HS256 keyed with nothing", token: hs256(t, good()), wantCode: auth.EUnauthorized},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			claims, err := v.VerifyIDToken(context.Background(), provider(is, c.discovery), c.token, now)
			if got := auth.ErrorCode(err); got != c.wantCode {
				t.Fatalf("error code %q (%v), want %q", got, err, c.wantCode)
			}
			if c.wantCode == "" && (claims.Subject != "sub-1" || claims.Email != "Ann@Example.com" || !claims.EmailVerified || claims.Issuer != is.URL()) {
				t.Fatalf("claims %+v", claims)
			}
		})
	}
	t.Run("several audiences and a foreign azp", func(t *testing.T) {
		tok := is.Sign(t, with("aud", []string{"app-1", "other"}))
		c := jwt.MapClaims{}
		for k, v := range good() {
			c[k] = v
		}
		c["aud"], c["azp"] = []string{"app-1", "other"}, "other"
		if _, err := v.VerifyIDToken(context.Background(), provider(is, false), is.Sign(t, c), now); auth.ErrorCode(err) != auth.EUnauthorized {
			t.Fatalf("foreign azp: %v", err)
		}
		if _, err := v.VerifyIDToken(context.Background(), provider(is, false), tok, now); err != nil {
			t.Fatalf("several audiences without azp: %v", err)
		}
	})
}

func unsigned(t *testing.T, c jwt.MapClaims) string {
	t.Helper()
	s, err := jwt.NewWithClaims(jwt.SigningMethodNone, c).SignedString(jwt.UnsafeAllowNoneSignatureType)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func hs256(t *testing.T, c jwt.MapClaims) string {
	t.Helper()
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString([]byte("secret"))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// Apple sends email_verified as a string; an absent one is false.
func TestEmailVerifiedForms(t *testing.T) {
	is := oidctest.New(t)
	v := oidc.New(oidc.Options{})
	for _, c := range []struct {
		val  any
		want bool
	}{{true, true}, {"true", true}, {false, false}, {"false", false}, {nil, false}} {
		claims := is.Claims("s", "app-1", "a@example.com", now)
		claims["email_verified"] = c.val
		if c.val == nil {
			delete(claims, "email_verified")
		}
		got, err := v.VerifyIDToken(context.Background(), provider(is, false), is.Sign(t, claims), now)
		if err != nil || got.EmailVerified != c.want {
			t.Fatalf("email_verified %v: got %+v %v, want %t", c.val, got, err, c.want)
		}
	}
}

// Tokens naming keys the issuer does not publish make the key set be
// fetched at most once per MinRefresh, however many arrive; a key that
// appears later is found at the next allowed fetch.
func TestUnknownKeysDoNotHammerTheProvider(t *testing.T) {
	is := oidctest.New(t)
	clk := &clock{t: now}
	v := oidc.New(oidc.Options{MinRefresh: 30 * time.Second, Now: clk.Now})
	p := provider(is, false)
	if _, err := v.VerifyIDToken(context.Background(), p, is.Sign(t, is.Claims("s", "app-1", "", now)), now); err != nil {
		t.Fatal(err)
	}
	if n := is.Fetches(); n != 1 {
		t.Fatalf("%d fetches for the first token, want 1", n)
	}
	for i := range 50 {
		tok := is.SignWithKeyID(t, fmt.Sprintf("unknown-%d", i), is.Claims("s", "app-1", "", now))
		if _, err := v.VerifyIDToken(context.Background(), p, tok, now); auth.ErrorCode(err) != auth.EUnauthorized {
			t.Fatalf("token with an unknown key: %v", err)
		}
	}
	if n := is.Fetches(); n != 1 {
		t.Fatalf("50 tokens with unknown keys made %d fetches in all, want 1", n)
	}
	clk.Advance(31 * time.Second)
	tok := is.SignWithKeyID(t, "unknown-again", is.Claims("s", "app-1", "", now))
	v.VerifyIDToken(context.Background(), p, tok, now)
	if n := is.Fetches(); n != 2 {
		t.Fatalf("after the refresh interval: %d fetches, want 2", n)
	}
}

// A provider whose keys cannot be fetched is unavailable, not a wrong
// token; it is asked again once it is back.
func TestProviderDown(t *testing.T) {
	is := oidctest.New(t)
	clk := &clock{t: now}
	v := oidc.New(oidc.Options{MinRefresh: 30 * time.Second, Now: clk.Now})
	tok := is.Sign(t, is.Claims("s", "app-1", "", now))
	is.SetDown(true)
	for _, discovery := range []bool{false, true} {
		if _, err := v.VerifyIDToken(context.Background(), provider(is, discovery), tok, now); auth.ErrorCode(err) != auth.EUnavailable {
			t.Fatalf("keys down (discovery %t): %v, want unavailable", discovery, err)
		}
	}
	is.SetDown(false)
	clk.Advance(5 * time.Second)
	if _, err := v.VerifyIDToken(context.Background(), provider(is, false), tok, now); err != nil {
		t.Fatalf("provider back: %v", err)
	}
}

// The nonce is the core's to check; the verifier returns it as signed.
func TestNonceIsReturned(t *testing.T) {
	is := oidctest.New(t)
	v := oidc.New(oidc.Options{})
	c := is.Claims("s", "app-1", "", now)
	sum := sha256.Sum256([]byte("raw-nonce"))
	c["nonce"] = hex.EncodeToString(sum[:])
	got, err := v.VerifyIDToken(context.Background(), provider(is, false), is.Sign(t, c), now)
	if err != nil || got.Nonce != c["nonce"] {
		t.Fatalf("nonce: %+v %v", got, err)
	}
}
