package tenantapi

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/sessiond/sessiond/internal/auth"
	"github.com/sessiond/sessiond/internal/httpkit"
	"github.com/sessiond/sessiond/internal/store/memstore"
	"github.com/sessiond/sessiond/internal/store/sqlitestore"
)

// brokenTenants is a tenant store whose token lookup fails with err.
type brokenTenants struct {
	auth.TenantStore
	err error
}

func (b brokenTenants) TenantByTokenHash(context.Context, auth.Hash) (*auth.Tenant, error) {
	return nil, b.err
}

type failure struct {
	Meta struct {
		RequestID string `json:"requestId"`
		Timestamp string `json:"timestamp"`
	} `json:"meta"`
	Error apiError `json:"error"`
}

// serve runs one request through the server's middleware (request ID,
// panic recovery) and h, and decodes the error envelope.
func serve(t *testing.T, h *Handler, next http.Handler, r *http.Request) (int, failure) {
	t.Helper()
	wrapped := httpkit.Wrap(next, httpkit.WrapOptions{Log: slog.New(slog.DiscardHandler), Panic: func(*http.Request) httpkit.PanicWriter { return h.Panic }})
	rec := httptest.NewRecorder()
	r.Header.Set("X-Request-Id", "req-12345")
	wrapped.ServeHTTP(rec, r)
	var f failure
	if err := json.Unmarshal(rec.Body.Bytes(), &f); err != nil {
		t.Fatalf("not an envelope: %d %q", rec.Code, rec.Body.String())
	}
	if f.Meta.RequestID != "req-12345" || rec.Header().Get("X-Request-Id") != "req-12345" {
		t.Fatalf("request ID %q / header %q, want req-12345 in both", f.Meta.RequestID, rec.Header().Get("X-Request-Id"))
	}
	return rec.Code, f
}

func fixed() time.Time { return time.Date(2025, 1, 15, 10, 30, 0, 0, time.UTC) }

// TestFailures: a panic, a store failure, a store outage and a broken
// invariant each answer their envelope error, never a stack trace or a
// dropped connection.
func TestFailures(t *testing.T) {
	newHandler := func(err error) *Handler {
		svc := auth.NewService(auth.Config{Tenants: brokenTenants{err: err}, Now: fixed})
		return New(svc, Options{Limiter: memstore.NewLimiter(fixed)})
	}
	withTenant := func(path string) *http.Request {
		r := httptest.NewRequest("GET", path, nil)
		r.Header.Set(TenantTokenHeader, "some-token")
		return r
	}
	tests := []struct {
		name    string
		h       *Handler
		next    func(h *Handler) http.Handler
		r       *http.Request
		status  int
		code    string
		message string
	}{
		{"panic", newHandler(nil), func(*Handler) http.Handler {
			return http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("boom") })
		}, httptest.NewRequest("GET", "/auth/me", nil), 500, "INTERNAL_SERVER", "Something went wrong on our side."},
		{"store failure", newHandler(errors.New("disk on fire")), func(h *Handler) http.Handler { return h },
			withTenant("/auth/me"), 500, "INTERNAL_SERVER", "Something went wrong on our side."},
		{"store down", newHandler(auth.Unavailable("tenant by token", errors.New("connection refused"))), func(h *Handler) http.Handler { return h },
			withTenant("/auth/me"), 503, "SERVICE_UNAVAILABLE", "Service Unavailable"},
		{"missing user context", newHandler(nil), func(h *Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.handleLogout(w, r, &request{tenant: &auth.Tenant{}}) })
		}, httptest.NewRequest("GET", "/auth/logout", nil), 500, "UNEXPECTED_STATE", "Missing user context"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, f := serve(t, tt.h, tt.next(tt.h), tt.r)
			if st != tt.status || f.Error.Code != tt.code || f.Error.Message != tt.message || f.Error.Status != tt.status {
				t.Fatalf("got %d %+v, want %d %s %q", st, f.Error, tt.status, tt.code, tt.message)
			}
			if f.Meta.Timestamp != "2025-01-15T10:30:00.000Z" {
				t.Fatalf("timestamp %q", f.Meta.Timestamp)
			}
		})
	}
}

// TestLockout: when the core locks an account after failed sign-ins, the
// next sign-in answers 429 TOO_MANY_REQUESTS with Retry-After, even with
// the right password.
func TestLockout(t *testing.T) {
	ctx := context.Background()
	db, err := sqlitestore.Open(ctx, t.TempDir(), fixed)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	limiter := memstore.NewLimiter(fixed)
	svc := auth.NewService(auth.Config{
		Users: db, Tenants: db, Tokens: db, Sessions: memstore.New(fixed, 0), Now: fixed,
		Hasher:  auth.NewHasher(auth.Argon2Params{MemoryKiB: 64, Time: 1, Threads: 1}, 1, 0),
		Limiter: limiter, Lockout: auth.LockoutPolicy{AccountLimit: 2, Window: 15 * time.Minute, MaxLock: time.Hour},
	})
	if err := svc.Init(ctx); err != nil {
		t.Fatal(err)
	}
	ten, token, err := svc.CreateTenant(ctx, auth.NewTenant{Name: "acme", Policy: auth.PolicyUpdate{ClientHeaders: ptr(auth.ClientHeadersAccept)}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.CreateUser(ctx, auth.NewUser{TenantID: ten.ID, Name: "u@example.com", Email: "u@example.com", Password: "right-password"}); err != nil {
		t.Fatal(err)
	}
	h := New(svc, Options{Limiter: limiter})
	signin := func(pw string) *httptest.ResponseRecorder {
		r := httptest.NewRequest("POST", "/auth/signin", strings.NewReader(`{"method":"password","email":"u@example.com","password":"`+pw+`"}`))
		r.Header.Set(TenantTokenHeader, token)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}
	for i, want := range []int{401, 401, 429} {
		if w := signin("wrong-password"); w.Code != want {
			t.Fatalf("attempt %d: %d %s, want %d", i, w.Code, w.Body, want)
		}
	}
	w := signin("right-password")
	if w.Code != http.StatusTooManyRequests || !strings.Contains(w.Body.String(), `"code":"TOO_MANY_REQUESTS"`) || w.Header().Get("Retry-After") != "900" {
		t.Fatalf("right password while locked: %d %s Retry-After %q", w.Code, w.Body, w.Header().Get("Retry-After"))
	}
}

func ptr[T any](v T) *T { return &v }
