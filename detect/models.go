package detect

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"math"

	"github.com/regime-engine/regime"
	"github.com/regime-engine/regime/model"
	"github.com/regime-engine/regime/model/gbt"
	"github.com/regime-engine/regime/model/hmm"
	"github.com/regime-engine/regime/model/logistic"
)

// Model names, in report order.
const (
	ModelLogistic = "logistic"
	ModelGBT      = "gbt"
	ModelHMM      = "hmm"
)

// ModelNames lists the regime models in report order.
func ModelNames() []string { return []string{ModelLogistic, ModelGBT, ModelHMM} }

// ModelConfig configures the walk-forward regime models.
type ModelConfig struct {
	// Dating dates the training labels. At every retrain the price is
	// re-dated using only closes up to the training cutoff, and only the
	// settled days (Dating.Confirmed) are labelled: a label never depends
	// on a price after the cutoff, and the provisional tail is dropped.
	Dating DatingParams
	// ForwardHorizon, when positive, replaces the dating labels with the
	// sign of the forward log return over that many days
	// (model.ForwardLabels with band 0): a row is labelled only when its
	// forward close is on or before the training cutoff.
	ForwardHorizon int
	// Schedule is the retraining schedule (purge and embargo in days).
	Schedule model.Schedule
	// MinLabels is the fewest labelled rows (with both classes) a fold
	// needs; folds with fewer predict NaN.
	MinLabels int
	Logistic  logistic.Config
	GBT       gbt.Config
	HMM       hmm.Config
	// HMMFeatures are the columns the unsupervised HMM sees (its first
	// feature orders the states: state 0 is the most bearish).
	HMMFeatures []string
	// Models selects which models to run (nil = all of ModelNames).
	Models []string
	// Calibration calibrates every model's output walk-forward: at each
	// retrain, a Platt map (model.CalibPlatt) or an isotonic map
	// (model.CalibIsotonic) is fitted on the model's own earlier
	// out-of-sample outputs up to the cutoff, against the labels re-dated
	// at that cutoff, and applied to the fold's test days. Until
	// MinCalibration such rows of both classes exist, outputs pass
	// unchanged. "" (model.CalibNone) disables it.
	Calibration    string
	MinCalibration int
}

// DefaultModelConfig returns the configuration used by the gauge: 35%
// dating labels, retraining every 60 days on an expanding window from
// 730 days on with a 30-day embargo, logistic regression (L2 0.05) and
// gradient-boosted trees (60 trees of 8 leaves, learning rate 0.05, 50
// rows per leaf), and a 3-state HMM on the 30-day return and the distance
// to the 200-day average; outputs uncalibrated (see below). Chosen on
// data up to 2020-12-31.
func DefaultModelConfig() ModelConfig {
	// Calibration is off by default, both ways, because in sample
	// (2015–2020) it hurt: the models' own calibration is fitted on the
	// newest rows of the training window, which in a persistent regime are
	// often a single class (trees' balanced accuracy 0.82 → 0.69), and the
	// walk-forward calibration on earlier out-of-sample outputs
	// (ModelConfig.Calibration) learns from the few, poor early folds
	// (trees 0.82 → 0.71; the HMM's map inverted). Both remain options.
	var calib model.Calibration
	return ModelConfig{
		Dating:    DefaultDatingParams(),
		Schedule:  model.Schedule{RetrainEvery: 60, MinTrain: 730, Embargo: 30, Window: model.Expanding},
		MinLabels: 365,
		Logistic:  logistic.Config{L2: 0.05, Classes: 2, Calibration: calib},
		GBT: gbt.Config{Trees: 60, LearningRate: 0.05, MaxLeaves: 8, MinLeaf: 50, Classes: 2,
			RowSample: 0.8, ColSample: 0.8, Seed: 1, Calibration: calib},
		HMM:            hmm.Config{States: 3, Restarts: 3, MaxIter: 100, Seed: 1},
		HMMFeatures:    []string{"ret_30d", "px_sma_200"},
		Calibration:    model.CalibNone,
		MinCalibration: 180,
	}
}

// ModelFold is one retrain: the models fitted on data up to Cutoff and
// used unchanged on the Test days.
type ModelFold struct {
	Cutoff  regime.Date      `json:"cutoff"` // last day whose data the fold saw
	Test    regime.DateRange `json:"test"`
	Labels  int              `json:"labels"` // labelled training rows
	Bull    int              `json:"bull"`   // of which bull
	Metas   []model.Meta     `json:"models"`
	Skipped string           `json:"skipped,omitempty"` // why the fold predicts NaN
	// Calibrators holds, per model, the map fitted at this cutoff on the
	// model's earlier out-of-sample outputs (absent while too few).
	Calibrators map[string]*model.Calibrator `json:"calibrators,omitempty"`

	fitted map[string]saver
}

type saver interface{ Save(io.Writer) error }

// Save writes the fold's fitted model name as deterministic JSON (with
// its training window, features and hash). It returns an ENOTFOUND
// error when the fold has no such model.
func (f *ModelFold) Save(name string, w io.Writer) error {
	m, ok := f.fitted[name]
	if !ok {
		return regime.Errorf(regime.ENOTFOUND, "fold %s has no %s model", f.Cutoff, name)
	}
	return m.Save(w)
}

// ModelRun is the out-of-sample output of WalkForwardModels.
type ModelRun struct {
	// Prob holds, per model name, the calibrated probability of a bull
	// market for each day, from the fold whose test block holds the day
	// (NaN before the first fold or for a skipped fold). For the HMM it is
	// the filtered expected state rank, Σ_k P(state k)·k/(K−1). With
	// ModelConfig.Calibration the values are calibrated walk-forward.
	Prob map[string][]float64
	// Raw holds the same outputs before the walk-forward calibration.
	Raw   map[string][]float64
	Folds []ModelFold
}

// Hash returns the hex SHA-256 of every fold model's hash, in order: two
// runs with the same hash fitted bit-identical models on the same windows.
func (r *ModelRun) Hash() string {
	h := sha256.New()
	for _, f := range r.Folds {
		io.WriteString(h, f.Cutoff.String()+"\n")
		for _, m := range f.Metas {
			io.WriteString(h, m.Kind+" "+m.Hash+"\n")
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

// WalkForwardModels trains the regime models walk-forward on the rows X
// (features named by features, one row per day of dates, NaN = missing)
// with labels from dating price, and returns each day's out-of-sample
// bull probability. The fold whose test block starts on day T trains on
// rows dated before T − Embargo − Purge and labels them by re-dating the
// prices up to its last training row only, so no call depends on a price
// after the day before its fold started. The HMM is fitted on the same
// training rows and its filter is run forward over the rows up to each
// test day (filtered, never smoothed, probabilities).
func WalkForwardModels(dates []regime.Date, price []float64, X [][]float64, features []string, cfg ModelConfig) (*ModelRun, error) {
	n := len(dates)
	if len(price) != n || len(X) != n {
		return nil, regime.Errorf(regime.EINVALID, "models: %d dates, %d prices, %d rows", n, len(price), len(X))
	}
	if err := cfg.Dating.Validate(); err != nil {
		return nil, err
	}
	names := cfg.Models
	if names == nil {
		names = ModelNames()
	}
	run := &ModelRun{Prob: map[string][]float64{}, Raw: map[string][]float64{}}
	for _, m := range names {
		run.Prob[m], run.Raw[m] = nanFill(n), nanFill(n)
	}
	switch cfg.Calibration {
	case model.CalibNone, model.CalibPlatt, model.CalibIsotonic:
	default:
		return nil, regime.Errorf(regime.EINVALID, "models: unknown calibration %q", cfg.Calibration)
	}
	folds, err := model.WalkForward(dates, 0, cfg.Schedule)
	if err != nil {
		return nil, err
	}
	hmmCols := make([]int, 0, len(cfg.HMMFeatures))
	for _, name := range cfg.HMMFeatures {
		for j, f := range features {
			if f == name {
				hmmCols = append(hmmCols, j)
			}
		}
	}
	for _, fd := range folds {
		if len(fd.Train) == 0 || len(fd.Test) == 0 {
			continue
		}
		cut := fd.Train[len(fd.Train)-1]
		mf := ModelFold{Cutoff: dates[cut], Test: fd.TestWindow(dates), fitted: map[string]saver{}}
		lab, err := trainingLabels(dates[:cut+1], price[:cut+1], cfg)
		var ds model.Dataset
		if err == nil {
			ds = model.Dataset{Features: features}
			for _, i := range fd.Train {
				if lab[i] == Neutral || !rowKnown(X[i]) {
					continue
				}
				y := 0
				if lab[i] == Bull {
					y = 1
					mf.Bull++
				}
				ds.Dates = append(ds.Dates, dates[i])
				ds.X = append(ds.X, X[i])
				ds.Y = append(ds.Y, y)
			}
			mf.Labels = len(ds.Y)
		}
		supervised := err == nil && mf.Labels >= max(cfg.MinLabels, 20) && mf.Bull > 0 && mf.Bull < mf.Labels
		if !supervised {
			mf.Skipped = "too few labelled rows of both classes"
		}
		for _, name := range names {
			var prob func(i int) float64
			switch name {
			case ModelLogistic, ModelGBT:
				if !supervised {
					continue
				}
				var c interface {
					model.Classifier
					FitDataset(model.Dataset) error
					Meta() model.Meta
					Save(io.Writer) error
				}
				if name == ModelLogistic {
					c = logistic.New(cfg.Logistic)
				} else {
					c = gbt.New(cfg.GBT)
				}
				if err := c.FitDataset(ds); err != nil {
					mf.Skipped = name + ": " + regime.ErrorMessage(err)
					continue
				}
				mf.Metas = append(mf.Metas, c.Meta())
				mf.fitted[name] = c
				prob = func(i int) float64 {
					p := c.PredictProba(X[i])
					if len(p) < 2 {
						return math.NaN()
					}
					return p[1]
				}
			case ModelHMM:
				if len(hmmCols) == 0 {
					continue
				}
				p, meta, m, ok := fitHMM(dates, X, hmmCols, features, fd, cfg.HMM)
				if !ok {
					continue
				}
				mf.Metas = append(mf.Metas, meta)
				mf.fitted[name] = m
				prob = func(i int) float64 { return p[i] }
			default:
				return nil, regime.Errorf(regime.EINVALID, "models: unknown model %q", name)
			}
			for _, i := range fd.Test {
				run.Raw[name][i] = prob(i)
			}
			cal := calibrator(cfg, run.Raw[name], lab, fd.Train)
			if cal != nil {
				if mf.Calibrators == nil {
					mf.Calibrators = map[string]*model.Calibrator{}
				}
				mf.Calibrators[name] = cal
			}
			for _, i := range fd.Test {
				run.Prob[name][i] = run.Raw[name][i]
				if p := run.Raw[name][i]; cal != nil && !math.IsNaN(p) {
					run.Prob[name][i] = cal.Apply([]float64{1 - p, p})[1]
				}
			}
		}
		run.Folds = append(run.Folds, mf)
	}
	return run, nil
}

// trainingLabels returns the labels known at the end of the given prices:
// the settled states of their dating, or the sign of the forward return
// when cfg.ForwardHorizon is set (Neutral = unknown).
func trainingLabels(dates []regime.Date, price []float64, cfg ModelConfig) ([]State, error) {
	if cfg.ForwardHorizon > 0 {
		fl := model.ForwardLabels(price, cfg.ForwardHorizon, 0)
		lab := make([]State, len(fl))
		for i, y := range fl {
			switch y {
			case 1:
				lab[i] = Bull
			case 0:
				lab[i] = Bear
			}
		}
		return lab, nil
	}
	d, err := DateCycles(dates, price, cfg.Dating)
	if err != nil {
		return nil, err
	}
	return d.Confirmed(), nil
}

// calibrator fits the walk-forward calibration of one model at a cutoff:
// on the model's earlier out-of-sample outputs raw[i] of the training rows
// (all before the cutoff) with a settled label at the cutoff. It returns
// nil when calibration is off or there are too few rows of both classes.
func calibrator(cfg ModelConfig, raw []float64, lab []State, train []int) *model.Calibrator {
	if cfg.Calibration == model.CalibNone || lab == nil {
		return nil
	}
	var P [][]float64
	var y []int
	bull := 0
	for _, i := range train {
		if p := raw[i]; !math.IsNaN(p) && lab[i] != Neutral {
			P = append(P, []float64{1 - p, p})
			if lab[i] == Bull {
				y = append(y, 1)
				bull++
			} else {
				y = append(y, 0)
			}
		}
	}
	if len(y) < max(cfg.MinCalibration, 20) || bull == 0 || bull == len(y) {
		return nil
	}
	c, err := model.FitCalibrator(cfg.Calibration, P, y, nil)
	if err != nil {
		return nil
	}
	return c
}

// fitHMM fits the HMM on the fold's training rows and returns the filtered
// bull score of every row up to the end of the test block.
func fitHMM(dates []regime.Date, X [][]float64, cols []int, features []string, fd model.Fold, cfg hmm.Config) ([]float64, model.Meta, *hmm.Model, bool) {
	sub := func(i int) []float64 {
		r := make([]float64, len(cols))
		for k, j := range cols {
			r[k] = X[i][j]
		}
		return r
	}
	allNaN := func(r []float64) bool {
		for _, v := range r {
			if !math.IsNaN(v) {
				return false
			}
		}
		return true
	}
	// The sequence starts at the first row with any HMM feature known.
	start := -1
	for i := 0; i < len(X); i++ {
		if !allNaN(sub(i)) {
			start = i
			break
		}
	}
	cut := fd.Train[len(fd.Train)-1]
	if start < 0 || cut-start < 100 {
		return nil, model.Meta{}, nil, false
	}
	names := make([]string, len(cols))
	for k, j := range cols {
		names[k] = features[j]
	}
	ds := model.Dataset{Features: names}
	for i := start; i <= cut; i++ {
		ds.Dates = append(ds.Dates, dates[i])
		ds.X = append(ds.X, sub(i))
		ds.Y = append(ds.Y, 0)
	}
	m := hmm.New(cfg)
	if err := m.FitDataset(ds); err != nil {
		return nil, model.Meta{}, nil, false
	}
	end := fd.Test[len(fd.Test)-1]
	seq := make([][]float64, 0, end-start+1)
	for i := start; i <= end; i++ {
		seq = append(seq, sub(i))
	}
	post := m.Filter(seq)
	out := nanFill(len(X))
	k := m.States()
	for r, p := range post {
		var s float64
		for st, q := range p {
			s += q * float64(st) / float64(k-1)
		}
		out[start+r] = s
	}
	return out, m.Meta(), m, true
}

// rowKnown reports whether a row has at least one known value.
func rowKnown(x []float64) bool {
	for _, v := range x {
		if !math.IsNaN(v) {
			return true
		}
	}
	return false
}

func nanFill(n int) []float64 {
	s := make([]float64, n)
	for i := range s {
		s[i] = math.NaN()
	}
	return s
}
