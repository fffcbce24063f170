package detect_test

import (
	"bytes"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/regime-engine/regime"
	"github.com/regime-engine/regime/detect"
	"github.com/regime-engine/regime/model"
	"github.com/regime-engine/regime/model/gbt"
)

// regimeMarket is a seeded price path alternating bull and bear spells
// with the features the models see (30- and 90-day log returns, distance
// to the 100-day mean), NaN during warm-up.
func regimeMarket(n int, seed uint64) ([]regime.Date, []float64, [][]float64, []string) {
	rng := rand.New(rand.NewPCG(seed, 1))
	dates := make([]regime.Date, n)
	price := make([]float64, n)
	start := regime.MustDate("2015-01-01")
	lp, drift := math.Log(100), 0.004
	for i := range price {
		if i%300 == 0 && i > 0 {
			drift = -drift
		}
		lp += drift + 0.025*rng.NormFloat64()
		price[i] = math.Exp(lp)
		dates[i] = start.AddDays(i)
	}
	names := []string{"ret_30d", "ret_90d", "px_mean_100"}
	X := make([][]float64, n)
	for i := range X {
		X[i] = []float64{math.NaN(), math.NaN(), math.NaN()}
		if i >= 30 {
			X[i][0] = math.Log(price[i] / price[i-30])
		}
		if i >= 90 {
			X[i][1] = math.Log(price[i] / price[i-90])
		}
		if i >= 99 {
			var s float64
			for j := i - 99; j <= i; j++ {
				s += price[j]
			}
			X[i][2] = price[i]/(s/100) - 1
		}
	}
	return dates, price, X, names
}

func testModelConfig() detect.ModelConfig {
	cfg := detect.DefaultModelConfig()
	cfg.Schedule = model.Schedule{RetrainEvery: 120, MinTrain: 400, Embargo: 20}
	cfg.MinLabels = 150
	cfg.GBT.Trees = 15
	cfg.HMM.Restarts = 1
	cfg.HMM.MaxIter = 30
	cfg.HMMFeatures = []string{"ret_30d", "px_mean_100"}
	cfg.Dating.MinPhaseDays, cfg.Dating.MinCycleDays, cfg.Dating.CensorDays = 30, 90, 30
	return cfg
}

func TestWalkForwardModelsLearnRegimes(t *testing.T) {
	n := 1500
	if testing.Short() {
		n = 1000
	}
	dates, price, X, names := regimeMarket(n, 1)
	run, err := detect.WalkForwardModels(dates, price, X, names, testModelConfig())
	if err != nil {
		t.Fatal(err)
	}
	d, err := detect.DateCycles(dates, price, testModelConfig().Dating)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range detect.ModelNames() {
		t.Run(m, func(t *testing.T) {
			s := detect.ProbState(run.Prob[m], 0.45, 0.55)
			first := 0
			for first < n && math.IsNaN(run.Prob[m][first]) {
				first++
			}
			if first == n {
				t.Fatal("no prediction")
			}
			sc, err := detect.Score(s[first:], d.Confirmed()[first:], dates[first:], price[first:], detect.DefaultScoreOptions())
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%s: balanced accuracy %.3f from %s", m, sc.BalancedAccuracy, dates[first])
			if sc.BalancedAccuracy < 0.7 {
				t.Errorf("balanced accuracy %.3f < 0.7", sc.BalancedAccuracy)
			}
		})
	}
	for _, f := range run.Folds {
		if f.Cutoff >= f.Test.From {
			t.Errorf("fold cutoff %s not before its test block %s", f.Cutoff, f.Test)
		}
	}
}

// TestWalkForwardModelsNoLookAhead poisons every price and feature after a
// day t and checks that every probability up to t is unchanged: the
// labels are re-dated with data up to each cutoff only.
func TestWalkForwardModelsNoLookAhead(t *testing.T) {
	dating := testModelConfig()
	forward := testModelConfig()
	forward.ForwardHorizon = 30
	for name, cfg := range map[string]detect.ModelConfig{"dating labels": dating, "forward-return labels": forward} {
		t.Run(name, func(t *testing.T) { checkNoLookAhead(t, cfg) })
	}
}

func checkNoLookAhead(t *testing.T, cfg detect.ModelConfig) {
	dates, price, X, names := regimeMarket(1000, 2)
	full, err := detect.WalkForwardModels(dates, price, X, names, cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, at := range []int{650, 777} {
		p2 := append([]float64(nil), price...)
		X2 := make([][]float64, len(X))
		for i := range X {
			X2[i] = append([]float64(nil), X[i]...)
			if i > at {
				p2[i] = price[i] * 7
				for j := range X2[i] {
					X2[i][j] = -X2[i][j] * 3
				}
			}
		}
		poisoned, err := detect.WalkForwardModels(dates, p2, X2, names, cfg)
		if err != nil {
			t.Fatal(err)
		}
		for m, p := range full.Prob {
			for i := 0; i <= at; i++ {
				a, b := p[i], poisoned.Prob[m][i]
				if a != b && !(math.IsNaN(a) && math.IsNaN(b)) {
					t.Fatalf("%s day %d (poisoned after %d): %v vs %v", m, i, at, a, b)
				}
			}
		}
	}
}

func TestWalkForwardModelsReproducible(t *testing.T) {
	dates, price, X, names := regimeMarket(900, 3)
	cfg := testModelConfig()
	a, err := detect.WalkForwardModels(dates, price, X, names, cfg)
	if err != nil {
		t.Fatal(err)
	}
	b, err := detect.WalkForwardModels(dates, price, X, names, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if a.Hash() != b.Hash() || a.Hash() == "" {
		t.Fatalf("hashes %q and %q", a.Hash(), b.Hash())
	}
	// A saved fold model loads back with its training window and hash.
	f := a.Folds[len(a.Folds)-1]
	var buf bytes.Buffer
	if err := f.Save(detect.ModelGBT, &buf); err != nil {
		t.Fatal(err)
	}
	m, err := gbt.Load(&buf)
	if err != nil {
		t.Fatal(err)
	}
	var want model.Meta
	for _, mm := range f.Metas {
		if mm.Kind == gbt.Kind {
			want = mm
		}
	}
	if got := m.Meta(); got.Hash != want.Hash || got.To > f.Cutoff || len(got.Features) != len(names) {
		t.Errorf("loaded meta %+v, want hash %s trained up to %s", got, want.Hash, f.Cutoff)
	}
	if err := f.Save("nothing", &buf); regime.ErrorCode(err) != regime.ENOTFOUND {
		t.Errorf("saving an unknown model: %v", err)
	}
}

func TestWalkForwardModelsErrors(t *testing.T) {
	dates, price, X, names := regimeMarket(500, 4)
	cfg := testModelConfig()
	if _, err := detect.WalkForwardModels(dates, price[:10], X, names, cfg); regime.ErrorCode(err) != regime.EINVALID {
		t.Errorf("short prices: %v", err)
	}
	bad := cfg
	bad.Models = []string{"svm"}
	if _, err := detect.WalkForwardModels(dates, price, X, names, bad); regime.ErrorCode(err) != regime.EINVALID {
		t.Errorf("unknown model: %v", err)
	}
}

// TestWalkForwardCalibration covers the walk-forward calibration option:
// maps are fitted at each cutoff on earlier out-of-sample outputs only, so
// poisoning the future changes nothing up to t, and calibrated outputs are
// probabilities.
func TestWalkForwardCalibration(t *testing.T) {
	dates, price, X, names := regimeMarket(1000, 5)
	for _, method := range []string{model.CalibPlatt, model.CalibIsotonic} {
		t.Run(method, func(t *testing.T) {
			cfg := testModelConfig()
			cfg.Calibration, cfg.MinCalibration = method, 60
			run, err := detect.WalkForwardModels(dates, price, X, names, cfg)
			if err != nil {
				t.Fatal(err)
			}
			calibrated := 0
			for _, f := range run.Folds {
				calibrated += len(f.Calibrators)
			}
			if calibrated == 0 {
				t.Fatal("no fold was calibrated")
			}
			for m, p := range run.Prob {
				for i, v := range p {
					if math.IsNaN(v) != math.IsNaN(run.Raw[m][i]) || v < 0 || v > 1 {
						t.Fatalf("%s day %d: calibrated %v, raw %v", m, i, v, run.Raw[m][i])
					}
				}
			}
			at := 800
			p2 := append([]float64(nil), price...)
			for i := at + 1; i < len(p2); i++ {
				p2[i] *= 5
			}
			poisoned, err := detect.WalkForwardModels(dates, p2, X, names, cfg)
			if err != nil {
				t.Fatal(err)
			}
			for m, p := range run.Prob {
				for i := 0; i <= at; i++ {
					if a, b := p[i], poisoned.Prob[m][i]; a != b && !(math.IsNaN(a) && math.IsNaN(b)) {
						t.Fatalf("%s day %d: %v vs %v after poisoning prices after %d", m, i, a, b, at)
					}
				}
			}
		})
	}
	cfg := testModelConfig()
	cfg.Calibration = "magic"
	if _, err := detect.WalkForwardModels(dates, price, X, names, cfg); regime.ErrorCode(err) != regime.EINVALID {
		t.Errorf("unknown calibration: %v", err)
	}
}

func BenchmarkWalkForwardModels(b *testing.B) {
	dates, price, X, names := regimeMarket(2000, 6)
	cfg := testModelConfig()
	b.ResetTimer()
	for range b.N {
		if _, err := detect.WalkForwardModels(dates, price, X, names, cfg); err != nil {
			b.Fatal(err)
		}
	}
}
