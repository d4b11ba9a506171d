package storetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/redis/rueidis"
)

// The variables that name the engines the integration tests run against.
const (
	PostgresEnv = "SESSIOND_TEST_POSTGRES_DSN"
	RedisEnv    = "SESSIOND_TEST_REDIS_ADDR"
	// RedisClusterEnv names the seed nodes of a Redis Cluster
	// (host:port,host:port,...); .ci/redis-cluster starts one.
	RedisClusterEnv = "SESSIOND_TEST_REDIS_CLUSTER"
)

// RedisClusterAddr returns SESSIOND_TEST_REDIS_CLUSTER, skipping the test
// when it is unset.
func RedisClusterAddr(t testing.TB) string {
	t.Helper()
	return envOrSkip(t, RedisClusterEnv, " (.ci/redis-cluster starts a cluster)")
}

// envOrSkip returns the variable env, skipping the test when it is unset
// ("<env> is not set", then hint).
func envOrSkip(t testing.TB, env, hint string) string {
	t.Helper()
	v := os.Getenv(env)
	if v == "" {
		t.Skip(env + " is not set" + hint)
	}
	return v
}

// RedisTarget is one Redis deployment the Redis tests run against.
type RedisTarget struct {
	Name string // "redis" or "cluster"
	Addr string
}

// RedisTargets returns the single Redis and the Redis Cluster that are
// configured, so that a test runs against each as a subtest. It skips
// the test when neither is.
func RedisTargets(t testing.TB) []RedisTarget {
	t.Helper()
	var out []RedisTarget
	if a := os.Getenv(RedisEnv); a != "" {
		out = append(out, RedisTarget{"redis", a})
	}
	if a := os.Getenv(RedisClusterEnv); a != "" {
		out = append(out, RedisTarget{"cluster", a})
	}
	if len(out) == 0 {
		t.Skip(RedisEnv + " and " + RedisClusterEnv + " are not set")
	}
	return out
}

// PostgresDSN returns the DSN of a fresh schema of the test database (its
// search_path set to it), dropped when the test ends. It skips the test
// when SESSIOND_TEST_POSTGRES_DSN is unset, and needs a postgres:// URL.
func PostgresDSN(t testing.TB) string {
	t.Helper()
	base := envOrSkip(t, PostgresEnv, "")
	u, err := url.Parse(base)
	if err != nil || u.Host == "" || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		t.Skipf("%s is not a postgres:// URL with a host", PostgresEnv)
	}
	ctx := context.Background()
	b := make([]byte, 8)
	rand.Read(b)
	schema := "sdtest_" + hex.EncodeToString(b)
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatalf("connect to %s: %v", PostgresEnv, err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `CREATE SCHEMA `+schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		conn, err := pgx.Connect(ctx, base)
		if err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, `DROP SCHEMA `+schema+` CASCADE`); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// WithHost returns a postgres:// DSN pointed at addr (a proxy) instead.
func WithHost(t testing.TB, dsn, addr string) string {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	u.Host = addr
	return u.String()
}

// RedisAddr returns SESSIOND_TEST_REDIS_ADDR, skipping the test when it
// is unset.
func RedisAddr(t testing.TB) string {
	t.Helper()
	return envOrSkip(t, RedisEnv, "")
}

// RedisHost returns the host:port of a single Redis server named by
// SESSIOND_TEST_REDIS_ADDR (for a proxy to forward to), skipping the test
// when it is unset or a cluster's address list.
func RedisHost(t testing.TB) string {
	t.Helper()
	addr := RedisAddr(t)
	if strings.Contains(addr, ",") {
		t.Skipf("%s is a cluster address list", RedisEnv)
	}
	if u, err := url.Parse(addr); err == nil && u.Host != "" {
		return u.Host
	}
	return addr
}

// RedisPrefix returns a key prefix of the test's own, every key under
// which is deleted when the test ends.
func RedisPrefix(t testing.TB) string {
	t.Helper()
	return RedisPrefixAt(t, RedisAddr(t))
}

// RedisPrefixAt is RedisPrefix on the Redis (or cluster) at addr.
func RedisPrefixAt(t testing.TB, addr string) string {
	t.Helper()
	b := make([]byte, 8)
	rand.Read(b)
	prefix := "sdtest" + hex.EncodeToString(b)
	c := RedisClient(t, addr)
	t.Cleanup(func() { // before the client closes: cleanups run last first
		ctx := context.Background()
		nodes := []rueidis.Client{c}
		if c.Mode() == rueidis.ClientModeCluster {
			nodes = nil
			for _, n := range c.Nodes() {
				nodes = append(nodes, n)
			}
		}
		for _, n := range nodes {
			var cursor uint64
			for {
				e, err := n.Do(ctx, n.B().Scan().Cursor(cursor).Match(prefix+":*").Count(1000).Build()).AsScanEntry()
				if err != nil {
					break // a replica, or a node gone: its keys expire anyway
				}
				for _, k := range e.Elements {
					c.Do(ctx, c.B().Del().Key(k).Build())
				}
				if cursor = e.Cursor; cursor == 0 {
					break
				}
			}
		}
	})
	return prefix
}

// RedisClient returns a plain client (no client-side cache) of the
// Redis or cluster at addr (host:port, a list of them, or a redis:// URL),
// closed when the test ends: for looking at (and damaging) keys.
func RedisClient(t testing.TB, addr string) rueidis.Client {
	t.Helper()
	opt := rueidis.ClientOption{InitAddress: strings.Split(addr, ","), DisableCache: true}
	if strings.Contains(addr, "://") {
		var err error
		if opt, err = rueidis.ParseURL(addr); err != nil {
			t.Fatal(err)
		}
		opt.DisableCache = true
	}
	c, err := rueidis.NewClient(opt)
	if err != nil {
		t.Fatalf("connect to %s: %v", RedisEnv, err)
	}
	t.Cleanup(c.Close)
	return c
}

// PostgresHost returns the host:port of a postgres:// DSN (for a proxy to
// forward to).
func PostgresHost(t testing.TB, dsn string) string {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil || u.Host == "" {
		t.Skipf("%s is not a postgres:// URL with a host", PostgresEnv)
	}
	return u.Host
}
