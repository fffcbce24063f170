package logistic_test

import (
	"bytes"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/regime-engine/regime"
	"github.com/regime-engine/regime/model"
	"github.com/regime-engine/regime/model/logistic"
)

// synth draws n rows of p standard-normal features and labels from a
// softmax with the given true logit weights (k rows of p+1, intercept last;
// one row = binary).
func synth(seed uint64, n, p int, beta [][]float64) ([][]float64, []int) {
	r := rand.New(rand.NewPCG(seed, 99))
	X := make([][]float64, n)
	y := make([]int, n)
	for i := range X {
		x := make([]float64, p)
		for j := range x {
			x[j] = r.NormFloat64()
		}
		X[i] = x
		eta := make([]float64, len(beta))
		for k, b := range beta {
			eta[k] = b[p]
			for j := range x {
				eta[k] += b[j] * x[j]
			}
		}
		if len(beta) == 1 {
			if r.Float64() < 1/(1+math.Exp(-eta[0])) {
				y[i] = 1
			}
			continue
		}
		s, u := 0.0, r.Float64()
		for _, e := range eta {
			s += math.Exp(e)
		}
		acc := 0.0
		y[i] = len(beta) - 1
		for k, e := range eta {
			acc += math.Exp(e) / s
			if u < acc {
				y[i] = k
				break
			}
		}
	}
	return X, y
}

func TestGradientMatchesFiniteDifferences(t *testing.T) {
	for _, k := range []int{2, 3} {
		X, _ := synth(1, 50, 4, [][]float64{{0, 0, 0, 0, 0}})
		r := rand.New(rand.NewPCG(2, 2))
		y := make([]int, len(X))
		w := make([]float64, len(X))
		for i := range y {
			y[i] = r.IntN(k)
			w[i] = 0.5 + r.Float64()
		}
		obj := logistic.NewObjective(X, y, w, k, 0.3)
		theta := make([]float64, obj.Dim())
		for i := range theta {
			theta[i] = r.NormFloat64()
		}
		g := make([]float64, obj.Dim())
		obj.Grad(g, theta)
		for i := range theta {
			h := 1e-6
			tp := append([]float64(nil), theta...)
			tm := append([]float64(nil), theta...)
			tp[i] += h
			tm[i] -= h
			fd := (obj.Func(tp) - obj.Func(tm)) / (2 * h)
			if math.Abs(fd-g[i]) > 1e-6*math.Max(1, math.Abs(fd)) {
				t.Errorf("k=%d: d/dθ%d analytic %v, finite difference %v", k, i, g[i], fd)
			}
		}
	}
}

// newtonIRLS solves the same penalised binary problem by Newton's method
// with gonum/mat, as an independent reference: it standardises X the way
// the model documents (population standard deviation), penalises all but
// the intercept with λ and normalises the loss by Σw.
func newtonIRLS(X [][]float64, y []int, lambda float64) func(x []float64) float64 {
	n, p := len(X), len(X[0])
	mean, sd := make([]float64, p), make([]float64, p)
	for j := 0; j < p; j++ {
		for i := range X {
			mean[j] += X[i][j] / float64(n)
		}
		for i := range X {
			sd[j] += (X[i][j] - mean[j]) * (X[i][j] - mean[j]) / float64(n)
		}
		sd[j] = math.Sqrt(sd[j])
	}
	A := mat.NewDense(n, p+1, nil)
	for i := range X {
		for j := 0; j < p; j++ {
			A.Set(i, j, (X[i][j]-mean[j])/sd[j])
		}
		A.Set(i, p, 1)
	}
	beta := mat.NewVecDense(p+1, nil)
	for it := 0; it < 50; it++ {
		eta := mat.NewVecDense(n, nil)
		eta.MulVec(A, beta)
		g := mat.NewVecDense(p+1, nil)
		H := mat.NewDense(p+1, p+1, nil)
		for i := 0; i < n; i++ {
			q := 1 / (1 + math.Exp(-eta.AtVec(i)))
			for a := 0; a <= p; a++ {
				g.SetVec(a, g.AtVec(a)+(q-float64(y[i]))*A.At(i, a)/float64(n))
				for b := 0; b <= p; b++ {
					H.Set(a, b, H.At(a, b)+q*(1-q)*A.At(i, a)*A.At(i, b)/float64(n))
				}
			}
		}
		for a := 0; a < p; a++ {
			g.SetVec(a, g.AtVec(a)+lambda*beta.AtVec(a))
			H.Set(a, a, H.At(a, a)+lambda)
		}
		var step mat.VecDense
		if err := step.SolveVec(H, g); err != nil {
			panic(err)
		}
		beta.SubVec(beta, &step)
	}
	return func(x []float64) float64 {
		s := beta.AtVec(p)
		for j := range x {
			s += beta.AtVec(j) * (x[j] - mean[j]) / sd[j]
		}
		return 1 / (1 + math.Exp(-s))
	}
}

func TestBinaryMatchesNewtonReference(t *testing.T) {
	X, y := synth(3, 400, 3, [][]float64{{1.5, -2, 0.3, 0.2}})
	for _, l2 := range []float64{1e-3, 0.1} {
		m := logistic.New(logistic.Config{L2: l2, Tol: 1e-10})
		if err := m.Fit(X, y, nil); err != nil {
			t.Fatal(err)
		}
		ref := newtonIRLS(X, y, l2)
		worst := 0.0
		for _, x := range X {
			worst = math.Max(worst, math.Abs(m.PredictProba(x)[1]-ref(x)))
		}
		if worst > 1e-6 {
			t.Errorf("λ=%v: max |p - p_newton| = %g", l2, worst)
		}
	}
}

func TestMultinomialRecoversWeights(t *testing.T) {
	beta := [][]float64{{-2, 0, 0}, {0, 0, 0.5}, {2, 1, 0}}
	X, y := synth(4, 6000, 2, beta)
	m := logistic.New(logistic.Config{L2: 1e-6, Classes: 3})
	if err := m.Fit(X, y, nil); err != nil {
		t.Fatal(err)
	}
	// Compare probabilities with the true softmax on fresh rows.
	Xt, _ := synth(5, 500, 2, beta)
	worst := 0.0
	for _, x := range Xt {
		p := m.PredictProba(x)
		eta := make([]float64, 3)
		s := 0.0
		for k, b := range beta {
			eta[k] = math.Exp(b[0]*x[0] + b[1]*x[1] + b[2])
			s += eta[k]
		}
		for k := range p {
			worst = math.Max(worst, math.Abs(p[k]-eta[k]/s))
		}
		if math.Abs(p[0]+p[1]+p[2]-1) > 1e-12 {
			t.Fatalf("probabilities %v do not sum to 1", p)
		}
	}
	if worst > 0.06 {
		t.Fatalf("max probability error %.3f vs the true model", worst)
	}
}

func TestSaveLoadBitIdentical(t *testing.T) {
	X, y := synth(6, 800, 5, [][]float64{{1, -1, 0.5, 0, 0, -0.5}, {0, 1, 0, 0, 0, 0}, {0, 0, 0, 1, 1, 0}})
	nan := math.NaN()
	for i := 0; i < len(X); i += 7 {
		X[i][2] = nan
	}
	dates := make([]regime.Date, len(X))
	for i := range dates {
		dates[i] = regime.MustDate("2020-01-01") + regime.Date(i)
	}
	d := model.Dataset{Features: []string{"a", "b", "c", "d", "e"}, Dates: dates, X: X, Y: y}
	for _, cal := range []string{model.CalibNone, model.CalibPlatt, model.CalibIsotonic} {
		t.Run("calibration="+cal, func(t *testing.T) {
			m := logistic.New(logistic.Config{Calibration: model.Calibration{Method: cal, Gap: 3}})
			if err := m.FitDataset(d); err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			if err := m.Save(&buf); err != nil {
				t.Fatal(err)
			}
			saved := buf.String()
			l, err := logistic.Load(&buf)
			if err != nil {
				t.Fatal(err)
			}
			if l.Meta().Hash != m.Meta().Hash || m.Meta().From != dates[0] || l.Meta().To != dates[len(dates)-1] {
				t.Fatalf("meta %+v vs %+v", l.Meta(), m.Meta())
			}
			probe := append(X[:50:50], []float64{nan, nan, nan, nan, nan}, []float64{1e6, -1e6, 0, nan, 3},
				[]float64{math.Inf(1), math.Inf(-1), 0, nan, 3})
			for _, x := range probe {
				a, b := m.PredictProba(x), l.PredictProba(x)
				for k := range a {
					if math.Float64bits(a[k]) != math.Float64bits(b[k]) || math.IsNaN(a[k]) {
						t.Fatalf("row %v: %v vs %v", x, a, b)
					}
				}
			}
			var again bytes.Buffer
			if err := l.Save(&again); err != nil || again.String() != saved {
				t.Fatalf("re-save differs (err %v)", err)
			}
			m2 := logistic.New(logistic.Config{Calibration: model.Calibration{Method: cal, Gap: 3}})
			if err := m2.FitDataset(d); err != nil || m2.Meta().Hash != m.Meta().Hash {
				t.Fatalf("refit hash %s vs %s (err %v)", m2.Meta().Hash, m.Meta().Hash, err)
			}
		})
	}
}

func TestMissingIndicatorCarriesSignal(t *testing.T) {
	// The label is 1 exactly when feature 0 is missing: only the indicator
	// can explain it.
	r := rand.New(rand.NewPCG(7, 7))
	var X [][]float64
	var y []int
	for range 500 {
		x := []float64{r.NormFloat64(), r.NormFloat64()}
		v := 0
		if r.IntN(3) == 0 {
			x[0], v = math.NaN(), 1
		}
		X, y = append(X, x), append(y, v)
	}
	m := logistic.New(logistic.Config{})
	if err := m.Fit(X, y, nil); err != nil {
		t.Fatal(err)
	}
	if p := m.PredictProba([]float64{math.NaN(), 0})[1]; p < 0.9 {
		t.Errorf("P(1 | missing) = %.3f", p)
	}
	if p := m.PredictProba([]float64{0, 0})[1]; p > 0.1 {
		t.Errorf("P(1 | observed) = %.3f", p)
	}
}

func TestFitErrors(t *testing.T) {
	tests := []struct {
		name string
		X    [][]float64
		y    []int
		w    []float64
		cfg  logistic.Config
	}{
		{"no rows", nil, nil, nil, logistic.Config{}},
		{"ragged", [][]float64{{1, 2}, {1}}, []int{0, 1}, nil, logistic.Config{}},
		{"label count", [][]float64{{1}, {2}}, []int{0}, nil, logistic.Config{}},
		{"negative label", [][]float64{{1}, {2}}, []int{0, -1}, nil, logistic.Config{}},
		{"label above classes", [][]float64{{1}, {2}}, []int{0, 2}, nil, logistic.Config{Classes: 2}},
		{"zero weights", [][]float64{{1}, {2}}, []int{0, 1}, []float64{0, 0}, logistic.Config{}},
		{"infinite value", [][]float64{{1}, {math.Inf(1)}}, []int{0, 1}, nil, logistic.Config{}},
		{"calibration too short", [][]float64{{1}, {2}}, []int{0, 1}, nil, logistic.Config{Calibration: model.Calibration{Method: model.CalibPlatt}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := logistic.New(tt.cfg).Fit(tt.X, tt.y, tt.w)
			if regime.ErrorCode(err) != regime.EINVALID {
				t.Fatalf("err = %v, want EINVALID", err)
			}
		})
	}
	m := logistic.New(logistic.Config{})
	if m.PredictProba([]float64{1}) != nil || m.Save(&bytes.Buffer{}) == nil {
		t.Fatal("unfitted model predicted or saved")
	}
	if _, err := logistic.Load(bytes.NewBufferString(`{"meta":{"kind":"gbt"}}`)); regime.ErrorCode(err) != regime.EINVALID {
		t.Fatalf("foreign kind: %v", err)
	}
}

func BenchmarkFit(b *testing.B) {
	X, y := synth(8, 5000, 40, [][]float64{append(make([]float64, 40), 0.2)})
	b.ResetTimer()
	for b.Loop() {
		if err := logistic.New(logistic.Config{}).Fit(X, y, nil); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPredict(b *testing.B) {
	X, y := synth(8, 5000, 40, [][]float64{append(make([]float64, 40), 0.2)})
	m := logistic.New(logistic.Config{})
	if err := m.Fit(X, y, nil); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	i := 0
	for b.Loop() {
		m.PredictProba(X[i%len(X)])
		i++
	}
}
