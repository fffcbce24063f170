//go:build linux

package feature

import (
	"syscall"
	"unsafe"
)

// adviseHugePages asks Linux to back a large, not yet touched allocation
// with transparent huge pages. Materialising a multi-gigabyte factor panel
// then takes hundreds of times fewer page faults (measured here: about 4x
// less CPU to first-touch 1.3 GB). It is only a hint; errors are ignored.
func adviseHugePages(v []float32) {
	const minBytes = 8 << 20
	if len(v)*4 < minBytes {
		return
	}
	b := unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(v))), len(v)*4)
	_ = syscall.Madvise(b, syscall.MADV_HUGEPAGE)
}
