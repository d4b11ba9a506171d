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
	ctx := t.Context()
	a, b := open(t, testDSN(t), nil).Changes(), open(t, testDSN(t), nil).Changes()
	ra, rb := storetest.NewRecorder(t), storetest.NewRecorder(t)
	if err := a.Subscribe(ctx, ra.Fn); err != nil {
		t.Fatal(err)
	}
	if err := b.Subscribe(ctx, rb.Fn); err != nil {
		t.Fatal(err)
	}
	mine, theirs := auth.Change{Kind: auth.ChangeTenant, ID: "a"}, auth.Change{Kind: auth.ChangeTenant, ID: "b"}
	if err := a.Publish(ctx, mine); err != nil {
		t.Fatal(err)
	}
	if err := b.Publish(ctx, theirs); err != nil {
		t.Fatal(err)
	}
	ra.Want(t, "a", mine)
	rb.Want(t, "b", theirs)
	ra.Empty(t, "a after b published")
}

// TestChangeFeedResetsAfterReconnecting cuts the subscriber's connection
// to PostgreSQL: what is published meanwhile is lost, and once the
// database is back the subscriber gets a ChangeReset, then what is
// published after.
func TestChangeFeedResetsAfterReconnecting(t *testing.T) {
	ctx := t.Context()
	dsn := testDSN(t)
	p := storetest.NewProxy(t, storetest.PostgresHost(t, dsn))
	cut := open(t, withParam(t, storetest.WithHost(t, dsn, p.Addr()), "connect_timeout", "2"), nil).Changes()
	direct := open(t, dsn, nil).Changes()
	r := storetest.NewRecorder(t)
	if err := cut.Subscribe(ctx, r.Fn); err != nil {
		t.Fatal(err)
	}
	before := auth.Change{Kind: auth.ChangeUser, TenantID: "t", ID: "before"}
	if err := direct.Publish(ctx, before); err != nil {
		t.Fatal(err)
	}
	r.Want(t, "before the cut", before)

	p.Stop()
	if err := direct.Publish(ctx, auth.Change{Kind: auth.ChangeUser, TenantID: "t", ID: "lost"}); err != nil {
		t.Fatal(err)
	}
	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := cut.Publish(pctx, auth.Change{Kind: auth.ChangeUser, TenantID: "t", ID: "x"}); auth.ErrorCode(err) != auth.EUnavailable {
		t.Fatalf("publish while the database is unreachable: got %v, want an %s error", err, auth.EUnavailable)
	}
	p.Start()
	start := time.Now()
	r.Want(t, "after the database came back", auth.Change{Kind: auth.ChangeReset})
	t.Logf("reset %v after the database came back", time.Since(start))
	after := auth.Change{Kind: auth.ChangeUser, TenantID: "t", ID: "after"}
	if err := direct.Publish(ctx, after); err != nil {
		t.Fatal(err)
	}
	r.Want(t, "after the reset", after)
	r.Empty(t, "at the end")
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
	p.Stop()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	r := storetest.NewRecorder(t)
	r.End()
	if err := f.Subscribe(ctx, r.Fn); auth.ErrorCode(err) != auth.EUnavailable {
		t.Fatalf("got %v, want an %s error", err, auth.EUnavailable)
	}
}

// TestChangeFeedCloseEndsSubscriptions: closing the DB ends its
// subscriptions (their goroutines are gone when Close returns) and later
// Subscribes fail.
func TestChangeFeedCloseEndsSubscriptions(t *testing.T) {
	db, err := pgstore.Open(context.Background(), testDSN(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	r := storetest.NewRecorder(t)
	for range 3 {
		if err := db.Changes().Subscribe(context.Background(), r.Fn); err != nil {
			t.Fatal(err)
		}
	}
	if g := storetest.Goroutines("pgstore.(*Feed)"); len(g) != 3 {
		t.Fatalf("%d subscription goroutines, want 3:\n%s", len(g), strings.Join(g, "\n\n"))
	}
	db.Close()
	r.End()
	if g := storetest.Goroutines("pgstore.(*Feed)", "(*Queue).Deliver"); len(g) != 0 {
		t.Fatalf("Close returned before %d subscription goroutines ended:\n%s", len(g), strings.Join(g, "\n\n"))
	}
	storetest.NoGoroutines(t, "pgstore.(*Feed)", "store/feed.")
	if err := db.Changes().Subscribe(context.Background(), r.Fn); auth.ErrorCode(err) != auth.EUnavailable {
		t.Fatalf("Subscribe after Close: got %v, want an %s error", err, auth.EUnavailable)
	}
}
