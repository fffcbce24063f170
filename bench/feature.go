package bench

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"runtime/metrics"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/regime-engine/regime/bench/fixture"
	"github.com/regime-engine/regime/feature"
)

// kernelTimes measures the three implementations of k in o.Rounds
// interleaved rounds and returns the fastest ns/op and CPU ns/op of each
// and the allocs per op.
func (r *runner) kernelTimes(k fixture.Kernel) (ns, cpu, allocs [3]float64) {
	for i := range ns {
		ns[i], cpu[i] = math.Inf(1), math.Inf(1)
	}
	for round := 0; round < r.o.Rounds; round++ {
		for i, im := range k.Impls {
			// Start each from a collected heap, so a collection that
			// go-talib's allocations started is not charged to the
			// implementation timed after it (talib's own collections
			// still fall within its timing).
			runtime.GC()
			res := measure(r.o.BenchTime, func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					im.Run()
				}
			})
			ns[i] = min(ns[i], nsPerOp(res))
			cpu[i] = min(cpu[i], res.cpu)
			allocs[i] = allocsPerOp(res)
		}
	}
	return ns, cpu, allocs
}

func (r *runner) feature() error {
	const sec = "feature"
	// The build and the append run before the kernels, on a process that
	// has not yet churned through the kernel rounds (each after a forced
	// collection amid go-talib's garbage): measured on the 2-core VM, the
	// same 5,000-token build took 34 s after those rounds and 19 s without
	// them, and a fresh process is what a user's build gets. The table
	// still lists the kernels first.
	start := len(r.rep.Rows)
	if err := r.build(); err != nil {
		return err
	}
	if err := r.appendDay(); err != nil {
		return err
	}
	mid := len(r.rep.Rows)
	bars := float64(r.o.Bars)
	for _, k := range fixture.Kernels(r.o.Bars) {
		if err := r.ctx.Err(); err != nil {
			return err
		}
		ns, cpu, allocs := r.kernelTimes(k)
		ours := ns[0] / bars
		row := newRow(sec, k.Name+" ours vs plain", ours, "ns/bar").vs("plain", ns[1]/bars, "value/ref").want("ratio", "<=", 1.5)
		row.Allocs = allocs[0] / bars
		row.CPU = cpu[0] / bars
		row.Note = fmt.Sprintf("%d random walks of %d bars in turn", fixture.Walks, r.o.Bars)
		r.add(row)
		row = newRow(sec, k.Name+" talib vs ours", ours, "ns/bar").vs("talib", ns[2]/bars, "ref/value").want("ratio", ">=", 2)
		row.Note = fmt.Sprintf("talib %.2g allocs/bar", allocs[2]/bars)
		r.add(row)
	}
	rows := r.rep.Rows
	ordered := append(append(append([]Row{}, rows[:start]...), rows[mid:]...), rows[start:mid]...)
	r.rep.Rows = ordered
	return nil
}

// build times the full parallel factor build and its peak memory.
func (r *runner) build() error {
	const sec = "feature"
	fs := feature.ByLevel(feature.LevelToken)
	tokens, days := r.o.Tokens, r.o.Days
	ss := fixture.Panel(tokens, days)
	values := float64(tokens) * float64(days) * float64(len(fs))
	matrixBytes := values * 4 // float32 matrices
	var peak float64
	var buildErr error
	var kept []*feature.Matrix // the last build's matrices, alive while the floor is measured
	res := measureOnce(func(b *testing.B) {
		for b.Loop() {
			b.StopTimer()
			runtime.GC()
			mem := startPeak()
			b.StartTimer()
			mats, err := feature.BuildPanel(ss, fs, 0)
			b.StopTimer()
			if p := mem.stop(); p > peak {
				peak = p
			}
			if err != nil {
				buildErr = err
			} else if len(mats) != tokens {
				buildErr = fmt.Errorf("factor build returned %d matrices for %d tokens", len(mats), tokens)
			}
			kept, mats = mats, nil
			b.StartTimer()
		}
	})
	if buildErr != nil {
		return buildErr
	}
	// The floor under any build of this matrix: allocating it and writing
	// one value per 4 KB page, with no factor work. It runs while the
	// build's matrices are still alive, so it gets fresh memory as the
	// build did instead of reusing the build's pages.
	floor, slab := touchFloor(feature.PanelLen(ss, fs))
	runtime.KeepAlive(kept)
	kept = nil
	// The same build into the floor's slab, whose pages are now mapped:
	// the factor work alone, as a process rebuilding its panel in place
	// (feature.BuildPanelInto) pays it.
	runtime.GC()
	warm := measureOnce(func(b *testing.B) {
		for b.Loop() {
			if _, err := feature.BuildPanelInto(slab, ss, fs, 0); err != nil {
				buildErr = err
			}
		}
	})
	slab = nil
	if buildErr != nil {
		return buildErr
	}
	wall := nsPerOp(res)
	scale := fmt.Sprintf("%dx%dx%d", tokens, days, len(fs))
	row := newRow(sec, "build "+scale+" tokens x days x factors", wall/values, "ns/value")
	row.CPU = res.cpu / values
	row.Note = fmt.Sprintf("%.2f s wall on GOMAXPROCS %d (CPU sums over cores)", wall/1e9, runtime.GOMAXPROCS(0))
	r.add(row)
	row = newRow(sec, "build "+scale+" wall time", wall/1e9, "s").vs("touch", floor/1e9, "value/ref")
	if tokens == fullTokens && days == fullDays {
		row = row.want("value", "<=", 12)
	}
	row.Note = fmt.Sprintf("reference: allocating the %.0f MB matrix and writing one value per 4 KB page on %d goroutines, no factor work (first-touch page faults)", matrixBytes/1e6, runtime.GOMAXPROCS(0))
	r.add(row)
	row = newRow(sec, "build "+scale+" into touched memory", nsPerOp(warm)/1e9, "s").vs("cold", wall/1e9, "value/ref")
	row.CPU = warm.cpu / 1e9
	row.Note = "the same build written into the reference's slab, already touched (feature.BuildPanelInto, a process rebuilding in place): factor work without first-touch page faults; the target is on the cold build above"
	r.add(row)
	row = newRow(sec, "build "+scale+" peak memory / matrix", peak/matrixBytes, "x").want("value", "<=", 1.25)
	row.Note = fmt.Sprintf("peak %.0f MB over a %.0f MB float32 matrix", peak/1e6, matrixBytes/1e6)
	r.add(row)
	full := float64(fullTokens) * fullDays
	if float64(tokens)*float64(days) != full {
		row = newRow(sec, fmt.Sprintf("build %dx%d time", fullTokens, fullDays), wall/1e9*full/(float64(tokens)*float64(days)), "s")
		row.Projection = true
		row.Note = fmt.Sprintf("linear in tokens x days from %dx%d; run --tokens %d --days %d (about 17 GB: inputs, matrix and the first-touch reference) to measure", tokens, days, fullTokens, fullDays)
		r.add(row)
	}
	return nil
}

// touchFloor allocates n float32 values as the factor build does
// (feature.NewSlab) and writes one value per 4 KB page from GOMAXPROCS
// goroutines, each on its own contiguous part, and returns the wall
// nanoseconds taken and the slab.
func touchFloor(n int) (float64, []float32) {
	t0 := time.Now()
	slab := feature.NewSlab(n)
	workers := runtime.GOMAXPROCS(0)
	part := (n + workers - 1) / workers
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		lo, hi := min(w*part, n), min((w+1)*part, n)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := lo; i < hi; i += 1024 {
				slab[i] = 1
			}
		}()
	}
	wg.Wait()
	return float64(time.Since(t0).Nanoseconds()), slab
}

// peakSampler samples the Go runtime's memory footprint until stopped.
type peakSampler struct {
	base float64
	max  atomic.Uint64
	done chan struct{}
	wg   sync.WaitGroup
}

var footprintMetrics = []string{"/memory/classes/total:bytes", "/memory/classes/heap/released:bytes"}

// footprint is the memory the Go runtime has mapped and not released to
// the OS.
func footprint(s []metrics.Sample) float64 {
	metrics.Read(s)
	return float64(s[0].Value.Uint64()) - float64(s[1].Value.Uint64())
}

func startPeak() *peakSampler {
	s := make([]metrics.Sample, len(footprintMetrics))
	for i, n := range footprintMetrics {
		s[i].Name = n
	}
	p := &peakSampler{base: footprint(s), done: make(chan struct{})}
	p.max.Store(uint64(p.base))
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		t := time.NewTicker(2 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-p.done:
				return
			case <-t.C:
				if v := uint64(footprint(s)); v > p.max.Load() {
					p.max.Store(v)
				}
			}
		}
	}()
	return p
}

// stop ends sampling and returns the peak footprint over the one at start.
func (p *peakSampler) stop() float64 {
	close(p.done)
	p.wg.Wait()
	s := make([]metrics.Sample, len(footprintMetrics))
	for i, n := range footprintMetrics {
		s[i].Name = n
	}
	if v := uint64(footprint(s)); v > p.max.Load() {
		p.max.Store(v)
	}
	return float64(p.max.Load()) - p.base
}

// appendDay times appending one day to every token of a panel.
func (r *runner) appendDay() error {
	const sec = "feature"
	tokens, history := r.o.AppendTokens, r.o.AppendHistory
	fs := feature.ByLevel(feature.LevelToken)
	hist := fixture.Panel(tokens, history)
	p, _, err := feature.NewPanel(hist, fs, 0)
	if err != nil {
		return err
	}
	rows := make([][]float32, tokens)
	for k := range rows {
		rows[k] = make([]float32, len(fs))
	}
	// Each token continues its random walk from its last close, seeded.
	rng := rand.New(rand.NewPCG(7, 7))
	last := make([]float64, tokens)
	for k, s := range hist {
		last[k] = s.Close[history-1]
	}
	// On-chain metrics continue too, in a map per token reused (updated
	// in sorted metric order, so the run is reproducible).
	var ids []string
	for id := range hist[0].OnChain {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	chain := make([]map[string]float64, tokens)
	for k, s := range hist {
		chain[k] = make(map[string]float64, len(ids))
		for _, id := range ids {
			chain[k][id] = s.OnChain[id][history-1]
		}
	}
	date := hist[0].Dates[history-1]
	days := make([]feature.Day, tokens)
	next := func() {
		date = date.AddDays(1)
		for k := range days {
			o := last[k]
			c := o * math.Exp(0.03*rng.NormFloat64())
			for _, id := range ids {
				chain[k][id] *= math.Exp(0.01 * rng.NormFloat64())
			}
			days[k] = feature.Day{Date: date, Open: o, High: math.Max(o, c) * 1.005, Low: math.Min(o, c) * 0.995, Close: c, Volume: 1e6, MarketCap: c * 1e7, OnChain: chain[k]}
			last[k] = c
		}
	}
	// Warm up: the first appends move each token's inputs to growable
	// storage (a one-off copy of the history).
	for range 3 {
		next()
		if err := p.Append(days, rows); err != nil {
			return err
		}
	}
	// Time a fixed number of appends after a GC, so a collection of the
	// history build's garbage is not charged to one append.
	n := 20
	if r.o.Quick {
		n = 10
	}
	runtime.GC()
	var appendErr error
	res := measureN(n, func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			b.StopTimer()
			next()
			b.StartTimer()
			if err := p.Append(days, rows); err != nil && appendErr == nil {
				appendErr = err
			}
		}
	})
	if appendErr != nil {
		return appendErr
	}
	ms := nsPerOp(res) / 1e6
	row := newRow(sec, fmt.Sprintf("append 1 day x %d tokens", tokens), ms, "ms")
	row.Allocs = allocsPerOp(res) / float64(tokens)
	row.CPU = res.cpu / 1e6
	row.Note = fmt.Sprintf("%d factors, %d days of history, mean of %d appends; allocs per token", len(fs), history, n)
	if tokens == fullAppendTokens {
		row = row.want("value", "<=", 50)
		r.add(row)
		return nil
	}
	r.add(row)
	row = newRow(sec, fmt.Sprintf("append 1 day x %d tokens", fullAppendTokens), ms*fullAppendTokens/float64(tokens), "ms").want("value", "<=", 50)
	row.CPU = res.cpu / 1e6 * fullAppendTokens / float64(tokens)
	row.Projection = true
	row.Note = fmt.Sprintf("linear in tokens from %d", tokens)
	r.add(row)
	return nil
}
