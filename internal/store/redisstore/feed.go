package redisstore

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/rueidis"
	"github.com/sessiond/sessiond/internal/auth"
	"github.com/sessiond/sessiond/internal/store/feed"
)

// Feed is the change feed (auth.ChangeFeed) over Redis pub/sub: every
// instance on one Redis and key prefix publishes on, and subscribes to,
// the channel <prefix>:changes. A message is feed.Encode's
// "kind|tenant|id"; messages that do not decode are ignored.
type Feed struct {
	s       *Sessions
	channel string
}

var _ auth.ChangeFeed = (*Feed)(nil)

// Changes returns the change feed over the store's connections, on the
// channel <prefix>:changes. Closing the store ends its subscriptions.
func (s *Sessions) Changes() *Feed { return &Feed{s: s, channel: s.k.changes()} }

func (k keys) changes() string { return k.prefix + ":changes" }

// steadyConn is how long a subscription's connection must have lasted for
// its loss to restart the backoff from the shortest wait.
const steadyConn = time.Minute

// Publish implements auth.ChangeFeed with PUBLISH. A Change of a kind auth
// does not declare is an EInvalid error.
//
// On a Redis Cluster every instance publishes through one node, the one
// of lowest address: a PUBLISH has no key, so the cluster client would
// send each to any node, and messages entering the cluster bus at
// different nodes reach a subscriber out of order (TestClusterChangeFeedContract
// found it).
func (f *Feed) Publish(ctx context.Context, c auth.Change) error {
	const op = "publish change"
	msg, err := feed.Encode(c)
	if err != nil {
		return err
	}
	rc := f.s.c
	if f.s.c.Mode() == rueidis.ClientModeCluster {
		nodes := f.s.c.Nodes()
		first := ""
		for addr := range nodes {
			if first == "" || addr < first {
				first = addr
			}
		}
		if first != "" {
			rc = nodes[first]
		}
	}
	return storeErr(op, rc.Do(ctx, rc.B().Publish().Channel(f.channel).Message(msg).Build()).Error())
}

// Subscribe implements auth.ChangeFeed. Each subscription holds a
// connection of its own (a dedicated client), so that a slow subscriber
// never holds up the store's commands, SUBSCRIBEs on it, and returns once
// Redis has confirmed: a Publish after that is heard. When the connection
// is lost it subscribes again on a new one, waiting longer after each
// failure (100 ms doubling to 5 s), and every confirmation after the first
// delivers a ChangeReset before any later change. Changes reach fn through
// a feed.Queue, from one goroutine. It returns an EUnavailable error when
// Redis cannot be reached or the store is closed.
func (f *Feed) Subscribe(ctx context.Context, fn func(auth.Change)) error {
	const op = "subscribe to changes"
	if err := ctx.Err(); err != nil {
		return storeErr(op, err)
	}
	ready := make(chan error, 1)
	if err := f.s.subs.Go(ctx, op, func(ctx context.Context) { f.run(ctx, fn, ready) }); err != nil {
		return err
	}
	return <-ready
}

// run keeps one subscription until ctx ends. It sends on ready once: nil
// when the first SUBSCRIBE is confirmed, or why it could not be made.
func (f *Feed) run(ctx context.Context, fn func(auth.Change), ready chan<- error) {
	const op = "subscribe to changes"
	var once sync.Once
	signal := func(err error) { once.Do(func() { ready <- err }) }

	ctx, cancel := context.WithCancel(ctx)
	q := feed.NewQueue()
	delivered := make(chan struct{})
	go func() {
		defer close(delivered)
		q.Deliver(ctx, fn)
	}()
	defer func() {
		cancel()
		<-delivered
	}()

	// Confirmations arrive on the connection's reading goroutine, before
	// any message of that subscription: a reset put here precedes them.
	var subscribed atomic.Bool
	hooked := rueidis.WithOnSubscriptionHook(ctx, func(s rueidis.PubSubSubscription) {
		if s.Kind != "subscribe" {
			return
		}
		if subscribed.Swap(true) {
			q.Put(auth.Change{Kind: auth.ChangeReset})
		} else {
			signal(nil)
		}
	})
	receive := func(m rueidis.PubSubMessage) {
		if c, ok := feed.Decode(m.Message); ok {
			q.Put(c)
		}
	}
	var backoff feed.Backoff
	for {
		start := time.Now()
		dc, release := f.s.c.Dedicate()
		err := dc.Receive(hooked, dc.B().Subscribe().Channel(f.channel).Build(), receive)
		release()
		if !subscribed.Load() {
			if err == nil {
				err = errors.New("subscription ended before Redis confirmed it")
			}
			signal(storeErr(op, err))
			return
		}
		if ctx.Err() != nil {
			return
		}
		if time.Since(start) > steadyConn {
			backoff.Reset()
		}
		if !backoff.Wait(ctx) {
			return
		}
	}
}
