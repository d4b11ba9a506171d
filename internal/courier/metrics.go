package courier

import "github.com/prometheus/client_golang/prometheus"

// Outcomes counted by sessiond_courier_messages_total.
const (
	outcomeQueued   = "queued"   // written to the outbox
	outcomeSent     = "sent"     // delivery confirmed
	outcomeRetrying = "retrying" // a try failed; another is scheduled
	outcomeFailed   = "failed"   // given up: refused for good, or too many tries
	outcomeExpired  = "expired"  // its code expired before it was delivered
)

type metrics struct {
	messages *prometheus.CounterVec
}

func newMetrics() *metrics {
	m := &metrics{messages: prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "sessiond_courier_messages_total",
		Help: "Courier messages by channel (email, sms) and outcome (queued, sent, retrying, failed, expired).",
	}, []string{"channel", "outcome"})}
	for _, ch := range []string{"email", "sms"} {
		for _, o := range []string{outcomeQueued, outcomeSent, outcomeRetrying, outcomeFailed, outcomeExpired} {
			m.messages.WithLabelValues(ch, o)
		}
	}
	return m
}

func (m *metrics) count(channel, outcome string) { m.messages.WithLabelValues(channel, outcome).Inc() }
