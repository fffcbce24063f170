package detect

import (
	"strconv"

	"github.com/regime-engine/regime"
)

// DefaultGrid returns the parameter grid used for consensus labels:
// thresholds 0.30, 0.35, 0.40, 0.45 and 0.50, each with minimum phase
// lengths of 30 and 60 days, the other parameters as in
// DefaultDatingParams (10 datings).
func DefaultGrid() []DatingParams {
	var g []DatingParams
	for _, th := range []float64{0.30, 0.35, 0.40, 0.45, 0.50} {
		for _, mp := range []int{30, 60} {
			p := DefaultDatingParams()
			p.Threshold, p.MinPhaseDays = th, mp
			g = append(g, p)
		}
	}
	return g
}

// ConsensusDating is the result of Consensus.
type ConsensusDating struct {
	// Labels holds, per day, the state most grid members give that day
	// (Neutral on a tie).
	Labels []State
	// Agreement is the share of grid members whose label equals Labels
	// that day, in [0, 1].
	Agreement []float64
	// Datings holds each grid member's dating, in grid order.
	Datings []Dating
}

// Consensus dates price once per grid member and votes day by day. Each
// member votes its Confirmed label, so a day in a member's unsettled tail
// votes Neutral. The consensus is the plurality state (ties give Neutral)
// and Agreement the share of members voting for it. It returns an
// EINVALID *regime.Error for an empty grid or naming the first invalid
// member.
func Consensus(dates []regime.Date, price []float64, grid []DatingParams) (ConsensusDating, error) {
	if len(grid) == 0 {
		return ConsensusDating{}, regime.Errorf(regime.EINVALID, "consensus: empty parameter grid")
	}
	c := ConsensusDating{Labels: make([]State, len(price)), Agreement: make([]float64, len(price))}
	votes := make([][3]int, len(price))
	for g, p := range grid {
		d, err := DateCycles(dates, price, p)
		if err != nil {
			return ConsensusDating{}, &regime.Error{Code: regime.ErrorCode(err),
				Message: "consensus: grid member " + strconv.Itoa(g) + ": " + regime.ErrorMessage(err), Err: err}
		}
		c.Datings = append(c.Datings, d)
		for i, s := range d.Confirmed() {
			votes[i][s+1]++
		}
	}
	for i, v := range votes {
		best, s, tie := -1, Neutral, false
		for k, n := range v {
			switch {
			case n > best:
				best, s, tie = n, State(k-1), false
			case n == best:
				tie = true
			}
		}
		if tie {
			s = Neutral
		}
		c.Labels[i] = s
		c.Agreement[i] = float64(v[s+1]) / float64(len(grid))
	}
	return c, nil
}

// MarkCorrections returns a copy of d.Labels with a secondary layer:
// inside each bull phase, corrections (from a local peak to the following
// local trough, dated by the same threshold rule with the smaller
// threshold) are Neutral; inside each bear phase, rallies (local trough to
// local peak) are Neutral. The turning-point day of a correction stays in
// the main state: a correction covers (local peak, local trough]. Only
// swings completed inside the phase count. threshold must lie in
// (0, d.Params.Threshold); price must be the series d was dated on.
func MarkCorrections(d Dating, price []float64, threshold float64) ([]State, error) {
	if len(price) != len(d.Labels) {
		return nil, regime.Errorf(regime.EINVALID, "corrections: %d prices but the dating has %d days", len(price), len(d.Labels))
	}
	if !(threshold > 0 && threshold < d.Params.Threshold) {
		return nil, regime.Errorf(regime.EINVALID, "corrections: threshold %v must lie in (0, %v), below the dating threshold", threshold, d.Params.Threshold)
	}
	out := make([]State, len(d.Labels))
	copy(out, d.Labels)
	for _, ph := range d.Phases {
		if ph.State == Neutral {
			continue
		}
		turns, _ := thresholdTurns(price, ph.Start, ph.End+1, threshold, threshold)
		against := Peak // a correction starts at a local peak inside a bull
		if ph.State == Bear {
			against = Trough // a rally starts at a local trough inside a bear
		}
		for k := 0; k+1 < len(turns); k++ {
			if turns[k].kind != against {
				continue
			}
			for i := turns[k].i + 1; i <= turns[k+1].i; i++ {
				out[i] = Neutral
			}
		}
	}
	return out, nil
}
