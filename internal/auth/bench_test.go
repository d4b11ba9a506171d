package auth_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/sessiond/sessiond/internal/auth"
	"github.com/sessiond/sessiond/internal/store/memstore"
	"github.com/sessiond/sessiond/internal/store/sqlitestore"
	"golang.org/x/crypto/argon2"
)

// benchService is a Service on the real clock over SQLite (users) and the
// in-memory session store, as `sessiond serve` runs by default.
func benchService(b *testing.B, params auth.Argon2Params) (*auth.Service, *sqlitestore.DB) {
	b.Helper()
	ctx := context.Background()
	db, err := sqlitestore.Open(ctx, b.TempDir(), nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	ss := memstore.New(nil, 0)
	b.Cleanup(func() { ss.Close() })
	svc := auth.NewService(auth.Config{
		Users: db, Tenants: db, Tokens: db, Sessions: ss,
		Hasher: auth.NewHasher(params, 0, 1<<16),
	})
	if err := svc.Init(ctx); err != nil {
		b.Fatal(err)
	}
	return svc, db
}

// benchUsers creates n users without passwords.
func benchUsers(b *testing.B, svc *auth.Service, n int) []*auth.User {
	b.Helper()
	users := make([]*auth.User, n)
	for i := range users {
		u, err := svc.CreateUser(context.Background(), auth.NewUser{TenantID: auth.DefaultTenantID, Name: fmt.Sprintf("user%04d", i)})
		if err != nil {
			b.Fatal(err)
		}
		users[i] = u
	}
	return users
}

// benchSessions starts n sessions spread over users and returns their tokens.
func benchSessions(b *testing.B, svc *auth.Service, users []*auth.User, n int) []string {
	b.Helper()
	tokens := make([]string, n)
	c := auth.Client{IP: "192.0.2.1", UserAgent: "bench/1.0"}
	for i := range tokens {
		_, tok, err := auth.StartSession(svc, context.Background(), users[i%len(users)], auth.OriginInflux, c, auth.InfluxTokenFormat, 0)
		if err != nil {
			b.Fatal(err)
		}
		tokens[i] = tok
	}
	return tokens
}

// BenchmarkAuthenticate is the session check of every cookie request: 10k
// live sessions of 100 users in memory, with renewal on.
func BenchmarkAuthenticate(b *testing.B) {
	svc, _ := benchService(b, fastArgon2)
	tokens := benchSessions(b, svc, benchUsers(b, svc, 100), 10_000)
	ctx := context.Background()
	opt := auth.CheckOptions{Renew: true}
	b.Run("serial", func(b *testing.B) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			if _, _, err := svc.Authenticate(ctx, tokens[i%len(tokens)], opt); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
	b.Run("parallel", func(b *testing.B) {
		b.ReportAllocs()
		var next atomic.Int64
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				i := next.Add(1)
				if _, _, err := svc.Authenticate(ctx, tokens[i%int64(len(tokens))], opt); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}

// BenchmarkSignIn is a full sign-in at the real argon2id cost: lookup,
// verify in the worker pool, session start.
func BenchmarkSignIn(b *testing.B) {
	svc, _ := benchService(b, auth.DefaultArgon2)
	ctx := context.Background()
	const users = 16
	for i := range users {
		if _, err := svc.CreateUser(ctx, auth.NewUser{TenantID: auth.DefaultTenantID, Name: fmt.Sprintf("user%d", i), Password: "correct horse battery"}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	var next atomic.Int64
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			name := fmt.Sprintf("user%d", next.Add(1)%users)
			_, _, _, err := signInWith(svc, ctx, signInReq{
				TenantID: auth.DefaultTenantID, Login: name, Password: "correct horse battery",
				Origin: auth.OriginInflux, Format: auth.InfluxTokenFormat,
			})
			if err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkSignOut ends sessions created beforehand (not timed).
func BenchmarkSignOut(b *testing.B) {
	svc, _ := benchService(b, fastArgon2)
	tokens := benchSessions(b, svc, benchUsers(b, svc, 100), b.N)
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := svc.SignOut(ctx, tokens[i]); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	if n, _ := svc.CountSessions(ctx); n != 0 {
		b.Fatalf("%d sessions left after signing out all", n)
	}
}

// BenchmarkHashRaw is one argon2id key at DefaultArgon2 with nothing else,
// to compare with BenchmarkSignIn.
func BenchmarkHashRaw(b *testing.B) {
	p := auth.DefaultArgon2
	salt := make([]byte, 16)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			argon2.IDKey([]byte("correct horse battery"), salt, p.Time, p.MemoryKiB, p.Threads, 32)
		}
	})
}
