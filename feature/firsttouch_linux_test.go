package feature_test

import (
	"os"
	"runtime"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"
)

// BenchmarkFirstTouch prices the first write to fresh memory, as a panel
// build pays it for its matrix: each iteration maps 1 GB, optionally
// advises it for transparent huge pages (MADV_HUGEPAGE), writes one value
// per 4 KB page from GOMAXPROCS goroutines in interleaved 2 MB chunks and
// unmaps it. It is why feature.NewSlab gives no huge-page advice. The
// populate case instead has the kernel fault the chunks in
// (MADV_POPULATE_WRITE, Linux 5.14+), to show whether faulting page by
// page from user space is what costs: when the VM has taken the memory
// back it is not, both cost about the same.
//
// Memory freed moments before is cheap to touch again on a virtual
// machine; memory the hypervisor has taken back is not. Set
// REGIME_COLD_SLEEP=45 to wait that many seconds (timer stopped) before
// each iteration, long enough for the VM to report the freed memory:
//
//	REGIME_COLD_SLEEP=45 go test -run '^$' -bench FirstTouch -benchtime 3x ./feature/
//
// REGIME_TOUCH_GB sets the size (default 1); 6 is about the full panel's
// matrix, where most pages the VM hands out have been taken back.
func BenchmarkFirstTouch(b *testing.B) {
	sleep, _ := strconv.Atoi(os.Getenv("REGIME_COLD_SLEEP"))
	gb, err := strconv.Atoi(os.Getenv("REGIME_TOUCH_GB"))
	if err != nil || gb < 1 {
		gb = 1
	}
	size := gb << 30
	for _, tc := range []struct {
		name           string
		huge, populate bool
	}{{"pages4KB", false, false}, {"hugepages", true, false}, {"populate", false, true}} {
		b.Run(tc.name, func(b *testing.B) {
			workers := runtime.GOMAXPROCS(0)
			for b.Loop() {
				b.StopTimer()
				time.Sleep(time.Duration(sleep) * time.Second)
				m, err := syscall.Mmap(-1, 0, size, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
				if err != nil {
					b.Fatal(err)
				}
				if tc.huge {
					if err := syscall.Madvise(m, 14); err != nil { // MADV_HUGEPAGE
						b.Skipf("MADV_HUGEPAGE: %v", err)
					}
				}
				b.StartTimer()
				var wg sync.WaitGroup
				for w := 0; w < workers; w++ {
					wg.Add(1)
					go func() {
						defer wg.Done()
						for c := w << 21; c < size; c += workers << 21 {
							if tc.populate {
								if err := syscall.Madvise(m[c:c+1<<21], 23); err != nil { // MADV_POPULATE_WRITE
									b.Error(err)
									return
								}
								continue
							}
							for i := c; i < c+1<<21; i += 4096 {
								m[i] = 1
							}
						}
					}()
				}
				wg.Wait()
				b.StopTimer()
				if err := syscall.Munmap(m); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
			}
			b.ReportMetric(b.Elapsed().Seconds()/float64(b.N*gb), "s/GB")
		})
	}
}
