//go:build !linux

package auth

import "errors"

// setThreadNice is Linux only: elsewhere setpriority names a whole
// process, and would lower the session checks' priority with the hashes'.
func setThreadNice(int) error {
	return errors.New("per-thread nice values are supported on Linux only")
}
