// Package logistic is L2-regularised logistic regression for Regime's
// regime models: binary (one logit) and multinomial softmax (for example
// bear / neutral / bull). Inputs are imputed (training medians plus missing
// indicators, see model.Imputer) and standardised inside the model, so
// coefficients are comparable and the penalty is scale-free. Fitting uses
// L-BFGS from gonum/optimize on the exact gradient and is deterministic.
package logistic

import (
	"errors"
	"fmt"
	"io"
	"math"

	"gonum.org/v1/gonum/optimize"

	"github.com/regime-engine/regime"
	"github.com/regime-engine/regime/model"
)

// Kind is the Meta.Kind of a saved logistic model.
const Kind = "logistic"

// Config holds the hyperparameters.
type Config struct {
	// L2 is the penalty λ in mean weighted log-loss + λ/2·‖β‖² over the
	// standardised coefficients (intercepts are not penalised). 0 = 1e-2;
	// use a negative value for no penalty.
	L2 float64 `json:"l2"`
	// MaxIter caps L-BFGS iterations; 0 = 500.
	MaxIter int `json:"max_iter"`
	// Tol stops when the largest gradient component is below it; 0 = 1e-8.
	Tol float64 `json:"tol"`
	// Classes fixes the number of classes; 0 = max label + 1 (at least 2).
	Classes int `json:"classes"`
	// Calibration optionally calibrates probabilities on the newest rows.
	Calibration model.Calibration `json:"calibration"`
}

func (c Config) withDefaults() Config {
	if c.L2 == 0 {
		c.L2 = 1e-2
	}
	if c.MaxIter == 0 {
		c.MaxIter = 500
	}
	if c.Tol == 0 {
		c.Tol = 1e-8
	}
	return c
}

// params is everything prediction needs; it is what is saved and hashed.
type params struct {
	Classes int               `json:"classes"`
	Imputer *model.Imputer    `json:"imputer"`
	Mean    model.Vec         `json:"mean"`  // of the imputed columns
	Scale   model.Vec         `json:"scale"` // standard deviation, 1 for constant columns
	Coef    []model.Vec       `json:"coef"`  // one row per logit (1 when binary), intercept last
	Calib   *model.Calibrator `json:"calibration,omitempty"`
}

// Model is a logistic regression. The zero value is not usable; call New.
type Model struct {
	cfg      Config
	features []string
	window   regime.DateRange
	p        *params
}

var _ model.Classifier = (*Model)(nil)

// New returns an unfitted model with the given hyperparameters.
func New(cfg Config) *Model { return &Model{cfg: cfg} }

// Classes returns the number of classes (0 before Fit).
func (m *Model) Classes() int {
	if m.p == nil {
		return 0
	}
	return m.p.Classes
}

// Fit trains on time-ordered rows X with labels y and optional weights w.
// See model.Classifier for the errors it returns; it also returns an
// EINVALID error when the calibration split leaves too few rows.
func (m *Model) Fit(X [][]float64, y []int, w []float64) error {
	cfg := m.cfg.withDefaults()
	_, k, err := model.CheckXY(X, y, w, max(2, cfg.Classes))
	if err != nil {
		return fmt.Errorf("logistic: %w", err)
	}
	if cfg.Classes != 0 && k > cfg.Classes {
		return regime.Errorf(regime.EINVALID, "logistic: label %d outside %d classes", k-1, cfg.Classes)
	}
	for i, x := range X {
		for j, v := range x {
			if math.IsInf(v, 0) {
				return regime.Errorf(regime.EINVALID, "logistic: infinite value in row %d column %d (use NaN for missing values)", i, j)
			}
		}
	}
	if cfg.Calibration.Method == model.CalibNone {
		p, err := fit(X, y, w, k, cfg)
		if err != nil {
			return err
		}
		m.p = p
		return nil
	}
	head, tail, err := cfg.Calibration.Split(len(X))
	if err != nil {
		return fmt.Errorf("logistic: %w", err)
	}
	var wh, wt []float64
	if w != nil {
		wh, wt = w[:head], w[tail:]
	}
	p, err := fit(X[:head], y[:head], wh, k, cfg)
	if err != nil {
		return err
	}
	P := make([][]float64, len(X)-tail)
	for i := range P {
		P[i] = p.predict(X[tail+i])
	}
	cal, err := model.FitCalibrator(cfg.Calibration.Method, P, y[tail:], wt)
	if err != nil {
		return fmt.Errorf("logistic: %w", err)
	}
	p.Calib = cal
	m.p = p
	return nil
}

// FitDataset fits on d and records its feature names and date window in
// the model's Meta.
func (m *Model) FitDataset(d model.Dataset) error {
	if err := d.Validate(); err != nil {
		return fmt.Errorf("logistic: %w", err)
	}
	if err := m.Fit(d.X, d.Y, d.W); err != nil {
		return err
	}
	m.features = append([]string(nil), d.Features...)
	m.window = d.Window()
	return nil
}

func fit(X [][]float64, y []int, w []float64, k int, cfg Config) (*params, error) {
	im := model.FitImputer(X)
	Z := make([][]float64, len(X))
	for i, x := range X {
		Z[i] = im.Transform(nil, x)
	}
	d := im.Width()
	mean, scale := make(model.Vec, d), make(model.Vec, d)
	for j := 0; j < d; j++ {
		var s, ss float64
		for _, z := range Z {
			s += z[j]
		}
		mu := s / float64(len(Z))
		for _, z := range Z {
			ss += (z[j] - mu) * (z[j] - mu)
		}
		sd := math.Sqrt(ss / float64(len(Z)))
		if !(sd > 1e-12*math.Max(1, math.Abs(mu))) || math.IsInf(sd, 0) {
			sd = 1
		}
		mean[j], scale[j] = mu, sd
	}
	for _, z := range Z {
		for j := range z {
			z[j] = (z[j] - mean[j]) / scale[j]
		}
	}
	obj := NewObjective(Z, y, w, k, math.Max(cfg.L2, 0))
	theta, err := minimize(obj, cfg)
	if err != nil {
		return nil, err
	}
	rows := obj.logits()
	coef := make([]model.Vec, rows)
	for r := range coef {
		coef[r] = model.Vec(append([]float64(nil), theta[r*(d+1):(r+1)*(d+1)]...))
	}
	return &params{Classes: k, Imputer: im, Mean: mean, Scale: scale, Coef: coef}, nil
}

func minimize(obj *Objective, cfg Config) ([]float64, error) {
	prob := optimize.Problem{Func: obj.Func, Grad: obj.Grad}
	x0 := make([]float64, obj.Dim())
	settings := &optimize.Settings{
		GradientThreshold: cfg.Tol,
		MajorIterations:   cfg.MaxIter,
		Converger:         &optimize.FunctionConverge{Absolute: 1e-14, Relative: 1e-14, Iterations: 20},
	}
	res, err := optimize.Minimize(prob, x0, settings, &optimize.LBFGS{Store: 20})
	if res == nil {
		return nil, fmt.Errorf("logistic: optimiser: %w", err)
	}
	for _, v := range res.X {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, regime.Errorf(regime.EINVALID, "logistic: fit diverged (non-finite coefficient); add an L2 penalty or check the features")
		}
	}
	// A line-search failure at the optimum is benign: accept the point when
	// the gradient is already small relative to the objective.
	if err != nil && !errors.Is(err, optimize.ErrLinesearcherFailure) && res.Status != optimize.IterationLimit {
		g := make([]float64, obj.Dim())
		obj.Grad(g, res.X)
		if maxAbs(g) > 1e-5 {
			return nil, fmt.Errorf("logistic: optimiser: %w", err)
		}
	}
	return res.X, nil
}

func maxAbs(v []float64) float64 {
	m := 0.0
	for _, x := range v {
		m = math.Max(m, math.Abs(x))
	}
	return m
}

// maxZ bounds standardised inputs at prediction time.
const maxZ = 1e6

// PredictProba returns the class probabilities of one row (calibrated when
// the model was fitted with calibration), or nil when the model is not
// fitted or x has the wrong length. NaN inputs are imputed; infinite inputs
// are clipped to ±1e6 training standard deviations.
func (m *Model) PredictProba(x []float64) []float64 {
	if m.p == nil || len(x) != len(m.p.Imputer.Median) {
		return nil
	}
	return m.p.Calib.Apply(m.p.predict(x))
}

func (p *params) predict(x []float64) []float64 {
	z := p.Imputer.Transform(nil, x)
	for j := range z {
		// an infinite input is clipped to a huge but finite z-score
		z[j] = math.Max(-maxZ, math.Min(maxZ, (z[j]-p.Mean[j])/p.Scale[j]))
	}
	eta := make([]float64, len(p.Coef))
	for r, c := range p.Coef {
		eta[r] = linear(c, z)
	}
	out := make([]float64, p.Classes)
	if p.Classes == 2 && len(p.Coef) == 1 {
		q := sigmoid(eta[0])
		out[0], out[1] = 1-q, q
		return out
	}
	softmax(out, eta)
	return out
}

// Coefficients returns a copy of the coefficients on the standardised
// inputs (imputed columns, then missing indicators), one row per logit with
// the intercept last; nil before Fit.
func (m *Model) Coefficients() [][]float64 {
	if m.p == nil {
		return nil
	}
	out := make([][]float64, len(m.p.Coef))
	for i, c := range m.p.Coef {
		out[i] = append([]float64(nil), c...)
	}
	return out
}

// Meta returns the provenance of the fitted model, including its hash.
func (m *Model) Meta() model.Meta {
	return model.Hashed(m.meta(), m.p)
}

func (m *Model) meta() model.Meta {
	return model.Meta{Kind: Kind, Features: m.features, From: m.window.From, To: m.window.To,
		Hyper: model.HyperJSON(m.cfg.withDefaults())}
}

// Save writes the fitted model as deterministic JSON. It returns an
// EINVALID error when the model is not fitted.
func (m *Model) Save(w io.Writer) error {
	return model.Save(w, m.meta(), m.p)
}

// Load reads a model written by Save. It returns an EINVALID error for
// malformed, tampered or foreign input.
func Load(r io.Reader) (*Model, error) {
	var p params
	var cfg Config
	meta, err := model.Load(r, Kind, &p, &cfg)
	if err != nil {
		return nil, err
	}
	if p.Imputer == nil || len(p.Mean) != p.Imputer.Width() || len(p.Scale) != len(p.Mean) || len(p.Coef) == 0 {
		return nil, regime.Errorf(regime.EINVALID, "logistic: inconsistent saved parameters")
	}
	for _, c := range p.Coef {
		if len(c) != len(p.Mean)+1 {
			return nil, regime.Errorf(regime.EINVALID, "logistic: inconsistent saved parameters")
		}
	}
	for i, j := range p.Imputer.Indicator {
		if j < 0 || j >= len(p.Imputer.Median) || (i > 0 && j <= p.Imputer.Indicator[i-1]) {
			return nil, regime.Errorf(regime.EINVALID, "logistic: inconsistent saved parameters: indicator column %d", j)
		}
	}
	if want := 1; p.Classes > 2 {
		want = p.Classes
		if len(p.Coef) != want {
			return nil, regime.Errorf(regime.EINVALID, "logistic: inconsistent saved parameters: %d logits for %d classes", len(p.Coef), p.Classes)
		}
	} else if p.Classes != 2 || len(p.Coef) != want {
		return nil, regime.Errorf(regime.EINVALID, "logistic: inconsistent saved parameters: %d logits for %d classes", len(p.Coef), p.Classes)
	}
	if err := p.Calib.Check(p.Classes); err != nil {
		return nil, err
	}
	return &Model{cfg: cfg, features: meta.Features, window: regime.DateRange{From: meta.From, To: meta.To}, p: &p}, nil
}
