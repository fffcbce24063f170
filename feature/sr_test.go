package feature

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestSRIncrementalMatchesRebuild checks that the levels and touch counts
// add maintains in place equal a full rebuild on every day, on series with
// ties (prices on a coarse grid), unknown days and long quiet stretches in
// which levels expire.
func TestSRIncrementalMatchesRebuild(t *testing.T) {
	for seed := uint64(1); seed <= 6; seed++ {
		r := rand.New(rand.NewPCG(seed, 7))
		n := 3000
		h, l, c := make([]float64, n), make([]float64, n), make([]float64, n)
		p := 100.0
		for i := range n {
			switch {
			case seed%2 == 0 && i%1000 > 450: // flat for 549 days: no pivots, levels expire
			default:
				p *= math.Exp(r.NormFloat64() * 0.03)
			}
			q := math.Round(p*4) / 4 // coarse grid: equal levels and band edges
			h[i], l[i], c[i] = q*1.01, q*0.99, q
			if r.IntN(40) == 0 {
				h[i], l[i], c[i] = nan, nan, nan
			}
		}
		s := &srState{h: &h, l: &l, c: &c, cur: srOut{sup: nan, res: nan}}
		for j := range s.at {
			s.at[j] = -1 << 30
		}
		for i := range n {
			s.day(i)
			got := *s
			want := *s
			want.rebuild(i)
			if got.ns != want.ns {
				t.Fatalf("seed %d day %d: %d active levels, rebuild has %d", seed, i, got.ns, want.ns)
			}
			for k := 0; k < got.ns; k++ {
				if got.sorted[k] != want.sorted[k] || got.touch[k] != want.touch[k] {
					t.Fatalf("seed %d day %d level %d: %v (%d touches), rebuild %v (%d)", seed, i, k,
						got.sorted[k], got.touch[k], want.sorted[k], want.touch[k])
				}
			}
		}
	}
}
