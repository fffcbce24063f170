package feature

import "math"

// Batch kernels. Each runs one O(n) pass over its inputs, writes into the
// caller's dst slices (which must be at least as long as the input) and
// allocates nothing, except RollingMax/RollingMin/Stoch/WilliamsR when
// the caller passes no deque buffer. Outputs are NaN during the warm-up;
// unknown (non-finite) inputs follow the package's NaN policy.

// SMA writes the simple moving average of the last n values of src. The
// first value is at index n-1; dst[i] is NaN while an unknown value lies
// in the window.
func SMA(dst, src []float64, n int) {
	dst = dst[:len(src)]
	var sum float64
	inv := 1 / float64(n)
	lastBad := -1
	for i, x := range src {
		if x-x == 0 {
			sum += x
		} else {
			lastBad = i
		}
		if i >= n {
			if old := src[i-n]; old-old == 0 {
				sum -= old
			}
		}
		if i-lastBad >= n {
			dst[i] = sum * inv
		} else {
			dst[i] = nan
		}
	}
}

// EMA writes TA-Lib's exponential moving average with k = 2/(n+1), seeded
// with the mean of the first n known values (first value at index n-1 when
// nothing is missing). Unknown inputs give NaN and are skipped.
func EMA(dst, src []float64, n int) {
	dst = dst[:len(src)]
	k := 2 / float64(n+1)
	var sum, v float64
	cnt := 0
	for i, x := range src {
		if x-x != 0 {
			dst[i] = nan
			continue
		}
		if cnt < n {
			sum += x
			cnt++
			if cnt < n {
				dst[i] = nan
				continue
			}
			v = sum / float64(n)
			dst[i] = v
			continue
		}
		v = (x-v)*k + v
		dst[i] = v
	}
}

// RSI writes Wilder's relative strength index (0-100) over n periods as
// in TA-Lib: average gain and loss seeded with the mean of the first n
// changes, then smoothed as a = (a*(n-1)+x)/n. The first value is at index
// n. Unknown closes give NaN and are skipped; a flat window gives NaN.
func RSI(dst, src []float64, n int) {
	dst = dst[:len(src)]
	var prev, gain, loss float64
	started := false
	cnt := 0
	fn := float64(n)
	for i, x := range src {
		if x-x != 0 || !started {
			dst[i] = nan
			if x-x == 0 {
				started, prev = true, x
			}
			continue
		}
		d := x - prev
		prev = x
		if cnt < n {
			if d < 0 {
				loss -= d
			} else {
				gain += d
			}
			cnt++
			if cnt < n {
				dst[i] = nan
				continue
			}
			gain /= fn
			loss /= fn
		} else {
			gain *= fn - 1
			loss *= fn - 1
			if d < 0 {
				loss -= d
			} else {
				gain += d
			}
			gain /= fn
			loss /= fn
		}
		if s := gain + loss; s != 0 {
			dst[i] = 100 * gain / s
		} else {
			dst[i] = nan
		}
	}
}

// MACD writes the MACD line (EMA(fast) - EMA(slow)), its signal line
// (EMA(signal) of the line) and the histogram (line - signal). Each EMA is
// seeded with the mean of its first values, so the line starts at index
// slow-1 and the signal at slow+signal-2. (TA-Lib seeds the fast EMA
// later; the two agree once the seeds have decayed.)
func MACD(line, sig, hist, src []float64, fast, slow, signal int) {
	n := len(src)
	line, sig, hist = line[:n], sig[:n], hist[:n]
	kf, ks, kg := 2/float64(fast+1), 2/float64(slow+1), 2/float64(signal+1)
	var sf, ss, sg, vf, vs, vg float64
	var cf, cs, cg int
	for i, x := range src {
		line[i], sig[i], hist[i] = nan, nan, nan
		if x-x != 0 {
			continue
		}
		if cf < fast {
			sf += x
			cf++
			if cf == fast {
				vf = sf / float64(fast)
			}
		} else {
			vf = (x-vf)*kf + vf
		}
		if cs < slow {
			ss += x
			cs++
			if cs < slow {
				continue
			}
			vs = ss / float64(slow)
		} else {
			vs = (x-vs)*ks + vs
		}
		l := vf - vs
		line[i] = l
		if cg < signal {
			sg += l
			cg++
			if cg < signal {
				continue
			}
			vg = sg / float64(signal)
		} else {
			vg = (l-vg)*kg + vg
		}
		sig[i] = vg
		hist[i] = l - vg
	}
}

// Bollinger writes Bollinger bands: the n-period SMA and the SMA plus and
// minus k population standard deviations (TA-Lib's BBANDS with SMA).
func Bollinger(upper, mid, lower, src []float64, n int, k float64) {
	m := len(src)
	upper, mid, lower = upper[:m], mid[:m], lower[:m]
	var sum, sq float64
	fn := float64(n)
	lastBad := -1
	for i, x := range src {
		if x-x == 0 {
			sum += x
			sq += x * x
		} else {
			lastBad = i
		}
		if i >= n {
			if old := src[i-n]; old-old == 0 {
				sum -= old
				sq -= old * old
			}
		}
		if i-lastBad < n {
			upper[i], mid[i], lower[i] = nan, nan, nan
			continue
		}
		mu := sum / fn
		v := sq/fn - mu*mu
		if v < 0 {
			v = 0
		}
		d := k * math.Sqrt(v)
		upper[i], mid[i], lower[i] = mu+d, mu, mu-d
	}
}

// RollingStd writes the standard deviation of the last n values with ddof
// degrees of freedom removed (0 = population, 1 = sample).
func RollingStd(dst, src []float64, n, ddof int) {
	dst = dst[:len(src)]
	var sum, sq float64
	fn := float64(n)
	lastBad := -1
	for i, x := range src {
		if x-x == 0 {
			sum += x
			sq += x * x
		} else {
			lastBad = i
		}
		if i >= n {
			if old := src[i-n]; old-old == 0 {
				sum -= old
				sq -= old * old
			}
		}
		if i-lastBad < n || n <= ddof {
			dst[i] = nan
			continue
		}
		v := (sq - sum*sum/fn) / (fn - float64(ddof))
		if v < 0 {
			v = 0
		}
		dst[i] = math.Sqrt(v)
	}
}

// ZScore writes (x - mean)/std over the trailing n values including x
// (sample standard deviation); NaN when the window is flat.
func ZScore(dst, src []float64, n int) {
	dst = dst[:len(src)]
	var sum, sq float64
	fn := float64(n)
	lastBad := -1
	for i, x := range src {
		if x-x == 0 {
			sum += x
			sq += x * x
		} else {
			lastBad = i
		}
		if i >= n {
			if old := src[i-n]; old-old == 0 {
				sum -= old
				sq -= old * old
			}
		}
		if i-lastBad < n || n < 2 {
			dst[i] = nan
			continue
		}
		mu := sum / fn
		v := (sq - sum*mu) / (fn - 1)
		dst[i] = div(x-mu, math.Sqrt(v))
	}
}

// ROC writes TA-Lib's rate of change, 100*(x[i]/x[i-n] - 1).
func ROC(dst, src []float64, n int) {
	dst = dst[:len(src)]
	for i := range src {
		if i < n {
			dst[i] = nan
			continue
		}
		dst[i] = 100 * (div(src[i], src[i-n]) - 1)
	}
}

// ATR writes Wilder's average true range as in TA-Lib: the first value at
// index n is the mean of the true ranges of bars 1..n, then
// a = (a*(n-1)+tr)/n. Bars with an unknown field give NaN and are skipped.
func ATR(dst, high, low, close []float64, n int) {
	dst = dst[:len(close)]
	var pc, a float64
	started := false
	cnt := 0
	fn := float64(n)
	for i := range close {
		h, l, c := high[i], low[i], close[i]
		if h-h != 0 || l-l != 0 || c-c != 0 {
			dst[i] = nan
			continue
		}
		if !started {
			started, pc = true, c
			dst[i] = nan
			continue
		}
		tr := trueRange(h, l, pc)
		pc = c
		if cnt < n {
			a += tr
			cnt++
			if cnt < n {
				dst[i] = nan
				continue
			}
			a /= fn
		} else {
			a = (a*(fn-1) + tr) / fn
		}
		dst[i] = a
	}
}

// ADX writes the average directional index and the +DI/-DI lines over n
// periods as in TA-Lib (DI from index n, ADX from index 2n-1).
func ADX(adx, plusDI, minusDI, high, low, close []float64, n int) {
	m := len(close)
	adx, plusDI, minusDI = adx[:m], plusDI[:m], minusDI[:m]
	d := dmState{n: n}
	for i := range close {
		adx[i], plusDI[i], minusDI[i] = d.push(high[i], low[i], close[i])
	}
}

// OBV writes on-balance volume as in TA-Lib: it starts at the first
// volume and adds (subtracts) each volume when the close rises (falls).
// Bars with an unknown close or volume give NaN and are skipped.
func OBV(dst, close, volume []float64) {
	dst = dst[:len(close)]
	var obv, pc float64
	started := false
	for i, c := range close {
		v := volume[i]
		if c-c != 0 || v-v != 0 {
			dst[i] = nan
			continue
		}
		switch {
		case !started:
			started, obv = true, v
		case c > pc:
			obv += v
		case c < pc:
			obv -= v
		}
		pc = c
		dst[i] = obv
	}
}

// deque is a monotonic deque of indices over a caller-provided ring.
type deque struct {
	buf        []int
	head, size int
}

func (q *deque) reset(buf []int, n int) {
	if cap(buf) < n+1 {
		buf = make([]int, n+1)
	}
	q.buf, q.head, q.size = buf[:n+1], 0, 0
}

func (q *deque) back() int  { return q.buf[(q.head+q.size-1)%len(q.buf)] }
func (q *deque) front() int { return q.buf[q.head] }
func (q *deque) popBack()   { q.size-- }
func (q *deque) popFront() {
	q.head++
	if q.head == len(q.buf) {
		q.head = 0
	}
	q.size--
}
func (q *deque) pushBack(i int) {
	j := q.head + q.size
	if j >= len(q.buf) {
		j -= len(q.buf)
	}
	q.buf[j] = i
	q.size++
}

// rolling writes the rolling max (max=true) or min of the last n values.
func rolling(dst, src []float64, n int, buf []int, max bool) {
	dst = dst[:len(src)]
	var q deque
	q.reset(buf, n)
	lastBad := -1
	for i, x := range src {
		if x-x != 0 {
			lastBad = i
		} else {
			for q.size > 0 {
				b := src[q.back()]
				if (max && b <= x) || (!max && b >= x) {
					q.popBack()
					continue
				}
				break
			}
			q.pushBack(i)
		}
		for q.size > 0 && q.front() <= i-n {
			q.popFront()
		}
		if i-lastBad >= n {
			dst[i] = src[q.front()]
		} else {
			dst[i] = nan
		}
	}
}

// RollingMax writes the maximum of the last n values using a monotonic
// deque (O(1) amortised per value). buf is the deque's storage; pass a
// slice with capacity >= n+1 to avoid an allocation, or nil.
func RollingMax(dst, src []float64, n int, buf []int) { rolling(dst, src, n, buf, true) }

// RollingMin writes the minimum of the last n values (see RollingMax).
func RollingMin(dst, src []float64, n int, buf []int) { rolling(dst, src, n, buf, false) }

// WilliamsR writes Williams %R over n periods, -100*(HH-C)/(HH-LL) with
// HH/LL the highest high and lowest low of the last n bars (NaN when
// HH == LL). buf (capacity >= 2n+2) holds the deques; nil allocates.
func WilliamsR(dst, high, low, close []float64, n int, buf []int) {
	hl(dst, nil, high, low, close, n, buf, true)
}

// hl computes Williams %R (willr) or fast stochastic %K into dst.
func hl(dst, _ []float64, high, low, close []float64, n int, buf []int, willr bool) {
	dst = dst[:len(close)]
	if cap(buf) < 2*n+2 {
		buf = make([]int, 2*n+2)
	}
	var qh, ql deque
	qh.reset(buf[:n+1], n)
	ql.reset(buf[n+1:2*n+2], n)
	lastBad := -1
	for i := range close {
		h, l, c := high[i], low[i], close[i]
		if h-h != 0 || l-l != 0 || c-c != 0 {
			lastBad = i
		} else {
			for qh.size > 0 && high[qh.back()] <= h {
				qh.popBack()
			}
			qh.pushBack(i)
			for ql.size > 0 && low[ql.back()] >= l {
				ql.popBack()
			}
			ql.pushBack(i)
		}
		for qh.size > 0 && qh.front() <= i-n {
			qh.popFront()
		}
		for ql.size > 0 && ql.front() <= i-n {
			ql.popFront()
		}
		if i-lastBad < n {
			dst[i] = nan
			continue
		}
		hh, ll := high[qh.front()], low[ql.front()]
		if willr {
			dst[i] = -100 * div(hh-c, hh-ll)
		} else {
			dst[i] = 100 * div(c-ll, hh-ll)
		}
	}
}

// Stoch writes the slow stochastic oscillator as TA-Lib's STOCH with SMA
// smoothing: fast %K = 100*(C-LL)/(HH-LL) over fastK bars, slow %K = SMA
// of fast %K over slowK, %D = SMA of slow %K over slowD. buf (capacity
// >= 2*fastK+2) holds the deques; nil allocates.
func Stoch(k, d, high, low, close []float64, fastK, slowK, slowD int, buf []int) {
	n := len(close)
	k, d = k[:n], d[:n]
	hl(d, nil, high, low, close, fastK, buf, false) // fast %K into d
	SMA(k, d, slowK)
	SMA(d, k, slowD)
}

// Pivots marks swing highs and lows confirmed with k bars on each side:
// highs[i] is high[i-k] when that bar's high is the maximum of bars
// i-2k..i (a swing high is only known k bars later), else NaN; lows
// likewise with minima. Both are NaN for the first 2k bars.
func Pivots(highs, lows, high, low []float64, k int) {
	n := len(high)
	highs, lows = highs[:n], lows[:n]
	for i := 0; i < n; i++ {
		highs[i], lows[i] = nan, nan
		if i < 2*k {
			continue
		}
		highs[i], lows[i] = pivotAt(high, low, i, k)
	}
}

// pivotAt tests bar j = i-k against bars i-2k..i.
func pivotAt(high, low []float64, i, k int) (float64, float64) {
	j := i - k
	ph, pl := high[j], low[j]
	isH, isL := fin(ph), fin(pl)
	for t := i - 2*k; t <= i && (isH || isL); t++ {
		if t == j {
			continue
		}
		h, l := high[t], low[t]
		if !fin(h) || (t < j && h >= ph) || (t > j && h > ph) {
			isH = false
		}
		if !fin(l) || (t < j && l <= pl) || (t > j && l < pl) {
			isL = false
		}
	}
	hv, lv := nan, nan
	if isH {
		hv = ph
	}
	if isL {
		lv = pl
	}
	return hv, lv
}
