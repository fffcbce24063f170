package model

import (
	"math"
	"slices"
)

// Imputer replaces missing values (NaN) with training medians and appends a
// 0/1 missing indicator for every column that was missing at least once in
// training. It is the missing-value policy of the linear models.
type Imputer struct {
	Median    Vec   `json:"median"`    // per input column; 0 for a column never observed
	Indicator []int `json:"indicator"` // input columns that get a missing indicator, ascending
}

// FitImputer computes the medians and indicator columns of X.
func FitImputer(X [][]float64) *Imputer {
	if len(X) == 0 {
		return &Imputer{}
	}
	p := len(X[0])
	im := &Imputer{Median: make(Vec, p), Indicator: []int{}}
	col := make([]float64, 0, len(X))
	for j := 0; j < p; j++ {
		col = col[:0]
		missing := false
		for _, x := range X {
			if math.IsNaN(x[j]) {
				missing = true
				continue
			}
			col = append(col, x[j])
		}
		im.Median[j] = median(col)
		if missing {
			im.Indicator = append(im.Indicator, j)
		}
	}
	return im
}

// median returns the median of v (sorting v), or 0 when v is empty.
func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	slices.Sort(v)
	n := len(v)
	if n%2 == 1 {
		return v[n/2]
	}
	return v[n/2-1] + (v[n/2]-v[n/2-1])/2
}

// Width returns the number of output columns.
func (im *Imputer) Width() int { return len(im.Median) + len(im.Indicator) }

// Transform returns x with NaN replaced and the indicators appended into
// dst (allocated when too short). Infinite values are kept.
func (im *Imputer) Transform(dst, x []float64) []float64 {
	w := im.Width()
	if cap(dst) < w {
		dst = make([]float64, w)
	}
	dst = dst[:w]
	for j, v := range x {
		if math.IsNaN(v) {
			v = im.Median[j]
		}
		dst[j] = v
	}
	p := len(im.Median)
	for k, j := range im.Indicator {
		dst[p+k] = 0
		if math.IsNaN(x[j]) {
			dst[p+k] = 1
		}
	}
	return dst
}
