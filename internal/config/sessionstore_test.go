package config

import (
	"strings"
	"testing"
)

// TestSessionStoreValues: the Redis forms of --session-store (URLs and a
// cluster's address list) pass, and so do the key prefix rules.
func TestSessionStoreValues(t *testing.T) {
	for _, tc := range []struct {
		store, sessions, prefix string
		ok                      bool
	}{
		{"sqlite", "redis://127.0.0.1:6379/0", "sd", true},
		{"sqlite", "rediss://user:pw@redis.example:6380", "sd", true},
		{"sqlite", "127.0.0.1:6379", "sd", true},
		{"sqlite", "10.0.0.1:7000, 10.0.0.2:7000,10.0.0.3:7000", "sd", true},
		{"sqlite", "[::1]:6379", "sd", true},
		{"postgres://u@db/sessiond", "postgres", "sd", true},
		{"postgresql://u@db/sessiond", "redis://r:6379", "prod", true},
		{"sqlite", "postgres", "sd", false},
		{"sqlite", "redis", "sd", false},
		{"sqlite", "10.0.0.1", "sd", false},
		{"sqlite", "10.0.0.1:7000,nope", "sd", false},
		{"sqlite", "10.0.0.1:", "sd", false},
		{"sqlite", "memcache://m:11211", "sd", false},
		{"sqlite", "memory", "", false},
		{"sqlite", "memory", "a{b}", false},
		{"sqlite", "memory", "a*", false},
		{"mysql://db", "memory", "sd", false},
	} {
		c := Default()
		c.Store, c.SessionStore, c.RedisKeyPrefix = tc.store, tc.sessions, tc.prefix
		err := c.Validate()
		if (err == nil) != tc.ok {
			t.Errorf("store %q session-store %q prefix %q: got %v, want ok=%v", tc.store, tc.sessions, tc.prefix, err, tc.ok)
		}
	}
	c, err := Load([]string{"--session-store", "127.0.0.1:6379", "--redis-key-prefix", "blue"}, func(string) string { return "" }, nil)
	if err != nil || c.SessionStore != "127.0.0.1:6379" || c.RedisKeyPrefix != "blue" {
		t.Fatalf("flags: %+v %v", c, err)
	}
	if _, err := Load(nil, func(k string) string {
		return map[string]string{"SESSIOND_SESSION_STORE": "redis:6379,"}[k]
	}, nil); err == nil || !strings.Contains(err.Error(), "session-store") {
		t.Fatalf("a trailing comma: got %v", err)
	}
}
