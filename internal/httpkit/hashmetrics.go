package httpkit

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/sessiond/sessiond/internal/auth"
)

// hashCollector turns the hash pool's counters (auth.HashStats) into
// metrics when /metrics is scraped: the core keeps plain counters and
// imports no Prometheus.
type hashCollector struct {
	stats                           func() auth.HashStats
	workers, running, waiting, wait *prometheus.Desc
}

// HashCollector returns the collector of the password hash pool whose
// counters stats reads: sessiond_hash_workers, sessiond_hash_running,
// sessiond_hash_queue_depth and the sessiond_hash_wait_seconds histogram.
func HashCollector(stats func() auth.HashStats) prometheus.Collector {
	return &hashCollector{
		stats:   stats,
		workers: prometheus.NewDesc("sessiond_hash_workers", "Password hash workers.", nil, nil),
		running: prometheus.NewDesc("sessiond_hash_running", "Password hashes running now.", nil, nil),
		waiting: prometheus.NewDesc("sessiond_hash_queue_depth", "Password hashes waiting for a worker now.", nil, nil),
		wait:    prometheus.NewDesc("sessiond_hash_wait_seconds", "Time a password hash waited for a worker.", nil, nil),
	}
}

func (c *hashCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.workers
	ch <- c.running
	ch <- c.waiting
	ch <- c.wait
}

func (c *hashCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.stats()
	ch <- prometheus.MustNewConstMetric(c.workers, prometheus.GaugeValue, float64(s.Workers))
	ch <- prometheus.MustNewConstMetric(c.running, prometheus.GaugeValue, float64(s.Running))
	ch <- prometheus.MustNewConstMetric(c.waiting, prometheus.GaugeValue, float64(s.Waiting))
	buckets := make(map[float64]uint64, len(auth.HashWaitBuckets))
	var cum uint64
	for i, b := range auth.HashWaitBuckets {
		cum += s.WaitBuckets[i]
		buckets[b.Seconds()] = cum
	}
	ch <- prometheus.MustNewConstHistogram(c.wait, s.Waits, s.WaitTotal.Seconds(), buckets)
}
