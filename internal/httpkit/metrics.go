package httpkit

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/sessiond/sessiond/internal/auth"
)

// Metrics holds the Prometheus collectors of one server. Each server has
// its own registry: no package-level state.
type Metrics struct {
	reg      *prometheus.Registry
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	signIns  *prometheus.CounterVec
	lockouts *prometheus.CounterVec
	limited  *prometheus.CounterVec
	// series are the request series seen so far, so a request finds its
	// own with one plain map read. There are only as many as route
	// patterns times the statuses they answer.
	series cowMap[routeStatus, *routeSeries]
}

type routeStatus struct {
	route  string
	status int
}

type routeSeries struct {
	count   prometheus.Counter
	latency prometheus.Observer
}

// NewMetrics returns a registry with request, latency and sign-in metrics
// plus the Go runtime and process collectors.
func NewMetrics() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sessiond_http_requests_total", Help: "HTTP requests by route pattern and status code.",
		}, []string{"route", "code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "sessiond_http_request_duration_seconds", Help: "HTTP request latency by route pattern.",
			Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}, []string{"route"}),
		signIns: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sessiond_signins_total", Help: "Sign-in attempts by API and outcome.",
		}, []string{"api", "outcome"}),
	}
	m.lockouts = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "sessiond_lockouts_total", Help: "Accounts (login) and client addresses (ip) locked by the sign-in lockout.",
	}, []string{"kind"})
	m.limited = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "sessiond_rate_limited_total", Help: "Calls refused by a rate limit (429), by API.",
	}, []string{"api"})
	m.reg.MustRegister(m.requests, m.latency, m.signIns, m.lockouts, m.limited, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Register adds a collector (a store's latency histogram, a gauge).
func (m *Metrics) Register(c prometheus.Collector) error { return m.reg.Register(c) }

// Record implements auth.Auditor: the core's one event per sign-in is
// counted in sessiond_signins_total by API (the event's origin) and
// outcome, so no dialect counts sign-ins itself.
func (m *Metrics) Record(_ context.Context, e auth.Event) {
	if m == nil {
		return
	}
	switch e.Type {
	case auth.EventSignIn:
		m.signIns.WithLabelValues(string(e.Origin), e.Outcome).Inc()
	case auth.EventLockout:
		kind, _, _ := strings.Cut(e.Target, ":")
		m.lockouts.WithLabelValues(kind).Inc()
	}
}

func (m *Metrics) observe(route string, status int, d time.Duration) {
	if m == nil {
		return
	}
	k := routeStatus{route, status}
	rs, ok := m.series.get(k)
	if !ok {
		rs, _ = m.series.add(k, 0, func() *routeSeries {
			return &routeSeries{
				count:   m.requests.WithLabelValues(route, strconv.Itoa(status)),
				latency: m.latency.WithLabelValues(route),
			}
		})
	}
	rs.count.Inc()
	if status == http.StatusTooManyRequests {
		m.limited.WithLabelValues(apiOf(route)).Inc()
	}
	rs.latency.Observe(d.Seconds())
}

// Handler serves the registry in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// apiOf names the API of a route pattern ("POST /api/v1/login").
func apiOf(route string) string {
	_, path, _ := strings.Cut(route, " ")
	switch {
	case strings.HasPrefix(path, "/api/v2"):
		return "influxdb"
	case strings.HasPrefix(path, "/api/v1/"):
		return "rocketchat"
	case strings.HasPrefix(path, "/auth/"):
		return "tenant"
	case strings.HasPrefix(path, "/ui/"):
		return "ui"
	}
	return "other"
}
