package courier_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/sessiond/sessiond/internal/courier"
	"github.com/sessiond/sessiond/internal/courier/couriertest"
)

// BenchmarkDeliverSMTP measures the courier end to end: claim from a
// SQLite outbox, one STARTTLS SMTP session per message to a mail server
// on loopback, record the outcome.
func BenchmarkDeliverSMTP(b *testing.B) {
	clk := &clock{t: epoch}
	db := outboxB(b, clk)
	srv := couriertest.Start(b, couriertest.Options{Mode: couriertest.StartTLS})
	ch, err := courier.NewSMTP(srv.URL(), "no-reply@example.com", srv.ClientTLS())
	if err != nil {
		b.Fatal(err)
	}
	c := courier.New(courier.Options{Store: db, Email: ch, Now: clk.Now})
	ctx := context.Background()
	for i := range b.N {
		if err := db.EnqueueMessage(ctx, message(clk, fmt.Sprintf("u%d@example.com", i))); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for {
		n, err := c.RunOnce(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if n == 0 {
			break
		}
	}
	b.StopTimer()
	if got := len(srv.Mails()); got != b.N {
		b.Fatalf("%d mails, want %d", got, b.N)
	}
}
