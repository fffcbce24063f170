//go:build !linux

package feature

// adviseHugePages is a no-op outside Linux.
func adviseHugePages([]float32) {}
