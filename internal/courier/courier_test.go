package courier_test

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/sessiond/sessiond/internal/auth"
	"github.com/sessiond/sessiond/internal/courier"
	"github.com/sessiond/sessiond/internal/courier/couriertest"
	"github.com/sessiond/sessiond/internal/store/sqlitestore"
)

var epoch = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// outbox is a real SQLite outbox in dir.
func outbox(t testing.TB, dir string, clk *clock) *sqlitestore.DB {
	t.Helper()
	db, err := sqlitestore.Open(context.Background(), dir, clk.Now)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// message is a queued code for to, due now.
func message(clk *clock, to string) *auth.Message {
	now := clk.Now()
	return &auth.Message{
		ID: auth.NewID(), TenantID: "t1", Channel: auth.ChannelEmail, Recipient: to, Purpose: auth.ScopeResetPassword,
		Code: "481516", Subject: "Your password reset code — ünïcode", Body: "Your code is 481516.\nIt expires in 10 minutes.\n",
		Status: auth.MessageQueued, NextAttempt: now, CreatedAt: now, UpdatedAt: now, ExpiresAt: now.Add(10 * time.Minute),
	}
}

// outboxB is outbox for a benchmark.
func outboxB(b *testing.B, clk *clock) *sqlitestore.DB { return outbox(b, b.TempDir(), clk) }

func smtpChannel(t *testing.T, srv *couriertest.Server) *courier.SMTP {
	t.Helper()
	ch, err := courier.NewSMTP(srv.URL(), "sessiond <no-reply@example.com>", srv.ClientTLS())
	if err != nil {
		t.Fatal(err)
	}
	return ch
}

func run(t *testing.T, c *courier.Courier) int {
	t.Helper()
	n, err := c.RunOnce(context.Background())
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	return n
}

func status(t *testing.T, db *sqlitestore.DB, id string) *auth.Message {
	t.Helper()
	m, err := db.MessageByID(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// Every TLS mode of --smtp-url delivers: the mail server receives the
// message as composed, and the outbox keeps neither the code nor the
// text once it is sent.
func TestSMTPModes(t *testing.T) {
	for _, tc := range []struct {
		name    string
		opt     couriertest.Options
		wantTLS bool
	}{
		{name: "plain", opt: couriertest.Options{Mode: couriertest.Plain}},
		{name: "starttls", opt: couriertest.Options{Mode: couriertest.StartTLS}, wantTLS: true},
		{name: "starttls with auth", opt: couriertest.Options{Mode: couriertest.StartTLS, User: "mailer", Password: "s3cret"}, wantTLS: true},
		{name: "smtps", opt: couriertest.Options{Mode: couriertest.ImplicitTLS}, wantTLS: true},
		{name: "smtps with auth", opt: couriertest.Options{Mode: couriertest.ImplicitTLS, User: "mailer", Password: "s3cret"}, wantTLS: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clk := &clock{t: epoch}
			db := outbox(t, t.TempDir(), clk)
			srv := couriertest.Start(t, tc.opt)
			c := courier.New(courier.Options{Store: db, Email: smtpChannel(t, srv), Now: clk.Now})
			m := message(clk, "Ann@example.com")
			if err := c.Outbox().EnqueueMessage(context.Background(), m); err != nil {
				t.Fatal(err)
			}
			if n := run(t, c); n != 1 {
				t.Fatalf("claimed %d, want 1", n)
			}
			mails := srv.Mails()
			if len(mails) != 1 {
				t.Fatalf("received %d mails, want 1", len(mails))
			}
			got := mails[0]
			if got.From != "no-reply@example.com" || len(got.To) != 1 || got.To[0] != "Ann@example.com" || got.TLS != tc.wantTLS ||
				got.Authed != (tc.opt.User != "") || got.Subject != m.Subject || got.Body != strings.ReplaceAll(m.Body, "\n", "\r\n") ||
				got.MessageID != "<"+m.ID+"@example.com>" || couriertest.Code(t, got) != "481516" {
				t.Fatalf("received %+v", got)
			}
			after := status(t, db, m.ID)
			if after.Status != auth.MessageSent || after.Code != "" || after.Body != "" || after.Subject != "" || !after.SentAt.Equal(epoch) || after.Attempts != 1 {
				t.Fatalf("outbox after delivery: %+v", after)
			}
			if n := run(t, c); n != 0 || len(srv.Mails()) != 1 {
				t.Fatalf("a delivered message was claimed again (%d) or sent again (%d mails)", n, len(srv.Mails()))
			}
		})
	}
}

// A mail server that refuses for a while (451), then takes mail again:
// the message is retried with backoff and delivered once; the metrics
// count each step.
func TestRetryUntilTheServerTakesIt(t *testing.T) {
	clk := &clock{t: epoch}
	db := outbox(t, t.TempDir(), clk)
	srv := couriertest.Start(t, couriertest.Options{Mode: couriertest.StartTLS})
	c := courier.New(courier.Options{Store: db, Email: smtpChannel(t, srv), Now: clk.Now, Backoff: 5 * time.Second, MaxBackoff: time.Minute})
	reg := prometheus.NewRegistry()
	for _, col := range c.Collectors() {
		reg.MustRegister(col)
	}
	m := message(clk, "a@example.com")
	if err := c.Outbox().EnqueueMessage(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	srv.Refuse(451)
	waits := []time.Duration{5 * time.Second, 10 * time.Second, 20 * time.Second}
	for i, wait := range waits {
		if n := run(t, c); n != 1 {
			t.Fatalf("try %d: claimed %d", i+1, n)
		}
		got := status(t, db, m.ID)
		if got.Status != auth.MessageQueued || !got.NextAttempt.Equal(clk.Now().Add(wait)) || !strings.Contains(got.LastError, "451") || got.Code == "" {
			t.Fatalf("after refusal %d: %+v, want a retry in %s", i+1, got, wait)
		}
		clk.Advance(wait - time.Second)
		if n := run(t, c); n != 0 {
			t.Fatalf("claimed before the backoff ended")
		}
		clk.Advance(time.Second)
	}
	srv.Refuse(0)
	run(t, c)
	if got := status(t, db, m.ID); got.Status != auth.MessageSent || got.Attempts != 4 {
		t.Fatalf("once the server is back: %+v", got)
	}
	if mails, tries := srv.Mails(), srv.Tries(); len(mails) != 1 || tries != 4 {
		t.Fatalf("%d mails after %d tries, want 1 after 4", len(mails), tries)
	}
	counts := map[string]float64{"queued": 1, "retrying": 3, "sent": 1, "failed": 0, "expired": 0}
	for outcome, want := range counts {
		if got := counter(t, reg, "email", outcome); got != want {
			t.Errorf("sessiond_courier_messages_total{channel=email,outcome=%s} = %v, want %v", outcome, got, want)
		}
	}
}

// counter reads one series of sessiond_courier_messages_total.
func counter(t *testing.T, reg *prometheus.Registry, channel, outcome string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "sessiond_courier_messages_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["channel"] == channel && labels["outcome"] == outcome {
				return m.GetCounter().GetValue()
			}
		}
	}
	t.Fatalf("no series channel=%s outcome=%s", channel, outcome)
	return 0
}

// A 5xx is final: the message fails at once and is not retried; a
// message whose code expired in the queue is never sent.
func TestFinalOutcomes(t *testing.T) {
	clk := &clock{t: epoch}
	db := outbox(t, t.TempDir(), clk)
	srv := couriertest.Start(t, couriertest.Options{})
	c := courier.New(courier.Options{Store: db, Email: smtpChannel(t, srv), Now: clk.Now})
	refused := message(clk, "gone@example.com")
	c.Outbox().EnqueueMessage(context.Background(), refused)
	srv.Refuse(550)
	run(t, c)
	if got := status(t, db, refused.ID); got.Status != auth.MessageFailed || got.Code != "" || !strings.Contains(got.LastError, "550") {
		t.Fatalf("after a 550: %+v", got)
	}
	srv.Refuse(0)
	stale := message(clk, "late@example.com")
	stale.ExpiresAt = clk.Now().Add(time.Minute)
	c.Outbox().EnqueueMessage(context.Background(), stale)
	clk.Advance(time.Minute)
	run(t, c)
	if got := status(t, db, stale.ID); got.Status != auth.MessageExpired || got.Code != "" {
		t.Fatalf("an expired message: %+v", got)
	}
	if n := len(srv.Mails()); n != 0 {
		t.Fatalf("%d mails sent, want none", n)
	}
}

// The courier is killed while delivering: the mail server is down, then
// the process dies with a claimed batch it never finished and messages
// queued; a new process on the same outbox waits for the dead one's
// lease, the mail server refuses for a while, then takes mail. Every
// message arrives exactly once.
func TestKilledMidwayDeliversEachOnce(t *testing.T) {
	clk := &clock{t: epoch}
	dir := t.TempDir()
	srv := couriertest.Start(t, couriertest.Options{Mode: couriertest.StartTLS})
	const n = 30
	db1, err := sqlitestore.Open(context.Background(), dir, clk.Now)
	if err != nil {
		t.Fatal(err)
	}
	first := courier.New(courier.Options{Store: db1, Email: smtpChannel(t, srv), Now: clk.Now, Batch: 10, Lease: time.Minute, Timeout: 10 * time.Second})
	var ids []string
	for i := range n {
		m := message(clk, fmt.Sprintf("user%02d@example.com", i))
		ids = append(ids, m.ID)
		if err := first.Outbox().EnqueueMessage(context.Background(), m); err != nil {
			t.Fatal(err)
		}
	}
	// The mail server is down: the first batch fails and is rescheduled.
	srv.Stop()
	run(t, first)
	// The next batch is claimed, then the process dies before delivering it.
	if claimed, err := db1.ClaimMessages(context.Background(), clk.Now(), time.Minute, 10); err != nil || len(claimed) != 10 {
		t.Fatalf("claim before dying: %d %v", len(claimed), err)
	}
	db1.Close()

	// A new process; the mail server comes back, refusing at first.
	srv.Restart()
	srv.Refuse(421)
	db2 := outbox(t, dir, clk)
	second := courier.New(courier.Options{Store: db2, Email: smtpChannel(t, srv), Now: clk.Now, Batch: 10, Lease: time.Minute, Timeout: 10 * time.Second})
	for range 3 {
		for run(t, second) > 0 {
		}
		clk.Advance(20 * time.Second)
	}
	srv.Refuse(0)
	for range 20 {
		for run(t, second) > 0 {
		}
		clk.Advance(30 * time.Second)
	}
	seen := map[string]int{}
	for _, m := range srv.Mails() {
		seen[m.MessageID]++
	}
	for _, id := range ids {
		if k := seen["<"+id+"@example.com>"]; k != 1 {
			t.Errorf("message %s delivered %d times, want 1", id, k)
		}
		if got := status(t, db2, id); got.Status != auth.MessageSent {
			t.Errorf("message %s: %s after the outage", id, got.Status)
		}
	}
	if len(seen) != n || len(srv.Mails()) != n {
		t.Fatalf("%d distinct of %d mails, want %d", len(seen), len(srv.Mails()), n)
	}
	if srv.Tries() <= n {
		t.Fatalf("%d tries for %d messages: the refusals were not exercised", srv.Tries(), n)
	}
}

// The log channel writes the message to the log and sends nothing.
func TestLogChannel(t *testing.T) {
	clk := &clock{t: epoch}
	db := outbox(t, t.TempDir(), clk)
	var buf strings.Builder
	var mu sync.Mutex
	log := slog.New(slog.NewTextHandler(writerFunc(func(p []byte) (int, error) {
		mu.Lock()
		defer mu.Unlock()
		return buf.Write(p)
	}), nil))
	c := courier.New(courier.Options{Store: db, Email: courier.Log{Logger: log}, SMS: courier.Log{Logger: log}, Now: clk.Now})
	m := message(clk, "a@example.com")
	c.Outbox().EnqueueMessage(context.Background(), m)
	run(t, c)
	mu.Lock()
	out := buf.String()
	mu.Unlock()
	if !strings.Contains(out, "481516") || !strings.Contains(out, "a@example.com") || status(t, db, m.ID).Status != auth.MessageSent {
		t.Fatalf("log channel wrote %q", out)
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }
