package config

import (
	"fmt"
	"time"
)

// validateSecurity checks the lockout, timeout and audit settings.
func (c Config) validateSecurity() []string {
	var p []string
	if c.LockoutAccountLimit < 0 || c.LockoutAccountLimit > 100 {
		p = append(p, fmt.Sprintf("lockout-account-limit %d must be between 0 and 100 (NIST SP 800-63B allows at most 100 failures)", c.LockoutAccountLimit))
	}
	if c.LockoutIPLimit < 0 {
		p = append(p, "lockout-ip-limit must not be negative")
	}
	if c.LockoutWindow < time.Second {
		p = append(p, "lockout-window must be at least 1s")
	}
	if c.LockoutMaxLock < c.LockoutWindow {
		p = append(p, "lockout-max must be at least lockout-window")
	}
	if c.SessionIdleTimeout < 0 || c.SessionIdleTimeout > 0 && c.SessionIdleTimeout < time.Second {
		p = append(p, "session-idle-timeout must be 0 (off) or at least 1s")
	}
	if c.SessionAbsoluteTimeout < 0 || c.SessionAbsoluteTimeout > 0 && c.SessionAbsoluteTimeout < c.SessionLength {
		p = append(p, "session-absolute-timeout must be 0 (off) or at least session-length")
	}
	return p
}
