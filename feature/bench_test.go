package feature_test

// Benchmarks. Run:
//
//	go test -bench . -benchmem -run '^$' ./feature/
//
// BenchmarkKernels/<kernel>/{feature,plain,talib}: each batch kernel next
// to a plain-loop reference (no NaN handling, written here) and go-talib
// on the same 10,000-bar random walk; ns/bar is reported.
// BenchmarkCombo: RSI(14)+EMA(20)+MACD(12,26,9)+SMA(200)+Bollinger(20)
// together: our kernels, one fused plain loop, go-talib.
// BenchmarkBuild/<tokens>x<days>: the full parallel factor build (every
// token-level factor) on synthetic random walks; ns/value and the peak
// extra memory over the matrix size are reported.
// BenchmarkAppend: appending one day to 5,000 token streams.

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"sync"
	"syscall"
	"testing"
	"time"

	talib "github.com/markcheno/go-talib"

	"github.com/regime-engine/regime"
	"github.com/regime-engine/regime/feature"
)

const benchBars = 10000

type ohlcv struct{ o, h, l, c, v []float64 }

func randomWalk(seed uint64, n int) ohlcv {
	r := rand.New(rand.NewPCG(seed, 1))
	d := ohlcv{make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n)}
	px := 100.0
	for i := 0; i < n; i++ {
		d.o[i] = px
		px *= math.Exp(0.03 * r.NormFloat64())
		d.c[i] = px
		d.h[i] = math.Max(d.o[i], px) * (1 + 0.01*r.Float64())
		d.l[i] = math.Min(d.o[i], px) * (1 - 0.01*r.Float64())
		d.v[i] = 1e6 * (1 + r.Float64())
	}
	return d
}

// Plain-loop references: the straightforward loop without NaN handling.

func plainSMA(dst, src []float64, n int) {
	var sum float64
	for i := range src {
		sum += src[i]
		if i >= n {
			sum -= src[i-n]
		}
		if i >= n-1 {
			dst[i] = sum / float64(n)
		}
	}
}

func plainEMA(dst, src []float64, n int) {
	k := 2 / float64(n+1)
	var v float64
	for i := range src {
		switch {
		case i < n-1:
			v += src[i]
		case i == n-1:
			v = (v + src[i]) / float64(n)
		default:
			v += (src[i] - v) * k
		}
		dst[i] = v
	}
}

func plainRSI(dst, src []float64, n int) {
	var g, l float64
	fn := float64(n)
	for i := 1; i < len(src); i++ {
		d := src[i] - src[i-1]
		up, dn := math.Max(d, 0), math.Max(-d, 0)
		if i <= n {
			g += up
			l += dn
			if i == n {
				g /= fn
				l /= fn
				dst[i] = 100 * g / (g + l)
			}
			continue
		}
		g = (g*(fn-1) + up) / fn
		l = (l*(fn-1) + dn) / fn
		dst[i] = 100 * g / (g + l)
	}
}

func plainMACD(line, sig, hist, src []float64) {
	var f, s, g float64
	kf, ks, kg := 2/13.0, 2/27.0, 2/10.0
	for i, x := range src {
		if i == 0 {
			f, s = x, x
		}
		f += (x - f) * kf
		s += (x - s) * ks
		l := f - s
		if i == 0 {
			g = l
		}
		g += (l - g) * kg
		line[i], sig[i], hist[i] = l, g, l-g
	}
}

func plainBB(up, mid, lo, src []float64, n int) {
	var sum, sq float64
	fn := float64(n)
	for i, x := range src {
		sum += x
		sq += x * x
		if i >= n {
			o := src[i-n]
			sum -= o
			sq -= o * o
		}
		if i >= n-1 {
			m := sum / fn
			d := 2 * math.Sqrt(math.Max(sq/fn-m*m, 0))
			up[i], mid[i], lo[i] = m+d, m, m-d
		}
	}
}

func plainStd(dst, src []float64, n int) {
	var sum, sq float64
	fn := float64(n)
	for i, x := range src {
		sum += x
		sq += x * x
		if i >= n {
			o := src[i-n]
			sum -= o
			sq -= o * o
		}
		if i >= n-1 {
			m := sum / fn
			dst[i] = math.Sqrt(math.Max(sq/fn-m*m, 0))
		}
	}
}

func plainATR(dst, h, l, c []float64, n int) {
	var a float64
	fn := float64(n)
	for i := 1; i < len(c); i++ {
		tr := math.Max(h[i]-l[i], math.Max(math.Abs(h[i]-c[i-1]), math.Abs(l[i]-c[i-1])))
		if i <= n {
			a += tr
			if i == n {
				a /= fn
				dst[i] = a
			}
			continue
		}
		a = (a*(fn-1) + tr) / fn
		dst[i] = a
	}
}

func plainADX(adx, pdi, mdi, h, l, c []float64, n int) {
	var p, m, tr, ax float64
	fn := float64(n)
	for i := 1; i < len(c); i++ {
		up, dn := h[i]-h[i-1], l[i-1]-l[i]
		var dp, dm float64
		if up > dn && up > 0 {
			dp = up
		} else if dn > up && dn > 0 {
			dm = dn
		}
		t := math.Max(h[i]-l[i], math.Max(math.Abs(h[i]-c[i-1]), math.Abs(l[i]-c[i-1])))
		p = p - p/fn + dp
		m = m - m/fn + dm
		tr = tr - tr/fn + t
		a, b := 100*p/tr, 100*m/tr
		dx := 100 * math.Abs(a-b) / (a + b)
		ax = (ax*(fn-1) + dx) / fn
		adx[i], pdi[i], mdi[i] = ax, a, b
	}
}

func plainROC(dst, src []float64, n int) {
	for i := n; i < len(src); i++ {
		dst[i] = 100 * (src[i]/src[i-n] - 1)
	}
}

func plainOBV(dst, c, v []float64) {
	o := v[0]
	dst[0] = o
	for i := 1; i < len(c); i++ {
		if c[i] > c[i-1] {
			o += v[i]
		} else if c[i] < c[i-1] {
			o -= v[i]
		}
		dst[i] = o
	}
}

// plainMax is a monotonic-deque rolling max without NaN handling.
func plainMax(dst, src []float64, n int, q []int) {
	head, tail := 0, 0 // q used as a ring of len n+1
	c := len(q)
	for i, x := range src {
		for tail != head {
			b := tail - 1
			if b < 0 {
				b += c
			}
			if src[q[b]] > x {
				break
			}
			tail = b
		}
		q[tail] = i
		if tail++; tail == c {
			tail = 0
		}
		if q[head] <= i-n {
			if head++; head == c {
				head = 0
			}
		}
		dst[i] = src[q[head]]
	}
}

func plainWillR(dst, h, l, c []float64, n int, qh, ql []int) {
	a := dst
	plainMax(a, h, n, qh)
	// lowest low via max of negated lows would allocate; do a second deque inline.
	head, tail := 0, 0
	cp := len(ql)
	for i := range c {
		x := l[i]
		for tail != head {
			b := tail - 1
			if b < 0 {
				b += cp
			}
			if l[ql[b]] < x {
				break
			}
			tail = b
		}
		ql[tail] = i
		if tail++; tail == cp {
			tail = 0
		}
		if ql[head] <= i-n {
			if head++; head == cp {
				head = 0
			}
		}
		lo := l[ql[head]]
		dst[i] = -100 * (a[i] - c[i]) / (a[i] - lo)
	}
}

func ratio(b *testing.B, n int) {
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/bar")
}

type impl struct {
	name string
	run  func()
}

type kernelBench struct {
	name  string
	impls []impl // feature, plain, talib
}

func kernelBenches() []kernelBench {
	d := randomWalk(1, benchBars)
	n := benchBars
	x, y, z := make([]float64, n), make([]float64, n), make([]float64, n)
	buf := make([]int, 2*(200+2))
	fbuf := make([]float64, 2*200)
	return []kernelBench{
		{"SMA200", []impl{
			{"feature", func() { feature.SMA(x, d.c, 200) }},
			{"plain", func() { plainSMA(x, d.c, 200) }},
			{"talib", func() { talib.Sma(d.c, 200) }}}},
		{"EMA20", []impl{
			{"feature", func() { feature.EMA(x, d.c, 20) }},
			{"plain", func() { plainEMA(x, d.c, 20) }},
			{"talib", func() { talib.Ema(d.c, 20) }}}},
		{"RSI14", []impl{
			{"feature", func() { feature.RSI(x, d.c, 14) }},
			{"plain", func() { plainRSI(x, d.c, 14) }},
			{"talib", func() { talib.Rsi(d.c, 14) }}}},
		{"MACD", []impl{
			{"feature", func() { feature.MACD(x, y, z, d.c, 12, 26, 9) }},
			{"plain", func() { plainMACD(x, y, z, d.c) }},
			{"talib", func() { talib.Macd(d.c, 12, 26, 9) }}}},
		{"Bollinger20", []impl{
			{"feature", func() { feature.Bollinger(x, y, z, d.c, 20, 2) }},
			{"plain", func() { plainBB(x, y, z, d.c, 20) }},
			{"talib", func() { talib.BBands(d.c, 20, 2, 2, talib.SMA) }}}},
		{"StdDev30", []impl{
			{"feature", func() { feature.RollingStd(x, d.c, 30, 0) }},
			{"plain", func() { plainStd(x, d.c, 30) }},
			{"talib", func() { talib.StdDev(d.c, 30, 1) }}}},
		{"ATR14", []impl{
			{"feature", func() { feature.ATR(x, d.h, d.l, d.c, 14) }},
			{"plain", func() { plainATR(x, d.h, d.l, d.c, 14) }},
			{"talib", func() { talib.Atr(d.h, d.l, d.c, 14) }}}},
		{"ADX14", []impl{
			{"feature", func() { feature.ADX(x, y, z, d.h, d.l, d.c, 14) }},
			{"plain", func() { plainADX(x, y, z, d.h, d.l, d.c, 14) }},
			{"talib", func() {
				talib.Adx(d.h, d.l, d.c, 14)
				talib.PlusDI(d.h, d.l, d.c, 14)
				talib.MinusDI(d.h, d.l, d.c, 14)
			}}}},
		{"WilliamsR14", []impl{
			{"feature", func() { feature.WilliamsR(x, d.h, d.l, d.c, 14, fbuf) }},
			{"plain", func() { plainWillR(x, d.h, d.l, d.c, 14, buf[:16], buf[16:32]) }},
			{"talib", func() { talib.WillR(d.h, d.l, d.c, 14) }}}},
		{"Stoch14_3_3", []impl{
			{"feature", func() { feature.Stoch(x, y, d.h, d.l, d.c, 14, 3, 3, fbuf) }},
			{"plain", func() {
				plainWillR(z, d.h, d.l, d.c, 14, buf[:16], buf[16:32])
				for i := range z {
					z[i] += 100
				}
				plainSMA(x, z, 3)
				plainSMA(y, x, 3)
			}},
			{"talib", func() { talib.Stoch(d.h, d.l, d.c, 14, 3, talib.SMA, 3, talib.SMA) }}}},
		{"ROC10", []impl{
			{"feature", func() { feature.ROC(x, d.c, 10) }},
			{"plain", func() { plainROC(x, d.c, 10) }},
			{"talib", func() { talib.Roc(d.c, 10) }}}},
		{"OBV", []impl{
			{"feature", func() { feature.OBV(x, d.c, d.v) }},
			{"plain", func() { plainOBV(x, d.c, d.v) }},
			{"talib", func() { talib.Obv(d.c, d.v) }}}},
		{"Max55", []impl{
			{"feature", func() { feature.RollingMax(x, d.h, 55, fbuf) }},
			{"plain", func() { plainMax(x, d.h, 55, buf[:57]) }},
			{"talib", func() { talib.Max(d.h, 55) }}}},
	}
}

func BenchmarkKernels(b *testing.B) {
	n := benchBars
	for _, k := range kernelBenches() {
		for _, im := range k.impls {
			b.Run(k.name+"/"+im.name, func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					im.run()
				}
				ratio(b, n)
			})
		}
	}
}

// BenchmarkKernelRatios times feature, plain and talib interleaved in
// many short rounds and reports the fastest round of each, so the ratios
// hold up on a busy machine: x_plain = feature/plain (target <= 1.5),
// talib_x = talib/feature (target >= 2).
func BenchmarkKernelRatios(b *testing.B) {
	for _, k := range kernelBenches() {
		b.Run(k.name, func(b *testing.B) {
			best := []time.Duration{math.MaxInt64, math.MaxInt64, math.MaxInt64}
			for b.Loop() {
				for r := 0; r < 5; r++ {
					for j, im := range k.impls {
						t0 := time.Now()
						im.run()
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

// BenchmarkCombo computes RSI(14)+EMA(20)+MACD(12,26,9)+SMA(200)+
// Bollinger(20) together.
func BenchmarkCombo(b *testing.B) {
	d := randomWalk(2, benchBars)
	n := benchBars
	out := make([][]float64, 8)
	for i := range out {
		out[i] = make([]float64, n)
	}
	b.Run("feature", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			feature.RSI(out[0], d.c, 14)
			feature.EMA(out[1], d.c, 20)
			feature.MACD(out[2], out[3], out[4], d.c, 12, 26, 9)
			feature.SMA(out[5], d.c, 200)
			feature.Bollinger(out[6], out[7], out[5], d.c, 20, 2)
		}
		ratio(b, n)
	})
	b.Run("plain_fused", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			plainFused(out, d.c)
		}
		ratio(b, n)
	})
	b.Run("talib", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			talib.Rsi(d.c, 14)
			talib.Ema(d.c, 20)
			talib.Macd(d.c, 12, 26, 9)
			talib.Sma(d.c, 200)
			talib.BBands(d.c, 20, 2, 2, talib.SMA)
		}
		ratio(b, n)
	})
}

// plainFused is the single-pass plain loop computing all five at once.
func plainFused(out [][]float64, c []float64) {
	var g, l, e20, f, s, sg, s200, s20, q20 float64
	k20, kf, ks, kg := 2/21.0, 2/13.0, 2/27.0, 2/10.0
	for i, x := range c {
		if i > 0 {
			d := x - c[i-1]
			g = (g*13 + math.Max(d, 0)) / 14
			l = (l*13 + math.Max(-d, 0)) / 14
			out[0][i] = 100 * g / (g + l)
		}
		e20 += (x - e20) * k20
		out[1][i] = e20
		f += (x - f) * kf
		s += (x - s) * ks
		line := f - s
		sg += (line - sg) * kg
		out[2][i], out[3][i], out[4][i] = line, sg, line-sg
		s200 += x
		s20 += x
		q20 += x * x
		if i >= 200 {
			s200 -= c[i-200]
		}
		if i >= 20 {
			o := c[i-20]
			s20 -= o
			q20 -= o * o
		}
		out[5][i] = s200 / 200
		m := s20 / 20
		sd := 2 * math.Sqrt(math.Max(q20/20-m*m, 0))
		out[6][i], out[7][i] = m+sd, m-sd
	}
}

// synthPanel makes tokens random-walk series with OHLCV and market cap
// (no on-chain data, as for most tokens).
func synthPanel(tokens, days int) []*feature.Series {
	ss := make([]*feature.Series, tokens)
	dates := make([]regime.Date, days)
	for i := range dates {
		dates[i] = day0 + regime.Date(i)
	}
	for k := range ss {
		d := randomWalk(uint64(k+100), days)
		mc := make([]float64, days)
		for i := range mc {
			mc[i] = d.c[i] * 1e7
		}
		ss[k] = &feature.Series{Dates: dates, Open: d.o, High: d.h, Low: d.l, Close: d.c, Volume: d.v, MarketCap: mc}
	}
	return ss
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
			cpu0 := cpuTime()
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
			b.ReportMetric(float64((cpuTime()-cpu0).Nanoseconds())/float64(b.N)/values, "cpu-ns/value")
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
			ss := synthPanel(size.tokens, size.days)
			values := float64(size.tokens * size.days * len(fs))
			matrixBytes := values * 4
			runtime.GC()
			var m0 runtime.MemStats
			runtime.ReadMemStats(&m0)
			cpu0 := cpuTime()
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
			b.ReportMetric(float64((cpuTime()-cpu0).Nanoseconds())/float64(b.N)/values, "cpu-ns/value")
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/values, "ns/value")
			b.ReportMetric(float64(b.Elapsed().Seconds())/float64(b.N), "s/build")
			b.ReportMetric(float64(m1.Sys-m0.Sys+m0.HeapInuse)/matrixBytes, "peakmem/matrix")
			b.ReportMetric(float64(len(fs)), "factors")
		})
	}
}

// cpuTime is the process's user+system CPU time (it includes GC and the
// timer-stopped parts of a benchmark; on a busy machine it is a steadier
// measure of the work than wall time).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func BenchmarkAppend(b *testing.B) {
	const tokens, history = 5000, 400
	fs := feature.ByLevel(feature.LevelToken)
	full := synthPanel(tokens, history+2000)
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
	i := history
	next := func() {
		for k, s := range full {
			days[k] = feature.Day{Date: s.Dates[i], Open: s.Open[i], High: s.High[i], Low: s.Low[i], Close: s.Close[i], Volume: s.Volume[i], MarketCap: s.MarketCap[i]}
		}
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
		for k, s := range full {
			days[k] = feature.Day{Date: s.Dates[i], Open: s.Open[i], High: s.High[i], Low: s.Low[i], Close: s.Close[i], Volume: s.Volume[i], MarketCap: s.MarketCap[i]}
		}
		if err := p.Append(days, rows); err != nil {
			b.Fatal(err)
		}
		i++
	}
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/day")
}

// BenchmarkFactor times each token-level factor alone over 3,650 days
// (ns/bar), to find the expensive ones.
func BenchmarkFactor(b *testing.B) {
	s := synthSeries(1, 3650, false)
	for _, f := range feature.ByLevel(feature.LevelToken) {
		b.Run(f.Name, func(b *testing.B) {
			cpu0 := cpuTime()
			for b.Loop() {
				step := f.New(feature.NewTokenInput(s))
				for i := 0; i < 3650; i++ {
					step(i)
				}
			}
			b.ReportMetric(float64((cpuTime()-cpu0).Nanoseconds())/float64(b.N)/3650, "cpu-ns/bar")
		})
	}
}

// BenchmarkBuildOne builds every token-level factor for one token over
// 3,650 days on one goroutine (cpu-ns/value is the per-core cost).
func BenchmarkBuildOne(b *testing.B) {
	fs := feature.ByLevel(feature.LevelToken)
	s := synthPanel(1, 3650)[0]
	values := float64(3650 * len(fs))
	cpu0 := cpuTime()
	for b.Loop() {
		if _, err := feature.Build(s, fs); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64((cpuTime()-cpu0).Nanoseconds())/float64(b.N)/values, "cpu-ns/value")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/values, "ns/value")
}
