package securitytest

import (
	"net/http"
	"testing"
	"time"

	"github.com/sessiond/sessiond/internal/config"
)

// Point 9: after sign-out the old key gets 401 (the session is gone on
// the server, not only in the browser).
func TestD09SignoutInvalidates(t *testing.T) {
	e := start(t, options{})
	e.seed()
	key := e.signin(bobName, bobPass)
	if s := e.status(req{method: "POST", path: "/api/v2/signout", cookie: key}); s != http.StatusNoContent {
		t.Fatalf("signout: %d", s)
	}
	if e.live(key) {
		t.Fatal("the key works after sign-out")
	}
	if s := e.status(req{method: "POST", path: "/api/v2/signout", cookie: key}); s != http.StatusUnauthorized {
		t.Fatalf("second signout: %d", s)
	}
}

// Point 10 (departs for compatibility): InfluxDB's sign-out sets no
// cookie; its clients drop the cookie themselves. The session is ended on
// the server (point 9), which is what matters.
func TestD10SignoutSetsNoCookie(t *testing.T) {
	e := start(t, options{})
	e.seed()
	key := e.signin(bobName, bobPass)
	r := e.do(req{method: "POST", path: "/api/v2/signout", cookie: key})
	if len(r.Header.Values("Set-Cookie")) != 0 {
		t.Fatalf("signout set a cookie: %q", r.Header.Values("Set-Cookie"))
	}
}

func shortTimeouts(c *config.Config) {
	c.SessionLength = 10 * time.Minute
	c.SessionIdleTimeout = 5 * time.Minute
	c.SessionAbsoluteTimeout = 20 * time.Minute
}

// Point 11: after the idle timeout with no request, the key is refused.
func TestD11IdleTimeout(t *testing.T) {
	e := start(t, options{tune: shortTimeouts})
	e.seed()
	key := e.signin(bobName, bobPass)
	e.clock.Advance(4 * time.Minute)
	if !e.live(key) {
		t.Fatal("refused before the idle timeout")
	}
	e.clock.Advance(5 * time.Minute)
	if e.live(key) {
		t.Fatal("accepted after 5 idle minutes")
	}
}

// Point 12: requests closer together than the idle timeout keep the
// session (InfluxDB's sliding renewal), but never past the absolute
// timeout from creation.
func TestD12SlidingButCappedByAbsolute(t *testing.T) {
	e := start(t, options{tune: shortTimeouts})
	e.seed()
	key := e.signin(bobName, bobPass)
	for at := 4 * time.Minute; at < 20*time.Minute; at += 4 * time.Minute {
		e.clock.Advance(4 * time.Minute)
		if !e.live(key) {
			t.Fatalf("refused at %v though used every 4 minutes", at)
		}
	}
	e.clock.Advance(4 * time.Minute) // 20 minutes after sign-in
	if e.live(key) {
		t.Fatal("accepted past the absolute timeout")
	}
}

// Point 13 (departs for compatibility): InfluxDB's cookie always carries
// Expires (the session's end) and no Max-Age; sessiond has no "remember
// me". The Expires is never later than the session's end.
func TestD13CookieLifetime(t *testing.T) {
	e := start(t, options{tune: shortTimeouts})
	e.seed()
	r := e.signinResp(bobName, bobPass)
	c := r.Cookies()[0]
	if c.MaxAge != 0 || c.Expires.IsZero() || c.Expires.After(e.clock.Now().Add(e.cfg.SessionLength)) {
		t.Fatalf("cookie lifetime: Max-Age %d, Expires %v", c.MaxAge, c.Expires)
	}
}

// Point 14: with a durable session store, a restart keeps live sessions,
// and a revoked session stays revoked. (The default store, memory, loses
// every session at a restart, as InfluxDB does.)
func TestD14RestartKeepsSessions(t *testing.T) {
	dir := t.TempDir()
	durable := func(c *config.Config) { c.SessionStore = "sqlite" }
	e := start(t, options{dir: dir, tune: durable})
	e.seed()
	kept := e.signin(bobName, bobPass)
	revoked := e.signin(bobName, bobPass)
	e.status(req{method: "POST", path: "/api/v2/signout", cookie: revoked})
	e.srv.Close()
	e.app.Close()
	e2 := start(t, options{dir: dir, tune: durable, clk: e.clock})
	if !e2.live(kept) {
		t.Fatal("a live session was lost at the restart")
	}
	if e2.live(revoked) {
		t.Fatal("a revoked session came back after the restart")
	}
}
