package feature

import (
	"syscall"
	"unsafe"
)

// hugePage is the size of a transparent huge page on linux/amd64 and arm64.
const hugePage = 2 << 20

// adviseHuge asks the kernel to back the 2 MB-aligned interior of v with
// transparent huge pages (MADV_HUGEPAGE). A multi-gigabyte factor matrix
// then takes 512 times fewer first-touch page faults, which otherwise cost
// about as much as computing the factors. It is only advice: errors (THP
// disabled, old kernel) are ignored and values are unaffected.
func adviseHuge(v []float32) {
	if len(v)*4 < 2*hugePage {
		return
	}
	p := uintptr(unsafe.Pointer(unsafe.SliceData(v)))
	// Float32 indices of the first and past-the-last aligned huge page.
	lo := int(((p+hugePage-1)&^(hugePage-1) - p) / 4)
	hi := int(((p+uintptr(len(v))*4)&^(hugePage-1) - p) / 4)
	if hi <= lo {
		return
	}
	const madvHugepage = 14 // MADV_HUGEPAGE
	_ = syscall.Madvise(unsafe.Slice((*byte)(unsafe.Pointer(&v[lo])), (hi-lo)*4), madvHugepage)
}
