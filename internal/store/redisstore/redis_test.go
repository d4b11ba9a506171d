package redisstore_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/rueidis"
	"github.com/sessiond/sessiond/internal/auth"
	"github.com/sessiond/sessiond/internal/store/redisstore"
	"github.com/sessiond/sessiond/internal/store/storetest"
)

const addrEnv = "SESSIOND_TEST_REDIS_ADDR"

// base is the suites' fixed instant; clock reads one minute after it.
var base = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

func clock() time.Time { return base.Add(time.Minute) }

// testAddr returns the Redis address to test against, skipping the test
// when SESSIOND_TEST_REDIS_ADDR is unset.
func testAddr(t testing.TB) string {
	t.Helper()
	return storetest.RedisAddr(t)
}

// rawClient is a plain client for looking at (and damaging) keys.
func rawClient(t testing.TB) rueidis.Client {
	t.Helper()
	return storetest.RedisClient(t, testAddr(t))
}

// testPrefix returns a key prefix of the test's own, whose keys are deleted
// when the test ends.
func testPrefix(t testing.TB) string {
	t.Helper()
	b := make([]byte, 8)
	rand.Read(b)
	prefix := "sdtest" + hex.EncodeToString(b)
	c := rawClient(t)
	t.Cleanup(func() {
		var dels rueidis.Commands
		for _, k := range keysOf(t, c, prefix) {
			dels = append(dels, c.B().Del().Key(k).Build())
		}
		for _, r := range c.DoMulti(context.Background(), dels...) {
			if err := r.Error(); err != nil {
				t.Errorf("clean up %s: %v", prefix, err)
				return
			}
		}
	})
	return prefix
}

// keysOf lists the keys under prefix (one server; the tests need no more).
func keysOf(t testing.TB, c rueidis.Client, prefix string) []string {
	t.Helper()
	var out []string
	var cursor uint64
	for {
		e, err := c.Do(context.Background(), c.B().Scan().Cursor(cursor).Match(prefix+":*").Count(1000).Build()).AsScanEntry()
		if err != nil {
			t.Errorf("scan %s: %v", prefix, err)
			return out
		}
		out = append(out, e.Elements...)
		if cursor = e.Cursor; cursor == 0 {
			return out
		}
	}
}

func open(t testing.TB, addr string, now func() time.Time, opts ...redisstore.Option) *redisstore.Sessions {
	t.Helper()
	s, err := redisstore.Open(context.Background(), addr, now, opts...)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestSessionStoreContract(t *testing.T) {
	storetest.SessionStore(t, func(t *testing.T, now func() time.Time) auth.SessionStore {
		return open(t, testAddr(t), now, redisstore.WithPrefix(testPrefix(t)))
	})
}

// TestSessionStoreContractUncached runs the suite with the client-side
// cache off: reads go to Redis, in one script.
func TestSessionStoreContractUncached(t *testing.T) {
	storetest.SessionStore(t, func(t *testing.T, now func() time.Time) auth.SessionStore {
		return open(t, testAddr(t), now, redisstore.WithPrefix(testPrefix(t)), redisstore.WithClientCache(false))
	})
}

// TestSessionStoreContractClusterReads runs the suite uncached, with the
// reads a cluster gets (GET, then HGETALL) instead of the one-trip script.
func TestSessionStoreContractClusterReads(t *testing.T) {
	storetest.SessionStore(t, func(t *testing.T, now func() time.Time) auth.SessionStore {
		s := open(t, testAddr(t), now, redisstore.WithPrefix(testPrefix(t)), redisstore.WithClientCache(false))
		redisstore.ReadLikeCluster(s)
		return s
	})
}

// TestKeyLayout checks the documented keys, that one user's keys share a
// hash tag even for awkward tenant and user names, and that TTLs follow
// the store's clock rather than the wall clock.
func TestKeyLayout(t *testing.T) {
	ctx := context.Background()
	prefix := testPrefix(t)
	s := open(t, testAddr(t), clock, redisstore.WithPrefix(prefix))
	c := rawClient(t)
	x := storetest.NewSession("a:b}{c", "u%1", time.Hour) // expires 59 minutes after clock()
	if err := s.CreateSession(ctx, x); err != nil {
		t.Fatal(err)
	}
	user := prefix + ":{t:a%3Ab%7D%7Bc:u:u%251}"
	rec, idx := user+":s:"+x.ID, user+":idx"
	for _, k := range []struct{ key, typ string }{
		{rec, "hash"}, {idx, "zset"}, {prefix + ":sid:" + x.ID, "string"}, {prefix + ":th:" + x.TokenHash.String(), "string"},
	} {
		typ, err := c.Do(ctx, c.B().Type().Key(k.key).Build()).ToString()
		if err != nil || typ != k.typ {
			t.Fatalf("key %s: type %q (%v), want %q", k.key, typ, err, k.typ)
		}
		pttl, err := c.Do(ctx, c.B().Pttl().Key(k.key).Build()).AsInt64()
		if want := int64(59 * time.Minute / time.Millisecond); err != nil || pttl > want || pttl < want-60_000 {
			t.Fatalf("key %s: PTTL %d ms (%v), want about %d", k.key, pttl, err, want)
		}
	}
	for _, p := range []string{prefix + ":sid:" + x.ID, prefix + ":th:" + x.TokenHash.String()} {
		if got, _ := c.Do(ctx, c.B().Get().Key(p).Build()).ToString(); got != rec {
			t.Fatalf("pointer %s holds %q, want %q", p, got, rec)
		}
	}
	if tag(rec) != tag(idx) || tag(rec) == "" {
		t.Fatalf("record and index do not share a hash tag: %q %q", tag(rec), tag(idx))
	}
	if got := sessionKeys(keysOf(t, c, prefix), prefix); len(got) != 4 {
		t.Fatalf("one session wrote %d keys, want 4: %v", len(got), got)
	}
	// The store-wide live index holds the session, scored by its expiry,
	// and lives as long as the store.
	score, err := c.Do(ctx, c.B().Zscore().Key(prefix+":live").Member(x.ID).Build()).AsFloat64()
	if err != nil || int64(score) != x.ExpiresAt.UnixMilli() {
		t.Fatalf("live index: score %v (%v), want %d", score, err, x.ExpiresAt.UnixMilli())
	}
	for _, k := range []string{prefix + ":live", prefix + ":live:ready"} {
		if pttl, err := c.Do(ctx, c.B().Pttl().Key(k).Build()).AsInt64(); err != nil || pttl != -1 {
			t.Fatalf("key %s: PTTL %d (%v), want none (-1)", k, pttl, err)
		}
	}
}

// sessionKeys leaves out of keys the store-wide ones (the live index and
// its marker), which are not any session's.
func sessionKeys(keys []string, prefix string) []string {
	var out []string
	for _, k := range keys {
		if k != prefix+":live" && k != prefix+":live:ready" {
			out = append(out, k)
		}
	}
	return out
}

// tag returns the cluster hash tag of a key.
func tag(key string) string {
	i := strings.IndexByte(key, '{')
	if i < 0 {
		return ""
	}
	j := strings.IndexByte(key[i+1:], '}')
	if j <= 0 {
		return ""
	}
	return key[i+1 : i+1+j]
}

// TestNamesDoNotCollide: tenant and user are escaped, so "a:u:b"/"c" and
// "a"/"b:u:c" are two users with two indexes.
func TestNamesDoNotCollide(t *testing.T) {
	ctx := context.Background()
	s := open(t, testAddr(t), clock, redisstore.WithPrefix(testPrefix(t)))
	for _, k := range [][2]string{{"a:u:b", "c"}, {"a", "b:u:c"}} {
		if err := s.CreateSession(ctx, storetest.NewSession(k[0], k[1], time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	for _, k := range [][2]string{{"a:u:b", "c"}, {"a", "b:u:c"}} {
		list, err := s.UserSessions(ctx, k[0], k[1])
		if err != nil || len(list) != 1 || list[0].TenantID != k[0] || list[0].UserID != k[1] {
			t.Fatalf("%v: %v %v", k, list, err)
		}
	}
}

// TestDanglingPointersReadAsNotFound plays a crash between the writes of a
// create (pointers, no record): every reader answers not found.
func TestDanglingPointersReadAsNotFound(t *testing.T) {
	for _, tc := range []struct {
		name                 string
		cached, clusterReads bool
	}{{"Cached", true, false}, {"OneTrip", false, false}, {"ClusterReads", false, true}} {
		t.Run(tc.name, func(t *testing.T) { testDanglingPointers(t, tc.cached, tc.clusterReads) })
	}
}

// testDanglingPointers damages keys behind the store's back; a cached
// store has read none of them before, or reads not found either way.
func testDanglingPointers(t *testing.T, cached, clusterReads bool) {
	ctx := context.Background()
	prefix := testPrefix(t)
	s := open(t, testAddr(t), clock, redisstore.WithPrefix(prefix), redisstore.WithClientCache(cached))
	if clusterReads {
		redisstore.ReadLikeCluster(s)
	}
	c := rawClient(t)
	x := storetest.NewSession("t1", "u1", time.Hour)
	if err := s.CreateSession(ctx, x); err != nil {
		t.Fatal(err)
	}
	if err := c.Do(ctx, c.B().Del().Key(prefix+":{t:t1:u:u1}:s:"+x.ID).Build()).Error(); err != nil {
		t.Fatal(err)
	}
	_, err := s.SessionByTokenHash(ctx, x.TokenHash)
	wantCode(t, "by hash", err, auth.ENotFound)
	_, err = s.SessionByID(ctx, x.ID)
	wantCode(t, "by id", err, auth.ENotFound)
	wantCode(t, "touch", s.TouchSession(ctx, x.ID, clock(), clock().Add(time.Hour)), auth.ENotFound)
	wantCode(t, "update client", s.UpdateSessionClient(ctx, x.ID, clock(), auth.Client{IP: "192.0.2.7"}), auth.ENotFound)
	if n, err := c.Do(ctx, c.B().Exists().Key(prefix+":{t:t1:u:u1}:s:"+x.ID).Build()).AsInt64(); err != nil || n != 0 {
		t.Fatalf("an update wrote the deleted record back: exists %d (%v)", n, err)
	}
	wantCode(t, "delete", s.DeleteSession(ctx, x.ID), auth.ENotFound)
	if list, err := s.UserSessions(ctx, "t1", "u1"); err != nil || len(list) != 0 {
		t.Fatalf("user sessions: %v %v", list, err)
	}
	if list, err := s.ListSessions(ctx, auth.SessionFilter{}); err != nil || len(list) != 0 {
		t.Fatalf("list: %v %v", list, err)
	}
	if n, err := s.CountSessions(ctx); err != nil || n != 0 {
		t.Fatalf("count %d (%v), want 0", n, err)
	}
	// A pointer to another session's record is no more use than one to none.
	y := storetest.NewSession("t1", "u1", time.Hour)
	if err := s.CreateSession(ctx, y); err != nil {
		t.Fatal(err)
	}
	c.Do(ctx, c.B().Set().Key(prefix+":th:"+x.TokenHash.String()).Value(prefix+":{t:t1:u:u1}:s:"+y.ID).Build())
	_, err = s.SessionByTokenHash(ctx, x.TokenHash)
	wantCode(t, "by hash to another record", err, auth.ENotFound)
}

// TestTouchExtendsTTL: keys live as long as the touched expiry says.
func TestTouchExtendsTTL(t *testing.T) {
	ctx := context.Background()
	prefix := testPrefix(t)
	s := open(t, testAddr(t), clock, redisstore.WithPrefix(prefix))
	c := rawClient(t)
	x := storetest.NewSession("t1", "u1", time.Hour)
	if err := s.CreateSession(ctx, x); err != nil {
		t.Fatal(err)
	}
	if err := s.TouchSession(ctx, x.ID, clock(), clock().Add(24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if score, err := c.Do(ctx, c.B().Zscore().Key(prefix+":live").Member(x.ID).Build()).AsFloat64(); err != nil || int64(score) != clock().Add(24*time.Hour).UnixMilli() {
		t.Fatalf("live index after touch: score %v (%v), want the new expiry", score, err)
	}
	for _, k := range sessionKeys(keysOf(t, c, prefix), prefix) {
		pttl, _ := c.Do(ctx, c.B().Pttl().Key(k).Build()).AsInt64()
		if want := int64(24 * time.Hour / time.Millisecond); pttl > want || pttl < want-60_000 {
			t.Fatalf("key %s: PTTL %d ms after touch, want about %d", k, pttl, want)
		}
	}
}

// TestUpdateClientKeepsTTLs: recording a new client changes the record's
// client fields only; no key's TTL moves and a cleared device is removed.
func TestUpdateClientKeepsTTLs(t *testing.T) {
	ctx := context.Background()
	prefix := testPrefix(t)
	s := open(t, testAddr(t), clock, redisstore.WithPrefix(prefix))
	c := rawClient(t)
	x := storetest.NewSession("t1", "u1", time.Hour) // expires 59 minutes after clock()
	x.Device = map[string]string{"x-platform": "ios"}
	if err := s.CreateSession(ctx, x); err != nil {
		t.Fatal(err)
	}
	rec := prefix + ":{t:t1:u:u1}:s:" + x.ID
	for _, step := range []struct {
		name   string
		c      auth.Client
		device bool // whether the record keeps a device field
	}{
		{"new device", auth.Client{IP: "198.51.100.1", UserAgent: "a/1", Device: map[string]string{"x-device-id": "d"}}, true},
		{"no device", auth.Client{IP: "198.51.100.2", UserAgent: "b/2"}, false},
	} {
		if err := s.UpdateSessionClient(ctx, x.ID, clock(), step.c); err != nil {
			t.Fatalf("%s: %v", step.name, err)
		}
		for _, k := range sessionKeys(keysOf(t, c, prefix), prefix) {
			pttl, _ := c.Do(ctx, c.B().Pttl().Key(k).Build()).AsInt64()
			if want := int64(59 * time.Minute / time.Millisecond); pttl > want || pttl < want-60_000 {
				t.Fatalf("%s: key %s: PTTL %d ms, want about %d", step.name, k, pttl, want)
			}
		}
		n, err := c.Do(ctx, c.B().Hexists().Key(rec).Field("dv").Build()).AsInt64()
		if err != nil || (n == 1) != step.device {
			t.Fatalf("%s: device field present %d (%v), want %v", step.name, n, err, step.device)
		}
	}
	if got := sessionKeys(keysOf(t, c, prefix), prefix); len(got) != 4 {
		t.Fatalf("%d keys after updates, want the 4 of one session: %v", len(got), got)
	}
}

// TestUpdateClientRacingDelete: an update that runs into a delete never
// brings the session back; when both are done no key is left.
func TestUpdateClientRacingDelete(t *testing.T) {
	ctx := context.Background()
	prefix := testPrefix(t)
	s := open(t, testAddr(t), clock, redisstore.WithPrefix(prefix))
	c := rawClient(t)
	for i := range 100 {
		x := storetest.NewSession("t1", "u1", time.Hour)
		if err := s.CreateSession(ctx, x); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		var updateErr error
		wg.Add(2)
		go func() {
			defer wg.Done()
			updateErr = s.UpdateSessionClient(ctx, x.ID, clock(), auth.Client{IP: "192.0.2.3", Device: map[string]string{"k": "v"}})
		}()
		go func() {
			defer wg.Done()
			if err := s.DeleteSession(ctx, x.ID); err != nil {
				t.Errorf("delete %d: %v", i, err)
			}
		}()
		wg.Wait()
		if updateErr != nil && auth.ErrorCode(updateErr) != auth.ENotFound {
			t.Fatalf("update %d: %v", i, updateErr)
		}
		if left := keysOf(t, c, prefix); len(left) != 1 || left[0] != prefix+":live:ready" {
			t.Fatalf("round %d (update: %v): keys left after delete: %v, want only the live index's marker", i, updateErr, left)
		}
	}
}

func wantCode(t *testing.T, what string, err error, code string) {
	t.Helper()
	if got := auth.ErrorCode(err); got != code {
		t.Fatalf("%s: got code %q (%v), want %q", what, got, err, code)
	}
}

func TestOpenAddresses(t *testing.T) {
	addr := testAddr(t)
	if strings.Contains(addr, "://") || strings.Contains(addr, ",") {
		t.Skipf("%s is not a single host:port", addrEnv)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	tests := []struct {
		name, addr string
		opts       []redisstore.Option
		code       string
	}{
		{"host:port", addr, nil, ""},
		{"redis URL with db", "redis://" + addr + "/0", nil, ""},
		{"address list", addr + ", ", nil, ""},
		{"bad scheme", "http://" + addr, nil, auth.EInvalid},
		{"empty", " , ", nil, auth.EInvalid},
		{"bad prefix", addr, []redisstore.Option{redisstore.WithPrefix("a{b}")}, auth.EInvalid},
		{"nothing listening", "redis://127.0.0.1:1/0?dial_timeout=2s", nil, auth.EUnavailable},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := redisstore.Open(ctx, tc.addr, nil, tc.opts...)
			if err == nil {
				defer s.Close()
				err = s.Ping(ctx)
			}
			if got := auth.ErrorCode(err); got != tc.code {
				t.Fatalf("got code %q (%v), want %q", got, err, tc.code)
			}
		})
	}
}

// TestOutageIsUnavailableAndRecovers cuts the connection to Redis: calls
// answer EUnavailable, quickly, and work again once it is back.
func TestOutageIsUnavailableAndRecovers(t *testing.T) {
	addr := testAddr(t)
	if strings.Contains(addr, ",") {
		t.Skipf("%s is a cluster address list", addrEnv)
	}
	target := addr
	if u, err := url.Parse(addr); err == nil && u.Host != "" {
		target = u.Host
	}
	p := storetest.NewProxy(t, target)
	s := open(t, "redis://"+p.Addr()+"?dial_timeout=1s", nil, redisstore.WithPrefix(testPrefix(t)))
	ctx := context.Background()
	x := storetest.NewSession("t", "u", time.Hour)
	x.ExpiresAt = time.Now().Add(time.Hour)
	if err := s.CreateSession(ctx, x); err != nil {
		t.Fatal(err)
	}

	p.Stop()
	for _, step := range []struct {
		name string
		call func(context.Context) error
	}{
		{"session by hash", func(ctx context.Context) error { _, err := s.SessionByTokenHash(ctx, x.TokenHash); return err }},
		{"create session", func(ctx context.Context) error {
			return s.CreateSession(ctx, storetest.NewSession("t", "u", time.Hour))
		}},
		{"user sessions", func(ctx context.Context) error { _, err := s.UserSessions(ctx, "t", "u"); return err }},
		{"ping", s.Ping},
	} {
		ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		start := time.Now()
		err := step.call(ctx)
		cancel()
		if got := auth.ErrorCode(err); got != auth.EUnavailable {
			t.Fatalf("%s while down: got code %q (%v), want %q", step.name, got, err, auth.EUnavailable)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Fatalf("%s while down took %v", step.name, d)
		}
		t.Logf("%s while down (%v): %v", step.name, time.Since(start), err)
	}

	p.Start()
	back := time.Now()
	defer func() { t.Logf("recovered %v after Redis came back", time.Since(back)) }()
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, err := s.SessionByTokenHash(ctx, x.TokenHash)
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no recovery after Redis came back: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
