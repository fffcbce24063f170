package feature

import "math"

// Streaming building blocks of the factors. Each is fed one value per day
// in order; none looks at anything but what it was fed. They follow the
// package's NaN policy: fin reports a usable value.

var nan = math.NaN()

// fin reports whether x is finite (neither NaN nor ±Inf).
func fin(x float64) bool { return x-x == 0 }

// div returns a/b, or NaN when the result is not finite (b == 0, unknown inputs).
func div(a, b float64) float64 {
	r := a / b
	if fin(r) {
		return r
	}
	return nan
}

// win is a rolling window of the last n pushed values with running sum and
// sum of squares. It is "ok" once it holds n values of which at most
// maxBad(n) are unknown; statistics then use the known values. Running
// sums are recomputed from the ring every 16n pushes, so rounding drift
// cannot accumulate.
type win struct {
	buf     []float64
	n, pos  int
	cnt     int
	bad     int // unknown values in the window
	seen    int // known values pushed so far
	wraps   int // times pos went back to 0
	sum, sq float64
	mb      int        // maxBad(n)
	inv     [2]float64 // 1/n and 1/(n-1): a full window divides by multiplying
}

// maxBad is how many unknown values a window of n days tolerates: 10%,
// none for windows shorter than 10 days.
func maxBad(n int) int { return n / 10 }

func newWin(n int) *win {
	return &win{buf: make([]float64, n), n: n, mb: maxBad(n), inv: [2]float64{1 / float64(n), 1 / float64(n-1)}}
}

func (w *win) push(x float64) {
	pos := w.pos
	old := w.buf[pos]
	w.buf[pos] = x
	if d := x - old; w.cnt == w.n && d-d == 0 {
		// steady state, both known: one add per running sum
		w.sum += d
		w.sq += d * (x + old)
		w.seen++
	} else {
		w.slowPush(x, old)
	}
	if pos++; pos == w.n {
		pos = 0
		if w.wraps++; w.wraps&15 == 0 {
			w.resync()
		}
	}
	w.pos = pos
}

func (w *win) slowPush(x, old float64) {
	if w.cnt == w.n {
		if fin(old) {
			w.sum -= old
			w.sq -= old * old
		} else {
			w.bad--
		}
	} else {
		w.cnt++
	}
	if fin(x) {
		w.sum += x
		w.sq += x * x
		w.seen++
	} else {
		w.bad++
	}
}

// resync recomputes the running sums from the ring (every 16n pushes), so
// rounding drift cannot accumulate.
func (w *win) resync() {
	w.sum, w.sq = 0, 0
	for _, v := range w.buf {
		if fin(v) {
			w.sum += v
			w.sq += v * v
		}
	}
}

// ok reports whether the window is past its warm-up (n known values seen
// and n values pushed) and has at most maxBad(n) unknown values.
func (w *win) ok() bool { return w.seen >= w.n && w.cnt == w.n && w.bad <= w.mb }

func (w *win) mean() float64 {
	if !w.ok() {
		return nan
	}
	if w.bad == 0 {
		return w.sum * w.inv[0]
	}
	return w.sum / float64(w.n-w.bad)
}

// total is the window's sum, scaled up for unknown days.
func (w *win) total() float64 {
	if !w.ok() {
		return nan
	}
	if w.bad == 0 {
		return w.sum
	}
	return w.sum * float64(w.n) / float64(w.n-w.bad)
}

// std returns the standard deviation with ddof (0 or 1) degrees of
// freedom removed.
func (w *win) std(ddof int) float64 {
	k := w.n - w.bad
	if !w.ok() || k-ddof <= 0 {
		return nan
	}
	var v float64
	if w.bad == 0 {
		v = (w.sq - w.sum*w.sum*w.inv[0]) * w.inv[ddof]
	} else {
		n := float64(k)
		v = (w.sq - w.sum*w.sum/n) / (n - float64(ddof))
	}
	if v < 0 {
		v = 0
	}
	return math.Sqrt(v)
}

// ago returns the value pushed k pushes ago (0 = latest), NaN if unknown.
func (w *win) ago(k int) float64 {
	if k >= w.cnt {
		return nan
	}
	j := w.pos - 1 - k
	if j < 0 {
		j += w.n
	}
	return w.buf[j]
}

// lag remembers the last n values to answer "value k days ago".
type lag struct{ w *win }

func newLag(k int) lag          { return lag{newWin(k + 1)} }
func (l lag) push(x float64)    { l.w.push(x) }
func (l lag) ago(k int) float64 { return l.w.ago(k) }

// ema is TA-Lib's EMA: seeded with the mean of the first n known values,
// then v += (x-v)*2/(n+1). Unknown inputs are skipped.
type ema struct {
	n        int
	k, k1, v float64
	sum      float64
	cnt      int
}

func newEMA(n int) *ema { k := 2 / float64(n+1); return &ema{n: n, k: k, k1: 1 - k} }

func (e *ema) push(x float64) float64 {
	if !fin(x) {
		return nan
	}
	if e.cnt < e.n {
		e.sum += x
		e.cnt++
		if e.cnt < e.n {
			return nan
		}
		e.v = e.sum / float64(e.n)
		return e.v
	}
	e.v = e.v*e.k1 + x*e.k
	return e.v
}

// wilder is Wilder's smoothing: seeded with the mean of the first n known
// values, then v = v*(n-1)/n + x/n. Unknown inputs are skipped.
type wilder struct {
	n    int
	v    float64
	cnt  int
	a, b float64 // (n-1)/n and 1/n
}

func (w *wilder) push(x float64) float64 {
	if !fin(x) {
		return nan
	}
	if w.cnt < w.n {
		w.v += x
		w.cnt++
		if w.cnt < w.n {
			return nan
		}
		w.v /= float64(w.n)
		w.a, w.b = float64(w.n-1)/float64(w.n), 1/float64(w.n)
		return w.v
	}
	w.v = w.v*w.a + x*w.b
	return w.v
}

// mono is a rolling max (or min) over the last n pushes with a monotonic
// deque: O(1) amortised per push. Unknown values are left out; it is NaN
// while more than maxBad(n) of the window are unknown.
type mono struct {
	n          int
	max        bool
	ti         []int
	tv         []float64
	head, size int
	t          int
	known      []bool // validity ring of the window
	slot       int    // t mod n
	bad        int
	seen       int // known values pushed so far
}

func newMono(n int, max bool) *mono {
	return &mono{n: n, max: max, ti: make([]int, n+1), tv: make([]float64, n+1), known: make([]bool, n)}
}

func (m *mono) push(x float64) {
	c := len(m.ti)
	slot := m.slot
	if m.slot++; m.slot == m.n {
		m.slot = 0
	}
	if m.t >= m.n && !m.known[slot] {
		m.bad--
	}
	m.known[slot] = fin(x)
	if !fin(x) {
		m.bad++
	} else {
		m.seen++
		for m.size > 0 {
			b := m.head + m.size - 1
			if b >= c {
				b -= c
			}
			if (m.max && m.tv[b] <= x) || (!m.max && m.tv[b] >= x) {
				m.size--
				continue
			}
			break
		}
		b := m.head + m.size
		if b >= c {
			b -= c
		}
		m.ti[b], m.tv[b] = m.t, x
		m.size++
	}
	for m.size > 0 && m.ti[m.head] <= m.t-m.n {
		m.head++
		if m.head == c {
			m.head = 0
		}
		m.size--
	}
	m.t++
}

func (m *mono) ok() bool { return m.seen >= m.n && m.bad <= maxBad(m.n) && m.size > 0 }

// value returns the window's extreme.
func (m *mono) value() float64 {
	if !m.ok() {
		return nan
	}
	return m.tv[m.head]
}

// age returns how many pushes ago the extreme was pushed.
func (m *mono) age() float64 {
	if !m.ok() {
		return nan
	}
	return float64(m.t - 1 - m.ti[m.head])
}

// ext is a rolling max (or min) over the last n pushes, like mono but
// without the extreme's position: the van Herk/Gil-Werman blocks of
// rollingExt on order-preserving integer keys, so a push takes no branch
// that depends on the data (a monotonic deque's pops mispredict on real
// series). Unknown values are left out (their key, math.MinInt64, never
// wins); it is NaN while more than maxBad(n) of the window are unknown,
// exactly like mono, and gives the same values.
type ext struct {
	n, off, t int
	flip      int64   // 0 for the maximum, -1 (reversed keys) for the minimum
	p, cur    int64   // extreme of the block so far; of the window
	blk, suf  []int64 // the current block's keys; the previous block's suffix extremes
	bad, seen int
}

func newExt(n int, max bool) *ext {
	e := &ext{n: n, blk: make([]int64, n), suf: make([]int64, n)}
	if !max {
		e.flip = -1
	}
	for i := range e.suf {
		e.suf[i] = math.MinInt64
	}
	return e
}

func (e *ext) push(x float64) {
	k := int64(math.MinInt64)
	if fin(x) {
		k = okey(int64(math.Float64bits(x))) ^ e.flip
		e.seen++
	}
	off := e.off
	if e.t >= e.n && e.blk[off] == math.MinInt64 {
		e.bad--
	}
	if k == math.MinInt64 {
		e.bad++
	}
	e.blk[off] = k
	p := e.p
	if off == 0 {
		p = math.MinInt64
	}
	if k > p {
		p = k
	}
	e.p = p
	if off < e.n-1 {
		if s := e.suf[off+1]; s > p {
			p = s
		}
	}
	e.cur = p
	e.t++
	if off++; off == e.n {
		suffixKeys(e.suf, e.blk, 0) // the keys are flipped already
		off = 0
	}
	e.off = off
}

// value returns the window's extreme, NaN while the window is not ok.
func (e *ext) value() float64 {
	if e.seen < e.n || e.bad > maxBad(e.n) || e.cur == math.MinInt64 {
		return nan
	}
	return math.Float64frombits(uint64(okey(e.cur ^ e.flip)))
}

// dmState is the directional-movement state shared by ADX, +DI and -DI,
// following TA-Lib: sums over the first n-1 bars, then Wilder updates
// prev = prev*(n-1)/n + x; ADX is the mean of the first n DX values,
// then Wilder-smoothed.
type dmState struct {
	n            int
	started      bool
	ph, pl, pc   float64
	bars         int // bars with a previous bar
	pDM, mDM, tr float64
	dxSum, adx   float64
	dxCnt        int
	a, b         float64 // (n-1)/n and 1/n, set on first use
}

// push feeds one bar and returns (adx, +DI, -DI).
func (d *dmState) push(h, l, c float64) (float64, float64, float64) {
	if !fin(h) || !fin(l) || !fin(c) {
		return nan, nan, nan
	}
	if !d.started {
		d.started = true
		d.ph, d.pl, d.pc = h, l, c
		return nan, nan, nan
	}
	up, dn := h-d.ph, d.pl-l
	var p, m float64
	if dn > 0 && up < dn {
		m = dn
	} else if up > 0 && up > dn {
		p = up
	}
	tr := trueRange(h, l, d.pc)
	d.ph, d.pl, d.pc = h, l, c
	d.bars++
	n := float64(d.n)
	if d.bars < d.n {
		d.pDM += p
		d.mDM += m
		d.tr += tr
		return nan, nan, nan
	}
	if d.b == 0 {
		d.a, d.b = (n-1)/n, 1/n
	}
	a := d.a
	d.pDM = d.pDM*a + p
	d.mDM = d.mDM*a + m
	d.tr = d.tr*a + tr
	pdi, mdi, dx := nan, nan, nan
	if d.tr != 0 {
		inv := 100 / d.tr
		pdi = d.pDM * inv
		mdi = d.mDM * inv
		if s := pdi + mdi; s != 0 {
			dx = 100 * math.Abs(mdi-pdi) / s
		}
	}
	adx := nan
	if d.dxCnt < d.n {
		if fin(dx) {
			d.dxSum += dx
		}
		d.dxCnt++
		if d.dxCnt == d.n {
			d.adx = d.dxSum / n
			adx = d.adx
		}
	} else {
		if fin(dx) {
			d.adx = d.adx*a + dx*d.b
		}
		adx = d.adx
	}
	return adx, pdi, mdi
}

func trueRange(h, l, pc float64) float64 {
	tr := h - l
	if v := math.Abs(h - pc); v > tr {
		tr = v
	}
	if v := math.Abs(l - pc); v > tr {
		tr = v
	}
	return tr
}

// rsiState is Wilder's RSI as in TA-Lib; unknown closes are skipped.
type rsiState struct {
	n          int
	prev       float64
	started    bool
	cnt        int
	gain, loss float64
	a, b       float64 // (n-1)/n and 1/n, set after the seed
}

func (r *rsiState) push(x float64) float64 {
	if !fin(x) {
		return nan
	}
	if !r.started {
		r.started, r.prev = true, x
		return nan
	}
	d := x - r.prev
	r.prev = x
	n := float64(r.n)
	if r.cnt < r.n {
		if d < 0 {
			r.loss -= d
		} else {
			r.gain += d
		}
		r.cnt++
		if r.cnt < r.n {
			return nan
		}
		r.gain /= n
		r.loss /= n
		r.a, r.b = (n-1)/n, 1/n
	} else {
		g, l := posNeg(d)
		r.gain = r.gain*r.a + g*r.b
		r.loss = r.loss*r.a + l*r.b
	}
	return div(100*r.gain, r.gain+r.loss)
}
