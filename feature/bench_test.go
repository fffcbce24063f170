package feature_test

// Benchmarks. Run:
//
//	go test -bench . -benchmem -run '^$' ./feature/
//
// BenchmarkKernels/<kernel>/{ours,plain,talib}: the kernel scenarios of
// regime bench (bench/fixture.Kernels: each batch kernel next to a
// plain-loop reference without NaN handling and go-talib, and the
// RSI(14)+EMA(20)+MACD(12,26,9)+SMA(200)+Bollinger(20) combination against
// one fused plain loop), on 10,000-bar random walks; ns/bar is reported. Each call takes the next of fixture.Walks walks, so no
// implementation gains from a branch predictor that has learnt the series.
// BenchmarkBuild/<tokens>x<days>: the full parallel factor build (every
// token-level factor) on synthetic random walks; ns/value and the peak
// extra memory over the matrix size are reported.
// BenchmarkAppend: appending one day to 5,000 token streams.

import (
	"fmt"
	"math"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/regime-engine/regime/bench/fixture"
	"github.com/regime-engine/regime/feature"
)

const benchBars = 10000

func ratio(b *testing.B, n int) {
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/bar")
}

// kernelBenches is the kernel scenarios of regime bench on benchBars-bar
// random walks.
func kernelBenches() []fixture.Kernel { return fixture.Kernels(benchBars) }

func BenchmarkKernels(b *testing.B) {
	n := benchBars
	for _, k := range kernelBenches() {
		for _, im := range k.Impls {
			b.Run(k.Name+"/"+im.Name, func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					im.Run()
				}
				ratio(b, n)
			})
		}
	}
}

// BenchmarkKernelRatios times ours, plain and talib interleaved in
// many short rounds and reports the fastest round of each, so the ratios
// hold up on a busy machine: x_plain = ours/plain (target <= 1.5),
// talib_x = talib/ours (target >= 2).
func BenchmarkKernelRatios(b *testing.B) {
	for _, k := range kernelBenches() {
		b.Run(k.Name, func(b *testing.B) {
			best := []time.Duration{math.MaxInt64, math.MaxInt64, math.MaxInt64}
			for b.Loop() {
				for r := 0; r < 5; r++ {
					for j, im := range k.Impls {
						t0 := time.Now()
						im.Run()
						if d := time.Since(t0); d < best[j] {
							best[j] = d
						}
					}
				}
			}
			b.ReportMetric(float64(best[0].Nanoseconds())/benchBars, "ns/bar")
			b.ReportMetric(float64(best[0])/float64(best[1]), "x_plain")
			b.ReportMetric(float64(best[2])/float64(best[0]), "talib_x")
		})
	}
}

// BenchmarkMatrixFloor allocates and fills per-token float32 matrices of
// the same sizes as BenchmarkBuild on the same workers, doing no factor
// work: the memory floor of materialising the matrix on this machine
// (first-touch page faults dominate on virtual machines).
func BenchmarkMatrixFloor(b *testing.B) {
	nf := len(feature.ByLevel(feature.LevelToken))
	for _, size := range []struct{ tokens, days int }{{1000, 3650}, {5000, 3650}} {
		b.Run(fmt.Sprintf("%dx%d", size.tokens, size.days), func(b *testing.B) {
			if testing.Short() && size.tokens > 1000 {
				b.Skip("needs about 7 GB of memory; run without -short")
			}
			workers := runtime.GOMAXPROCS(0)
			cpu0 := fixture.CPUNanos()
			for b.Loop() {
				mats := make([][]float32, size.tokens)
				var wg sync.WaitGroup
				for w := 0; w < workers; w++ {
					wg.Add(1)
					go func() {
						defer wg.Done()
						for k := w; k < size.tokens; k += workers {
							v := make([]float32, size.days*nf)
							for i := range v {
								v[i] = 1
							}
							mats[k] = v
						}
					}()
				}
				wg.Wait()
				b.StopTimer()
				mats = nil
				runtime.GC()
				b.StartTimer()
			}
			values := float64(size.tokens * size.days * nf)
			b.ReportMetric(float64(fixture.CPUNanos()-cpu0)/float64(b.N)/values, "cpu-ns/value")
			b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/op")
		})
	}
}

func BenchmarkBuild(b *testing.B) {
	fs := feature.ByLevel(feature.LevelToken)
	for _, size := range []struct{ tokens, days int }{{100, 3650}, {1000, 3650}, {5000, 3650}} {
		b.Run(fmt.Sprintf("%dx%d", size.tokens, size.days), func(b *testing.B) {
			if testing.Short() && size.tokens > 1000 {
				b.Skip("needs about 8 GB of memory; run without -short")
			}
			ss := fixture.Panel(size.tokens, size.days)
			values := float64(size.tokens * size.days * len(fs))
			matrixBytes := values * 4
			runtime.GC()
			var m0 runtime.MemStats
			runtime.ReadMemStats(&m0)
			cpu0 := fixture.CPUNanos()
			for b.Loop() {
				mats, err := feature.BuildPanel(ss, fs, 0)
				if err != nil {
					b.Fatal(err)
				}
				if len(mats) != size.tokens {
					b.Fatal("short panel")
				}
				b.StopTimer()
				mats = nil
				runtime.GC()
				b.StartTimer()
			}
			var m1 runtime.MemStats
			runtime.ReadMemStats(&m1)
			b.ReportMetric(float64(fixture.CPUNanos()-cpu0)/float64(b.N)/values, "cpu-ns/value")
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/values, "ns/value")
			b.ReportMetric(float64(b.Elapsed().Seconds())/float64(b.N), "s/build")
			b.ReportMetric(float64(m1.Sys-m0.Sys+m0.HeapInuse)/matrixBytes, "peakmem/matrix")
			b.ReportMetric(float64(len(fs)), "factors")
		})
	}
}

func BenchmarkAppend(b *testing.B) {
	const tokens, history = 5000, 400
	fs := feature.ByLevel(feature.LevelToken)
	full := fixture.Panel(tokens, history+2000)
	hist := make([]*feature.Series, tokens)
	for k, s := range full {
		hist[k] = s.Truncate(history)
	}
	p, _, err := feature.NewPanel(hist, fs, 0)
	if err != nil {
		b.Fatal(err)
	}
	rows := make([][]float32, tokens)
	for k := range rows {
		rows[k] = make([]float32, len(fs))
	}
	days := make([]feature.Day, tokens)
	chain := make([]map[string]float64, tokens) // reused: filled per day
	for k := range chain {
		chain[k] = map[string]float64{}
	}
	i := history
	fill := func() {
		for k, s := range full {
			for id, v := range s.OnChain {
				chain[k][id] = v[i]
			}
			days[k] = feature.Day{Date: s.Dates[i], Open: s.Open[i], High: s.High[i], Low: s.Low[i], Close: s.Close[i], Volume: s.Volume[i], MarketCap: s.MarketCap[i], OnChain: chain[k]}
		}
	}
	next := func() {
		fill()
		if err := p.Append(days, rows); err != nil {
			b.Fatal(err)
		}
		i++
	}
	// Warm up: the first append moves each token's input slices to
	// growable storage (a one-off copy of the history).
	for range 3 {
		next()
	}
	b.ReportAllocs()
	for b.Loop() {
		if i == len(full[0].Dates) {
			b.Fatal("ran out of synthetic days; lower -benchtime")
		}
		b.StopTimer()
		fill()
		b.StartTimer()
		if err := p.Append(days, rows); err != nil {
			b.Fatal(err)
		}
		i++
	}
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/day")
}

// BenchmarkFactor times each token-level factor alone over 3,650 days
// (ns/bar), as the build runs it, to find the expensive ones. A factor
// alone also pays for the shared states it reads.
func BenchmarkFactor(b *testing.B) {
	s := synthSeries(1, 3650, false)
	for _, f := range feature.ByLevel(feature.LevelToken) {
		b.Run(f.Name, func(b *testing.B) {
			dst := make([]float32, 3650)
			cpu0 := fixture.CPUNanos()
			for b.Loop() {
				// The block form in blocks of 128 days, as the build runs it.
				blk := f.Block(feature.NewTokenInput(s))
				for i0 := 0; i0 < len(dst); i0 += 128 {
					i1 := min(i0+128, len(dst))
					blk(i0, i1, dst[i0:i1])
				}
			}
			b.ReportMetric(float64(fixture.CPUNanos()-cpu0)/float64(b.N)/3650, "cpu-ns/bar")
		})
	}
}

// BenchmarkBuildOne builds every token-level factor for one token over
// 3,650 days on one goroutine (cpu-ns/value is the per-core cost).
func BenchmarkBuildOne(b *testing.B) {
	fs := feature.ByLevel(feature.LevelToken)
	s := fixture.Panel(1, 3650)[0]
	values := float64(3650 * len(fs))
	cpu0 := fixture.CPUNanos()
	for b.Loop() {
		if _, err := feature.Build(s, fs); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(fixture.CPUNanos()-cpu0)/float64(b.N)/values, "cpu-ns/value")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/values, "ns/value")
}
