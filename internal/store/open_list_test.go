package store_test

import (
	"testing"

	"github.com/sessiond/sessiond/internal/auth"
	"github.com/sessiond/sessiond/internal/store"
	"github.com/sessiond/sessiond/internal/store/storetest"
)

// TestLimiterStillLists: instrumentation keeps the limiters'
// auth.LimitLister, which the lockout listing needs.
func TestLimiterStillLists(t *testing.T) {
	if _, ok := open(t, store.Options{}).Limiter.(auth.LimitLister); !ok {
		t.Fatal("the memory limiter lost ListLimits")
	}
	s := open(t, store.Options{SessionStore: storetest.RedisAddr(t), RedisPrefix: storetest.RedisPrefix(t)})
	if _, ok := s.Limiter.(auth.LimitLister); !ok {
		t.Fatal("the Redis limiter lost ListLimits")
	}
}
