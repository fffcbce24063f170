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
// unmaps it. It is why feature.NewSlab gives no huge-page advice.
//
// Memory freed moments before is cheap to touch again on a virtual
// machine; memory the hypervisor has taken back is not. Set
// REGIME_COLD_SLEEP=45 to wait that many seconds (timer stopped) before
// each iteration, long enough for the VM to report the freed memory:
//
//	REGIME_COLD_SLEEP=45 go test -run '^$' -bench FirstTouch -benchtime 3x ./feature/
func BenchmarkFirstTouch(b *testing.B) {
	const size = 1 << 30
	sleep, _ := strconv.Atoi(os.Getenv("REGIME_COLD_SLEEP"))
	for _, c := range []struct {
		name string
		huge bool
	}{{"pages4KB", false}, {"hugepages", true}} {
		b.Run(c.name, func(b *testing.B) {
			workers := runtime.GOMAXPROCS(0)
			for b.Loop() {
				b.StopTimer()
				time.Sleep(time.Duration(sleep) * time.Second)
				m, err := syscall.Mmap(-1, 0, size, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
				if err != nil {
					b.Fatal(err)
				}
				if c.huge {
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
			b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/GB")
		})
	}
}
