package rocketapi_test

import (
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/sessiond/sessiond/internal/config"
)

func limited(c *config.Config) { c.RocketRateLimit = 10 }

// TestRateLimit: ten calls per route and client IP per minute pass, with
// X-RateLimit-* headers counting down; the 11th is a 429 in Rocket.Chat's
// shape until the window ends.
func TestRateLimit(t *testing.T) {
	e := start(t, limited)
	bob := e.login(bobName, bobPass, "") // login's own counter: 1 of 10
	wantReset := strconv.FormatInt(e.clock.Now().Add(time.Minute).UnixMilli(), 10)
	for i := 1; i <= 10; i++ {
		r := e.get("/api/v1/me", &bob)
		wantStatus(t, r, http.StatusOK)
		h := r.header
		if h.Get("X-RateLimit-Limit") != "10" || h.Get("X-RateLimit-Remaining") != strconv.Itoa(10-i) || h.Get("X-RateLimit-Reset") != wantReset {
			t.Fatalf("call %d: limit/remaining/reset = %s/%s/%s, want 10/%d/%s", i,
				h.Get("X-RateLimit-Limit"), h.Get("X-RateLimit-Remaining"), h.Get("X-RateLimit-Reset"), 10-i, wantReset)
		}
		e.clock.Advance(time.Second)
	}
	r := e.get("/api/v1/me", &bob)
	wantStatus(t, r, http.StatusTooManyRequests)
	golden(t, "rate_limited", r.body, nil) // 60 s window, 10 s gone: "wait 50 seconds"
	if r.header.Get("X-RateLimit-Remaining") != "0" || r.header.Get("X-RateLimit-Reset") != wantReset {
		t.Errorf("429 headers: remaining %q reset %q", r.header.Get("X-RateLimit-Remaining"), r.header.Get("X-RateLimit-Reset"))
	}
	if reset, _ := strconv.ParseInt(wantReset, 10, 64); reset < 1e12 {
		t.Errorf("reset %d is not in epoch milliseconds", reset)
	}

	// Per route: the same client still has its budget elsewhere, and
	// GET and POST logout are two routes.
	wantStatus(t, e.get("/api/v1/sessions/list", &bob), http.StatusOK)
	// Failed authentication is answered before the limiter, without headers.
	r = e.get("/api/v1/me", nil)
	wantStatus(t, r, http.StatusUnauthorized)
	if r.header.Get("X-RateLimit-Limit") != "" {
		t.Error("401 carries rate-limit headers")
	}
	// The window ends 60 s after its first call.
	e.clock.Advance(50 * time.Second)
	r = e.get("/api/v1/me", &bob)
	wantStatus(t, r, http.StatusOK)
	if r.header.Get("X-RateLimit-Remaining") != "9" {
		t.Errorf("new window: remaining %q, want 9", r.header.Get("X-RateLimit-Remaining"))
	}
}

// TestRateLimitLogin: login is limited per client IP too, before any
// password is checked.
func TestRateLimitLogin(t *testing.T) {
	e := start(t, limited)
	for i := 1; i <= 10; i++ {
		r := e.post("/api/v1/login", `{"user":"nobody","password":"wrong-password"}`, nil)
		wantStatus(t, r, http.StatusUnauthorized)
	}
	r := e.post("/api/v1/login", `{"user":"bob","password":"bob-password"}`, nil)
	wantStatus(t, r, http.StatusTooManyRequests)
	golden(t, "rate_limited_login", r.body, nil)
}

// TestRateLimitAdminBypass: admins are never limited and get no headers.
func TestRateLimitAdminBypass(t *testing.T) {
	e := start(t, limited)
	root := e.login(adminName, adminPass, "")
	for i := 0; i < 15; i++ {
		r := e.get("/api/v1/sessions/list.all", &root)
		wantStatus(t, r, http.StatusOK)
		if r.header.Get("X-RateLimit-Limit") != "" {
			t.Fatal("admin answer carries rate-limit headers")
		}
	}
}

// TestRateLimitConfig: the limit and window are settable, and 0 turns the
// limiter off.
func TestRateLimitConfig(t *testing.T) {
	t.Run("3 per 10s", func(t *testing.T) {
		e := start(t, func(c *config.Config) { c.RocketRateLimit, c.RocketRateLimitWindow = 3, 10*time.Second })
		bob := e.login(bobName, bobPass, "")
		for i := 0; i < 3; i++ {
			wantStatus(t, e.get("/api/v1/me", &bob), http.StatusOK)
		}
		r := e.get("/api/v1/me", &bob)
		wantStatus(t, r, http.StatusTooManyRequests)
		if r.header.Get("X-RateLimit-Limit") != "3" {
			t.Errorf("limit header %q", r.header.Get("X-RateLimit-Limit"))
		}
		e.clock.Advance(10 * time.Second)
		wantStatus(t, e.get("/api/v1/me", &bob), http.StatusOK)
	})
	t.Run("off", func(t *testing.T) {
		e := start(t) // start turns it off
		bob := e.login(bobName, bobPass, "")
		for i := 0; i < 12; i++ {
			r := e.get("/api/v1/me", &bob)
			wantStatus(t, r, http.StatusOK)
			if r.header.Get("X-RateLimit-Limit") != "" {
				t.Fatal("limiter off, yet headers sent")
			}
		}
	})
}

// TestDefaultConfigLimits: the shipped defaults are Rocket.Chat's.
func TestDefaultConfigLimits(t *testing.T) {
	c := config.Default()
	if c.RocketRateLimit != 10 || c.RocketRateLimitWindow != time.Minute || c.RocketLoginExpiration != 90*24*time.Hour {
		t.Errorf("defaults = %d per %s, expiry %s", c.RocketRateLimit, c.RocketRateLimitWindow, c.RocketLoginExpiration)
	}
}
