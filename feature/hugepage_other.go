//go:build !linux

package feature

// adviseHuge is a no-op outside linux (see hugepage_linux.go).
func adviseHuge([]float32) {}
