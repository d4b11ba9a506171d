// Package feed holds what the Redis and PostgreSQL change feeds
// (auth.ChangeFeed) share: the wire form of a Change, the queue that hands
// Changes to the one goroutine calling a subscriber, the pacing of
// reconnections, and the Group that lets a store's Close end its
// subscriptions.
package feed

import (
	"context"
	"errors"
	"math/rand/v2"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/sessiond/sessiond/internal/auth"
)

// Encode returns the message that carries c: "kind|tenant|id", with '%'
// and '|' in the tenant and ID percent-escaped, so any strings survive.
// A kind other than the three auth declares is an EInvalid error.
func Encode(c auth.Change) (string, error) {
	switch c.Kind {
	case auth.ChangeTenant, auth.ChangeUser, auth.ChangeReset:
	default:
		return "", auth.Errorf(auth.EInvalid, "unknown change kind %q", c.Kind)
	}
	return string(c.Kind) + "|" + escape(c.TenantID) + "|" + escape(c.ID), nil
}

// Decode reads a message written by Encode. ok is false for anything else:
// an unknown kind, a wrong number of fields, a bad escape.
func Decode(msg string) (c auth.Change, ok bool) {
	parts := strings.Split(msg, "|")
	if len(parts) != 3 {
		return c, false
	}
	switch k := auth.ChangeKind(parts[0]); k {
	case auth.ChangeTenant, auth.ChangeUser, auth.ChangeReset:
		c.Kind = k
	default:
		return c, false
	}
	var err1, err2 error
	c.TenantID, err1 = url.PathUnescape(parts[1])
	c.ID, err2 = url.PathUnescape(parts[2])
	if err1 != nil || err2 != nil {
		return auth.Change{}, false
	}
	return c, true
}

func escape(s string) string {
	if !strings.ContainsAny(s, "%|") {
		return s
	}
	return strings.NewReplacer("%", "%25", "|", "%7C").Replace(s)
}

// MaxPending is how many Changes a Queue holds for a subscriber that has
// fallen behind before it gives them up for one ChangeReset.
const MaxPending = 4096

// Queue hands Changes from the goroutines that receive them to the one
// that calls a subscriber's fn, in the order they were put. It never
// blocks a receiver: should fn fall MaxPending Changes behind, the pending
// ones are dropped for a single ChangeReset, which says as much. The zero
// value is not usable; call NewQueue.
type Queue struct {
	mu      sync.Mutex
	pending []auth.Change
	wake    chan struct{}
}

// NewQueue returns an empty queue.
func NewQueue() *Queue { return &Queue{wake: make(chan struct{}, 1)} }

// Put adds c at the end of the queue.
func (q *Queue) Put(c auth.Change) {
	q.mu.Lock()
	if len(q.pending) >= MaxPending {
		clear(q.pending)
		q.pending = append(q.pending[:0], auth.Change{Kind: auth.ChangeReset})
	}
	q.pending = append(q.pending, c)
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// Deliver calls fn for every Change put, in order, until ctx ends; it
// calls fn for nothing once ctx has ended.
func (q *Queue) Deliver(ctx context.Context, fn func(auth.Change)) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-q.wake:
		}
		q.mu.Lock()
		batch := q.pending
		q.pending = nil
		q.mu.Unlock()
		for _, c := range batch {
			if ctx.Err() != nil {
				return
			}
			fn(c)
		}
	}
}

// The bounds of a Backoff's waits.
const (
	minBackoff = 100 * time.Millisecond
	maxBackoff = 5 * time.Second
)

// Backoff paces reconnections: the first wait is 100 ms and each next one
// doubles, up to 5 s, less up to a fifth at random so that instances that
// lost one server do not all come back at the same instant. The zero value
// is ready to use.
type Backoff struct{ next time.Duration }

// delay returns the next wait and doubles the one after.
func (b *Backoff) delay() time.Duration {
	d := max(b.next, minBackoff)
	b.next = min(2*d, maxBackoff)
	return d - rand.N(d/5)
}

// Wait sleeps for the next delay. It returns false, at once, if ctx ends
// first.
func (b *Backoff) Wait(ctx context.Context) bool {
	t := time.NewTimer(b.delay())
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// Reset makes the next wait the shortest again.
func (b *Backoff) Reset() { b.next = 0 }

var errClosed = errors.New("store closed")

// Group runs the subscriptions of one store, so that closing the store
// ends them all and waits until they have returned: none outlives its
// store. The zero value is not usable; call NewGroup.
type Group struct {
	mu   sync.Mutex
	life context.Context
	end  context.CancelFunc
	wg   sync.WaitGroup
}

// NewGroup returns an open group.
func NewGroup() *Group {
	g := &Group{}
	g.life, g.end = context.WithCancel(context.Background())
	return g
}

// Go runs f in a new goroutine with a context that ends when ctx ends or
// the group is closed, and returns at once. After Close it runs nothing
// and returns an EUnavailable error naming op.
func (g *Group) Go(ctx context.Context, op string, f func(ctx context.Context)) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.life.Err() != nil {
		return auth.Unavailable(op, errClosed)
	}
	ctx, cancel := context.WithCancel(ctx)
	stop := context.AfterFunc(g.life, cancel)
	g.wg.Add(1)
	go func() {
		defer g.wg.Done()
		defer cancel()
		defer stop()
		f(ctx)
	}()
	return nil
}

// Close ends the context of every goroutine Go started and waits for them
// to return. It may be called more than once.
func (g *Group) Close() {
	g.mu.Lock()
	g.end()
	g.mu.Unlock()
	g.wg.Wait()
}
