package auth

import "syscall"

// setThreadNice sets the nice value of the calling thread alone: on
// Linux, PRIO_PROCESS with a thread ID names that thread.
func setThreadNice(nice int) error {
	return syscall.Setpriority(syscall.PRIO_PROCESS, syscall.Gettid(), nice)
}
