package feature

import (
	"math"
	"math/rand/v2"
	"slices"
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

// TestSRFullRingExpiry drives the S/R state with isolated spikes (each a
// swing high and a swing low) 30 to 45 days apart, so the ring of levels
// is full of active levels and its oldest level often expires on the
// very day a new pivot replaces it.
func TestSRFullRingExpiry(t *testing.T) {
	for seed := uint64(1); seed <= 10; seed++ {
		r := rand.New(rand.NewPCG(seed, 11))
		n := 20000
		h, l, c := make([]float64, n), make([]float64, n), make([]float64, n)
		for i := range n {
			h[i], l[i], c[i] = 101, 99, 100
		}
		for d := 20 + r.IntN(30); d < n-10; d += 30 + r.IntN(16) {
			h[d], l[d] = 110+r.Float64()*50, 90-r.Float64()*50
		}
		s := &srState{h: &h, l: &l, c: &c, cur: srOut{sup: nan, res: nan}}
		for j := range s.at {
			s.at[j] = -1 << 30
		}
		full := 0
		for i := range n {
			s.day(i)
			if s.ns > srLevels {
				t.Fatalf("seed %d day %d: %d active levels in a ring of %d", seed, i, s.ns, srLevels)
			}
			if s.ns == srLevels {
				full++
			}
			want := *s
			want.rebuild(i)
			if s.ns != want.ns || !slices.Equal(s.sorted[:s.ns], want.sorted[:s.ns]) || !slices.Equal(s.touch[:s.ns], want.touch[:s.ns]) {
				t.Fatalf("seed %d day %d: levels %v touches %v, rebuild %v %v", seed, i,
					s.sorted[:s.ns], s.touch[:s.ns], want.sorted[:want.ns], want.touch[:want.ns])
			}
		}
		if full < n/10 {
			t.Fatalf("seed %d: the ring was full on only %d days", seed, full)
		}
	}
}
