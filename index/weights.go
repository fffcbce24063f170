package index

import (
	"math"

	"github.com/regime-engine/regime"
)

// Scheme is a weighting scheme for the risky constituents.
type Scheme string

// Weighting schemes.
const (
	CapWeighted Scheme = "cap"      // proportional to market cap (CoinDesk 20 style, with caps)
	SqrtCap     Scheme = "sqrt_cap" // proportional to the square root of the smoothed market cap (CCi30 style)
	EqualWeight Scheme = "equal"    // 1/N each
)

// Schemes lists the weighting schemes in a fixed order.
var Schemes = []Scheme{CapWeighted, SqrtCap, EqualWeight}

// Valid reports whether s is one of Schemes.
func (s Scheme) Valid() bool { return s == CapWeighted || s == SqrtCap || s == EqualWeight }

// WeightRules are the weighting rules.
type WeightRules struct {
	Scheme     Scheme
	MaxLargest float64 // cap on the weight of the largest constituent (by raw weight)
	MaxOther   float64 // cap on every other constituent
	SmoothDays int     // window of the trailing mean of market cap used by SqrtCap (1 = no smoothing)
}

// DefaultWeights returns the published weighting rules: market-cap
// weighted, 30% cap on the largest constituent and 20% on the others
// (as CoinDesk 20 does), 30-day cap smoothing for SqrtCap.
func DefaultWeights() WeightRules {
	return WeightRules{Scheme: CapWeighted, MaxLargest: 0.30, MaxOther: 0.20, SmoothDays: 30}
}

// Validate returns an EINVALID error for impossible rules.
func (r WeightRules) Validate() error {
	switch {
	case !r.Scheme.Valid():
		return regime.Errorf(regime.EINVALID, "invalid weighting scheme %q: want cap, sqrt_cap or equal", r.Scheme)
	case !(r.MaxLargest > 0 && r.MaxLargest <= 1) || !(r.MaxOther > 0 && r.MaxOther <= 1):
		return regime.Errorf(regime.EINVALID, "invalid weight caps %v/%v: want values in (0, 1]", r.MaxLargest, r.MaxOther)
	case r.SmoothDays < 1:
		return regime.Errorf(regime.EINVALID, "invalid smoothing window %d days: want at least 1", r.SmoothDays)
	}
	return nil
}

// Weights returns the constituent weights for the given market caps (for
// SqrtCap, pass the smoothed caps). Caps that are NaN or not positive get
// weight 0; if none is usable every member gets an equal share. Weights
// are then capped by Cap. The result sums to 1 (within rounding) for a
// non-empty input.
func Weights(r WeightRules, caps []float64) []float64 {
	w := make([]float64, len(caps))
	if len(caps) == 0 {
		return w
	}
	var sum float64
	for i, c := range caps {
		if !(c > 0) || math.IsInf(c, 0) {
			continue
		}
		switch r.Scheme {
		case EqualWeight:
			w[i] = 1
		case SqrtCap:
			w[i] = math.Sqrt(c)
		default:
			w[i] = c
		}
		sum += w[i]
	}
	if sum == 0 {
		for i := range w {
			w[i] = 1
		}
		sum = float64(len(w))
	}
	for i := range w {
		w[i] /= sum
	}
	return Cap(w, r.MaxLargest, r.MaxOther)
}

// Cap applies weight caps to w (non-negative weights summing to 1) and
// returns a new slice. The member with the largest weight (the first on
// ties) is capped at maxLargest and every other at maxOther. Capping is
// iterative: the excess of capped members is redistributed to the
// uncapped ones in proportion to their weights, and the step repeats
// until no weight exceeds its cap. When the caps cannot add up to 1 (too
// few members, e.g. 4 members with caps 30%/20%), the weights are equal,
// the least concentrated allocation there is.
func Cap(w []float64, maxLargest, maxOther float64) []float64 {
	out := make([]float64, len(w))
	copy(out, w)
	if len(w) == 0 {
		return out
	}
	big := 0
	for i, v := range w {
		if v > w[big] {
			big = i
		}
	}
	limit := func(i int) float64 {
		if i == big {
			return maxLargest
		}
		return maxOther
	}
	var capSum float64
	for i := range w {
		capSum += limit(i)
	}
	if capSum < 1 {
		for i := range out {
			out[i] = 1 / float64(len(out))
		}
		return out
	}
	capped := make([]bool, len(w))
	for iter := 0; iter <= len(w); iter++ {
		var fixed, free float64
		for i, v := range out {
			if capped[i] {
				fixed += limit(i)
			} else {
				free += v
			}
		}
		changed := false
		scale := 0.0
		if free > 0 {
			scale = (1 - fixed) / free
		}
		for i := range out {
			if capped[i] {
				out[i] = limit(i)
				continue
			}
			out[i] *= scale
			if out[i] > limit(i) {
				capped[i] = true
				changed = true
			}
		}
		if !changed {
			break
		}
		for i := range out {
			if capped[i] {
				out[i] = limit(i)
			}
		}
	}
	return out
}
