package detect

import (
	"math"
	"sort"

	"github.com/regime-engine/regime"
)

// ScoreOptions configures Score. Use DefaultScoreOptions.
type ScoreOptions struct {
	// CostBps is the proportional cost of a switch, in basis points of
	// the traded value (10 = 0.1%). Going from cash to fully invested or
	// back trades the whole NAV once.
	CostBps float64
	// ConfirmDays is the confirmation window of the lag measure: the
	// signal must agree with the new phase for this many consecutive days
	// (at least 1).
	ConfirmDays int
}

// DefaultScoreOptions returns CostBps 10 and ConfirmDays 5.
func DefaultScoreOptions() ScoreOptions { return ScoreOptions{CostBps: 10, ConfirmDays: 5} }

// Lag is how late a signal recognised one dated turning point.
type Lag struct {
	Turn   regime.Date // the turning point (the last day of the old phase)
	Kind   TurnKind
	Days   int         // calendar days from Turn to the first day of the confirmed signal; 0 if missed
	Signal regime.Date // first day of the confirmed signal; NoDate if missed
	Missed bool        // the signal never confirmed the new phase before the next turning point
}

// Metrics scores one signal against the truth over one window.
type Metrics struct {
	Window   string // window name (empty from Score)
	From, To regime.Date
	Days     int // days in the window (input rows)

	// Classification, over ScoredDays: the days whose truth is Bull or
	// Bear. Neutral truth days (provisional tail, undated, corrections)
	// are excluded. A Neutral signal on a scored day counts as wrong.
	ScoredDays       int
	BullRecall       float64 // share of bull days the signal calls Bull (NaN without bull days)
	BearRecall       float64 // share of bear days the signal calls Bear (NaN without bear days)
	BalancedAccuracy float64 // (BullRecall + BearRecall) / 2
	Coverage         float64 // share of scored days with a non-Neutral signal

	// Stability. A flip is a change between Bull and Bear; Neutral days
	// carry the previous non-Neutral state and do not flip.
	Flips        int
	FlipsPerYear float64 // Flips / (calendar days of the window / 365)

	// Lags holds one entry per dated turning point in the window: a change
	// of the truth between Bull and Bear (Neutral days skipped).
	Lags        []Lag
	MedianLag   float64 // median of the non-missed lags, NaN if none
	MissedTurns int

	// Switching strategy: fully invested while the last non-Neutral
	// signal is Bull, in cash (earning 0) otherwise, starting in cash.
	// The signal of a close is acted on at the next valid close, paying
	// CostBps on the traded value. NAV starts at 1 on the first day.
	NAV         []float64 // per day; NaN-price days repeat the previous NAV
	Exposure    float64   // share of daily returns earned while invested
	Switches    int       // trades executed
	FinalNAV    float64
	CAGR        float64 // FinalNAV^(365/calendar days) − 1
	MaxDrawdown float64 // largest fall of NAV from its running peak, as a positive fraction
	Sharpe      float64 // mean/stdev of daily NAV returns × √365, risk-free 0; NaN if flat
	Calmar      float64 // CAGR / MaxDrawdown; NaN if MaxDrawdown is 0
}

// Score measures signal against truth over the given days. All four
// slices must have the same non-zero length; dates must be strictly
// increasing and prices positive or NaN (trades wait for the next valid
// close). Pass a dating's Confirmed labels as truth so the provisional
// tail is not scored. Errors are EINVALID *regime.Error values.
func Score(signal, truth []State, dates []regime.Date, price []float64, opt ScoreOptions) (Metrics, error) {
	n := len(signal)
	switch {
	case n == 0:
		return Metrics{}, regime.Errorf(regime.EINVALID, "score: no days")
	case len(truth) != n || len(dates) != n || len(price) != n:
		return Metrics{}, regime.Errorf(regime.EINVALID, "score: lengths differ: %d signal, %d truth, %d dates, %d prices",
			n, len(truth), len(dates), len(price))
	case opt.ConfirmDays < 1:
		return Metrics{}, regime.Errorf(regime.EINVALID, "score: confirm days %d must be >= 1", opt.ConfirmDays)
	case math.IsNaN(opt.CostBps) || opt.CostBps < 0 || opt.CostBps >= 1e4:
		return Metrics{}, regime.Errorf(regime.EINVALID, "score: cost %v bps must lie in [0, 10000)", opt.CostBps)
	}
	for i := range signal {
		if !signal[i].Valid() || !truth[i].Valid() {
			return Metrics{}, regime.Errorf(regime.EINVALID, "score: invalid state on %s", dates[i])
		}
		if i > 0 && dates[i] <= dates[i-1] {
			return Metrics{}, regime.Errorf(regime.EINVALID, "score: dates not strictly increasing at %s (index %d)", dates[i], i)
		}
		if v := price[i]; !math.IsNaN(v) && (v <= 0 || math.IsInf(v, 0)) {
			return Metrics{}, regime.Errorf(regime.EINVALID, "score: price %v on %s must be positive (use NaN for missing)", v, dates[i])
		}
	}
	m := Metrics{From: dates[0], To: dates[n-1], Days: n}
	years := float64(dates[n-1]-dates[0]+1) / 365
	classify(&m, signal, truth)
	m.Flips = flips(signal)
	m.FlipsPerYear = float64(m.Flips) / years
	lags(&m, signal, truth, dates, opt.ConfirmDays)
	backtest(&m, signal, dates, price, opt.CostBps/1e4)
	return m, nil
}

func classify(m *Metrics, signal, truth []State) {
	var bull, bear, bullOK, bearOK, covered int
	for i, t := range truth {
		if t == Neutral {
			continue
		}
		if signal[i] != Neutral {
			covered++
		}
		if t == Bull {
			bull++
			if signal[i] == Bull {
				bullOK++
			}
		} else {
			bear++
			if signal[i] == Bear {
				bearOK++
			}
		}
	}
	ratio := func(a, b int) float64 {
		if b == 0 {
			return math.NaN()
		}
		return float64(a) / float64(b)
	}
	m.ScoredDays = bull + bear
	m.BullRecall, m.BearRecall = ratio(bullOK, bull), ratio(bearOK, bear)
	m.BalancedAccuracy = (m.BullRecall + m.BearRecall) / 2
	m.Coverage = ratio(covered, bull+bear)
}

func flips(signal []State) int {
	n, last := 0, Neutral
	for _, s := range signal {
		if s == Neutral {
			continue
		}
		if last != Neutral && s != last {
			n++
		}
		last = s
	}
	return n
}

func lags(m *Metrics, signal, truth []State, dates []regime.Date, w int) {
	type tp struct {
		i     int
		state State // the new state
	}
	var tps []tp
	last, lastI := Neutral, -1
	for i, t := range truth {
		if t == Neutral {
			continue
		}
		if last != Neutral && t != last {
			tps = append(tps, tp{lastI, t})
		}
		last, lastI = t, i
	}
	var ok []float64
	for k, t := range tps {
		end := len(signal)
		if k+1 < len(tps) {
			end = tps[k+1].i
		}
		kind := Peak
		if t.state == Bull {
			kind = Trough
		}
		l := Lag{Turn: dates[t.i], Kind: kind, Missed: true}
		run := 0
		for u := t.i; u < len(signal) && u-run < end; u++ {
			if signal[u] != t.state {
				run = 0
				continue
			}
			run++
			if run == w {
				start := u - w + 1
				l.Days, l.Signal, l.Missed = int(dates[start]-dates[t.i]), dates[start], false
				break
			}
		}
		if l.Missed {
			m.MissedTurns++
		} else {
			ok = append(ok, float64(l.Days))
		}
		m.Lags = append(m.Lags, l)
	}
	m.MedianLag = Median(ok)
}

// Median returns the median of v (the mean of the two middle values for an
// even count), NaN for an empty v. v is not modified.
func Median(v []float64) float64 {
	if len(v) == 0 {
		return math.NaN()
	}
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func backtest(m *Metrics, signal []State, dates []regime.Date, price []float64, cost float64) {
	n := len(signal)
	m.NAV = make([]float64, n)
	nav, peak := 1.0, 1.0
	held, want := 0.0, 0.0 // exposure held now, exposure decided at the last close
	prev := -1             // last valid close
	first := -1
	var rets []float64
	invested := 0
	for i := 0; i < n; i++ {
		if v := price[i]; !math.IsNaN(v) {
			if first < 0 {
				first = i
			}
			if prev >= 0 {
				before := nav
				nav *= 1 + held*(v/price[prev]-1)
				if held > 0 {
					invested++
				}
				if want != held {
					nav *= 1 - cost*math.Abs(want-held)
					held = want
					m.Switches++
				}
				rets = append(rets, nav/before-1)
			}
			prev = i
			peak = math.Max(peak, nav)
			m.MaxDrawdown = math.Max(m.MaxDrawdown, 1-nav/peak)
		}
		switch signal[i] {
		case Bull:
			want = 1
		case Bear:
			want = 0
		}
		m.NAV[i] = nav
	}
	m.FinalNAV = nav
	m.CAGR, m.Sharpe, m.Calmar, m.Exposure = math.NaN(), math.NaN(), math.NaN(), math.NaN()
	if len(rets) > 0 {
		m.Exposure = float64(invested) / float64(len(rets))
		if days := float64(dates[prev] - dates[first]); days > 0 {
			m.CAGR = math.Pow(nav, 365/days) - 1
		}
		var mean, sd float64
		for _, r := range rets {
			mean += r
		}
		mean /= float64(len(rets))
		for _, r := range rets {
			sd += (r - mean) * (r - mean)
		}
		if len(rets) > 1 {
			sd = math.Sqrt(sd / float64(len(rets)-1))
			if sd > 0 {
				m.Sharpe = mean / sd * math.Sqrt(365)
			}
		}
	}
	if m.MaxDrawdown > 0 {
		m.Calmar = m.CAGR / m.MaxDrawdown
	}
}

// Window is a named, inclusive date range used to report metrics per
// period (in-sample, out-of-sample...).
type Window struct {
	Name  string
	Range regime.DateRange // a zero From or To is unbounded
}

// SplitAt returns the two windows "in-sample" (from, cut−1) and
// "out-of-sample" (cut, to), so that nothing on or after cut is in sample.
func SplitAt(from, cut, to regime.Date) []Window {
	return []Window{
		{Name: "in-sample", Range: regime.DateRange{From: from, To: cut.AddDays(-1)}},
		{Name: "out-of-sample", Range: regime.DateRange{From: cut, To: to}},
	}
}

// Bounds returns the half-open index range [lo, hi) of the sorted dates
// that fall in w.
func (w Window) Bounds(dates []regime.Date) (lo, hi int) {
	lo = sort.Search(len(dates), func(i int) bool { return w.Range.From == regime.NoDate || dates[i] >= w.Range.From })
	hi = sort.Search(len(dates), func(i int) bool { return w.Range.To != regime.NoDate && dates[i] > w.Range.To })
	if hi < lo {
		hi = lo
	}
	return lo, hi
}

// ScoreWindows scores the same full-history signal and truth over each
// window separately. Compute signals on the full history first so that
// indicator warm-up happens before a window starts; each window's
// backtest starts in cash with NAV 1. It returns an EINVALID
// *regime.Error for an invalid or empty window.
func ScoreWindows(signal, truth []State, dates []regime.Date, price []float64, opt ScoreOptions, windows []Window) ([]Metrics, error) {
	var out []Metrics
	for _, w := range windows {
		if err := w.Range.Validate(); err != nil {
			return nil, &regime.Error{Code: regime.EINVALID, Message: "score: window " + w.Name + ": " + regime.ErrorMessage(err)}
		}
		if len(signal) != len(dates) {
			return nil, regime.Errorf(regime.EINVALID, "score: %d signal days but %d dates", len(signal), len(dates))
		}
		lo, hi := w.Bounds(dates)
		if lo == hi {
			return nil, regime.Errorf(regime.EINVALID, "score: window %s (%s) has no days", w.Name, w.Range)
		}
		if len(truth) < hi || len(price) < hi {
			return nil, regime.Errorf(regime.EINVALID, "score: lengths differ: %d signal, %d truth, %d dates, %d prices",
				len(signal), len(truth), len(dates), len(price))
		}
		m, err := Score(signal[lo:hi], truth[lo:hi], dates[lo:hi], price[lo:hi], opt)
		if err != nil {
			return nil, err
		}
		m.Window = w.Name
		out = append(out, m)
	}
	return out, nil
}
