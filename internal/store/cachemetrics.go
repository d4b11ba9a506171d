package store

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/sessiond/sessiond/internal/store/redisstore"
)

// cacheCollector exports the Redis store's client-side cache counters.
type cacheCollector struct {
	stats func() redisstore.CacheStats
	desc  *prometheus.Desc
}

// sessionCacheCollector returns the collector of
// sessiond_session_cache_reads_total{result="hit"|"miss"}.
func sessionCacheCollector(stats func() redisstore.CacheStats) prometheus.Collector {
	return &cacheCollector{stats: stats, desc: prometheus.NewDesc("sessiond_session_cache_reads_total",
		"Session reads of the Redis store, by whether its client-side cache answered them without a round trip (hit) or Redis did (miss).",
		[]string{"result"}, nil)}
}

func (c *cacheCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c *cacheCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.stats()
	ch <- prometheus.MustNewConstMetric(c.desc, prometheus.CounterValue, float64(s.Hits), "hit")
	ch <- prometheus.MustNewConstMetric(c.desc, prometheus.CounterValue, float64(s.Misses), "miss")
}
