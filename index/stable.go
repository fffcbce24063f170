package index

import (
	"math"

	"github.com/regime-engine/regime"
)

// StableRules describe the stablecoin basket that holds the part of the
// index not invested in risky constituents.
type StableRules struct {
	Assets         []string // stablecoin asset ids, in priority order
	DepegThreshold float64  // a close further than this from 1.00 USD is a depeg
	RepegDays      int      // a stablecoin is usable only after this many consecutive pegged closes
}

// DefaultStable returns the published basket: USD Coin alone (asset id
// "usd-coin"), a 2% depeg threshold and 7 pegged closes to be readmitted.
// The diversified option lists several stablecoins, e.g.
// {"usd-coin", "tether", "dai"}.
func DefaultStable() StableRules {
	return StableRules{Assets: []string{"usd-coin"}, DepegThreshold: 0.02, RepegDays: 7}
}

// Validate returns an EINVALID error for impossible rules.
func (r StableRules) Validate() error {
	switch {
	case !(r.DepegThreshold > 0):
		return regime.Errorf(regime.EINVALID, "invalid depeg threshold %v: want > 0", r.DepegThreshold)
	case r.RepegDays < 1:
		return regime.Errorf(regime.EINVALID, "invalid re-peg window %d days: want at least 1", r.RepegDays)
	}
	seen := map[string]bool{}
	for _, a := range r.Assets {
		if a == "" || seen[a] {
			return regime.Errorf(regime.EINVALID, "invalid stablecoin basket %q: empty or repeated asset id", r.Assets)
		}
		seen[a] = true
	}
	return nil
}

// Pegged reports whether a stablecoin is usable at the last day of closes
// (its daily closes in USD up to and including the decision date): each
// of the last RepegDays closes is present and within DepegThreshold of 1
// (inclusive, to within 1e-12 so that 1.02 is within a 2% band).
// With fewer closes than RepegDays, all of them must be pegged and there
// must be at least one.
func (r StableRules) Pegged(closes []float64) bool {
	if len(closes) == 0 {
		return false
	}
	from := len(closes) - r.RepegDays
	if from < 0 {
		from = 0
	}
	for _, p := range closes[from:] {
		if !(math.Abs(p-1) <= r.DepegThreshold+1e-12) {
			return false
		}
	}
	return true
}

// StableWeights splits the stable sleeve equally among the pegged
// stablecoins (pegged[i] for r.Assets[i]). When none is pegged every
// weight is 0 and the sleeve stays in US dollar cash, which earns nothing
// and costs nothing.
func StableWeights(pegged []bool) []float64 {
	w := make([]float64, len(pegged))
	n := 0
	for _, ok := range pegged {
		if ok {
			n++
		}
	}
	for i, ok := range pegged {
		if ok {
			w[i] = 1 / float64(n)
		}
	}
	return w
}
