package hmm_test

import (
	"bytes"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/regime-engine/regime"
	"github.com/regime-engine/regime/model"
	"github.com/regime-engine/regime/model/hmm"
)

// process is a known Gaussian HMM to simulate.
type process struct {
	trans [][]float64
	mean  [][]float64
	sd    [][]float64
}

var threeState = process{
	trans: [][]float64{{0.95, 0.04, 0.01}, {0.03, 0.94, 0.03}, {0.01, 0.04, 0.95}},
	mean:  [][]float64{{-2, 1.5}, {0, 0.5}, {2, 1}},
	sd:    [][]float64{{0.8, 0.3}, {0.5, 0.2}, {0.7, 0.3}},
}

// simulate draws T rows and the hidden states, starting in state 1.
func (p process) simulate(seed uint64, T int) ([][]float64, []int) {
	r := rand.New(rand.NewPCG(seed, 3))
	X := make([][]float64, T)
	z := make([]int, T)
	s := 1
	for t := range X {
		if t > 0 {
			u, acc := r.Float64(), 0.0
			for j, a := range p.trans[s] {
				acc += a
				if u < acc {
					s = j
					break
				}
			}
		}
		z[t] = s
		x := make([]float64, len(p.mean[s]))
		for j := range x {
			x[j] = p.mean[s][j] + p.sd[s][j]*r.NormFloat64()
		}
		X[t] = x
	}
	return X, z
}

func TestRecoversSimulatedParameters(t *testing.T) {
	X, z := threeState.simulate(1, 4000)
	// The true states are already in canonical order (means -2, 0, 2 on
	// feature 0), so fitted state s must match true state s.
	m := hmm.New(hmm.Config{States: 3, Seed: 7})
	if err := m.Fit(X); err != nil {
		t.Fatal(err)
	}
	mean, vr, tr := m.Means(), m.Variances(), m.Transitions()
	for s := 0; s < 3; s++ {
		for j := 0; j < 2; j++ {
			if d := math.Abs(mean[s][j] - threeState.mean[s][j]); d > 0.1 {
				t.Errorf("state %d feature %d: mean %.3f, true %.3f", s, j, mean[s][j], threeState.mean[s][j])
			}
			if sd := math.Sqrt(vr[s][j]); math.Abs(sd-threeState.sd[s][j]) > 0.1*threeState.sd[s][j] {
				t.Errorf("state %d feature %d: sd %.3f, true %.3f", s, j, sd, threeState.sd[s][j])
			}
		}
		for j := 0; j < 3; j++ {
			if d := math.Abs(tr[s][j] - threeState.trans[s][j]); d > 0.03 {
				t.Errorf("transition %d→%d: %.3f, true %.3f", s, j, tr[s][j], threeState.trans[s][j])
			}
		}
	}
	// Filtered states agree with the truth most of the time.
	f := m.Filter(X)
	hit := 0
	for i, p := range f {
		best := 0
		for s := range p {
			if p[s] > p[best] {
				best = s
			}
		}
		if best == z[i] {
			hit++
		}
	}
	if acc := float64(hit) / float64(len(X)); acc < 0.9 {
		t.Errorf("filtered state accuracy %.3f", acc)
	}
}

func TestFilterHasNoLookAhead(t *testing.T) {
	X, _ := threeState.simulate(2, 600)
	m := hmm.New(hmm.Config{States: 3, Restarts: 2, Seed: 1})
	if err := m.Fit(X); err != nil {
		t.Fatal(err)
	}
	base := m.Filter(X)
	r := rand.New(rand.NewPCG(5, 5))
	for _, cut := range []int{0, 1, 50, 299, 598} {
		Y := make([][]float64, len(X))
		copy(Y, X[:cut+1])
		for t := cut + 1; t < len(Y); t++ {
			Y[t] = []float64{10 * r.NormFloat64(), math.NaN()}
		}
		got := m.Filter(Y)
		for i := 0; i <= cut; i++ {
			for s := range got[i] {
				if math.Float64bits(got[i][s]) != math.Float64bits(base[i][s]) {
					t.Fatalf("filtered probability at row %d changed when rows after %d changed: %v vs %v", i, cut, got[i], base[i])
				}
			}
		}
		short := m.Filter(X[:cut+1])
		for s := range short[cut] {
			if short[cut][s] != base[cut][s] {
				t.Fatalf("truncating after row %d changed its filtered probabilities: %v vs %v", cut, short[cut], base[cut])
			}
		}
	}
}

func TestLogLikelihoodNonDecreasing(t *testing.T) {
	X, _ := threeState.simulate(3, 1500)
	for i := 0; i < len(X); i += 11 {
		X[i][1] = math.NaN() // EM stays monotone with missing values
	}
	for _, k := range []int{2, 3, 4} {
		m := hmm.New(hmm.Config{States: k, Restarts: 3, Seed: uint64(k), MaxIter: 100})
		if err := m.Fit(X); err != nil {
			t.Fatal(err)
		}
		tr := m.LogLikTrace()
		if len(tr) < 3 {
			t.Fatalf("k=%d: trace %v", k, tr)
		}
		for i := 1; i < len(tr); i++ {
			if tr[i] < tr[i-1]-1e-9*math.Abs(tr[i-1]) {
				t.Fatalf("k=%d: log-likelihood fell at iteration %d: %.12g -> %.12g", k, i, tr[i-1], tr[i])
			}
		}
	}
}

func TestStreamingMatchesBatch(t *testing.T) {
	X, _ := threeState.simulate(4, 300)
	X[10] = []float64{math.NaN(), math.NaN()}
	m := hmm.New(hmm.Config{States: 3, Restarts: 2})
	if err := m.Fit(X); err != nil {
		t.Fatal(err)
	}
	batch := m.Filter(X)
	f := m.NewFilter()
	for i, x := range X {
		p := f.Step(x)
		sum := 0.0
		for s := range p {
			sum += p[s]
			if p[s] != batch[i][s] {
				t.Fatalf("row %d: stream %v batch %v", i, p, batch[i])
			}
		}
		if math.Abs(sum-1) > 1e-12 {
			t.Fatalf("row %d sums to %v", i, sum)
		}
	}
	if ll := f.LogLikelihood(); math.IsNaN(ll) || ll >= 0 {
		t.Fatalf("log-likelihood %v", ll)
	}
	if f.Step([]float64{1}) != nil {
		t.Fatal("wrong-length row accepted")
	}
}

func TestCanonicalOrderIndependentOfSeed(t *testing.T) {
	X, _ := threeState.simulate(5, 2000)
	var first [][]float64
	for seed := uint64(0); seed < 4; seed++ {
		m := hmm.New(hmm.Config{States: 3, Restarts: 2, Seed: seed})
		if err := m.Fit(X); err != nil {
			t.Fatal(err)
		}
		mu := m.Means()
		if !(mu[0][0] < mu[1][0] && mu[1][0] < mu[2][0]) {
			t.Fatalf("seed %d: states not ascending by first feature: %v", seed, mu)
		}
		if first == nil {
			first = mu
		}
		for s := range mu {
			if math.Abs(mu[s][0]-first[s][0]) > 1e-3 {
				t.Fatalf("seed %d: state %d mean %v vs %v", seed, s, mu[s], first[s])
			}
		}
	}
}

func TestSaveLoadBitIdentical(t *testing.T) {
	X, _ := threeState.simulate(6, 800)
	dates := make([]regime.Date, len(X))
	for i := range dates {
		dates[i] = regime.MustDate("2021-01-01") + regime.Date(i)
	}
	d := model.Dataset{Features: []string{"ret", "vol"}, Dates: dates, X: X}
	cfg := hmm.Config{States: 3, Restarts: 3, Seed: 11}
	m := hmm.New(cfg)
	if err := m.FitDataset(d); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := m.Save(&buf); err != nil {
		t.Fatal(err)
	}
	saved := buf.String()
	l, err := hmm.Load(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if l.Meta().Hash != m.Meta().Hash || l.Meta().To != dates[len(dates)-1] || l.Meta().Features[0] != "ret" {
		t.Fatalf("meta %+v vs %+v", l.Meta(), m.Meta())
	}
	a, b := m.Filter(X), l.Filter(X)
	for i := range a {
		for s := range a[i] {
			if math.Float64bits(a[i][s]) != math.Float64bits(b[i][s]) {
				t.Fatalf("row %d: %v vs %v", i, a[i], b[i])
			}
		}
	}
	var again bytes.Buffer
	if err := l.Save(&again); err != nil || again.String() != saved {
		t.Fatalf("re-save differs (err %v)", err)
	}
	m2 := hmm.New(cfg)
	if err := m2.FitDataset(d); err != nil || m2.Meta().Hash != m.Meta().Hash {
		t.Fatalf("same seed, hash %s vs %s (err %v)", m2.Meta().Hash, m.Meta().Hash, err)
	}
}

func TestFitErrors(t *testing.T) {
	X, _ := threeState.simulate(7, 20)
	tests := []struct {
		name string
		cfg  hmm.Config
		X    [][]float64
	}{
		{"one state", hmm.Config{States: 1}, X},
		{"negative restarts", hmm.Config{Restarts: -1}, X},
		{"too few rows", hmm.Config{States: 3}, X[:5]},
		{"ragged", hmm.Config{}, append([][]float64{{1}}, X...)},
		{"never observed", hmm.Config{}, [][]float64{{math.NaN()}, {math.NaN()}, {math.NaN()}, {math.NaN()}}},
		{"infinite", hmm.Config{}, [][]float64{{1}, {2}, {math.Inf(1)}, {3}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := hmm.New(tt.cfg).Fit(tt.X); regime.ErrorCode(err) != regime.EINVALID {
				t.Fatalf("err = %v, want EINVALID", err)
			}
		})
	}
	m := hmm.New(hmm.Config{})
	if m.Filter(X) != nil || m.NewFilter() != nil || m.Save(&bytes.Buffer{}) == nil {
		t.Fatal("unfitted model filtered or saved")
	}
}

func BenchmarkFit(b *testing.B) {
	X, _ := threeState.simulate(8, 3000)
	for b.Loop() {
		if err := hmm.New(hmm.Config{States: 3, Seed: 1}).Fit(X); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkFilterStep(b *testing.B) {
	X, _ := threeState.simulate(8, 3000)
	m := hmm.New(hmm.Config{States: 3, Seed: 1})
	if err := m.Fit(X); err != nil {
		b.Fatal(err)
	}
	f := m.NewFilter()
	i := 0
	for b.Loop() {
		f.Step(X[i%len(X)])
		i++
	}
}
