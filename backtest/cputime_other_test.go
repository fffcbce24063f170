//go:build !unix

package backtest_test

// cpuNanos is not available here: benchmarks report 0 CPU time.
func cpuNanos() int64 { return 0 }
