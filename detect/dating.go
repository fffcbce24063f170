package detect

import (
	"math"

	"github.com/regime-engine/regime"
)

// DatingParams configures DateCycles: a Lunde–Timmermann threshold rule
// followed by Pagan–Sossounov style censoring. Use DefaultDatingParams and
// change what you need; the zero value is invalid (Threshold 0).
type DatingParams struct {
	// Threshold is the fall from a peak, as a fraction, that confirms a
	// bear market: a peak is dated once the price closes at or below
	// peak × (1 − Threshold). It must lie in (0, 1). Crypto needs 0.30–0.50.
	Threshold float64
	// RiseThreshold is the rise from a trough, as a fraction, that confirms
	// a bull market: a trough is dated once the price closes at or above
	// trough × (1 + RiseThreshold). 0 means "same as Threshold".
	RiseThreshold float64
	// MinPhaseDays is the shortest bull or bear phase, in calendar days
	// between its two turning points; shorter phases are merged away (see
	// DateCycles). 0 disables the rule.
	MinPhaseDays int
	// MinCycleDays is the shortest peak-to-peak or trough-to-trough cycle,
	// in calendar days. 0 disables the rule.
	MinCycleDays int
	// CensorDays: no turning point is dated in the last CensorDays calendar
	// days of the sample; the tail stays provisional. 0 disables the rule.
	CensorDays int
	// WaiveMove keeps a phase shorter than MinPhaseDays when its price move
	// (fall for a bear, rise for a bull, as a fraction) is at least
	// WaiveMove, as Pagan–Sossounov waive the phase rule for violent moves.
	// 0 never waives.
	WaiveMove float64
}

// DefaultDatingParams returns the documented defaults for daily crypto
// prices: Threshold 0.35 (rise threshold the same), MinPhaseDays 60,
// MinCycleDays 180, CensorDays 90, WaiveMove 0. On Coin Metrics BTC
// closes 2011–2024 they date peaks on 2013-12-04, 2017-12-16, 2019-06-26,
// 2021-04-13 and 2021-11-08 and troughs on 2015-01-14, 2018-12-15,
// 2020-03-12, 2021-07-20 and 2022-11-09, leaving the bull market since
// then provisional; without the phase and cycle rules the 35% rule also
// dates a dozen swings inside the 2017 bull and the 2018 bear markets.
func DefaultDatingParams() DatingParams {
	return DatingParams{Threshold: 0.35, MinPhaseDays: 60, MinCycleDays: 180, CensorDays: 90}
}

// rise returns the effective rise threshold.
func (p DatingParams) rise() float64 {
	if p.RiseThreshold == 0 {
		return p.Threshold
	}
	return p.RiseThreshold
}

// Validate returns an EINVALID *regime.Error naming the first invalid
// parameter, or nil.
func (p DatingParams) Validate() error {
	finite := func(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
	switch {
	case !finite(p.Threshold) || p.Threshold <= 0 || p.Threshold >= 1:
		return regime.Errorf(regime.EINVALID, "dating: threshold %v must be a fraction in (0, 1), e.g. 0.35 for 35%%", p.Threshold)
	case !finite(p.RiseThreshold) || p.RiseThreshold < 0:
		return regime.Errorf(regime.EINVALID, "dating: rise threshold %v must be > 0 (or 0 for the fall threshold)", p.RiseThreshold)
	case p.MinPhaseDays < 0:
		return regime.Errorf(regime.EINVALID, "dating: min phase days %d must be >= 0", p.MinPhaseDays)
	case p.MinCycleDays < 0:
		return regime.Errorf(regime.EINVALID, "dating: min cycle days %d must be >= 0", p.MinCycleDays)
	case p.CensorDays < 0:
		return regime.Errorf(regime.EINVALID, "dating: censor days %d must be >= 0", p.CensorDays)
	case !finite(p.WaiveMove) || p.WaiveMove < 0:
		return regime.Errorf(regime.EINVALID, "dating: waive move %v must be >= 0", p.WaiveMove)
	}
	return nil
}

// TurningPoint is a dated peak or trough.
type TurningPoint struct {
	Index int // position in the input slices
	Date  regime.Date
	Kind  TurnKind
	Price float64
}

// Phase is a bull or bear market between two turning points. The
// turning-point day belongs to the phase it ends (a peak is the last bull
// day), so a phase's days are (From, To], except the first phase, whose
// days are [From, To].
type Phase struct {
	From, To   regime.Date
	Start, End int // indices of From and To in the input slices
	State      State
	FromPrice  float64
	ToPrice    float64
	// Truncated is set on the first phase: it begins at the first
	// observation rather than at a dated turning point.
	Truncated bool
	// Provisional is set on the last phase: its end is not dated yet
	// (censored tail), so it may still turn out shorter than shown.
	Provisional bool
}

// Days returns the calendar length of the phase.
func (p Phase) Days() int { return int(p.To - p.From) }

// Change returns the price change over the phase as a fraction.
func (p Phase) Change() float64 { return p.ToPrice/p.FromPrice - 1 }

// Dating is the result of DateCycles.
type Dating struct {
	Params DatingParams
	Turns  []TurningPoint // alternating peaks and troughs, by date
	Phases []Phase        // consecutive, covering first to last valid price
	// Labels is the best-guess state of every input day, provisional tail
	// included. Days before the first valid price are Neutral; NaN days
	// inside a phase get the phase's state.
	Labels []State
	// Settled is the number of leading days whose label cannot change when
	// more data arrives: days after the running extreme of the provisional
	// tail (the highest close of a bull tail, the lowest of a bear tail)
	// could still belong to the next phase.
	Settled int
}

// Confirmed returns a copy of Labels with the unsettled tail (from index
// Settled on) set to Neutral. Use it as the truth for scoring.
func (d Dating) Confirmed() []State {
	out := make([]State, len(d.Labels))
	copy(out, d.Labels[:d.Settled])
	return out
}

// DateCycles dates bull and bear phases of price ex post.
//
// Step 1 (Lunde–Timmermann): walking forward over valid (non-NaN) closes,
// a peak is dated at the highest close since the last trough once the
// price has fallen Threshold below it, and a trough at the lowest close
// since the last peak once the price has risen RiseThreshold above it.
// Before the first turning point the direction is unknown and the running
// high and low since the start are both candidates; whichever threshold is
// crossed first decides. Ties go to the earliest day.
//
// Step 2 (Pagan–Sossounov censoring): a turning point on the first valid
// close (the start of the data, not a turn) and turning points dated in
// the last CensorDays days are dropped. Then, repeatedly, among phases shorter than
// MinPhaseDays (unless waived by WaiveMove) and pairs of phases forming a
// cycle shorter than MinCycleDays, the phase with the smallest absolute
// log price move is removed: of its two turning points and their two
// neighbours, the alternating pair with the largest move in its own
// direction is kept. The
// first (truncated) and last (provisional) phases are exempt.
//
// dates must be strictly increasing and as long as price; prices must be
// positive or NaN. Errors are EINVALID *regime.Error values.
func DateCycles(dates []regime.Date, price []float64, p DatingParams) (Dating, error) {
	if err := p.Validate(); err != nil {
		return Dating{}, err
	}
	first, last, err := checkSeries(dates, price)
	if err != nil {
		return Dating{}, err
	}
	turns, _ := thresholdTurns(price, first, last+1, p.Threshold, p.rise())
	turns = censor(dates, price, turns, p, first, last)
	return build(dates, price, turns, p, first, last), nil
}

// checkSeries validates the inputs and returns the first and last index
// with a valid price.
func checkSeries(dates []regime.Date, price []float64) (first, last int, err error) {
	if len(dates) != len(price) {
		return 0, 0, regime.Errorf(regime.EINVALID, "dating: %d dates but %d prices", len(dates), len(price))
	}
	first, last = -1, -1
	for i, v := range price {
		if i > 0 && dates[i] <= dates[i-1] {
			return 0, 0, regime.Errorf(regime.EINVALID, "dating: dates not strictly increasing at %s (index %d)", dates[i], i)
		}
		if math.IsNaN(v) {
			continue
		}
		if v <= 0 || math.IsInf(v, 0) {
			return 0, 0, regime.Errorf(regime.EINVALID, "dating: price %v on %s must be positive (use NaN for missing)", v, dates[i])
		}
		if first < 0 {
			first = i
		}
		last = i
	}
	if first < 0 {
		return 0, 0, regime.Errorf(regime.EINVALID, "dating: no valid prices among %d days", len(price))
	}
	return first, last, nil
}

type turn struct {
	i    int
	kind TurnKind
}

// thresholdTurns runs the Lunde–Timmermann rule over price[lo:hi],
// skipping NaN. It returns the confirmed turning points and the index of
// the running extreme of the open swing after the last one (-1 when no
// direction was established).
func thresholdTurns(price []float64, lo, hi int, fall, rise float64) ([]turn, int) {
	var turns []turn
	dir := 0 // 0 unknown, +1 bull, -1 bear
	hiI, loI := -1, -1
	for j := lo; j < hi; j++ {
		v := price[j]
		if math.IsNaN(v) {
			continue
		}
		switch dir {
		case 0:
			if hiI < 0 {
				hiI, loI = j, j
				continue
			}
			if v > price[hiI] {
				hiI = j
			}
			if v < price[loI] {
				loI = j
			}
			if v <= price[hiI]*(1-fall) {
				turns = append(turns, turn{hiI, Peak})
				dir, loI = -1, extreme(price, hiI+1, j, -1)
			} else if v >= price[loI]*(1+rise) {
				turns = append(turns, turn{loI, Trough})
				dir, hiI = 1, extreme(price, loI+1, j, 1)
			}
		case 1:
			if v > price[hiI] {
				hiI = j
			} else if v <= price[hiI]*(1-fall) {
				turns = append(turns, turn{hiI, Peak})
				dir, loI = -1, extreme(price, hiI+1, j, -1)
			}
		case -1:
			if v < price[loI] {
				loI = j
			} else if v >= price[loI]*(1+rise) {
				turns = append(turns, turn{loI, Trough})
				dir, hiI = 1, extreme(price, loI+1, j, 1)
			}
		}
	}
	switch dir {
	case 1:
		return turns, hiI
	case -1:
		return turns, loI
	}
	return turns, -1
}

// extreme returns the index of the first maximum (sign +1) or minimum
// (sign −1) of the valid prices in [a, b], or -1 if there are none.
func extreme(price []float64, a, b int, sign int) int {
	best := -1
	for i := a; i <= b && i < len(price); i++ {
		v := price[i]
		if math.IsNaN(v) {
			continue
		}
		if best < 0 || (sign > 0 && v > price[best]) || (sign < 0 && v < price[best]) {
			best = i
		}
	}
	return best
}

// moreExtreme returns the more extreme of two turning points of the same
// kind (the higher peak, the lower trough), the earlier on a tie.
func moreExtreme(price []float64, a, b turn) turn {
	if b.i < a.i {
		a, b = b, a
	}
	if (a.kind == Peak && price[b.i] > price[a.i]) || (a.kind == Trough && price[b.i] < price[a.i]) {
		return b
	}
	return a
}

// logMove returns the absolute log price move between two turns.
func logMove(price []float64, a, b turn) float64 {
	return math.Abs(math.Log(price[b.i] / price[a.i]))
}

// swing returns the log move from a to b in the direction a's kind
// implies: positive when a peak is above the following trough or a trough
// below the following peak, negative otherwise.
func swing(price []float64, a, b turn) float64 {
	m := math.Log(price[a.i] / price[b.i])
	if a.kind == Trough {
		return -m
	}
	return m
}

// censor applies the end-of-sample, minimum-phase and minimum-cycle rules.
func censor(dates []regime.Date, price []float64, turns []turn, p DatingParams, first, last int) []turn {
	if len(turns) > 0 && turns[0].i == first {
		turns = turns[1:] // the sample's first close is where the data starts, not a turn
	}
	if p.CensorDays > 0 {
		cut := dates[last] - regime.Date(p.CensorDays)
		n := 0
		for n < len(turns) && dates[turns[n].i] <= cut {
			n++
		}
		turns = turns[:n]
	}
	days := func(a, b turn) int { return int(dates[b.i] - dates[a.i]) }
	for {
		best, bestMove := -1, math.Inf(1)
		consider := func(k int) {
			if m := logMove(price, turns[k], turns[k+1]); m < bestMove {
				best, bestMove = k, m
			}
		}
		for k := 0; k+1 < len(turns); k++ {
			if p.MinPhaseDays > 0 && days(turns[k], turns[k+1]) < p.MinPhaseDays {
				a, b := price[turns[k].i], price[turns[k+1].i]
				move := b/a - 1 // rise of a bull phase
				if turns[k].kind == Peak {
					move = 1 - b/a // fall of a bear phase
				}
				if p.WaiveMove == 0 || move < p.WaiveMove {
					consider(k)
				}
			}
			if p.MinCycleDays > 0 && k+2 < len(turns) && days(turns[k], turns[k+2]) < p.MinCycleDays {
				consider(k)
				consider(k + 1)
			}
		}
		if best < 0 {
			return turns
		}
		turns = removePhase(price, turns, best)
	}
}

// removePhase removes the phase between turns[k] and turns[k+1]. With
// neighbours L = turns[k-1] and R = turns[k+2] (a = turns[k], b =
// turns[k+1]), the kept alternating pair is the one of (L, a), (L, R),
// (b, R) with the largest log move in its own direction (a peak above the
// trough after it, a trough below the peak after it), which keeps every
// phase moving the way its state says; without L (or R) the more extreme
// of a and R (or of L and b) is kept alone.
func removePhase(price []float64, turns []turn, k int) []turn {
	a, b := turns[k], turns[k+1]
	hasL, hasR := k > 0, k+2 < len(turns)
	lo, hi := k, k+2 // replace turns[lo:hi] with kept
	var kept []turn
	switch {
	case hasL && hasR:
		L, R := turns[k-1], turns[k+2]
		lo, hi = k-1, k+3
		kept = []turn{L, R}
		best := swing(price, L, R)
		if m := swing(price, L, a); m > best {
			kept, best = []turn{L, a}, m
		}
		if m := swing(price, b, R); m > best {
			kept = []turn{b, R}
		}
	case hasR:
		hi = k + 3
		kept = []turn{moreExtreme(price, a, turns[k+2])}
	case hasL:
		lo = k - 1
		kept = []turn{moreExtreme(price, turns[k-1], b)}
	}
	out := make([]turn, 0, len(turns)-2)
	out = append(out, turns[:lo]...)
	out = append(out, kept...)
	return append(out, turns[hi:]...)
}

// build turns the final turning points into phases and labels.
func build(dates []regime.Date, price []float64, turns []turn, p DatingParams, first, last int) Dating {
	n := len(price)
	d := Dating{Params: p, Labels: make([]State, n)}
	for _, t := range turns {
		d.Turns = append(d.Turns, TurningPoint{Index: t.i, Date: dates[t.i], Kind: t.kind, Price: price[t.i]})
	}
	phase := func(a, b int, s State) Phase {
		return Phase{From: dates[a], To: dates[b], Start: a, End: b, State: s, FromPrice: price[a], ToPrice: price[b]}
	}
	if len(turns) == 0 {
		ph := phase(first, last, Neutral)
		ph.Truncated, ph.Provisional = true, true
		d.Phases = []Phase{ph}
		return d
	}
	t0 := turns[0]
	if t0.i > first {
		ph := phase(first, t0.i, -t0.kind.After())
		ph.Truncated = true
		d.Phases = append(d.Phases, ph)
		for i := first; i <= t0.i; i++ {
			d.Labels[i] = ph.State
		}
	}
	for k := 0; k+1 < len(turns); k++ {
		ph := phase(turns[k].i, turns[k+1].i, turns[k].kind.After())
		d.Phases = append(d.Phases, ph)
		for i := ph.Start + 1; i <= ph.End; i++ {
			d.Labels[i] = ph.State
		}
	}
	tl := turns[len(turns)-1]
	s := tl.kind.After()
	if tl.i < last {
		ph := phase(tl.i, last, s)
		ph.Provisional = true
		d.Phases = append(d.Phases, ph)
	}
	for i := tl.i + 1; i < n; i++ {
		d.Labels[i] = s
	}
	d.Settled = tl.i + 1
	if e := extreme(price, tl.i+1, last, int(s)); e >= 0 {
		d.Settled = e + 1
	}
	return d
}
