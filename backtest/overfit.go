package backtest

import (
	"math"
	"math/bits"
)

// eulerGamma is the Euler-Mascheroni constant.
const eulerGamma = 0.5772156649015329

// normCDF is the standard normal distribution function.
func normCDF(x float64) float64 { return 0.5 * math.Erfc(-x/math.Sqrt2) }

// normQuantile is the inverse of normCDF.
func normQuantile(p float64) float64 { return math.Sqrt2 * math.Erfinv(2*p-1) }

// DeflatedSharpe returns the deflated Sharpe ratio of Bailey and López de
// Prado (2014): the probability that the true Sharpe ratio of the
// selected trial is above the maximum expected from as many unskilled
// trials. returns are the selected trial's daily returns; trialSharpes
// are the per-day (not annualised) Sharpe ratios of every trial, the
// selected one included. It returns NaN with fewer than 2 trials or 3
// returns.
//
//	SR0 = sqrt(Var[SR]) * ((1-g) * Q(1 - 1/N) + g * Q(1 - 1/(N e)))
//	DSR = Phi((SR - SR0) * sqrt(T-1) / sqrt(1 - skew*SR + (kurt-1)/4 * SR^2))
func DeflatedSharpe(returns []float64, trialSharpes []float64) float64 {
	n := 0
	var mean, m2 float64
	for _, s := range trialSharpes {
		if math.IsNaN(s) {
			continue
		}
		n++
		d := s - mean
		mean += d / float64(n)
		m2 += d * (s - mean)
	}
	T := len(returns)
	if n < 2 || T < 3 {
		return math.NaN()
	}
	v := m2 / float64(n-1)
	N := float64(n)
	sr0 := math.Sqrt(v) * ((1-eulerGamma)*normQuantile(1-1/N) + eulerGamma*normQuantile(1-1/(N*math.E)))
	mu, sd := meanStd(returns)
	if !(sd > 0) {
		return math.NaN()
	}
	sr := mu / sd
	var m3, m4 float64
	for _, x := range returns {
		z := (x - mu) / sd
		m3 += z * z * z
		m4 += z * z * z * z
	}
	skew, kurt := m3/float64(T), m4/float64(T)
	den := 1 - skew*sr + (kurt-1)/4*sr*sr
	if !(den > 0) {
		return math.NaN()
	}
	return normCDF((sr - sr0) * math.Sqrt(float64(T-1)) / math.Sqrt(den))
}

// PBO returns the probability of backtest overfitting by combinatorially
// symmetric cross-validation (Bailey, Borwein, López de Prado and Zhu,
// 2017). returns[i] are trial i's daily returns, all of the same length
// T. The days are cut into s contiguous blocks of floor(T/s) days (the
// remainder at the start is dropped); for each of the C(s, s/2) ways to
// pick half the blocks as in-sample, the trial with the best in-sample
// Sharpe ratio is ranked among all trials out of sample; PBO is the share
// of splits where that rank is at or below the median (logit <= 0). s
// must be even; it returns NaN with fewer than 2 trials or fewer than s
// days.
func PBO(returns [][]float64, s int) float64 {
	N := len(returns)
	if N < 2 || s < 2 || s%2 == 1 || s > 24 {
		return math.NaN()
	}
	T := len(returns[0])
	for _, r := range returns {
		if len(r) != T {
			return math.NaN()
		}
	}
	size := T / s
	if size < 2 {
		return math.NaN()
	}
	off := T - size*s
	// Per trial and block: count, sum, sum of squares.
	sum := make([]float64, N*s)
	sq := make([]float64, N*s)
	for i, r := range returns {
		for b := 0; b < s; b++ {
			var a, q float64
			for _, x := range r[off+b*size : off+(b+1)*size] {
				if math.IsNaN(x) {
					continue
				}
				a += x
				q += x * x
			}
			sum[i*s+b], sq[i*s+b] = a, q
		}
	}
	half := s / 2
	cnt := float64(size * half)
	sharpe := func(a, q float64) float64 {
		mu := a / cnt
		v := (q - cnt*mu*mu) / (cnt - 1)
		if !(v > 0) {
			return math.Inf(-1)
		}
		return mu / math.Sqrt(v)
	}
	oos := make([]float64, N)
	var splits, over int
	for mask := uint32(0); mask < 1<<uint(s); mask++ {
		if bits.OnesCount32(mask) != half {
			continue
		}
		best, bestSR := -1, math.Inf(-1)
		for i := 0; i < N; i++ {
			var ia, iq, oa, oq float64
			for b := 0; b < s; b++ {
				if mask&(1<<uint(b)) != 0 {
					ia += sum[i*s+b]
					iq += sq[i*s+b]
				} else {
					oa += sum[i*s+b]
					oq += sq[i*s+b]
				}
			}
			if sr := sharpe(ia, iq); best < 0 || sr > bestSR {
				best, bestSR = i, sr
			}
			oos[i] = sharpe(oa, oq)
		}
		below := 0.0
		for i := 0; i < N; i++ {
			if oos[i] < oos[best] {
				below++
			} else if oos[i] == oos[best] && i != best {
				below += 0.5
			}
		}
		w := (below + 1) / float64(N+1)
		splits++
		if math.Log(w/(1-w)) <= 0 {
			over++
		}
	}
	return float64(over) / float64(splits)
}
