//go:build !unix

package bench

// cpuNanos is unknown (-1) on this platform.
func cpuNanos() int64 { return -1 }
