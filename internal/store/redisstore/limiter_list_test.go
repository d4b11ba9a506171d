package redisstore_test

import (
	"testing"
	"time"

	"github.com/sessiond/sessiond/internal/auth"
	"github.com/sessiond/sessiond/internal/store/redisstore"
	"github.com/sessiond/sessiond/internal/store/storetest"
)

func TestLimitListerContract(t *testing.T) {
	storetest.LimitLister(t, func(t *testing.T, now func() time.Time) auth.Limiter {
		return open(t, testAddr(t), now, redisstore.WithPrefix(testPrefix(t))).Limiter()
	})
}
