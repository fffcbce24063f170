package index_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/regime-engine/regime"
	"github.com/regime-engine/regime/index"
)

func TestLevelRoundTrip(t *testing.T) {
	for _, l := range append([]index.Level{index.NoLevel}, index.Levels...) {
		got, err := index.ParseLevel(l.String())
		if err != nil || got != l {
			t.Errorf("ParseLevel(%q) = %v, %v", l.String(), got, err)
		}
	}
	for _, tc := range []struct {
		in   string
		want index.Level
		ok   bool
	}{
		{"-2", index.StrongBearish, true}, {"2", index.StrongBullish, true}, {" Bullish ", index.Bullish, true},
		{"3", index.NoLevel, false}, {"bull", index.NoLevel, false},
	} {
		got, err := index.ParseLevel(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("ParseLevel(%q) = %v, %v; want %v ok=%v", tc.in, got, err, tc.want, tc.ok)
		}
		if err != nil && regime.ErrorCode(err) != regime.EINVALID {
			t.Errorf("ParseLevel(%q) error code %q", tc.in, regime.ErrorCode(err))
		}
	}
}

func TestExposure(t *testing.T) {
	e := index.DefaultExposure()
	want := map[index.Level]float64{index.StrongBearish: 0, index.Bearish: 0.25, index.Neutral: 0.5, index.Bullish: 1, index.StrongBullish: 1}
	for l, w := range want {
		if e.Of(l) != w {
			t.Errorf("default exposure of %s = %v, want %v", l, e.Of(l), w)
		}
	}
	if !math.IsNaN(e.Of(index.NoLevel)) {
		t.Error("exposure of NoLevel is not NaN")
	}
	for _, tc := range []struct {
		in string
		ok bool
	}{
		{"0,0.25,0.5,1,1", true}, {"0,0,0,0,0", true}, {"0,0.5,0.25,1,1", false}, {"0,0,0,1.5,1.5", false}, {"0,1", false}, {"a,0,0,0,0", false},
	} {
		got, err := index.ParseExposure(tc.in)
		if (err == nil) != tc.ok {
			t.Errorf("ParseExposure(%q) error %v, want ok=%v", tc.in, err, tc.ok)
		}
		if err == nil && got.String() != tc.in {
			t.Errorf("round trip %q -> %q", tc.in, got.String())
		}
	}
}

func cands(ids ...string) []index.Candidate {
	var out []index.Candidate
	for i, id := range ids {
		out = append(out, index.Candidate{AssetID: id, MarketCapUSD: float64(1000 - 10*i), VolumeUSD: 1e9, Kind: regime.KindCoin, HistoryDays: 365, Priced: true})
	}
	return out
}

func ids(s index.Selection) []string {
	var out []string
	for _, m := range s.Members {
		out = append(out, m.AssetID)
	}
	return out
}

func TestSelect(t *testing.T) {
	rules := index.UniverseRules{N: 3, Buffer: 0.34, MinVolumeUSD: 1e6, MinHistoryDays: 30} // keep to rank 3+2=5
	mod := func(c []index.Candidate, id string, f func(*index.Candidate)) []index.Candidate {
		for i := range c {
			if c[i].AssetID == id {
				f(&c[i])
			}
		}
		return c
	}
	tests := []struct {
		name       string
		cands      []index.Candidate
		incumbents []string
		want       []string
		missing    float64
	}{
		{"top by cap", cands("a", "b", "c", "d", "e"), nil, []string{"a", "b", "c"}, 0},
		{"order by cap not input", []index.Candidate{{AssetID: "z", MarketCapUSD: 1, VolumeUSD: 1e9, Kind: regime.KindCoin, HistoryDays: 99, Priced: true}, {AssetID: "y", MarketCapUSD: 5, VolumeUSD: 1e9, Kind: regime.KindCoin, HistoryDays: 99, Priced: true}}, nil, []string{"y", "z"}, 0},
		{"stablecoin excluded", mod(cands("a", "usdt", "b", "c", "d"), "usdt", func(c *index.Candidate) { c.Kind = regime.KindStablecoin }), nil, []string{"a", "b", "c"}, 0},
		{"unknown kind excluded", mod(cands("a", "x", "b", "c"), "x", func(c *index.Candidate) { c.Kind = "" }), nil, []string{"a", "b", "c"}, 0},
		{"illiquid", mod(cands("a", "b", "c", "d"), "b", func(c *index.Candidate) { c.VolumeUSD = 1e5 }), nil, []string{"a", "c", "d"}, 0},
		{"unknown volume", mod(cands("a", "b", "c", "d"), "b", func(c *index.Candidate) { c.VolumeUSD = math.NaN() }), nil, []string{"a", "c", "d"}, 0},
		{"short history", mod(cands("a", "b", "c", "d"), "c", func(c *index.Candidate) { c.HistoryDays = 29 }), nil, []string{"a", "b", "d"}, 0},
		{"no price skipped, share measured", mod(cands("a", "b", "c", "d"), "b", func(c *index.Candidate) { c.Priced = false }), nil, []string{"a", "c", "d"}, 990.0 / (1000 + 990 + 980)},
		{"incumbent inside buffer stays", cands("a", "b", "c", "d", "e", "f"), []string{"a", "e"}, []string{"a", "b", "e"}, 0},
		{"incumbent beyond buffer leaves", cands("a", "b", "c", "d", "e", "f"), []string{"a", "f"}, []string{"a", "b", "c"}, 0},
		{"too many incumbents keep the best", cands("a", "b", "c", "d", "e"), []string{"e", "d", "c", "b"}, []string{"b", "c", "d"}, 0},
		{"fewer eligible than N", cands("a", "b"), nil, []string{"a", "b"}, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for i := range tc.cands {
				tc.cands[i].Incumbent = slices.Contains(tc.incumbents, tc.cands[i].AssetID)
			}
			in := slices.Clone(tc.cands)
			s := index.Select(rules, tc.cands)
			if got := ids(s); !slices.Equal(got, tc.want) {
				t.Errorf("members %v, want %v", got, tc.want)
			}
			if len(s.Reference) > rules.N {
				t.Errorf("reference has %d candidates, N is %d", len(s.Reference), rules.N)
			}
			if math.Abs(s.MissingPriceShare-tc.missing) > 1e-12 {
				t.Errorf("missing share %v, want %v", s.MissingPriceShare, tc.missing)
			}
			if fmt.Sprint(in) != fmt.Sprint(tc.cands) { // NaN-safe
				t.Error("Select modified its input")
			}
		})
	}
}

func sum(w []float64) float64 {
	var s float64
	for _, v := range w {
		s += v
	}
	return s
}

func TestWeights(t *testing.T) {
	r := index.WeightRules{Scheme: index.CapWeighted, MaxLargest: 0.3, MaxOther: 0.2, SmoothDays: 1}
	tests := []struct {
		name string
		r    index.WeightRules
		caps []float64
		want []float64
	}{
		{"capped", r, []float64{600, 200, 100, 50, 30, 20}, []float64{0.3, 0.2, 0.2, 0.15, 0.09, 0.06}},
		{"uncapped", index.WeightRules{Scheme: index.CapWeighted, MaxLargest: 1, MaxOther: 1, SmoothDays: 1}, []float64{3, 1}, []float64{0.75, 0.25}},
		{"sqrt", index.WeightRules{Scheme: index.SqrtCap, MaxLargest: 1, MaxOther: 1, SmoothDays: 1}, []float64{9, 1}, []float64{0.75, 0.25}},
		{"equal", index.WeightRules{Scheme: index.EqualWeight, MaxLargest: 1, MaxOther: 1, SmoothDays: 1}, []float64{9, 1, 5, 5}, []float64{0.25, 0.25, 0.25, 0.25}},
		{"infeasible caps give equal weights", r, []float64{9, 1}, []float64{0.5, 0.5}},
		{"missing cap gets zero", index.WeightRules{Scheme: index.CapWeighted, MaxLargest: 1, MaxOther: 1, SmoothDays: 1}, []float64{1, math.NaN(), 3}, []float64{0.25, 0, 0.75}},
		{"all missing: equal", index.WeightRules{Scheme: index.CapWeighted, MaxLargest: 1, MaxOther: 1, SmoothDays: 1}, []float64{math.NaN(), 0}, []float64{0.5, 0.5}},
		{"single", r, []float64{5}, []float64{1}},
		{"empty", r, nil, []float64{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := index.Weights(tc.r, tc.caps)
			if len(got) != len(tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
			for i := range got {
				if math.Abs(got[i]-tc.want[i]) > 1e-12 {
					t.Fatalf("got %v, want %v", got, tc.want)
				}
			}
		})
	}
}

// TestWeightsProperties checks on random inputs that weights are
// non-negative, sum to 1, respect the caps when they are feasible, and
// keep the order of the market caps.
func TestWeightsProperties(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	for i := 0; i < 2000; i++ {
		n := 1 + rng.IntN(120)
		caps := make([]float64, n)
		for j := range caps {
			caps[j] = math.Exp(rng.NormFloat64() * 3)
		}
		slices.SortFunc(caps, func(a, b float64) int { return -cmpF(a, b) })
		r := index.WeightRules{Scheme: index.Schemes[rng.IntN(3)], MaxLargest: 0.05 + rng.Float64()*0.95, SmoothDays: 1}
		r.MaxOther = 0.02 + rng.Float64()*(r.MaxLargest-0.02)
		w := index.Weights(r, caps)
		name := fmt.Sprintf("case %d (%s, n=%d, caps %.3f/%.3f)", i, r.Scheme, n, r.MaxLargest, r.MaxOther)
		if math.Abs(sum(w)-1) > 1e-9 {
			t.Fatalf("%s: weights sum to %v", name, sum(w))
		}
		feasible := r.MaxLargest+float64(n-1)*r.MaxOther >= 1
		for j, v := range w {
			if v < 0 {
				t.Fatalf("%s: negative weight", name)
			}
			lim := r.MaxOther
			if j == 0 {
				lim = r.MaxLargest
			}
			if feasible && v > lim+1e-9 {
				t.Fatalf("%s: weight %d = %v above cap %v", name, j, v, lim)
			}
			if j > 0 && v > w[j-1]+1e-9 {
				t.Fatalf("%s: weights not in cap order at %d: %v > %v", name, j, v, w[j-1])
			}
		}
	}
}

func cmpF(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func TestPegged(t *testing.T) {
	r := index.StableRules{Assets: []string{"usd-coin"}, DepegThreshold: 0.02, RepegDays: 3}
	tests := []struct {
		closes []float64
		want   bool
	}{
		{nil, false},
		{[]float64{1}, true},
		{[]float64{0.9, 1, 1, 1}, true},
		{[]float64{1, 0.97, 1, 1}, false},
		{[]float64{1, 1, math.NaN(), 1}, false},
		{[]float64{1.02, 0.98, 1.0}, true},
		{[]float64{1, 1, 1.03}, false},
	}
	for _, tc := range tests {
		if got := r.Pegged(tc.closes); got != tc.want {
			t.Errorf("Pegged(%v) = %v, want %v", tc.closes, got, tc.want)
		}
	}
	if w := index.StableWeights([]bool{true, false, true}); !slices.Equal(w, []float64{0.5, 0, 0.5}) {
		t.Errorf("StableWeights = %v", w)
	}
	if w := index.StableWeights([]bool{false, false}); sum(w) != 0 {
		t.Errorf("StableWeights with nothing pegged = %v, want all 0 (cash)", w)
	}
}

func TestValidate(t *testing.T) {
	bad := []error{
		index.UniverseRules{N: 0}.Validate(),
		index.UniverseRules{N: 5, Buffer: -1}.Validate(),
		index.WeightRules{Scheme: "x", MaxLargest: 1, MaxOther: 1, SmoothDays: 1}.Validate(),
		index.WeightRules{Scheme: index.CapWeighted, MaxLargest: 0, MaxOther: 1, SmoothDays: 1}.Validate(),
		index.StableRules{Assets: []string{"a", "a"}, DepegThreshold: 0.1, RepegDays: 1}.Validate(),
		index.StableRules{DepegThreshold: 0, RepegDays: 1}.Validate(),
	}
	for i, err := range bad {
		if regime.ErrorCode(err) != regime.EINVALID {
			t.Errorf("case %d: error %v, want EINVALID", i, err)
		}
	}
	for i, err := range []error{index.DefaultUniverse().Validate(), index.DefaultWeights().Validate(), index.DefaultStable().Validate(), index.DefaultExposure().Validate()} {
		if err != nil {
			t.Errorf("default %d invalid: %v", i, err)
		}
	}
}
