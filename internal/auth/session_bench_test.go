package auth_test

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/sessiond/sessiond/internal/auth"
)

// BenchmarkAuthenticateSession is the tenant dialect's check after its JWT
// is verified: the session by public ID, 10k live sessions of 100 users in
// memory.
func BenchmarkAuthenticateSession(b *testing.B) {
	svc, _ := benchService(b, fastArgon2)
	users := benchUsers(b, svc, 100)
	ctx := context.Background()
	type ref struct{ user, id string }
	refs := make([]ref, 10_000)
	for i := range refs {
		u := users[i%len(users)]
		s, _, err := auth.StartSession(svc, ctx, u, auth.OriginTenant, auth.Client{IP: "192.0.2.1"}, auth.DefaultTokenFormat, 0)
		if err != nil {
			b.Fatal(err)
		}
		refs[i] = ref{u.ID, s.ID}
	}
	b.Run("serial", func(b *testing.B) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			r := refs[i%len(refs)]
			if _, _, err := svc.AuthenticateSession(ctx, auth.DefaultTenantID, r.user, r.id, auth.CheckOptions{}); err != nil {
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
				r := refs[next.Add(1)%int64(len(refs))]
				if _, _, err := svc.AuthenticateSession(ctx, auth.DefaultTenantID, r.user, r.id, auth.CheckOptions{}); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}

// BenchmarkHashToken is the SHA-256 of a secret, done on every check, for
// each token format.
func BenchmarkHashToken(b *testing.B) {
	for _, f := range []struct {
		name string
		f    auth.TokenFormat
	}{{"influxdb-88", auth.InfluxTokenFormat}, {"default-43", auth.DefaultTokenFormat}} {
		tok := auth.NewToken(f.f)
		b.Run(f.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				auth.HashToken(tok)
			}
		})
	}
}

// BenchmarkStartSession is a session's creation without a password check
// (what sign-in adds to the hash): token, hash, ID and the store's insert.
func BenchmarkStartSession(b *testing.B) {
	svc, _ := benchService(b, fastArgon2)
	users := benchUsers(b, svc, 100)
	ctx := context.Background()
	c := auth.Client{IP: "192.0.2.1", UserAgent: "bench/1.0"}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if _, _, err := auth.StartSession(svc, ctx, users[i%len(users)], auth.OriginInflux, c, auth.InfluxTokenFormat, 0); err != nil {
			b.Fatal(err)
		}
		i++
	}
}
