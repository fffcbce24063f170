package feature_test

import (
	"testing"

	"github.com/regime-engine/regime/feature"
	"github.com/regime-engine/regime/feature/lookahead"
)

// TestNoLookAhead proves, for every registered factor, that values at
// day t do not change when the data after t is cut off or poisoned, at
// many cut points, on data with unknown values inside.
func TestNoLookAhead(t *testing.T) {
	n, cuts := 900, 24
	if testing.Short() {
		n, cuts = 500, 8
	}
	s := synthSeries(21, n, true)
	m := synthMarket(22, n, 15)
	cp := lookahead.Cuts(n, cuts)
	if len(cp) < cuts {
		t.Fatalf("only %d cut points", len(cp))
	}
	for _, f := range feature.Registry() {
		t.Run(f.Name, func(t *testing.T) {
			t.Parallel()
			var err error
			if f.Level == feature.LevelToken {
				err = lookahead.Check(f, s, cp)
			} else {
				err = lookahead.CheckMarket(f, m, cp)
			}
			if err != nil {
				t.Error(err)
			}
		})
	}
}

// canaries are deliberately leaky factors. They are defined here, never
// in the production registry, to show that the harness catches leaks.
func canaries() []feature.Factor {
	return []feature.Factor{
		{Name: "canary_tomorrow", Family: "canary", Formula: "close[t+1]/close[t] − 1 (peeks at tomorrow)", Warmup: 0,
			Inputs: []string{feature.InClose}, Level: feature.LevelToken,
			New: func(in *feature.Input) feature.StepFunc {
				p := in.Col(feature.InClose)
				return func(i int) float64 {
					c := *p
					if i+1 >= len(c) {
						return c[i] * 0
					}
					return c[i+1]/c[i] - 1
				}
			}},
		{Name: "canary_full_mean", Family: "canary", Formula: "close / mean(close over the whole history) (full-sample normalisation)", Warmup: 0,
			Inputs: []string{feature.InClose}, Level: feature.LevelToken,
			New: func(in *feature.Input) feature.StepFunc {
				p := in.Col(feature.InClose)
				var sum float64
				var n int
				for _, x := range *p {
					if x == x {
						sum += x
						n++
					}
				}
				return func(i int) float64 { return (*p)[i] / (sum / float64(n)) }
			}},
		{Name: "canary_centered", Family: "canary", Formula: "centred 5-day mean of the fear & greed index", Warmup: 2,
			Inputs: []string{feature.ObsFearGreed}, Level: feature.LevelMarket,
			New: func(in *feature.Input) feature.StepFunc {
				p := in.Col(feature.ObsFearGreed)
				return func(i int) float64 {
					c := *p
					if i < 2 || i+2 >= len(c) {
						return 0
					}
					return (c[i-2] + c[i-1] + c[i] + c[i+1] + c[i+2]) / 5
				}
			}},
	}
}

func TestHarnessFlagsCanaries(t *testing.T) {
	s := synthSeries(23, 400, true)
	m := synthMarket(24, 400, 5)
	cp := lookahead.Cuts(400, 10)
	for _, f := range canaries() {
		t.Run(f.Name, func(t *testing.T) {
			var err error
			if f.Level == feature.LevelToken {
				err = lookahead.Check(f, s, cp)
			} else {
				err = lookahead.CheckMarket(f, m, cp)
			}
			if err == nil {
				t.Fatal("leaky canary passed the look-ahead harness")
			}
			t.Log(err)
		})
		if _, ok := feature.Lookup(f.Name); ok {
			t.Errorf("canary %s is in the production registry", f.Name)
		}
	}
}

// TestNoLookAheadBuild runs the checks on the whole build, where factors
// share intermediate states.
func TestNoLookAheadBuild(t *testing.T) {
	n := 800
	s := synthSeries(25, n, true)
	if err := lookahead.CheckBuild(feature.ByLevel(feature.LevelToken), s, lookahead.Cuts(n, 12)); err != nil {
		t.Error(err)
	}
}
