package feature

import (
	"math"
	"unsafe"
)

// Batch kernels. Each runs one O(n) pass over its inputs, writes into the
// caller's dst slices (which must be at least as long as the input) and
// allocates nothing, except RollingMax/RollingMin/Stoch/WilliamsR when
// the caller passes no scratch buffer. Outputs are NaN during the warm-up;
// unknown (non-finite) inputs follow the package's NaN policy.

// SMA writes the simple moving average of the last n values of src. The
// first value is at index n-1; dst[i] is NaN while an unknown value lies
// in the window.
func SMA(dst, src []float64, n int) {
	dst = dst[:len(src)]
	var sum float64
	inv := 1 / float64(n)
	lastBad := -1
	m := min(n, len(src))
	for i, x := range src[:m] {
		if x-x == 0 {
			sum += x
		} else {
			lastBad = i
		}
		dst[i] = nan
	}
	if m == n && m > 0 && lastBad < 0 {
		dst[n-1] = sum * inv
	}
	old := src[:len(src)-m]
	cur := src[m:]
	for j := 0; j < len(cur); {
		i := j + m
		// Four bars per step when their windows are clean (no unknown
		// value in any of them, nor among the eight values in and out):
		// the running sum then takes one add per four bars on its
		// dependency chain, the partial sums hang off it.
		if j+3 < len(cur) && i-lastBad >= n {
			d0, d1, d2, d3 := cur[j]-old[j], cur[j+1]-old[j+1], cur[j+2]-old[j+2], cur[j+3]-old[j+3]
			if (d0-d0)+(d1-d1)+(d2-d2)+(d3-d3) == 0 {
				a, b := d0+d1, d2+d3
				s1 := sum + a
				dst[i] = (sum + d0) * inv
				dst[i+1] = s1 * inv
				dst[i+2] = (s1 + d2) * inv
				sum += a + b
				dst[i+3] = sum * inv
				j += 4
				continue
			}
		}
		// Two bars per step when all four values are known: the running
		// sum then takes one add per two bars on its dependency chain.
		if j+1 < len(cur) {
			d0, d1 := cur[j]-old[j], cur[j+1]-old[j+1]
			if (d0-d0)+(d1-d1) == 0 {
				first := sum + d0
				sum += d0 + d1
				if i-lastBad >= n {
					dst[i] = first * inv
				} else {
					dst[i] = nan
				}
				if i+1-lastBad >= n {
					dst[i+1] = sum * inv
				} else {
					dst[i+1] = nan
				}
				j += 2
				continue
			}
		}
		x, o := cur[j], old[j]
		if d := x - o; d-d == 0 {
			sum += d
		} else {
			if x-x == 0 {
				sum += x
			} else {
				lastBad = i
			}
			if o-o == 0 {
				sum -= o
			}
		}
		if i-lastBad >= n {
			dst[i] = sum * inv
		} else {
			dst[i] = nan
		}
		j++
	}
}

// EMA writes TA-Lib's exponential moving average with k = 2/(n+1), seeded
// with the mean of the first n known values (first value at index n-1 when
// nothing is missing), then v = v*(1-k) + x*k. Unknown inputs give NaN and
// are skipped. Two known bars in a row take one step of the unrolled
// recurrence v2 = v*(1-k)² + x0*(1-k)k + x1*k, so the dependency chain is
// one multiply-add per two bars; its rounding differs from two single
// steps by a few units in the last place, which the recurrence damps.
func EMA(dst, src []float64, n int) {
	dst = dst[:len(src)]
	k := 2 / float64(n+1)
	k1 := 1 - k
	k11, k1k := k1*k1, k1*k
	var sum, v float64
	cnt, i := 0, 0
	for ; i < len(src) && cnt < n; i++ { // the seed
		x := src[i]
		if x-x != 0 {
			dst[i] = nan
			continue
		}
		sum += x
		if cnt++; cnt < n {
			dst[i] = nan
			continue
		}
		v = sum / float64(n)
		dst[i] = v
	}
	for i+1 < len(src) {
		x0, x1 := src[i], src[i+1]
		if (x0-x0)+(x1-x1) == 0 {
			dst[i] = v*k1 + x0*k
			v = v*k11 + (x0*k1k + x1*k)
			dst[i+1] = v
			i += 2
			continue
		}
		if x0-x0 != 0 { // one bar at a time around an unknown
			dst[i] = nan
		} else {
			v = v*k1 + x0*k
			dst[i] = v
		}
		i++
	}
	if i < len(src) {
		if x := src[i]; x-x != 0 {
			dst[i] = nan
		} else {
			dst[i] = v*k1 + x*k
		}
	}
}

// RSI writes Wilder's relative strength index (0-100) over n periods as
// in TA-Lib: average gain and loss seeded with the mean of the first n
// changes, then smoothed as a = a*(n-1)/n + x/n. The first value is at index
// n. Unknown closes give NaN and are skipped; a flat window gives NaN.
func RSI(dst, src []float64, n int) {
	dst = dst[:len(src)]
	var prev, gain, loss float64
	started := false
	cnt := 0
	fn := float64(n)
	a, b := (fn-1)/fn, 1/fn
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
			g, l := posNeg(d)
			gain = gain*a + g*b
			loss = loss*a + l*b
		}
		if s := gain + loss; s != 0 {
			dst[i] = 100 * gain / s
		} else {
			dst[i] = nan
		}
	}
}

// posNeg splits a change d into its gain max(d, 0) and loss max(-d, 0)
// without a branch (an up or down day is a coin flip the branch predictor
// cannot learn): on the bits, the sign selects d or -d and zeroes the
// other. Adding the +0 of the unused part leaves a non-negative smoothed
// average exactly as multiplying alone would, so the results equal the
// branchy form bit for bit.
func posNeg(d float64) (gain, loss float64) {
	db := math.Float64bits(d)
	neg := -(db >> 63) // all ones when d < 0
	return math.Float64frombits(db &^ neg), math.Float64frombits((db ^ 1<<63) & neg)
}

// MACD writes the MACD line (EMA(fast) - EMA(slow)), its signal line
// (EMA(signal) of the line) and the histogram (line - signal). Each EMA is
// seeded with the mean of its first values, so the line starts at index
// slow-1 and the signal at slow+signal-2. (TA-Lib seeds the fast EMA
// later; the two agree once the seeds have decayed.) Its EMAs take one bar
// per step, where EMA takes two, so they can differ from EMA's values in
// the last bits.
func MACD(line, sig, hist, src []float64, fast, slow, signal int) {
	n := len(src)
	line, sig, hist = line[:n], sig[:n], hist[:n]
	kf, ks, kg := 2/float64(fast+1), 2/float64(slow+1), 2/float64(signal+1)
	kf1, ks1, kg1 := 1-kf, 1-ks, 1-kg
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
			vf = vf*kf1 + x*kf
		}
		if cs < slow {
			ss += x
			cs++
			if cs < slow {
				continue
			}
			vs = ss / float64(slow)
		} else {
			vs = vs*ks1 + x*ks
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
			vg = vg*kg1 + l*kg
		}
		sig[i] = vg
		hist[i] = l - vg
	}
}

// slide moves a window's running sum and sum of squares by x entering and
// old leaving, either of which may be unknown (not counted), and reports
// whether x is known. When both are known it takes one add per running sum
// on its dependency chain.
func slide(sum, sq, x, old float64) (float64, float64, bool) {
	if d := x - old; d-d == 0 {
		return sum + d, sq + (x*x - old*old), true
	}
	known := x-x == 0
	if known {
		sum += x
		sq += x * x
	}
	if old-old == 0 {
		sum -= old
		sq -= old * old
	}
	return sum, sq, known
}

// Bollinger writes Bollinger bands: the n-period SMA and the SMA plus and
// minus k population standard deviations (TA-Lib's BBANDS with SMA).
func Bollinger(upper, mid, lower, src []float64, n int, k float64) {
	m := len(src)
	upper, mid, lower = upper[:m], mid[:m], lower[:m]
	var sum, sq float64
	inv := 1 / float64(n)
	lastBad := -1
	for i, x := range src {
		old := nan
		if i >= n {
			old = src[i-n]
		}
		var known bool
		if sum, sq, known = slide(sum, sq, x, old); !known {
			lastBad = i
		}
		if i-lastBad < n {
			upper[i], mid[i], lower[i] = nan, nan, nan
			continue
		}
		mu := sum * inv
		v := sq*inv - mu*mu
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
	if n <= ddof {
		for i := range dst {
			dst[i] = nan
		}
		return
	}
	var sum, sq float64
	invN, invD := 1/float64(n), 1/float64(n-ddof)
	lastBad := -1
	for i, x := range src {
		old := nan
		if i >= n {
			old = src[i-n]
		}
		var known bool
		if sum, sq, known = slide(sum, sq, x, old); !known {
			lastBad = i
		}
		if i-lastBad < n {
			dst[i] = nan
			continue
		}
		v := (sq - sum*sum*invN) * invD
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
	if n < 2 {
		for i := range dst {
			dst[i] = nan
		}
		return
	}
	var sum, sq float64
	fn := float64(n)
	lastBad := -1
	for i, x := range src {
		old := nan
		if i >= n {
			old = src[i-n]
		}
		var known bool
		if sum, sq, known = slide(sum, sq, x, old); !known {
			lastBad = i
		}
		if i-lastBad < n {
			dst[i] = nan
			continue
		}
		mu := sum / fn
		v := (sq - sum*mu) / (fn - 1)
		dst[i] = div(x-mu, math.Sqrt(v))
	}
}

// ROC writes TA-Lib's rate of change, 100*(x[i]/x[i-n] - 1). Its NaNs
// (warm-up aside) are the ones the hardware's arithmetic produces, whose
// bits differ from the package's NaN and between architectures: test them
// with math.IsNaN, not by their bits.
func ROC(dst, src []float64, n int) {
	dst = dst[:len(src)]
	m := min(n, len(src))
	for i := range dst[:m] {
		dst[i] = nan
	}
	rocPct(dst[m:], src[m:], src[:len(src)-m])
}

// ATR writes Wilder's average true range as in TA-Lib: the first value at
// index n is the mean of the true ranges of bars 1..n, then
// a = a*(n-1)/n + tr/n. Bars with an unknown field give NaN and are skipped.
func ATR(dst, high, low, close []float64, n int) {
	dst = dst[:len(close)]
	var pc, a float64
	started := false
	cnt := 0
	fn := float64(n)
	w1, w := (fn-1)/fn, 1/fn
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
			a = a*w1 + tr*w
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
	volume = volume[:len(close)]
	var obv, pc float64
	i := 0
	for ; i < len(close); i++ { // start at the first known bar
		c, v := close[i], volume[i]
		if c-c == 0 && v-v == 0 {
			obv, pc = v, c
			dst[i] = obv
			i++
			break
		}
		dst[i] = nan
	}
	const sign = 1 << 63
	for ; i < len(close); i++ {
		c, v := close[i], volume[i]
		if (c-c)+(v-v) != 0 { // NaN unless both are finite
			dst[i] = nan
			continue
		}
		// Branch-free step on the bits (integer conditional moves): add v,
		// -v (exactly obv - v) or -0 (exactly obv, -0 included).
		vb := math.Float64bits(v)
		db := uint64(sign)
		if c > pc {
			db = vb
		}
		if c < pc {
			db = vb ^ sign
		}
		obv += math.Float64frombits(db)
		pc = c
		dst[i] = obv
	}
}

// Rolling extremes use the van Herk/Gil-Werman scheme: the series is cut
// into blocks of n days; P is the running max since the block start and S
// holds, for the previous block, the max from each position to the block
// end. The max over (i-n, i] is max(S[i-n+1], P[i]): O(n) in total and
// causal (S of a block is built when the block ends). The comparisons run
// on order-preserving integer keys of the values (okey), which the
// compiler turns into conditional moves: on real (unpredictable) series
// a float comparison branch mispredicts about every other bar, and that,
// not the arithmetic, is what a rolling extreme costs. The streaming
// factors use the same scheme one value at a time (ext in stream.go),
// except where they need to know where the extreme is (days since the
// high), which a monotonic deque (mono) does.

// okey maps a float64's bits (as int64) to an int64 in the same order as
// the values (-0 sorts just below +0; NaN keys are meaningless, and
// windows holding an unknown value are NaN anyway). It is its own
// inverse.
func okey(b int64) int64 { return b ^ int64(uint64(b>>63)>>1) }

// bitsOf views a float64 slice as the int64 bit patterns of its values,
// so the key loops load and store integers directly: the compiler moves a
// loaded float to an integer register through the stack, which would cost
// more than the comparison it feeds.
func bitsOf(v []float64) []int64 {
	return unsafe.Slice((*int64)(unsafe.Pointer(unsafe.SliceData(v))), len(v))
}

// finBits reports whether the bits b encode a finite value (exponent not
// all ones).
func finBits(b int64) bool { return b&(0x7ff<<52) != 0x7ff<<52 }

func scratch(buf []float64, n int) []float64 {
	if cap(buf) < n {
		return make([]float64, n)
	}
	return buf[:n]
}

// RollingMax writes the maximum of the last n values; NaN while an unknown
// value lies in the window. buf is scratch: pass a slice with capacity
// >= 2n to avoid an allocation, or nil.
func RollingMax(dst, src []float64, n int, buf []float64) {
	rollingExt(bitsOf(dst[:len(src)]), bitsOf(src), n, bitsOf(scratch(buf, 2*n)), 0)
}

// RollingMin writes the minimum of the last n values (see RollingMax).
func RollingMin(dst, src []float64, n int, buf []float64) {
	rollingExt(bitsOf(dst[:len(src)]), bitsOf(src), n, bitsOf(scratch(buf, 2*n)), -1)
}

// nanBits is the bit pattern of the package's NaN.
var nanBits = int64(math.Float64bits(nan))

// rollingExt is the rolling maximum of the keys okey(x)^flip on the bits
// of the values: flip 0 gives the maximum of the values, flip -1 (which
// reverses the key order) the minimum. s (2n slots) is scratch for the
// blocks' suffix keys.
func rollingExt(dst, src []int64, n int, s []int64, flip int64) {
	dst = dst[:len(src)]
	s = s[:n]
	var or int64
	bad := false
	for _, x := range src {
		or |= x
		if !finBits(x) {
			bad = true
		}
	}
	if or >= 0 { // no sign bit set: the bits themselves are the keys
		rollingExtBits(dst, src, n, s, flip, bad)
		return
	}
	lastBad := -1
	for b0 := 0; b0 < len(src); b0 += n {
		blk := src[b0:min(b0+n, len(src))]
		out := dst[b0 : b0+len(blk)]
		p := okey(blk[0]) ^ flip
		for j, x := range blk {
			if !finBits(x) {
				lastBad = b0 + j
			}
			if k := okey(x) ^ flip; k > p {
				p = k
			}
			m := p
			if j < n-1 {
				if k := s[j+1]; k > m {
					m = k
				}
			}
			if b0+j-lastBad >= n {
				out[j] = okey(m ^ flip)
			} else {
				out[j] = nanBits
			}
		}
		if len(blk) == n {
			m := okey(blk[n-1]) ^ flip
			for j := n - 1; j >= 0; j-- {
				if k := okey(blk[j]) ^ flip; k > m {
					m = k
				}
				s[j] = m
			}
		}
	}
}

// rollingExtBits is rollingExt for series without a set sign bit (prices,
// volumes: the usual inputs), whose bits order like their values, so a
// key is the bits XOR flip. Each step of the scheme is its own small loop,
// which the compiler keeps in registers: the running extreme is then a
// two-cycle compare-and-move chain.
func rollingExtBits(dst, src []int64, n int, s []int64, flip int64, bad bool) {
	sa, sb := s[:n], s[n:2*n] // suffix keys of the blocks before and of the first of a pair
	for i := range sa {       // no block before the first
		sa[i] = math.MinInt64
	}
	b0 := 0
	// Two blocks at a time: their running extremes are independent
	// chains the CPU overlaps.
	for ; b0+2*n <= len(src); b0 += 2 * n {
		a, b := src[b0:b0+n], src[b0+n:b0+2*n]
		oa, ob := dst[b0:b0+n], dst[b0+n:b0+2*n]
		prefixKeys2(oa, ob, a, b, flip)
		mergeKeys(oa, sa[1:], flip)
		suffixKeys2(sb, sa, a, b, flip)
		mergeKeys(ob, sb[1:], flip)
	}
	for ; b0 < len(src); b0 += n {
		blk := src[b0:min(b0+n, len(src))]
		out := dst[b0 : b0+len(blk)]
		prefixKeys(out, blk, flip)
		mergeKeys(out, sa[1:], flip)
		if len(blk) == n {
			suffixKeys(sa, blk, flip)
		}
	}
	// NaN during the warm-up and within n days of an unknown value.
	warm := dst[:min(n-1, len(dst))]
	for i := range warm {
		warm[i] = nanBits
	}
	if !bad {
		return
	}
	until := n - 2
	for i, x := range src {
		if !finBits(x) {
			until = i + n - 1
		}
		if i <= until {
			dst[i] = nanBits
		}
	}
}

// prefixKeys writes the running maximum of the keys blk[j]^flip into out.
func prefixKeys(out, blk []int64, flip int64) {
	out = out[:len(blk)]
	p := int64(math.MinInt64)
	for j, x := range blk {
		if k := x ^ flip; k > p {
			p = k
		}
		out[j] = p
	}
}

// prefixKeys2 is prefixKeys on two blocks of the same length at once.
func prefixKeys2(oa, ob, a, b []int64, flip int64) {
	b, oa, ob = b[:len(a)], oa[:len(a)], ob[:len(a)]
	pa, pb := int64(math.MinInt64), int64(math.MinInt64)
	for j, x := range a {
		if k := x ^ flip; k > pa {
			pa = k
		}
		if k := b[j] ^ flip; k > pb {
			pb = k
		}
		oa[j], ob[j] = pa, pb
	}
}

// suffixKeys2 is suffixKeys on two blocks of the same length at once, a
// into sa and b into sb.
func suffixKeys2(sa, sb, a, b []int64, flip int64) {
	b, sa, sb = b[:len(a)], sa[:len(a)], sb[:len(a)]
	ma, mb := int64(math.MinInt64), int64(math.MinInt64)
	for j := len(a) - 1; j >= 0; j-- {
		if k := a[j] ^ flip; k > ma {
			ma = k
		}
		if k := b[j] ^ flip; k > mb {
			mb = k
		}
		sa[j], sb[j] = ma, mb
	}
}

// suffixKeys writes the maximum of the keys of blk[j:] into s[j].
func suffixKeys(s, blk []int64, flip int64) {
	s = s[:len(blk)]
	m := int64(math.MinInt64)
	for j := len(blk) - 1; j >= 0; j-- {
		if k := blk[j] ^ flip; k > m {
			m = k
		}
		s[j] = m
	}
}

// mergeKeys takes the larger of the keys out[j] and prev[j] (prev may be
// shorter than out) and turns every key of out back into bits.
func mergeKeys(out, prev []int64, flip int64) {
	prev = prev[:min(len(prev), len(out))]
	o := out[:len(prev)]
	for j, k := range prev {
		if m := o[j]; m > k {
			k = m
		}
		o[j] = k ^ flip
	}
	rest := out[len(prev):]
	for j, k := range rest {
		rest[j] = k ^ flip
	}
}

// WilliamsR writes Williams %R over n periods, -100*(HH-C)/(HH-LL) with
// HH/LL the highest high and lowest low of the last n bars (NaN when
// HH == LL). buf (capacity >= 2n) is scratch; nil allocates.
func WilliamsR(dst, high, low, close []float64, n int, buf []float64) {
	hl(dst, high, low, close, n, buf, true)
}

// hl computes Williams %R (willr) or fast stochastic %K into dst with the
// van Herk scheme of rollingExt on the keys of the highs and the reversed
// keys of the lows.
func hl(dst, high, low, close []float64, n int, buf []float64, willr bool) {
	dst = dst[:len(close)]
	buf = scratch(buf, 2*n)
	sh, sl := bitsOf(buf[:n]), bitsOf(buf[n:2*n])
	hb, lb := bitsOf(high[:len(close)]), bitsOf(low[:len(close)])
	lastBad := -1
	for b0 := 0; b0 < len(close); b0 += n {
		b1 := min(b0+n, len(close))
		bh, bl, bc, out := hb[b0:b1], lb[b0:b1], close[b0:b1], dst[b0:b1]
		bl, bc, out = bl[:len(bh)], bc[:len(bh)], out[:len(bh)]
		ph, pl := okey(bh[0]), ^okey(bl[0])
		for j, h := range bh {
			l, x := bl[j], bc[j]
			if !finBits(h) || !finBits(l) || x-x != 0 {
				lastBad = b0 + j
			}
			if k := okey(h); k > ph {
				ph = k
			}
			if k := ^okey(l); k > pl {
				pl = k
			}
			mh, ml := ph, pl
			if j < n-1 {
				if k := sh[j+1]; k > mh {
					mh = k
				}
				if k := sl[j+1]; k > ml {
					ml = k
				}
			}
			if b0+j-lastBad < n {
				out[j] = nan
				continue
			}
			hi := math.Float64frombits(uint64(okey(mh)))
			lo := math.Float64frombits(uint64(okey(^ml)))
			var r float64
			if willr {
				r = -100 * (hi - x) / (hi - lo)
			} else {
				r = 100 * (x - lo) / (hi - lo)
			}
			if r-r != 0 {
				r = nan
			}
			out[j] = r
		}
		if len(bh) == n {
			mh, ml := okey(bh[n-1]), ^okey(bl[n-1])
			for j := n - 1; j >= 0; j-- {
				if k := okey(bh[j]); k > mh {
					mh = k
				}
				if k := ^okey(bl[j]); k > ml {
					ml = k
				}
				sh[j], sl[j] = mh, ml
			}
		}
	}
}

// Stoch writes the slow stochastic oscillator as TA-Lib's STOCH with SMA
// smoothing: fast %K = 100*(C-LL)/(HH-LL) over fastK bars, slow %K = SMA
// of fast %K over slowK, %D = SMA of slow %K over slowD. buf (capacity
// >= 2*fastK) is scratch for the rolling extremes; nil allocates.
func Stoch(k, d, high, low, close []float64, fastK, slowK, slowD int, buf []float64) {
	n := len(close)
	k, d = k[:n], d[:n]
	hl(d, high, low, close, fastK, buf, false) // fast %K into d
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

// pivotAt tests bar j = i-k against bars i-2k..i: the high is a swing
// high when every bar before it is strictly lower and none after it is
// higher, all of them known; likewise the low. It compares against the
// extremes of the two sides and tracks unknown bars in a sum of x-x (NaN
// for NaN and ±Inf), without branches that depend on the prices.
func pivotAt(high, low []float64, i, k int) (float64, float64) {
	j := i - k
	ph, pl := high[j], low[j]
	inf := math.Inf(1)
	hl, hr, ll, lr := -inf, -inf, inf, inf
	badH, badL := ph-ph, pl-pl
	for t := i - 2*k; t <= i; t++ {
		h, l := high[t], low[t]
		badH, badL = badH+(h-h), badL+(l-l)
		if t < j {
			hl, ll = max(hl, h), min(ll, l)
		} else if t > j {
			hr, lr = max(hr, h), min(lr, l)
		}
	}
	hv, lv := nan, nan
	if badH == 0 && ph > hl && ph >= hr {
		hv = ph
	}
	if badL == 0 && pl < ll && pl <= lr {
		lv = pl
	}
	return hv, lv
}
