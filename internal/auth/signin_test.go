package auth_test

import (
	"context"
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/sessiond/sessiond/internal/auth"
)

func TestSignInTokenFormat(t *testing.T) {
	tests := []struct {
		name      string
		format    auth.TokenFormat
		wantLen   int
		wantBytes int
		decode    *base64.Encoding
	}{
		{name: "zero value is the default", format: auth.TokenFormat{}, wantLen: 43, wantBytes: 32, decode: base64.RawURLEncoding},
		{name: "default", format: auth.DefaultTokenFormat, wantLen: 43, wantBytes: 32, decode: base64.RawURLEncoding},
		{name: "influx", format: auth.InfluxTokenFormat, wantLen: 88, wantBytes: 64, decode: base64.URLEncoding},
		{name: "fewer than 32 bytes is raised to 32", format: auth.TokenFormat{Bytes: 8}, wantLen: 43, wantBytes: 32, decode: base64.RawURLEncoding},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			e.createUser(t, "alice", "correct horse")
			seenTokens := map[string]bool{}
			seenIDs := map[string]bool{}
			for range 5 {
				sess, token, u, err := signInWith(e.svc, context.Background(), signInReq{
					TenantID: auth.DefaultTenantID, Login: "alice", Password: "correct horse", Format: tt.format,
				})
				must(t, "sign in", err)
				if u.Name != "alice" {
					t.Fatalf("got user %q, want alice", u.Name)
				}
				if len(token) != tt.wantLen {
					t.Fatalf("got token of %d characters (%q), want %d", len(token), token, tt.wantLen)
				}
				raw, err := tt.decode.DecodeString(token)
				if err != nil {
					t.Fatalf("token %q does not decode: %v", token, err)
				}
				if len(raw) != tt.wantBytes {
					t.Fatalf("got %d random bytes, want %d", len(raw), tt.wantBytes)
				}
				if seenTokens[token] {
					t.Fatalf("token %q issued twice", token)
				}
				if seenIDs[sess.ID] {
					t.Fatalf("session ID %q issued twice", sess.ID)
				}
				seenTokens[token], seenIDs[sess.ID] = true, true
			}
			if got := e.count(t); got != 5 {
				t.Fatalf("got %d sessions stored, want 5", got)
			}
		})
	}
}

func TestSignInStoresOnlyTheTokenHash(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	u := e.createUser(t, "alice", "correct horse")
	client := auth.Client{IP: "192.0.2.7", UserAgent: "curl/8.0", Device: map[string]string{"x-platform": "ios"}}
	sess, token, _, err := signInWith(e.svc, ctx, signInReq{
		TenantID: auth.DefaultTenantID, Login: "alice", Password: "correct horse",
		Origin: auth.OriginRocket, Client: client, Format: auth.InfluxTokenFormat,
	})
	must(t, "sign in", err)

	stored, err := e.sessions.SessionByID(ctx, sess.ID)
	must(t, "session by ID", err)
	if got, want := stored.TokenHash, auth.HashToken(token); got != want {
		t.Fatalf("stored token hash: got %s, want %s", got, want)
	}
	byHash, err := e.sessions.SessionByTokenHash(ctx, auth.HashToken(token))
	must(t, "session by token hash", err)
	if byHash.ID != sess.ID {
		t.Fatalf("session by hash: got ID %q, want %q", byHash.ID, sess.ID)
	}
	if stored.ID == token || !auth.ValidID(stored.ID) {
		t.Fatalf("public ID %q: want 16 hex characters distinct from the token", stored.ID)
	}
	for name, v := range map[string]string{"ID": stored.ID, "IP": stored.IP, "UserAgent": stored.UserAgent, "UserID": stored.UserID, "TenantID": stored.TenantID, "Origin": string(stored.Origin)} {
		if strings.Contains(v, token) {
			t.Fatalf("stored session field %s holds the secret token", name)
		}
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"user", stored.UserID, u.ID},
		{"tenant", stored.TenantID, auth.DefaultTenantID},
		{"origin", stored.Origin, auth.OriginRocket},
		{"IP", stored.IP, "192.0.2.7"},
		{"User-Agent", stored.UserAgent, "curl/8.0"},
		{"device", stored.Device["x-platform"], "ios"},
		{"created", stored.CreatedAt, start},
		{"last seen", stored.LastSeen, start},
		{"expires", stored.ExpiresAt, start.Add(10 * time.Minute)},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: got %v, want %v", c.name, c.got, c.want)
		}
	}
}

func TestSignInLength(t *testing.T) {
	tests := []struct {
		name    string
		svcLen  time.Duration
		reqLen  time.Duration
		wantExp time.Duration
	}{
		{name: "service default is 10m", wantExp: 10 * time.Minute},
		{name: "service length", svcLen: time.Hour, wantExp: time.Hour},
		{name: "request overrides service", svcLen: time.Hour, reqLen: 2 * time.Minute, wantExp: 2 * time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, func(c *auth.Config) { c.SessionLength = tt.svcLen })
			e.createUser(t, "alice", "correct horse")
			sess, _, _, err := signInWith(e.svc, context.Background(), signInReq{
				TenantID: auth.DefaultTenantID, Login: "alice", Password: "correct horse", Length: tt.reqLen,
			})
			must(t, "sign in", err)
			if got, want := sess.ExpiresAt, start.Add(tt.wantExp); !got.Equal(want) {
				t.Fatalf("expires: got %v, want %v", got, want)
			}
		})
	}
}

func TestSignInBadCredentialsLookAlike(t *testing.T) {
	tests := []struct {
		name    string
		tenant  string
		login   string
		pw      string
		byEmail bool
	}{
		{name: "unknown user", login: "mallory", pw: "correct horse"},
		{name: "wrong password", login: "alice", pw: "wrong horse!"},
		{name: "user without password", login: "nopass", pw: "correct horse"},
		{name: "email without ByEmail", login: "alice@example.com", pw: "correct horse"},
		{name: "email, ByEmail, wrong password", login: "alice@example.com", pw: "wrong horse!", byEmail: true},
		{name: "name in another tenant", tenant: "ffffffffffffffff", login: "alice", pw: "correct horse"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			e.createUserWith(t, auth.NewUser{TenantID: auth.DefaultTenantID, Name: "alice", Email: "alice@example.com", Password: "correct horse"})
			e.createUser(t, "nopass", "")
			tenant := tt.tenant
			if tenant == "" {
				tenant = auth.DefaultTenantID
			}
			sess, token, u, err := signInWith(e.svc, context.Background(), signInReq{
				TenantID: tenant, Login: tt.login, Password: tt.pw, ByEmail: tt.byEmail,
			})
			wantErr(t, "sign in", err, auth.ErrBadCredentials)
			wantCode(t, "sign in", err, auth.EUnauthorized)
			if got, want := auth.ErrorMessage(err), auth.ErrorMessage(auth.ErrBadCredentials); got != want {
				t.Fatalf("message: got %q, want %q", got, want)
			}
			if sess != nil || token != "" || u != nil {
				t.Fatalf("got session %v, token %q, user %v; want nothing", sess, token, u)
			}
			if n := e.count(t); n != 0 {
				t.Fatalf("got %d sessions stored, want 0", n)
			}
		})
	}
}

func TestSignInInactiveUser(t *testing.T) {
	tests := []struct {
		name  string
		state auth.UserState
		pw    string
		want  error
	}{
		{name: "inactive, right password", state: auth.StateInactive, pw: "correct horse", want: auth.ErrUserInactive},
		{name: "suspended, right password", state: auth.StateSuspended, pw: "correct horse", want: auth.ErrUserInactive},
		{name: "terminated, right password", state: auth.StateTerminated, pw: "correct horse", want: auth.ErrUserInactive},
		{name: "inactive, wrong password", state: auth.StateInactive, pw: "wrong horse!", want: auth.ErrBadCredentials},
		{name: "suspended, wrong password", state: auth.StateSuspended, pw: "wrong horse!", want: auth.ErrBadCredentials},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			e.createUserWith(t, auth.NewUser{TenantID: auth.DefaultTenantID, Name: "bob", Password: "correct horse", State: tt.state})
			sess, token, _, err := signInWith(e.svc, context.Background(), signInReq{
				TenantID: auth.DefaultTenantID, Login: "bob", Password: tt.pw,
			})
			wantErr(t, "sign in", err, tt.want)
			if got, want := auth.ErrorCode(err), auth.ErrorCode(tt.want); got != want {
				t.Fatalf("code: got %q, want %q", got, want)
			}
			if sess != nil || token != "" {
				t.Fatalf("got session %v, token %q; want none", sess, token)
			}
			if n := e.count(t); n != 0 {
				t.Fatalf("got %d sessions stored, want 0", n)
			}
		})
	}
}

func TestSignInByEmail(t *testing.T) {
	tests := []struct {
		name    string
		login   string
		byEmail bool
		wantErr error
	}{
		{name: "email with ByEmail", login: "carol@example.com", byEmail: true},
		{name: "name with ByEmail", login: "carol", byEmail: true},
		{name: "name without ByEmail", login: "carol"},
		{name: "email without ByEmail", login: "carol@example.com", wantErr: auth.ErrBadCredentials},
		{name: "unknown email with ByEmail", login: "nobody@example.com", byEmail: true, wantErr: auth.ErrBadCredentials},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			want := e.createUserWith(t, auth.NewUser{TenantID: auth.DefaultTenantID, Name: "carol", Email: "carol@example.com", Password: "correct horse"})
			sess, _, u, err := signInWith(e.svc, context.Background(), signInReq{
				TenantID: auth.DefaultTenantID, Login: tt.login, Password: "correct horse", ByEmail: tt.byEmail,
			})
			if tt.wantErr != nil {
				wantErr(t, "sign in", err, tt.wantErr)
				return
			}
			must(t, "sign in", err)
			if u.ID != want.ID || sess.UserID != want.ID {
				t.Fatalf("got user %q, session user %q; want %q", u.ID, sess.UserID, want.ID)
			}
		})
	}
}

// A user whose name is another user's email signs in as the named user:
// names win over emails.
func TestSignInNameWinsOverEmail(t *testing.T) {
	e := newEnv(t)
	e.createUserWith(t, auth.NewUser{TenantID: auth.DefaultTenantID, Name: "dave", Email: "x@example.com", Password: "dave's password"})
	named := e.createUser(t, "x@example.com", "named password")
	_, _, u, err := signInWith(e.svc, context.Background(), signInReq{
		TenantID: auth.DefaultTenantID, Login: "x@example.com", Password: "named password", ByEmail: true,
	})
	must(t, "sign in", err)
	if u.ID != named.ID {
		t.Fatalf("got user %q, want the user named x@example.com (%q)", u.ID, named.ID)
	}
}

// An unknown user costs a hash: the dummy verification goes through the
// bounded pool, so with the pool busy it is refused like any other.
func TestSignInUnknownUserSpendsAHash(t *testing.T) {
	h := auth.NewHasher(fastArgon2, 1, 1)
	e := newEnv(t, func(c *auth.Config) { c.Hasher = h })
	busy := occupy(t, h)
	err := untilRefused(t, busy, func() error {
		_, _, _, err := signInWith(e.svc, context.Background(), signInReq{
			TenantID: auth.DefaultTenantID, Login: "nobody", Password: "whatever1",
		})
		if err != nil && !errorsIsAny(err, auth.ErrBadCredentials, auth.ErrHashQueueFull) {
			t.Fatalf("sign in of unknown user: unexpected error %v", err)
		}
		return err
	})
	wantCode(t, "sign in while the pool is full", err, auth.EUnavailable)
	must(t, "occupying hash", <-busy.done)
}

// A malformed attempt (an empty login or password) is EInvalid with the
// field named, refused before any lookup or hash; it reveals nothing of
// any account either.
func TestSignInEmptyFieldsAreInvalid(t *testing.T) {
	tests := []struct {
		name, login, pw, field string
	}{
		{"empty password", "alice", "", auth.FieldPassword},
		{"empty password of a user without one", "nopass", "", auth.FieldPassword},
		{"empty login", "", "correct horse", auth.FieldLogin},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			e.createUser(t, "alice", "correct horse")
			e.createUser(t, "nopass", "")
			_, _, _, err := signInWith(e.svc, context.Background(), signInReq{TenantID: auth.DefaultTenantID, Login: tt.login, Password: tt.pw})
			wantCode(t, "sign in", err, auth.EInvalid)
			if f := auth.FieldErrors(err); len(f[tt.field]) == 0 {
				t.Fatalf("fields %v: want a problem with %s", f, tt.field)
			}
		})
	}
}
