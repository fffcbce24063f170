package model

import "math"

// Unknown is the label of a row whose outcome is not known (yet).
const Unknown = -1

// ForwardLabels labels each day t by the log return from close[t] to
// close[t+horizon]. With band = 0 it returns binary labels (1 = up, 0 = not
// up); with band > 0 three classes: 0 = bear (return < −band), 1 = neutral,
// 2 = bull (return > band). Days whose forward close is beyond the series
// or either close is NaN or not positive get Unknown. The label of day t
// depends on data up to t+horizon: pass horizon to WalkForward as the
// label horizon so that it is purged.
func ForwardLabels(close []float64, horizon int, band float64) []int {
	y := make([]int, len(close))
	for t := range y {
		y[t] = Unknown
		if horizon < 1 || t+horizon >= len(close) || !(close[t] > 0) || !(close[t+horizon] > 0) {
			continue
		}
		r := math.Log(close[t+horizon] / close[t])
		if math.IsNaN(r) || math.IsInf(r, 0) {
			continue
		}
		switch {
		case band <= 0 && r > 0:
			y[t] = 1
		case band <= 0:
			y[t] = 0
		case r < -band:
			y[t] = 0
		case r > band:
			y[t] = 2
		default:
			y[t] = 1
		}
	}
	return y
}

// Labelled returns the rows of d whose label is known (≥ 0), in order.
func (d Dataset) Labelled() Dataset {
	idx := make([]int, 0, len(d.Y))
	for i, y := range d.Y {
		if y >= 0 {
			idx = append(idx, i)
		}
	}
	return d.Subset(idx)
}
