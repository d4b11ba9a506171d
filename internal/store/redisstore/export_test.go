package redisstore

import "time"

// ReadLikeCluster makes s follow pointers in two round trips, as it does on
// a cluster, so that path runs against a single test server too.
func ReadLikeCluster(s *Sessions) { s.cluster = true }

// IsCluster reports whether s talks to a Redis Cluster.
func IsCluster(s *Sessions) bool { return s.cluster }

// WithStaleAfter sets how long after the last heartbeat answered by every
// node the client-side cache still serves entries.
func WithStaleAfter(d time.Duration) Option { return func(o *options) { o.staleAfter = d } }
