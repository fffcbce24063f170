package feature

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestRocPct holds the (assembly on amd64) ROC core to the scalar formula
// on every length up to a few pairs, with zero, unknown and infinite
// inputs: the same bits for every finite ratio, NaN for every other.
func TestRocPct(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	pick := func() float64 {
		switch u := r.Float64(); {
		case u < 0.05:
			return 0
		case u < 0.1:
			return math.NaN()
		case u < 0.15:
			return math.Inf(1)
		case u < 0.2:
			return math.Inf(-1)
		case u < 0.25:
			return -r.Float64() * 10
		}
		return r.Float64()*100 + 1e-3
	}
	for n := 0; n <= 9; n++ {
		for rep := 0; rep < 50; rep++ {
			x, prev, dst := make([]float64, n), make([]float64, n), make([]float64, n+1)
			for j := range x {
				x[j], prev[j] = pick(), pick()
			}
			dst[n] = 42 // must stay: rocPct writes len(x) values only
			rocPct(dst[:n], x, prev)
			for j := range x {
				q := x[j] / prev[j]
				want := 100 * (q - 1)
				if q-q != 0 {
					want = math.NaN()
				}
				got := dst[j]
				if math.IsNaN(want) != math.IsNaN(got) || (!math.IsNaN(want) && math.Float64bits(got) != math.Float64bits(want)) {
					t.Fatalf("n=%d j=%d: %v/%v gave %v, want %v", n, j, x[j], prev[j], got, want)
				}
			}
			if dst[n] != 42 {
				t.Fatalf("n=%d: wrote past the end", n)
			}
		}
	}
}
