package model_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/regime-engine/regime"
	"github.com/regime-engine/regime/model"
)

// overconfident draws outcomes with P(y=1)=sigmoid(z) and reports the
// miscalibrated sigmoid(3z+1).
func overconfident(r *rand.Rand, n int) (raw []float64, y []int) {
	for range n {
		z := r.NormFloat64()
		p := 1 / (1 + math.Exp(-z))
		v := 0
		if r.Float64() < p {
			v = 1
		}
		raw = append(raw, 1/(1+math.Exp(-(3*z+1))))
		y = append(y, v)
	}
	return raw, y
}

func TestCalibrationImprovesReliability(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	fitP, fitY := overconfident(r, 10000)
	testP, testY := overconfident(r, 20000)
	_, rawECE := model.Reliability(testP, testY, 10)
	rawBrier := model.Brier(testP, testY, nil)
	for _, method := range []string{model.CalibPlatt, model.CalibIsotonic} {
		t.Run(method, func(t *testing.T) {
			P := make([][]float64, len(fitP))
			for i, p := range fitP {
				P[i] = []float64{1 - p, p}
			}
			cal, err := model.FitCalibrator(method, P, fitY, nil)
			if err != nil {
				t.Fatal(err)
			}
			q := make([]float64, len(testP))
			for i, p := range testP {
				out := cal.Apply([]float64{1 - p, p})
				if math.Abs(out[0]+out[1]-1) > 1e-12 {
					t.Fatalf("probabilities %v do not sum to 1", out)
				}
				q[i] = out[1]
			}
			bins, ece := model.Reliability(q, testY, 10)
			brier := model.Brier(q, testY, nil)
			t.Logf("%s: ECE %.4f -> %.4f, Brier %.4f -> %.4f", method, rawECE, ece, rawBrier, brier)
			if ece > 0.03 || ece > rawECE/3 {
				t.Errorf("ECE %.4f after calibration (raw %.4f)", ece, rawECE)
			}
			if brier >= rawBrier {
				t.Errorf("Brier %.4f not below raw %.4f", brier, rawBrier)
			}
			tol := 0.05
			if method == model.CalibIsotonic {
				tol = 0.08 // step function: the extreme blocks are noisy
			}
			for _, b := range bins {
				if b.Count > 500 && math.Abs(b.MeanPred-b.Freq) > tol {
					t.Errorf("bin [%.1f,%.1f): predicted %.3f observed %.3f", b.Lo, b.Hi, b.MeanPred, b.Freq)
				}
			}
		})
	}
}

func TestPlattRecoversKnownMap(t *testing.T) {
	// Outcomes drawn with P(y=1) = sigmoid(0.5*logit(p) - 0.3): Platt must find A≈0.5, B≈-0.3.
	r := rand.New(rand.NewPCG(8, 9))
	var p []float64
	var y []int
	for range 50000 {
		z := 3 * r.NormFloat64()
		q := 1 / (1 + math.Exp(-(0.5*z - 0.3)))
		v := 0
		if r.Float64() < q {
			v = 1
		}
		p = append(p, 1/(1+math.Exp(-z)))
		y = append(y, v)
	}
	c := model.FitPlatt(p, y, nil)
	if math.Abs(float64(c.A)-0.5) > 0.03 || math.Abs(float64(c.B)+0.3) > 0.05 {
		t.Fatalf("A=%v B=%v, want 0.5, -0.3", c.A, c.B)
	}
}

func TestIsotonicIsMonotoneAndPools(t *testing.T) {
	p := []float64{0.1, 0.2, 0.3, 0.4, 0.5, 0.6}
	y := []int{0, 1, 0, 0, 1, 1}
	iso := model.FitIsotonic(p, y, nil)
	// PAV pools {0.2,0.3,0.4} to 1/3.
	want := map[float64]float64{0.1: 0, 0.2: 1.0 / 3, 0.3: 1.0 / 3, 0.4: 1.0 / 3, 0.5: 1, 0.6: 1, 0: 0, 1: 1}
	for x, w := range want {
		if got := iso.Apply(x); math.Abs(got-w) > 1e-12 {
			t.Errorf("Apply(%v) = %v, want %v", x, got, w)
		}
	}
	prev := -1.0
	for x := 0.0; x <= 1; x += 0.01 {
		v := iso.Apply(x)
		if v < prev {
			t.Fatalf("not monotone at %v", x)
		}
		prev = v
	}
}

func TestBrierAndLogLoss(t *testing.T) {
	if got := model.Brier([]float64{1, 0, 0.5}, []int{1, 1, 0}, nil); math.Abs(got-(0+1+0.25)/3) > 1e-15 {
		t.Fatalf("Brier %v", got)
	}
	if got := model.Brier([]float64{0.5, 0}, []int{1, 1}, []float64{3, 1}); math.Abs(got-1.75/4) > 1e-15 {
		t.Fatalf("weighted Brier %v", got)
	}
	if got := model.LogLoss([][]float64{{0.5, 0.5}, {0.2, 0.8}}, []int{0, 1}, nil); math.Abs(got-(math.Log(2)-math.Log(0.8))/2) > 1e-15 {
		t.Fatalf("LogLoss %v", got)
	}
}

func TestMulticlassCalibratorSumsToOne(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	var P [][]float64
	var y []int
	for range 600 {
		a, b := r.Float64(), r.Float64()
		c := 1 - 0.5*a - 0.5*b
		s := a + b + c
		P = append(P, []float64{a / s, b / s, c / s})
		y = append(y, r.IntN(3))
	}
	for _, m := range []string{model.CalibPlatt, model.CalibIsotonic} {
		cal, err := model.FitCalibrator(m, P, y, nil)
		if err != nil {
			t.Fatal(err)
		}
		out := cal.Apply(P[0])
		if s := out[0] + out[1] + out[2]; math.Abs(s-1) > 1e-12 {
			t.Fatalf("%s: sum %v", m, s)
		}
	}
	if _, err := model.FitCalibrator("magic", P, y, nil); regime.ErrorCode(err) != regime.EINVALID {
		t.Fatalf("unknown method: %v", err)
	}
}

func TestCalibrationSplit(t *testing.T) {
	tests := []struct {
		cfg           model.Calibration
		n, head, tail int
		wantErr       bool
	}{
		{model.Calibration{Method: model.CalibPlatt}, 100, 80, 80, false},
		{model.Calibration{Method: model.CalibIsotonic, Holdout: 0.25, Gap: 5}, 100, 70, 75, false},
		{model.Calibration{Method: "x"}, 100, 0, 0, true},
		{model.Calibration{Method: model.CalibPlatt, Holdout: 0.9}, 100, 0, 0, true},
		{model.Calibration{Method: model.CalibPlatt}, 20, 0, 0, true},
		{model.Calibration{Method: model.CalibPlatt, Gap: -1}, 100, 0, 0, true},
	}
	for _, tt := range tests {
		h, ts, err := tt.cfg.Split(tt.n)
		if (err != nil) != tt.wantErr || (!tt.wantErr && (h != tt.head || ts != tt.tail)) {
			t.Errorf("%+v n=%d: %d %d %v", tt.cfg, tt.n, h, ts, err)
		}
	}
}
