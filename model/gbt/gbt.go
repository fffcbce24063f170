// Package gbt is histogram gradient-boosted trees for Regime's regime
// models, in the manner of LightGBM and scikit-learn's
// HistGradientBoosting: features are binned into at most 255 quantile bins
// computed on the training rows, trees grow leaf-wise (best gain first)
// under a leaf and depth budget, leaves are Newton steps with L2
// regularisation, and rows and features can be subsampled per round with a
// seeded RNG. The loss is the logistic loss for two classes and the softmax
// cross-entropy (one tree per class and round) for more.
//
// Missing values (NaN) are handled natively: they fall in a bin of their
// own and every split learns the direction missing values take (the side
// that maximises the gain). A split whose node saw no missing value sends
// them to the child with more training rows.
//
// Fitting is deterministic for a given Config (including Seed): histogram
// building is split by feature across goroutines, which changes no sum.
package gbt

import (
	"fmt"
	"io"
	"math"

	"github.com/regime-engine/regime"
	"github.com/regime-engine/regime/model"
)

// Kind is the Meta.Kind of a saved gradient-boosted model.
const Kind = "gbt"

// Config holds the hyperparameters. Zero values select the defaults shown.
type Config struct {
	Trees        int               `json:"trees"`         // boosting rounds; 100
	LearningRate float64           `json:"learning_rate"` // shrinkage; 0.1
	MaxLeaves    int               `json:"max_leaves"`    // leaves per tree; 31
	MaxDepth     int               `json:"max_depth"`     // 0 = limited by MaxLeaves only
	MinLeaf      int               `json:"min_leaf"`      // training rows per leaf; 20
	MinHessian   float64           `json:"min_hessian"`   // hessian sum per leaf; 1e-3
	L2           float64           `json:"l2"`            // leaf L2 penalty λ; 1 (negative = 0)
	MaxBins      int               `json:"max_bins"`      // quantile bins per feature, 2..255; 255
	RowSample    float64           `json:"row_sample"`    // fraction of rows per round, (0,1]; 1
	ColSample    float64           `json:"col_sample"`    // fraction of features per round, (0,1]; 1
	Classes      int               `json:"classes"`       // 0 = max label + 1 (at least 2)
	Seed         uint64            `json:"seed"`          // for row and feature subsampling
	Calibration  model.Calibration `json:"calibration"`   // optional, on the newest rows
}

func (c Config) withDefaults() Config {
	if c.Trees == 0 {
		c.Trees = 100
	}
	if c.LearningRate == 0 {
		c.LearningRate = 0.1
	}
	if c.MaxLeaves == 0 {
		c.MaxLeaves = 31
	}
	if c.MinLeaf == 0 {
		c.MinLeaf = 20
	}
	if c.MinHessian == 0 {
		c.MinHessian = 1e-3
	}
	if c.L2 == 0 {
		c.L2 = 1
	}
	if c.MaxBins == 0 {
		c.MaxBins = 255
	}
	if c.RowSample == 0 {
		c.RowSample = 1
	}
	if c.ColSample == 0 {
		c.ColSample = 1
	}
	return c
}

func (c Config) validate() error {
	switch {
	case c.Trees < 1:
		return regime.Errorf(regime.EINVALID, "gbt: trees %d must be at least 1", c.Trees)
	case !(c.LearningRate > 0 && c.LearningRate <= 1):
		return regime.Errorf(regime.EINVALID, "gbt: learning rate %v outside (0, 1]", c.LearningRate)
	case c.MaxLeaves < 2:
		return regime.Errorf(regime.EINVALID, "gbt: max leaves %d must be at least 2", c.MaxLeaves)
	case c.MaxDepth < 0:
		return regime.Errorf(regime.EINVALID, "gbt: negative max depth %d", c.MaxDepth)
	case c.MinLeaf < 1:
		return regime.Errorf(regime.EINVALID, "gbt: min leaf %d must be at least 1", c.MinLeaf)
	case c.MaxBins < 2 || c.MaxBins > maxBins:
		return regime.Errorf(regime.EINVALID, "gbt: max bins %d outside 2..%d", c.MaxBins, maxBins)
	case !(c.RowSample > 0 && c.RowSample <= 1):
		return regime.Errorf(regime.EINVALID, "gbt: row sample %v outside (0, 1]", c.RowSample)
	case !(c.ColSample > 0 && c.ColSample <= 1):
		return regime.Errorf(regime.EINVALID, "gbt: col sample %v outside (0, 1]", c.ColSample)
	case c.Classes < 0:
		return regime.Errorf(regime.EINVALID, "gbt: negative classes %d", c.Classes)
	}
	return nil
}

// Tree is one regression tree in struct-of-arrays form. Node 0 is the
// root; Feature[i] < 0 marks a leaf with output Value[i]. An inner node
// sends x left when x[Feature] <= Threshold, and a NaN left exactly when
// MissingLeft.
type Tree struct {
	Feature     []int     `json:"feature"`
	Threshold   model.Vec `json:"threshold"`
	MissingLeft []bool    `json:"missing_left"`
	Left        []int     `json:"left"`
	Right       []int     `json:"right"`
	Value       model.Vec `json:"value"`
	Gain        model.Vec `json:"gain"` // loss reduction of each split (0 at leaves)
}

// Predict returns the leaf value for x.
func (t *Tree) Predict(x []float64) float64 {
	i := 0
	for t.Feature[i] >= 0 {
		v := x[t.Feature[i]]
		if v <= float64(t.Threshold[i]) || (math.IsNaN(v) && t.MissingLeft[i]) {
			i = t.Left[i]
		} else {
			i = t.Right[i]
		}
	}
	return float64(t.Value[i])
}

// Leaves returns the number of leaves.
func (t *Tree) Leaves() int {
	n := 0
	for _, f := range t.Feature {
		if f < 0 {
			n++
		}
	}
	return n
}

// Importance returns, per input feature, the share of the total split
// gain of all trees that went to splits on that feature (summing to 1, or
// all 0 for a model without splits); nil before Fit.
func (m *Model) Importance() []float64 {
	if m.p == nil {
		return nil
	}
	imp := make([]float64, m.p.Features)
	total := 0.0
	for _, t := range m.p.Trees {
		for i, f := range t.Feature {
			if f >= 0 {
				imp[f] += float64(t.Gain[i])
				total += float64(t.Gain[i])
			}
		}
	}
	if total > 0 {
		for f := range imp {
			imp[f] /= total
		}
	}
	return imp
}

// params is everything prediction needs; it is what is saved and hashed.
type params struct {
	Classes  int               `json:"classes"`
	Features int               `json:"features"`
	Init     model.Vec         `json:"init"`  // initial raw score per logit
	Trees    []Tree            `json:"trees"` // round-major: trees[r*logits+k]
	Calib    *model.Calibrator `json:"calibration,omitempty"`

	flat  []node // all trees' nodes in one array, for prediction
	roots []int  // index of each tree's root in flat
}

// node is a tree node laid out for prediction: one cache line holds it.
type node struct {
	thr         float64
	value       float64
	feature     int32 // < 0 for a leaf
	left, right int32 // absolute indices into flat
	missingLeft bool
}

// compile builds the flat prediction layout from Trees. The comparisons
// and values are the same as Tree.Predict's, so results are identical.
func (p *params) compile() {
	p.flat, p.roots = p.flat[:0], p.roots[:0]
	for _, t := range p.Trees {
		base := len(p.flat)
		p.roots = append(p.roots, base)
		for i := range t.Feature {
			p.flat = append(p.flat, node{thr: float64(t.Threshold[i]), value: float64(t.Value[i]),
				feature: int32(t.Feature[i]), left: int32(base + t.Left[i]), right: int32(base + t.Right[i]),
				missingLeft: t.MissingLeft[i]})
		}
	}
}

func (p *params) logits() int {
	if p.Classes == 2 {
		return 1
	}
	return p.Classes
}

// Model is a gradient-boosted classifier. Create it with New.
type Model struct {
	cfg      Config
	features []string
	window   regime.DateRange
	p        *params
	loss     []float64
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
// It returns an EINVALID *regime.Error for invalid hyperparameters, the
// input errors listed on model.Classifier, and a calibration split that
// leaves too few rows.
func (m *Model) Fit(X [][]float64, y []int, w []float64) error {
	cfg := m.cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return err
	}
	_, k, err := model.CheckXY(X, y, w, max(2, cfg.Classes))
	if err != nil {
		return fmt.Errorf("gbt: %w", err)
	}
	if cfg.Classes != 0 && k > cfg.Classes {
		return regime.Errorf(regime.EINVALID, "gbt: label %d outside %d classes", k-1, cfg.Classes)
	}
	if cfg.Calibration.Method == model.CalibNone {
		p, loss := train(X, y, w, k, cfg)
		m.p, m.loss = p, loss
		return nil
	}
	head, tail, err := cfg.Calibration.Split(len(X))
	if err != nil {
		return fmt.Errorf("gbt: %w", err)
	}
	var wh, wt []float64
	if w != nil {
		wh, wt = w[:head], w[tail:]
	}
	p, loss := train(X[:head], y[:head], wh, k, cfg)
	P := make([][]float64, len(X)-tail)
	for i := range P {
		P[i] = p.predict(X[tail+i])
	}
	cal, err := model.FitCalibrator(cfg.Calibration.Method, P, y[tail:], wt)
	if err != nil {
		return fmt.Errorf("gbt: %w", err)
	}
	p.Calib = cal
	m.p, m.loss = p, loss
	return nil
}

// FitDataset fits on d and records its feature names and date window in
// the model's Meta.
func (m *Model) FitDataset(d model.Dataset) error {
	if err := d.Validate(); err != nil {
		return fmt.Errorf("gbt: %w", err)
	}
	if err := m.Fit(d.X, d.Y, d.W); err != nil {
		return err
	}
	m.features = append([]string(nil), d.Features...)
	m.window = d.Window()
	return nil
}

// TrainLoss returns the weighted mean training log-loss after each round
// (index 0 = the initial constant model) of the last Fit; nil for a
// loaded model.
func (m *Model) TrainLoss() []float64 { return append([]float64(nil), m.loss...) }

// Trees returns the fitted trees, round-major (one per class and round
// for more than two classes). The slice is shared; do not modify it.
func (m *Model) Trees() []Tree {
	if m.p == nil {
		return nil
	}
	return m.p.Trees
}

// PredictProba returns the class probabilities of one row (calibrated when
// the model was fitted with calibration), or nil when the model is not
// fitted or x has the wrong length.
func (m *Model) PredictProba(x []float64) []float64 {
	if m.p == nil || len(x) != m.p.Features {
		return nil
	}
	return m.p.Calib.Apply(m.p.predict(x))
}

func (p *params) predict(x []float64) []float64 {
	r := p.logits()
	f := make([]float64, r)
	copy(f, p.Init)
	for t, root := range p.roots {
		n := &p.flat[root]
		for n.feature >= 0 {
			v := x[n.feature]
			if v <= n.thr || (n.missingLeft && math.IsNaN(v)) {
				n = &p.flat[n.left]
			} else {
				n = &p.flat[n.right]
			}
		}
		f[t%r] += n.value
	}
	out := make([]float64, p.Classes)
	probs(out, f)
	return out
}

// probs turns raw scores into probabilities: one logit for two classes,
// softmax otherwise.
func probs(dst, f []float64) {
	if len(f) == 1 {
		q := sigmoid(f[0])
		dst[0], dst[1] = 1-q, q
		return
	}
	m := math.Inf(-1)
	for _, v := range f {
		m = math.Max(m, v)
	}
	s := 0.0
	for k, v := range f {
		dst[k] = math.Exp(v - m)
		s += dst[k]
	}
	for k := range dst {
		dst[k] /= s
	}
}

func sigmoid(f float64) float64 {
	if f >= 0 {
		return 1 / (1 + math.Exp(-f))
	}
	e := math.Exp(f)
	return e / (1 + e)
}

// Meta returns the provenance of the fitted model, including its hash.
func (m *Model) Meta() model.Meta {
	return model.Hashed(m.meta(), m.p)
}

func (m *Model) meta() model.Meta {
	return model.Meta{Kind: Kind, Features: m.features, From: m.window.From, To: m.window.To,
		Hyper: model.HyperJSON(m.cfg.withDefaults()), Seed: m.cfg.Seed}
}

// Save writes the fitted model as deterministic JSON. It returns an
// EINVALID error when the model is not fitted.
func (m *Model) Save(w io.Writer) error {
	return model.Save(w, m.meta(), m.p)
}

// Load reads a model written by Save. It returns an EINVALID error for
// malformed, tampered, inconsistent or foreign input.
func Load(r io.Reader) (*Model, error) {
	var p params
	var cfg Config
	meta, err := model.Load(r, Kind, &p, &cfg)
	if err != nil {
		return nil, err
	}
	if err := p.check(); err != nil {
		return nil, err
	}
	if err := p.Calib.Check(p.Classes); err != nil {
		return nil, err
	}
	p.compile()
	return &Model{cfg: cfg, features: meta.Features, window: regime.DateRange{From: meta.From, To: meta.To}, p: &p}, nil
}

// check verifies that saved trees are well formed, so that Predict can
// neither index out of range nor loop.
func (p *params) check() error {
	bad := func(format string, a ...any) error {
		return regime.Errorf(regime.EINVALID, "gbt: inconsistent saved parameters: "+format, a...)
	}
	if p.Classes < 2 || p.Features < 0 || len(p.Init) != p.logits() || len(p.Trees)%p.logits() != 0 {
		return bad("classes %d, %d initial scores, %d trees", p.Classes, len(p.Init), len(p.Trees))
	}
	for ti, t := range p.Trees {
		n := len(t.Feature)
		if n == 0 || len(t.Threshold) != n || len(t.MissingLeft) != n || len(t.Left) != n || len(t.Right) != n || len(t.Value) != n || len(t.Gain) != n {
			return bad("tree %d has ragged arrays", ti)
		}
		for i := range n {
			if t.Feature[i] < 0 {
				continue
			}
			// children come after their parent, so traversal terminates
			if t.Feature[i] >= p.Features || t.Left[i] <= i || t.Right[i] <= i || t.Left[i] >= n || t.Right[i] >= n {
				return bad("tree %d node %d", ti, i)
			}
		}
	}
	return nil
}
