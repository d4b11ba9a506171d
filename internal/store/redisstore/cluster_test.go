package redisstore_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/rueidis"

	"github.com/sessiond/sessiond/internal/auth"
	"github.com/sessiond/sessiond/internal/store/redisstore"
	"github.com/sessiond/sessiond/internal/store/storetest"
)

// The store against a real Redis Cluster (SESSIOND_TEST_REDIS_CLUSTER:
// three masters that .ci/redis-cluster starts): every contract the single
// server passes, the cluster passes too, with keys spread over the nodes
// and one user's keys in one slot.

func openCluster(t *testing.T, now func() time.Time, prefix string) *redisstore.Sessions {
	t.Helper()
	s := open(t, storetest.RedisClusterAddr(t), now, redisstore.WithPrefix(prefix))
	if !redisstore.IsCluster(s) {
		t.Fatalf("%s does not name a Redis Cluster", storetest.RedisClusterEnv)
	}
	return s
}

func clusterPrefix(t *testing.T) string {
	t.Helper()
	return storetest.RedisPrefixAt(t, storetest.RedisClusterAddr(t))
}

func TestClusterSessionStoreContract(t *testing.T) {
	storetest.SessionStore(t, func(t *testing.T, now func() time.Time) auth.SessionStore {
		return openCluster(t, now, clusterPrefix(t))
	})
}

func TestClusterLimiterContract(t *testing.T) {
	storetest.Limiter(t, func(t *testing.T, now func() time.Time) auth.Limiter {
		return openCluster(t, now, clusterPrefix(t)).Limiter()
	})
}

func TestClusterLimitListerContract(t *testing.T) {
	storetest.LimitLister(t, func(t *testing.T, now func() time.Time) auth.Limiter {
		return openCluster(t, now, clusterPrefix(t)).Limiter()
	})
}

func TestClusterChangeFeedContract(t *testing.T) {
	storetest.ChangeFeed(t, func(t *testing.T) (a, b auth.ChangeFeed) {
		prefix := clusterPrefix(t)
		return openCluster(t, nil, prefix).Changes(), openCluster(t, nil, prefix).Changes()
	})
}

// TestClusterKeysSpreadAndStayTogether: many users' sessions land on
// every master, while each user's record and index share one slot (so
// the multi-key scripts run), and two instances see one another's
// sessions and count into one limiter budget.
func TestClusterKeysSpreadAndStayTogether(t *testing.T) {
	ctx := context.Background()
	addr := storetest.RedisClusterAddr(t)
	prefix := clusterPrefix(t)
	a, b := openCluster(t, nil, prefix), openCluster(t, nil, prefix)
	c, err := rueidis.NewClient(rueidis.ClientOption{InitAddress: strings.Split(addr, ","), DisableCache: true})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if c.Mode() != rueidis.ClientModeCluster {
		t.Fatalf("%s is not a cluster", addr)
	}
	perNode := map[string]int{}
	for i := range 60 {
		x := storetest.NewSession("t", fmt.Sprintf("user%d", i), time.Hour)
		x.ExpiresAt = time.Now().Add(time.Hour)
		if err := a.CreateSession(ctx, x); err != nil {
			t.Fatal(err)
		}
		got, err := b.SessionByTokenHash(ctx, x.TokenHash)
		if err != nil || got.ID != x.ID {
			t.Fatalf("session %d made on A, read on B: %v %v", i, got, err)
		}
		user := fmt.Sprintf("%s:{t:t:u:user%d}", prefix, i)
		slots := map[int64]bool{}
		for _, k := range []string{user + ":s:" + x.ID, user + ":idx"} {
			slot, err := c.Do(ctx, c.B().ClusterKeyslot().Key(k).Build()).AsInt64()
			if err != nil {
				t.Fatal(err)
			}
			slots[slot] = true
		}
		if len(slots) != 1 {
			t.Fatalf("user %d's record and index are in slots %v", i, slots)
		}
		for node, nc := range c.Nodes() {
			if n, err := nc.Do(ctx, nc.B().Exists().Key(user+":idx").Build()).AsInt64(); err == nil && n == 1 {
				perNode[node]++
			}
		}
	}
	if len(perNode) < 3 {
		t.Fatalf("60 users' sessions landed on %d masters, want 3: %v", len(perNode), perNode)
	}
	la, lb := a.Limiter(), b.Limiter()
	var wg sync.WaitGroup
	var mu sync.Mutex
	allowed := 0
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			l := la
			if i%2 == 1 {
				l = lb
			}
			hit, err := l.Hit(ctx, "budget", 10, time.Minute)
			if err != nil {
				t.Error(err)
				return
			}
			if hit.Allowed {
				mu.Lock()
				allowed++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if allowed != 10 {
		t.Fatalf("%d of 20 hits allowed across two instances, want 10", allowed)
	}
}
