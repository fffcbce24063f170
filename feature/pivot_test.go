package feature

import (
	"math"
	"math/rand/v2"
	"testing"
)

// pivotAtScan is the direct definition of a pivot, bar by bar.
func pivotAtScan(high, low []float64, i, k int) (float64, float64) {
	j := i - k
	ph, pl := high[j], low[j]
	isH, isL := fin(ph), fin(pl)
	for t := i - 2*k; t <= i; t++ {
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

// TestPivotAtMatchesScan holds the branch-free pivot test to the direct
// definition on prices with ties (a coarse grid, so equal highs decide
// which side wins), NaN, ±Inf, zeros and negative values.
func TestPivotAtMatchesScan(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 9))
	special := []float64{math.NaN(), math.Inf(1), math.Inf(-1), 0, math.Copysign(0, -1), -1}
	n := 20000
	high, low := make([]float64, n), make([]float64, n)
	p := 10.0
	pivots := 0
	for i := range n {
		p += float64(r.IntN(5) - 2)
		high[i], low[i] = p+float64(r.IntN(2)), p-float64(r.IntN(2))
		if r.IntN(25) == 0 {
			high[i] = special[r.IntN(len(special))]
		}
		if r.IntN(25) == 0 {
			low[i] = special[r.IntN(len(special))]
		}
	}
	for _, k := range []int{1, 2, 5} {
		for i := 2 * k; i < n; i++ {
			gh, gl := pivotAt(high, low, i, k)
			wh, wl := pivotAtScan(high, low, i, k)
			if math.Float64bits(gh) != math.Float64bits(wh) && !(gh != gh && wh != wh) ||
				math.Float64bits(gl) != math.Float64bits(wl) && !(gl != gl && wl != wl) {
				t.Fatalf("k=%d day %d: pivotAt = (%v, %v), scan (%v, %v); highs %v lows %v", k, i, gh, gl, wh, wl,
					high[i-2*k:i+1], low[i-2*k:i+1])
			}
			if fin(wh) {
				pivots++
			}
		}
	}
	if pivots < 1000 {
		t.Fatalf("only %d swing highs: the test data do not exercise the comparison", pivots)
	}
}
