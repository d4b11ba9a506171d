package config

import (
	"fmt"
	"time"
)

// Bounds of --store-timeout: long enough for a loaded engine across a
// network, short enough that a hung one is noticed before clients give up.
const (
	minStoreTimeout = 10 * time.Millisecond
	maxStoreTimeout = 30 * time.Second
)

// validateHardening checks the engine deadline and the session cap.
func (c Config) validateHardening() []string {
	var p []string
	if c.StoreTimeout < minStoreTimeout || c.StoreTimeout > maxStoreTimeout {
		p = append(p, fmt.Sprintf("store-timeout %s must be between %s and %s", c.StoreTimeout, minStoreTimeout, maxStoreTimeout))
	}
	if c.MaxSessionsPerUser < 0 {
		p = append(p, "max-sessions-per-user must not be negative (0: no cap)")
	}
	return p
}
