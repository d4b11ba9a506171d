package tenantapi

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sessiond/sessiond/internal/auth"
	"github.com/sessiond/sessiond/internal/store/memstore"
	"github.com/sessiond/sessiond/internal/store/sqlitestore"
)

// keyedHandler is a handler over a service on an embedded store with one
// tenant and its signing key, enough for issue and verify.
func keyedHandler(t *testing.T, now func() time.Time) (*Handler, *auth.Tenant) {
	t.Helper()
	db, err := sqlitestore.Open(context.Background(), t.TempDir(), now)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	svc := auth.NewService(auth.Config{Users: db, Tenants: db, Tokens: db, Now: now})
	h := New(svc, Options{Limiter: memstore.NewLimiter(now)})
	ten, _, err := svc.CreateTenant(context.Background(), auth.NewTenant{Name: "acme"})
	if err != nil {
		t.Fatal(err)
	}
	return h, ten
}

// keySetting is the tenant setting that holds key kid.
func keySetting(kid string) string { return "tenantapi.key." + kid }

// TestVerifiedCacheBounded: verifying many more tokens than the cache
// holds keeps it at its bound, every token still verifies (evicted ones
// in full), and failures and expired tokens are never kept.
func TestVerifiedCacheBounded(t *testing.T) {
	now := fixed()
	clk := func() time.Time { return now }
	h, ten := keyedHandler(t, clk)
	const bound = 2 * verifiedShards
	h.verified = newVerifiedCache(bound)
	ctx := context.Background()

	var toks []string
	for i := range 5 * bound {
		s := &auth.Session{ID: auth.NewID(), UserID: fmt.Sprint("user", i)}
		tk, err := h.issue(ctx, ten, s, typAccess, now.Add(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		toks = append(toks, tk.token)
	}
	for round := range 2 {
		for i, tk := range toks {
			v, err := h.verify(ctx, ten, tk, typAccess)
			if err != nil || v.userID != fmt.Sprint("user", i) {
				t.Fatalf("round %d token %d: %+v %v", round, i, v, err)
			}
			if n := h.verified.len(); n > bound {
				t.Fatalf("round %d token %d: %d cached, bound %d", round, i, n, bound)
			}
		}
	}
	if n := h.verified.len(); n < bound/2 {
		t.Fatalf("only %d cached after %d tokens, bound %d", n, 2*len(toks), bound)
	}

	// Failures are not kept, and a kept token is no other kind's token
	// and no other tenant's, even one holding the same keys.
	h.verified = newVerifiedCache(bound)
	bad := []string{"not-a-jwt", toks[0][:len(toks[0])-5], toks[1] + "x"}
	for _, raw := range bad {
		if _, err := h.verify(ctx, ten, raw, typAccess); err == nil {
			t.Fatalf("%q verified", raw)
		}
	}
	if n := h.verified.len(); n != 0 {
		t.Fatalf("%d entries kept after failures", n)
	}
	for range 2 {
		if _, err := h.verify(ctx, ten, toks[0], typAccess); err != nil {
			t.Fatal(err)
		}
	}
	if n := h.verified.len(); n != 1 {
		t.Fatalf("%d entries after one good token, want 1", n)
	}
	if _, err := h.verify(ctx, ten, toks[0], typRefresh); err == nil {
		t.Fatal("a cached access token verified as a refresh token")
	}
	other := &auth.Tenant{ID: auth.NewID(), Settings: ten.Settings}
	if _, err := h.verify(ctx, other, toks[0], typAccess); err == nil {
		t.Fatal("a cached token verified in another tenant")
	}
	// An authentic token inside the leeway after its exp verifies, but is
	// not kept: the cache never answers past exp.
	late, err := h.issue(ctx, ten, &auth.Session{ID: auth.NewID(), UserID: "late"}, typAccess, now.Add(-5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.verify(ctx, ten, late.token, typAccess); err != nil {
		t.Fatalf("token inside the leeway: %v", err)
	}
	if n := h.verified.len(); n != 1 {
		t.Fatalf("%d entries, want 1: a failure or an expired token was kept", n)
	}
}

// TestVerifiedCacheWindow: an entry answers only inside [nbf-leeway, exp)
// and while its key is a live key of the tenant, with the same material.
func TestVerifiedCacheWindow(t *testing.T) {
	now := fixed()
	h, ten := keyedHandler(t, func() time.Time { return now })
	k, err := h.svc.SigningKey(context.Background(), ten)
	if err != nil {
		t.Fatal(err)
	}
	c := newVerifiedCache(verifiedCacheSize)
	key := keyOf(typAccess, ten.ID, "token")
	exp, from := now.Add(time.Hour), now.Add(-clockLeeway)
	e := cachedToken{v: verified{userID: "u", sessionID: "s", exp: exp.Unix()}, from: from.Unix(), key: k}
	put := func() {
		c.put(key, e, now)
		if c.len() != 1 {
			t.Fatal("entry not kept")
		}
	}
	withSettings := func(change map[string]string) *auth.Tenant {
		set := map[string]string{}
		for a, b := range ten.Settings {
			set[a] = b
		}
		for a, b := range change {
			if b == "" {
				delete(set, a)
			} else {
				set[a] = b
			}
		}
		return &auth.Tenant{ID: ten.ID, Settings: set}
	}
	tests := []struct {
		name string
		t    *auth.Tenant
		at   time.Time
		ok   bool
	}{
		{"inside", ten, now, true},
		{"just before exp", ten, exp.Add(-time.Nanosecond), true},
		{"at exp", ten, exp, false},
		{"after exp, inside the leeway", ten, exp.Add(clockLeeway / 2), false},
		{"at nbf less the leeway", ten, from, true},
		{"before nbf less the leeway", ten, from.Add(-time.Nanosecond), false},
		{"key removed", withSettings(map[string]string{keySetting(k.ID): ""}), now, false},
		{"key retired", withSettings(map[string]string{keySetting(k.ID) + ".retireAt": now.Format(time.RFC3339)}), now, false},
		{"key retiring later", withSettings(map[string]string{keySetting(k.ID) + ".retireAt": now.Add(time.Minute).Format(time.RFC3339)}), now, true},
		{"key material replaced", withSettings(map[string]string{keySetting(k.ID): "AAAA"}), now, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			put()
			v, ok := c.get(key, tt.t, tt.at)
			if ok != tt.ok || ok && v != e.v {
				t.Fatalf("get: %+v %v, want %v", v, ok, tt.ok)
			}
			if !ok && c.len() != 0 {
				t.Fatal("a refused entry was kept")
			}
		})
	}
	c = newVerifiedCache(verifiedCacheSize)
	c.put(key, e, exp)
	c.put(key, e, exp.Add(time.Second))
	if c.len() != 0 {
		t.Fatal("an entry was kept at its exp")
	}
}

// TestVerifiedCacheSameHash: an entry answers only its own token: another
// token, kind or tenant whose key hashes alike misses, and leaves the
// entry; a put of the other token takes the place.
func TestVerifiedCacheSameHash(t *testing.T) {
	now := fixed()
	h, ten := keyedHandler(t, func() time.Time { return now })
	k, err := h.svc.SigningKey(context.Background(), ten)
	if err != nil {
		t.Fatal(err)
	}
	c := newVerifiedCache(verifiedCacheSize)
	mine := keyOf(typAccess, ten.ID, "header.claims.signature")
	e := cachedToken{v: verified{userID: "u", sessionID: "s", exp: now.Add(time.Hour).Unix()}, from: now.Add(-time.Hour).Unix(), key: k}
	c.put(mine, e, now)
	for _, other := range []tokenKey{
		{h: mine.h, typ: mine.typ, tenantID: mine.tenantID, raw: "header.claims.signaturX"},
		{h: mine.h, typ: typRefresh, tenantID: mine.tenantID, raw: mine.raw},
		{h: mine.h, typ: mine.typ, tenantID: "another", raw: mine.raw},
	} {
		if v, ok := c.get(other, ten, now); ok {
			t.Fatalf("%+v answered with %+v, the entry of another token", other, v)
		}
		if v, ok := c.get(mine, ten, now); !ok || v != e.v {
			t.Fatalf("after a miss of the same hash, the token's own entry answers %+v %t", v, ok)
		}
	}
	other := tokenKey{h: mine.h, typ: mine.typ, tenantID: mine.tenantID, raw: "another.token.signature"}
	e2 := e
	e2.v.userID = "u2"
	c.put(other, e2, now)
	if v, ok := c.get(other, ten, now); !ok || v != e2.v {
		t.Fatalf("the second token: %+v %t", v, ok)
	}
	if _, ok := c.get(mine, ten, now); ok {
		t.Fatal("the first token still answers after the second took its place")
	}
}

// TestVerifiedCacheFill: far more entries than the bound, from several
// goroutines, leave at most the bound; the newest entries of each shard
// are kept, and a token in use survives any number of others passing
// through.
func TestVerifiedCacheFill(t *testing.T) {
	now := fixed()
	h, ten := keyedHandler(t, func() time.Time { return now })
	k, err := h.svc.SigningKey(context.Background(), ten)
	if err != nil {
		t.Fatal(err)
	}
	const bound = 1000
	c := newVerifiedCache(bound)
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 25 * bound {
				key := keyOf(typAccess, "t", fmt.Sprint(g, "/", i))
				c.put(key, cachedToken{v: verified{exp: now.Add(time.Hour).Unix()}, key: k}, now)
				c.get(keyOf(typAccess, "t", fmt.Sprint(g, "/", i/2)), ten, now)
			}
		})
	}
	wg.Wait()
	if n := c.len(); n > bound || n < bound/2 {
		t.Fatalf("%d entries after 100000 puts, bound %d", n, bound)
	}
	// A token used at least once every generation of its shard is never
	// evicted, whatever passes through the others. (Keys fall in shards
	// by a hash seeded per process, so the test counts per shard.)
	hot := keyOf(typAccess, "t", "hot")
	hotShard := c.shard(hot)
	c.put(hot, cachedToken{v: verified{userID: "hot", exp: now.Add(time.Hour).Unix()}, key: k}, now)
	inHot := 0
	for i := range 100 * bound {
		key := keyOf(typAccess, "t", fmt.Sprint("x", i))
		c.put(key, cachedToken{v: verified{exp: now.Add(time.Hour).Unix()}, key: k}, now)
		if c.shard(key) != hotShard {
			continue
		}
		if inHot++; inHot%c.gen == 0 {
			if v, ok := c.get(hot, ten, now); !ok || v.userID != "hot" {
				t.Fatalf("the token in use was evicted after %d others in its shard", inHot)
			}
		}
	}
	if n := c.len(); n > bound {
		t.Fatalf("%d entries, bound %d", n, bound)
	}
	// The newest generation of every shard is kept.
	later := now.Add(2 * time.Hour)
	newest := map[*verifiedShard][]tokenKey{}
	for i := range bound {
		key := keyOf(typAccess, "t", fmt.Sprint("new", i))
		c.put(key, cachedToken{v: verified{exp: later.Add(time.Hour).Unix()}, key: k}, later)
		sh := c.shard(key)
		newest[sh] = append(newest[sh], key)
	}
	for sh, keys := range newest {
		for _, key := range keys[max(0, len(keys)-c.gen):] {
			sh.mu.RLock()
			e, ok := sh.cur[key.h]
			if !ok {
				e, ok = sh.prev[key.h]
			}
			sh.mu.RUnlock()
			if !ok || !e.is(key) {
				t.Fatalf("%s, among the newest %d of its shard, was dropped", key.raw, c.gen)
			}
		}
	}
	if n := c.len(); n > bound {
		t.Fatalf("%d entries, bound %d", n, bound)
	}
}

// TestAppendMatchesJSON: the reflection-free encoding of /auth/me is byte
// for byte encoding/json's.
func TestAppendMatchesJSON(t *testing.T) {
	at := time.Date(2025, 1, 15, 10, 30, 0, 123456789, time.FixedZone("x", 5*3600+1800))
	strs := []string{"", "plain", "user@example.com", `q"uote`, `back\slash`, "<script>&amp;</script>", "tab\there", "nl\n\r\b\f\x00\x1f\x7f",
		"ünïcødé", "line\u2028sep\u2029", "bad\xffutf8", "\xc3", "emoji 😀", strings.Repeat("a", 300)}
	times := []time.Time{at, {}, time.Unix(0, 0), time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC), time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(5, 3, 4, 5, 6, 7, 8000000, time.UTC)}
	pick := func(r *rand.Rand) string {
		if r.IntN(3) == 0 {
			b := make([]byte, r.IntN(12))
			for i := range b {
				b[i] = byte(r.IntN(256))
			}
			return string(b)
		}
		return strs[r.IntN(len(strs))]
	}
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 2000 {
		var dev map[string]string
		switch {
		case i%5 == 0:
		case i%2 == 0:
			// Client headers, as sessions hold them (written in their
			// known order), now and then with another key (sorted).
			dev = map[string]string{}
			for _, k := range clientHeaders {
				if r.IntN(4) != 0 {
					dev[k] = pick(r)
				}
			}
			if r.IntN(4) == 0 {
				dev[pick(r)] = pick(r)
			}
		default:
			dev = map[string]string{}
			for range r.IntN(8) {
				dev[pick(r)] = pick(r)
			}
		}
		m := &meResponse{
			User: userResponse{ID: pick(r), Email: pick(r), Method: pick(r), Status: pick(r), CreatedAt: stamp(times[r.IntN(len(times))])},
			Session: sessionResponse{ID: pick(r), Origin: pick(r), CreatedAt: stamp(times[r.IntN(len(times))]), ExpireAt: stamp(times[r.IntN(len(times))]),
				LastSeenAt: stamp(times[r.IntN(len(times))]), IP: pick(r), UserAgent: pick(r), Device: dev, Current: r.IntN(2) == 0},
		}
		env := envelope{Meta: meta{RequestID: pick(r), Timestamp: stamp(times[r.IntN(len(times))])}, Data: m}
		got, err := encode(env)
		if err != nil {
			t.Fatal(err)
		}
		want, err := json.Marshal(env)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(want) {
			t.Fatalf("encode:\n got %s\nwant %s", got, want)
		}
	}
	// Stamps are written as time.Format wrote them before.
	for i := range 5000 {
		tm := times[i%len(times)]
		if i >= len(times) {
			tm = time.Unix(r.Int64N(1<<40)-1<<39, r.Int64N(1e9))
		}
		want := `"` + tm.UTC().Format(timeLayout) + `"`
		if got := string(appendStamp(nil, tm)); got != want {
			t.Fatalf("appendStamp(%v) = %s, want %s", tm, got, want)
		}
		if b, _ := json.Marshal(stamp(tm)); string(b) != want {
			t.Fatalf("stamp %v marshals as %s, want %s", tm, b, want)
		}
	}
}
