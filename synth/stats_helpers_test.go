package synth_test

import (
	"math"

	"github.com/regime-engine/regime"
	"github.com/regime-engine/regime/synth"
)

// capture is a Sink that keeps what the statistical tests need.
type capture struct {
	assets  []regime.Asset
	dates   []regime.Date
	regimes []synth.Regime
	closes  map[string]map[regime.Date]float64 // asset -> date -> close
	first   map[string]regime.Date
	last    map[string]regime.Date
	series  map[string][]regime.Observation
	bars    []regime.Bar // all bars when keepBars
	keep    bool
	cons    []regime.Constituent
}

func newCapture(keepBars bool) *capture {
	return &capture{closes: map[string]map[regime.Date]float64{}, first: map[string]regime.Date{},
		last: map[string]regime.Date{}, series: map[string][]regime.Observation{}, keep: keepBars}
}

func (c *capture) Begin(a []regime.Asset) error { c.assets = append(c.assets, a...); return nil }
func (c *capture) End() error                   { return nil }
func (c *capture) Day(d *synth.Day) error {
	c.dates = append(c.dates, d.Date)
	c.regimes = append(c.regimes, d.Regime)
	for _, b := range d.Bars {
		m := c.closes[b.AssetID]
		if m == nil {
			m = map[regime.Date]float64{}
			c.closes[b.AssetID] = m
			c.first[b.AssetID] = b.Date
		}
		m[b.Date] = b.Close
		c.last[b.AssetID] = b.Date
		if c.keep {
			c.bars = append(c.bars, b)
		}
	}
	for _, o := range d.Observations {
		c.series[o.Series] = append(c.series[o.Series], o)
	}
	c.cons = append(c.cons, d.Constituents...)
	return nil
}

// returns gives the daily log returns of asset on each day index t >= 1
// (NaN when either close is missing).
func (c *capture) returns(asset string) []float64 {
	m := c.closes[asset]
	r := make([]float64, len(c.dates))
	r[0] = math.NaN()
	for t := 1; t < len(c.dates); t++ {
		a, ok1 := m[c.dates[t-1]]
		b, ok2 := m[c.dates[t]]
		if ok1 && ok2 {
			r[t] = math.Log(b / a)
		} else {
			r[t] = math.NaN()
		}
	}
	return r
}

func meanSD(x []float64) (mean, sd float64, n int) {
	var s, s2 float64
	for _, v := range x {
		if !math.IsNaN(v) {
			s += v
			n++
		}
	}
	mean = s / float64(n)
	for _, v := range x {
		if !math.IsNaN(v) {
			s2 += (v - mean) * (v - mean)
		}
	}
	return mean, math.Sqrt(s2 / float64(n-1)), n
}

func kurtosis(x []float64) float64 {
	m, sd, n := meanSD(x)
	var s4 float64
	for _, v := range x {
		if !math.IsNaN(v) {
			d := (v - m) / sd
			s4 += d * d * d * d
		}
	}
	return s4 / float64(n)
}

// corr is the Pearson correlation over indices where both are present.
func corr(x, y []float64) float64 {
	var xs, ys []float64
	for i := range x {
		if !math.IsNaN(x[i]) && !math.IsNaN(y[i]) {
			xs, ys = append(xs, x[i]), append(ys, y[i])
		}
	}
	if len(xs) < 30 {
		return math.NaN()
	}
	mx, sx, _ := meanSD(xs)
	my, sy, _ := meanSD(ys)
	var s float64
	for i := range xs {
		s += (xs[i] - mx) * (ys[i] - my)
	}
	return s / float64(len(xs)-1) / (sx * sy)
}

// spells returns the lengths of complete spells of each regime (the first
// and last spells, cut by the period, are left out).
func spells(path []synth.Regime) map[synth.Regime][]int {
	out := map[synth.Regime][]int{}
	start := 0
	for t := 1; t <= len(path); t++ {
		if t == len(path) || path[t] != path[start] {
			if start > 0 && t < len(path) {
				out[path[start]] = append(out[path[start]], t-start)
			}
			start = t
		}
	}
	return out
}
