// Package lookahead proves that factors do not look ahead. It is a test
// helper shared by the feature tests and by later packages (detectors,
// models) that want the same guarantee for their own series functions.
//
// Two checks run at many cut points t of a series:
//
//   - prefix truncation: computing on days 0..t gives exactly (bit for
//     bit, NaN equal to NaN) the values computed on the full history at
//     days 0..t;
//   - future poisoning: replacing every input after t with NaN, +Inf,
//     -Inf, huge spikes, zeros or negatives leaves days 0..t unchanged.
package lookahead

import (
	"fmt"
	"math"

	"github.com/regime-engine/regime/feature"
)

// Values runs factor f over every day of in and returns its values.
func Values(f feature.Factor, in *feature.Input) []float64 {
	out := make([]float64, in.Len())
	step := f.New(in)
	for i := range out {
		out[i] = step(i)
	}
	return out
}

// Poisons are the replacement rules applied to inputs after a cut point.
var Poisons = []struct {
	Name string
	Fn   func(x float64) float64
}{
	{"NaN", func(float64) float64 { return math.NaN() }},
	{"+Inf", func(float64) float64 { return math.Inf(1) }},
	{"-Inf", func(float64) float64 { return math.Inf(-1) }},
	{"spike", func(x float64) float64 { return x*1e6 + 1e12 }},
	{"zero", func(float64) float64 { return 0 }},
	{"negative", func(x float64) float64 { return -math.Abs(x) - 1 }},
}

// Cuts returns k cut points spread over [0, n): the first days, evenly
// spaced points and the last days, sorted and distinct.
func Cuts(n, k int) []int {
	seen := map[int]bool{}
	var out []int
	add := func(t int) {
		if t >= 0 && t < n && !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
	}
	for _, t := range []int{0, 1, 2, n - 2, n - 1} {
		add(t)
	}
	for j := 1; j <= k; j++ {
		add(j * (n - 1) / (k + 1))
	}
	// sort (small)
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j] < out[j-1]; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

// same reports bit-for-bit equality, treating every NaN as equal.
func same(a, b float64) bool {
	if math.IsNaN(a) || math.IsNaN(b) {
		return math.IsNaN(a) && math.IsNaN(b)
	}
	return math.Float64bits(a) == math.Float64bits(b)
}

func compare(f feature.Factor, what string, t int, full, got []float64) error {
	for i := 0; i <= t && i < len(got); i++ {
		if !same(full[i], got[i]) {
			return fmt.Errorf("lookahead: factor %s: value at day %d changes when %s after day %d: full history %v, now %v",
				f.Name, i, what, t, full[i], got[i])
		}
	}
	return nil
}

// Check runs both checks for a token-level factor over s at the given
// cut points and returns the first violation.
func Check(f feature.Factor, s *feature.Series, cuts []int) error {
	for _, name := range f.Inputs {
		if feature.NewTokenInput(s).Col(name) == nil {
			return fmt.Errorf("lookahead: factor %s: input %s absent from the test series", f.Name, name)
		}
	}
	full := Values(f, feature.NewTokenInput(s))
	for _, t := range cuts {
		got := Values(f, feature.NewTokenInput(s.Truncate(t+1)))
		if err := compare(f, "the data is cut", t, full, got); err != nil {
			return err
		}
		for _, p := range Poisons {
			ps := s.Clone()
			ps.Columns(func(_ string, v []float64) {
				for i := t + 1; i < len(v); i++ {
					v[i] = p.Fn(v[i])
				}
			})
			got := Values(f, feature.NewTokenInput(ps))
			if err := compare(f, "the data is poisoned with "+p.Name, t, full, got); err != nil {
				return err
			}
		}
	}
	return nil
}

// CheckMarket is Check for a market-level factor over m.
func CheckMarket(f feature.Factor, m *feature.Market, cuts []int) error {
	in := feature.NewMarketInput(m)
	for _, name := range f.Inputs {
		if name == feature.InCloses {
			if in.Closes() == nil {
				return fmt.Errorf("lookahead: factor %s: input %s absent from the test market", f.Name, name)
			}
			continue
		}
		if in.Col(name) == nil {
			return fmt.Errorf("lookahead: factor %s: input %s absent from the test market", f.Name, name)
		}
	}
	full := Values(f, in)
	for _, t := range cuts {
		got := Values(f, feature.NewMarketInput(m.Truncate(t+1)))
		if err := compare(f, "the data is cut", t, full, got); err != nil {
			return err
		}
		for _, p := range Poisons {
			pm := m.Clone()
			pm.Columns(func(_ string, v []float64) {
				for i := t + 1; i < len(v); i++ {
					v[i] = p.Fn(v[i])
				}
			})
			for _, b := range pm.Member {
				for i := t + 1; i < len(b); i++ {
					b[i] = !b[i]
				}
			}
			got := Values(f, feature.NewMarketInput(pm))
			if err := compare(f, "the data is poisoned with "+p.Name, t, full, got); err != nil {
				return err
			}
		}
	}
	return nil
}

func sameMatrix(full, got *feature.Matrix, what string, t int) error {
	for j, name := range full.Names {
		a, b := full.Col(j), got.Col(j)
		for i := 0; i <= t && i < len(b); i++ {
			if !same(float64(a[i]), float64(b[i])) {
				return fmt.Errorf("lookahead: build: factor %s: value at day %d changes when %s after day %d: full history %v, now %v",
					name, i, what, t, a[i], b[i])
			}
		}
	}
	return nil
}

// CheckBuild runs both checks on a whole token-level build of fs (the
// production path, where factors share intermediate states).
func CheckBuild(fs []feature.Factor, s *feature.Series, cuts []int) error {
	full, err := feature.Build(s, fs)
	if err != nil {
		return err
	}
	for _, t := range cuts {
		got, err := feature.Build(s.Truncate(t+1), fs)
		if err != nil {
			return err
		}
		if err := sameMatrix(full, got, "the data is cut", t); err != nil {
			return err
		}
		for _, p := range Poisons {
			ps := s.Clone()
			ps.Columns(func(_ string, v []float64) {
				for i := t + 1; i < len(v); i++ {
					v[i] = p.Fn(v[i])
				}
			})
			got, err := feature.Build(ps, fs)
			if err != nil {
				return err
			}
			if err := sameMatrix(full, got, "the data is poisoned with "+p.Name, t); err != nil {
				return err
			}
		}
	}
	return nil
}
