//go:build unix

package backtest_test

import "syscall"

// cpuNanos returns the process's user+system CPU time, so benchmarks can
// report CPU cost that is not inflated by other processes on a busy
// machine (wall time is what ns/op shows).
func cpuNanos() int64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}
