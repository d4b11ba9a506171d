package redisstore_test

import (
	"context"
	"testing"

	"github.com/sessiond/sessiond/internal/auth"
	"github.com/sessiond/sessiond/internal/store/redisstore"
	"github.com/sessiond/sessiond/internal/store/storetest"
)

func TestChangeFeedContract(t *testing.T) {
	storetest.ChangeFeed(t, func(t *testing.T) (a, b auth.ChangeFeed) {
		prefix := testPrefix(t)
		return open(t, testAddr(t), nil, redisstore.WithPrefix(prefix)).Changes(),
			open(t, testAddr(t), nil, redisstore.WithPrefix(prefix)).Changes()
	})
}

// TestChangeFeedPrefixesApart: deployments on one Redis with different
// prefixes do not hear each other.
func TestChangeFeedPrefixesApart(t *testing.T) {
	storetest.ChangeFeedsApart(t,
		open(t, testAddr(t), nil, redisstore.WithPrefix(testPrefix(t))).Changes(),
		open(t, testAddr(t), nil, redisstore.WithPrefix(testPrefix(t))).Changes())
}

// TestChangeFeedResetsAfterReconnecting cuts the subscriber's connection
// to Redis: what is published meanwhile is lost, and once Redis is back
// the subscriber gets a ChangeReset, then what is published after.
func TestChangeFeedResetsAfterReconnecting(t *testing.T) {
	prefix := testPrefix(t)
	p := storetest.NewProxy(t, storetest.RedisHost(t))
	cut := open(t, "redis://"+p.Addr()+"?dial_timeout=1s", nil, redisstore.WithPrefix(prefix)).Changes()
	direct := open(t, testAddr(t), nil, redisstore.WithPrefix(prefix)).Changes()
	storetest.ChangeFeedResetsAfterReconnecting(t, "Redis", p, cut, direct)
}

// TestChangeFeedSubscribeUnreachable: with Redis down, Subscribe fails
// with EUnavailable rather than hanging.
func TestChangeFeedSubscribeUnreachable(t *testing.T) {
	p := storetest.NewProxy(t, storetest.RedisHost(t))
	f := open(t, "redis://"+p.Addr()+"?dial_timeout=1s", nil, redisstore.WithPrefix(testPrefix(t))).Changes()
	storetest.ChangeFeedSubscribeUnreachable(t, p, f)
}

// TestChangeFeedCloseEndsSubscriptions: closing the store ends its
// subscriptions (their goroutines are gone when Close returns) and later
// Subscribes fail.
func TestChangeFeedCloseEndsSubscriptions(t *testing.T) {
	s, err := redisstore.Open(context.Background(), testAddr(t), nil, redisstore.WithPrefix(testPrefix(t)))
	if err != nil {
		t.Fatal(err)
	}
	storetest.ChangeFeedCloseEndsSubscriptions(t, func() auth.ChangeFeed { return s.Changes() }, func() { s.Close() }, "redisstore.(*Feed)", 0)
}
