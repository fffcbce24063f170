package backtest

import (
	"sort"

	"github.com/regime-engine/regime"
)

// Window returns the metrics of r restricted to the closes from from to to
// (inclusive; NoDate leaves a side open), as if the run had been looked at
// only over that window: the NAV base is the close of the window's first
// simulated day, trades, fees and decisions count when dated inside the
// window, and the regime statistics attribute each day as Metrics does.
// It is how in-sample and out-of-sample periods of one continuous run are
// reported. ok is false when fewer than two simulated days fall inside.
func (r *Result) Window(from, to regime.Date) (m Metrics, ok bool) {
	lo := sort.Search(len(r.Dates), func(i int) bool { return from == regime.NoDate || r.Dates[i] >= from })
	hi := sort.Search(len(r.Dates), func(i int) bool { return to != regime.NoDate && r.Dates[i] > to })
	if hi-lo < 2 {
		return Metrics{}, false
	}
	d0, d1 := r.Dates[lo], r.Dates[hi-1]
	w := &Result{Dates: r.Dates[lo:hi], NAV: r.NAV[lo:hi], Exposure: r.Exposure[lo:hi], Levels: r.Levels[lo:hi], dates: r.dates, assets: r.assets}
	for _, d := range r.Decisions {
		if d.Date >= d0 && d.Date <= d1 {
			w.Decisions = append(w.Decisions, d)
		}
	}
	var recs []rec
	for _, c := range r.log {
		for _, x := range c {
			// A trade executes at the close of its day; the window's
			// first close is its base, so trades on it are counted (they
			// are part of the holdings the window starts from).
			if d := r.dates[x.day]; d >= d0 && d <= d1 {
				recs = append(recs, x)
			}
		}
	}
	if len(recs) > 0 {
		w.log = [][]rec{recs}
	}
	return computeMetrics(Config{}, w), true
}
