// Package courier delivers the core's messages (one-time codes) from the
// outbox the core writes them to (auth.MessageStore): a worker claims
// due messages, hands each to its channel (SMTP, a signed webhook, or
// the log), and records the outcome, retrying failures with backoff until
// the message's code expires. A message is written before anything is
// sent and marked sent as soon as its channel confirms delivery, so a
// restart or an outage of the mail server loses none, and a message
// whose delivery was confirmed is not sent again.
package courier

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/sessiond/sessiond/internal/auth"
)

// Channel delivers messages of one kind.
type Channel interface {
	// Name names the channel in logs and metrics: smtp, webhook, log.
	Name() string
	// Deliver returns nil once the far end has confirmed the message, an
	// error made by Permanent when trying again cannot help (a recipient
	// the mail server refuses for good), and any other error when a later
	// try may work.
	Deliver(ctx context.Context, m *auth.Message) error
}

type permanentError struct{ err error }

func (p permanentError) Error() string { return p.err.Error() }
func (p permanentError) Unwrap() error { return p.err }

// Permanent marks a delivery error that retrying cannot fix.
func Permanent(err error) error { return permanentError{err} }

// IsPermanent reports whether err was marked by Permanent.
func IsPermanent(err error) bool {
	var p permanentError
	return errors.As(err, &p)
}

// Options build a Courier.
type Options struct {
	Store auth.MessageStore
	// Email and SMS deliver the two channels; nil means not deliverable.
	Email, SMS Channel
	Now        func() time.Time // time.Now when nil
	Logger     *slog.Logger
	// Lease is how long a claimed message is a worker's (2m when 0); it
	// must exceed Timeout.
	Lease time.Duration
	// Timeout bounds one delivery (30s when 0).
	Timeout time.Duration
	// Poll is how often the worker looks for due messages when nothing
	// wakes it (1s when 0).
	Poll time.Duration
	// Batch is how many messages one claim takes (16 when 0), delivered
	// Parallel at a time (4 when 0).
	Batch, Parallel int
	// MaxAttempts gives a message up after this many tries (10 when 0).
	MaxAttempts int
	// Backoff is the wait after the first failure (5s when 0), doubling
	// to at most MaxBackoff (5m when 0).
	Backoff, MaxBackoff time.Duration
}

// Courier is the outbox's worker.
type Courier struct {
	opt     Options
	log     *slog.Logger
	wake    chan struct{}
	metrics *metrics
}

// New returns a Courier over opt.Store.
func New(opt Options) *Courier {
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&opt.Timeout, 30*time.Second)
	def(&opt.Lease, 2*time.Minute)
	if opt.Lease <= opt.Timeout {
		opt.Lease = 2 * opt.Timeout
	}
	def(&opt.Poll, time.Second)
	def(&opt.Backoff, 5*time.Second)
	def(&opt.MaxBackoff, 5*time.Minute)
	if opt.Batch <= 0 {
		opt.Batch = 16
	}
	if opt.Parallel <= 0 {
		opt.Parallel = 4
	}
	if opt.MaxAttempts <= 0 {
		opt.MaxAttempts = 10
	}
	c := &Courier{opt: opt, log: opt.Logger, wake: make(chan struct{}, 1), metrics: newMetrics()}
	return c
}

// Channels lists the channels the courier can deliver, for the core.
func (c *Courier) Channels() []auth.Channel {
	var out []auth.Channel
	if c.opt.Email != nil {
		out = append(out, auth.ChannelEmail)
	}
	if c.opt.SMS != nil {
		out = append(out, auth.ChannelSMS)
	}
	return out
}

// Collectors are the courier's metrics: messages by channel and outcome
// (queued, sent, retrying, failed, expired), and the queue's depth.
func (c *Courier) Collectors() []prometheus.Collector {
	depth := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "sessiond_courier_queue_depth", Help: "Messages waiting in the courier's outbox (-1 when the store cannot say).",
	}, func() float64 {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		n, err := c.opt.Store.CountMessages(ctx, auth.MessageQueued)
		if err != nil {
			return -1
		}
		return float64(n)
	})
	return []prometheus.Collector{c.metrics.messages, depth}
}

// Outbox returns the store the core should write messages to: the
// courier's store, which counts each queued message and wakes the worker
// at once.
func (c *Courier) Outbox() auth.MessageStore { return outbox{c.opt.Store, c} }

type outbox struct {
	auth.MessageStore
	c *Courier
}

func (o outbox) EnqueueMessage(ctx context.Context, m *auth.Message) error {
	if err := o.MessageStore.EnqueueMessage(ctx, m); err != nil {
		return err
	}
	o.c.metrics.count(string(m.Channel), outcomeQueued)
	o.c.Wake()
	return nil
}

// Wake makes a running worker look for due messages now.
func (c *Courier) Wake() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// Run delivers due messages until ctx ends, and every hour purges
// messages finished more than a week ago.
func (c *Courier) Run(ctx context.Context) {
	t := time.NewTicker(c.opt.Poll)
	defer t.Stop()
	var purged time.Time
	for {
		for {
			n, err := c.RunOnce(ctx)
			if err != nil && ctx.Err() == nil {
				c.log.Warn("courier: claiming messages failed", "err", err)
			}
			if n < c.opt.Batch || err != nil {
				break
			}
		}
		if now := c.opt.Now(); now.Sub(purged) > time.Hour {
			purged = now
			if _, err := c.opt.Store.PurgeMessages(ctx, now.Add(-7*24*time.Hour), 1000); err != nil && ctx.Err() == nil {
				c.log.Warn("courier: purging old messages failed", "err", err)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-c.wake:
		}
	}
}

// RunOnce claims the messages due now (one batch), delivers them, and
// records each outcome. It returns how many it claimed.
func (c *Courier) RunOnce(ctx context.Context) (int, error) {
	list, err := c.opt.Store.ClaimMessages(ctx, c.opt.Now().UTC(), c.opt.Lease, c.opt.Batch)
	if err != nil {
		return 0, err
	}
	sem := make(chan struct{}, c.opt.Parallel)
	var wg sync.WaitGroup
	for _, m := range list {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			c.handle(ctx, m)
		}()
	}
	wg.Wait()
	return len(list), nil
}

// handle delivers one claimed message and records the outcome.
func (c *Courier) handle(ctx context.Context, m *auth.Message) {
	now := c.opt.Now().UTC()
	ch := c.channel(m.Channel)
	switch {
	case !now.Before(m.ExpiresAt):
		c.finish(ctx, m, auth.MessageExpired, "its code expired before it could be delivered", outcomeExpired)
		return
	case ch == nil:
		c.retry(ctx, m, fmt.Errorf("no %s channel is configured", m.Channel))
		return
	}
	dctx, cancel := context.WithTimeout(ctx, c.opt.Timeout)
	err := ch.Deliver(dctx, m)
	cancel()
	switch {
	case err == nil:
		m.SentAt = c.opt.Now().UTC()
		c.finish(ctx, m, auth.MessageSent, "", outcomeSent)
		c.log.Info("courier: message delivered", "message", m.ID, "tenant", m.TenantID, "channel", ch.Name(), "purpose", m.Purpose, "attempt", m.Attempts)
	case IsPermanent(err):
		c.finish(ctx, m, auth.MessageFailed, err.Error(), outcomeFailed)
		c.log.Warn("courier: message refused for good", "message", m.ID, "channel", ch.Name(), "err", err)
	case m.Attempts >= c.opt.MaxAttempts:
		c.finish(ctx, m, auth.MessageFailed, err.Error(), outcomeFailed)
		c.log.Warn("courier: message given up", "message", m.ID, "channel", ch.Name(), "attempts", m.Attempts, "err", err)
	default:
		c.retry(ctx, m, err)
	}
}

func (c *Courier) channel(ch auth.Channel) Channel {
	switch ch {
	case auth.ChannelEmail:
		return c.opt.Email
	case auth.ChannelSMS:
		return c.opt.SMS
	}
	return nil
}

// retry schedules m's next try after the backoff of its attempts.
func (c *Courier) retry(ctx context.Context, m *auth.Message, err error) {
	wait := c.opt.Backoff << min(m.Attempts-1, 20)
	if wait > c.opt.MaxBackoff || wait <= 0 {
		wait = c.opt.MaxBackoff
	}
	now := c.opt.Now().UTC()
	m.NextAttempt, m.LastError, m.UpdatedAt = now.Add(wait), truncate(err.Error()), now
	c.save(ctx, m)
	c.metrics.count(string(m.Channel), outcomeRetrying)
	c.log.Warn("courier: delivery failed; will retry", "message", m.ID, "channel", m.Channel, "attempt", m.Attempts, "retry_in", wait, "err", err)
}

// finish records a final status; the code and the text go.
func (c *Courier) finish(ctx context.Context, m *auth.Message, st auth.MessageStatus, lastErr, outcome string) {
	m.Status, m.LastError, m.UpdatedAt = st, truncate(lastErr), c.opt.Now().UTC()
	m.Code, m.Subject, m.Body = "", "", ""
	c.save(ctx, m)
	c.metrics.count(string(m.Channel), outcome)
}

// save writes an outcome, trying a few times: a delivered message whose
// outcome is lost would be sent again when its lease ends.
func (c *Courier) save(ctx context.Context, m *auth.Message) {
	ctx = context.WithoutCancel(ctx)
	var err error
	for i := range 5 {
		err = c.opt.Store.FinishMessage(ctx, m)
		if err == nil || auth.ErrorCode(err) == auth.EConflict || auth.ErrorCode(err) == auth.ENotFound {
			break
		}
		time.Sleep(time.Duration(i+1) * 100 * time.Millisecond)
	}
	switch auth.ErrorCode(err) {
	case "":
	case auth.EConflict:
		c.log.Warn("courier: the message was claimed again before its outcome was written", "message", m.ID, "status", m.Status)
	default:
		c.log.Error("courier: could not record a message's outcome", "message", m.ID, "status", m.Status, "err", err)
	}
}

func truncate(s string) string {
	if len(s) > 500 {
		return s[:500]
	}
	return s
}
