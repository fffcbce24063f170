package bench

import (
	"math"
	"math/rand/v2"
)

// The plain-loop references: the straightforward single pass of each
// indicator, without NaN handling or warm-up bookkeeping, writing into
// caller slices. They are what "ours / plain" compares with: the cost of
// the feature package's missing-value rules and conventions.

// ohlcv is a seeded random walk with opens, highs, lows, closes and
// volumes.
type ohlcv struct{ o, h, l, c, v []float64 }

// randomWalk returns n days of a geometric random walk (3% daily vol)
// seeded by seed.
func randomWalk(seed uint64, n int) ohlcv {
	r := rand.New(rand.NewPCG(seed, 0xbe7c4))
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

func plainSMA(dst, src []float64, n int) {
	var sum float64
	for i, x := range src {
		sum += x
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
	for i, x := range src {
		switch {
		case i < n-1:
			v += x
		case i == n-1:
			v = (v + x) / float64(n)
		default:
			v += (x - v) * k
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
	const kf, ks, kg = 2 / 13.0, 2 / 27.0, 2 / 10.0
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

func plainBollinger(up, mid, lo, src []float64, n int) {
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

func trueRange(h, l, pc float64) float64 {
	return math.Max(h-l, math.Max(math.Abs(h-pc), math.Abs(l-pc)))
}

func plainATR(dst, h, l, c []float64, n int) {
	var a float64
	fn := float64(n)
	for i := 1; i < len(c); i++ {
		tr := trueRange(h[i], l[i], c[i-1])
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
		p = p - p/fn + dp
		m = m - m/fn + dm
		tr = tr - tr/fn + trueRange(h[i], l[i], c[i-1])
		a, b := 100*p/tr, 100*m/tr
		ax = (ax*(fn-1) + 100*math.Abs(a-b)/(a+b)) / fn
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

// deque is a ring of indices for a monotonic rolling extreme over n days;
// its buffer needs n+1 slots.
type deque struct {
	q          []int
	head, tail int
}

func (d *deque) reset(q []int) { d.q, d.head, d.tail = q, 0, 0 }

// push adds day i of src and returns the index of the extreme (maximum if
// max, else minimum) of the n days ending at i.
func (d *deque) push(src []float64, i, n int, max bool) int {
	c := len(d.q)
	x := src[i]
	for d.tail != d.head {
		b := d.tail - 1
		if b < 0 {
			b += c
		}
		if max && src[d.q[b]] > x || !max && src[d.q[b]] < x {
			break
		}
		d.tail = b
	}
	d.q[d.tail] = i
	if d.tail++; d.tail == c {
		d.tail = 0
	}
	if d.q[d.head] <= i-n {
		if d.head++; d.head == c {
			d.head = 0
		}
	}
	return d.q[d.head]
}

// plainMax is a monotonic-deque rolling maximum; q needs n+1 slots.
func plainMax(dst, src []float64, n int, q []int) {
	var d deque
	d.reset(q)
	for i := range src {
		dst[i] = src[d.push(src, i, n, true)]
	}
}

// plainWillR is Williams %R over n days; qh and ql need n+1 slots each.
func plainWillR(dst, h, l, c []float64, n int, qh, ql []int) {
	var dh, dl deque
	dh.reset(qh)
	dl.reset(ql)
	for i := range c {
		hi, lo := h[dh.push(h, i, n, true)], l[dl.push(l, i, n, false)]
		dst[i] = -100 * (hi - c[i]) / (hi - lo)
	}
}

// plainStoch is the slow stochastic: %K over fastK days smoothed by an
// slowK-day SMA, %D its slowD-day SMA; tmp is scratch of len(c).
func plainStoch(k, d, tmp, h, l, c []float64, fastK, slowK, slowD int, qh, ql []int) {
	plainWillR(tmp, h, l, c, fastK, qh, ql)
	for i := range tmp {
		tmp[i] += 100
	}
	plainSMA(k, tmp, slowK)
	plainSMA(d, k, slowD)
}

// plainFused computes RSI(14), EMA(20), MACD(12,26,9), SMA(200) and
// Bollinger(20, 2) in one pass over c into out[0..7].
func plainFused(out [][]float64, c []float64) {
	var g, l, e20, f, s, sg, s200, s20, q20 float64
	const k20, kf, ks, kg = 2 / 21.0, 2 / 13.0, 2 / 27.0, 2 / 10.0
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
