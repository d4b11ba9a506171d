package securitytest

import (
	"github.com/sessiond/sessiond/internal/auth"
	"github.com/sessiond/sessiond/internal/config"
)

func hashOf(key string) string { return auth.HashToken(key).String() }

// noLockout turns the brute-force limits off, for tests that sign in very
// often from one address.
func noLockout(c *config.Config) { c.LockoutAccountLimit, c.LockoutIPLimit = 0, 0 }
