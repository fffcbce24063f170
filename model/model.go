package model

import (
	"math"

	"github.com/regime-engine/regime"
)

// Classifier is a probabilistic classifier trained on time-ordered rows.
//
// Fit trains on X (rows × features, NaN = missing), class labels y in
// 0..Classes()-1 and optional non-negative row weights w (nil = all 1). It
// returns an EINVALID *regime.Error for ragged rows, labels out of range,
// mismatched lengths, negative or all-zero weights, or too few rows.
//
// PredictProba returns one probability per class, summing to 1, for a
// single row with the training feature layout. It returns nil when the
// model is not fitted or x has the wrong length. A fitted model is
// read-only, so PredictProba is safe for concurrent use.
type Classifier interface {
	Fit(X [][]float64, y []int, w []float64) error
	PredictProba(x []float64) []float64
	Classes() int
}

// PredictBatch applies c.PredictProba to every row of X.
func PredictBatch(c Classifier, X [][]float64) [][]float64 {
	out := make([][]float64, len(X))
	for i, x := range X {
		out[i] = c.PredictProba(x)
	}
	return out
}

// Dataset is a time-ordered table of feature rows with labels: row i holds
// the features known at the close of Dates[i] and the label Y[i] (for
// example the dated regime or the sign of the forward return).
type Dataset struct {
	Features []string      // column names, len = row width
	Dates    []regime.Date // strictly increasing
	X        [][]float64   // rows; NaN = missing
	Y        []int         // class labels 0..k-1
	W        []float64     // optional row weights; nil = all 1
}

// Len returns the number of rows.
func (d Dataset) Len() int { return len(d.X) }

// Validate checks the shape of d: equal lengths, row width equal to the
// number of feature names, strictly increasing dates, labels ≥ 0, finite
// non-negative weights. It returns an EINVALID *regime.Error naming the
// first problem.
func (d Dataset) Validate() error {
	n := len(d.X)
	if len(d.Dates) != n {
		return regime.Errorf(regime.EINVALID, "dataset: %d dates for %d rows", len(d.Dates), n)
	}
	if d.Y != nil && len(d.Y) != n {
		return regime.Errorf(regime.EINVALID, "dataset: %d labels for %d rows", len(d.Y), n)
	}
	if d.W != nil && len(d.W) != n {
		return regime.Errorf(regime.EINVALID, "dataset: %d weights for %d rows", len(d.W), n)
	}
	for i, x := range d.X {
		if len(x) != len(d.Features) {
			return regime.Errorf(regime.EINVALID, "dataset: row %d (%s) has %d values for %d features", i, d.Dates[i], len(x), len(d.Features))
		}
		if i > 0 && d.Dates[i] <= d.Dates[i-1] {
			return regime.Errorf(regime.EINVALID, "dataset: dates not increasing at row %d (%s after %s)", i, d.Dates[i], d.Dates[i-1])
		}
	}
	for i, y := range d.Y {
		if y < 0 {
			return regime.Errorf(regime.EINVALID, "dataset: negative label %d at row %d (%s)", y, i, d.Dates[i])
		}
	}
	for i, w := range d.W {
		if !(w >= 0) || math.IsInf(w, 0) {
			return regime.Errorf(regime.EINVALID, "dataset: invalid weight %v at row %d (%s)", w, i, d.Dates[i])
		}
	}
	return nil
}

// Subset returns the rows idx of d (in the given order), sharing the row
// slices with d.
func (d Dataset) Subset(idx []int) Dataset {
	s := Dataset{Features: d.Features}
	s.Dates = make([]regime.Date, len(idx))
	s.X = make([][]float64, len(idx))
	if d.Y != nil {
		s.Y = make([]int, len(idx))
	}
	if d.W != nil {
		s.W = make([]float64, len(idx))
	}
	for j, i := range idx {
		s.Dates[j] = d.Dates[i]
		s.X[j] = d.X[i]
		if d.Y != nil {
			s.Y[j] = d.Y[i]
		}
		if d.W != nil {
			s.W[j] = d.W[i]
		}
	}
	return s
}

// Window returns the first and last date of d (zero range when empty).
func (d Dataset) Window() regime.DateRange {
	if len(d.Dates) == 0 {
		return regime.DateRange{}
	}
	return regime.DateRange{From: d.Dates[0], To: d.Dates[len(d.Dates)-1]}
}

// CheckXY validates the arguments of Classifier.Fit and returns the number
// of features and the number of classes (max label + 1, at least minClasses).
// It returns an EINVALID *regime.Error naming the problem.
func CheckXY(X [][]float64, y []int, w []float64, minClasses int) (features, classes int, err error) {
	n := len(X)
	if n == 0 {
		return 0, 0, regime.Errorf(regime.EINVALID, "fit: no training rows")
	}
	if len(y) != n {
		return 0, 0, regime.Errorf(regime.EINVALID, "fit: %d labels for %d rows", len(y), n)
	}
	if w != nil && len(w) != n {
		return 0, 0, regime.Errorf(regime.EINVALID, "fit: %d weights for %d rows", len(w), n)
	}
	features = len(X[0])
	classes = minClasses
	for i := range X {
		if len(X[i]) != features {
			return 0, 0, regime.Errorf(regime.EINVALID, "fit: row %d has %d values, row 0 has %d", i, len(X[i]), features)
		}
		if y[i] < 0 {
			return 0, 0, regime.Errorf(regime.EINVALID, "fit: negative label %d at row %d", y[i], i)
		}
		if y[i]+1 > classes {
			classes = y[i] + 1
		}
	}
	if w != nil {
		sum := 0.0
		for i, v := range w {
			if !(v >= 0) || math.IsInf(v, 0) {
				return 0, 0, regime.Errorf(regime.EINVALID, "fit: invalid weight %v at row %d", v, i)
			}
			sum += v
		}
		if sum == 0 {
			return 0, 0, regime.Errorf(regime.EINVALID, "fit: all weights are zero")
		}
	}
	return features, classes, nil
}

// Weight returns w[i], or 1 when w is nil.
func Weight(w []float64, i int) float64 {
	if w == nil {
		return 1
	}
	return w[i]
}
