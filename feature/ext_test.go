package feature

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestExtMatchesMono feeds the branch-free rolling extreme and the
// monotonic deque the same series, with runs of unknown values, ties and
// infinities, and requires the same value (bits) on every day.
func TestExtMatchesMono(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 11))
	for _, n := range []int{1, 2, 3, 5, 14, 20, 55, 365} {
		for _, isMax := range []bool{true, false} {
			e, m := newExt(n, isMax), newMono(n, isMax)
			x := 100.0
			for i := 0; i < 4000; i++ {
				v := x
				switch u := r.Float64(); {
				case u < 0.03:
					v = math.NaN()
				case u < 0.035:
					v = math.Inf(1)
				case u < 0.04:
					v = math.Inf(-1)
				case u < 0.1:
					// repeat: a tie with yesterday
				default:
					x *= math.Exp(0.05 * r.NormFloat64())
					v = x
				}
				if i%1000 > 900 { // a long gap: the window goes bad and recovers
					v = math.NaN()
				}
				e.push(v)
				m.push(v)
				a, b := e.value(), m.value()
				if math.Float64bits(a) != math.Float64bits(b) && !(math.IsNaN(a) && math.IsNaN(b)) {
					t.Fatalf("n=%d max=%v day %d: ext %v, mono %v", n, isMax, i, a, b)
				}
			}
		}
	}
}
