package pgstore_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/sessiond/sessiond/internal/auth"
	"github.com/sessiond/sessiond/internal/store/pgstore"
	"github.com/sessiond/sessiond/internal/store/storetest"
)

func TestChangeFeedContract(t *testing.T) {
	storetest.ChangeFeed(t, func(t *testing.T) (a, b auth.ChangeFeed) {
		dsn := testDSN(t)
		return open(t, dsn, nil).Changes(), open(t, dsn, nil).Changes()
	})
}

func TestChannelName(t *testing.T) {
	tests := []struct{ schema, want string }{
		{"public", "sessiond_changes"},
		{"", "sessiond_changes"},
		{"sdtest_0123456789abcdef", "sessiond_changes_sdtest_0123456789abcdef"},
		{"Mixed Case", "sessiond_changes_Mixed Case"},
	}
	for _, tc := range tests {
		if got := pgstore.ChannelName(tc.schema); got != tc.want {
			t.Errorf("schema %q: channel %q, want %q", tc.schema, got, tc.want)
		}
	}
	long := strings.Repeat("s", 60)
	a, b := pgstore.ChannelName(long), pgstore.ChannelName(long+"x")
	if len(a) > 63 || len(b) > 63 || a == b || !strings.HasPrefix(a, "sessiond_changes_") {
		t.Errorf("long schema names: channels %q and %q, want distinct names of at most 63 bytes", a, b)
	}
}

// TestChangeFeedSchemasApart: deployments in different schemas of one
// database do not hear each other.
func TestChangeFeedSchemasApart(t *testing.T) {
	storetest.ChangeFeedsApart(t, open(t, testDSN(t), nil).Changes(), open(t, testDSN(t), nil).Changes())
}

// TestChangeFeedResetsAfterReconnecting cuts the subscriber's connection
// to PostgreSQL: what is published meanwhile is lost, and once the
// database is back the subscriber gets a ChangeReset, then what is
// published after.
func TestChangeFeedResetsAfterReconnecting(t *testing.T) {
	dsn := testDSN(t)
	p := storetest.NewProxy(t, storetest.PostgresHost(t, dsn))
	cut := open(t, withParam(t, storetest.WithHost(t, dsn, p.Addr()), "connect_timeout", "2"), nil).Changes()
	storetest.ChangeFeedResetsAfterReconnecting(t, "the database", p, cut, open(t, dsn, nil).Changes())
}

// TestChangeFeedKeepalive: a listening connection that is interrupted
// for its keepalive ping many times still delivers, with no reset.
func TestChangeFeedKeepalive(t *testing.T) {
	ctx := t.Context()
	dsn := testDSN(t)
	f := open(t, dsn, nil).Changes()
	pgstore.SetKeepalive(f, 5*time.Millisecond)
	r := storetest.NewRecorder(t)
	if err := f.Subscribe(ctx, r.Fn); err != nil {
		t.Fatal(err)
	}
	other := open(t, dsn, nil).Changes()
	for i := range 20 {
		c := auth.Change{Kind: auth.ChangeUser, TenantID: "t", ID: strings.Repeat("u", i+1)}
		if err := other.Publish(ctx, c); err != nil {
			t.Fatal(err)
		}
		r.Want(t, "between pings", c)
		time.Sleep(10 * time.Millisecond) // let a ping or two run before the next change
	}
	r.Empty(t, "at the end")
}

// TestChangeFeedSubscribeUnreachable: with the database down, Subscribe
// fails with EUnavailable rather than hanging.
func TestChangeFeedSubscribeUnreachable(t *testing.T) {
	dsn := testDSN(t)
	p := storetest.NewProxy(t, storetest.PostgresHost(t, dsn))
	f := open(t, withParam(t, storetest.WithHost(t, dsn, p.Addr()), "connect_timeout", "2"), nil).Changes()
	storetest.ChangeFeedSubscribeUnreachable(t, p, f)
}

// TestChangeFeedCloseEndsSubscriptions: closing the DB ends its
// subscriptions (their goroutines are gone when Close returns) and later
// Subscribes fail. Each subscription holds a connection of its own, run
// by one goroutine.
func TestChangeFeedCloseEndsSubscriptions(t *testing.T) {
	db, err := pgstore.Open(context.Background(), testDSN(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	storetest.ChangeFeedCloseEndsSubscriptions(t, func() auth.ChangeFeed { return db.Changes() }, func() { db.Close() }, "pgstore.(*Feed)", 1)
}
