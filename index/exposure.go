package index

import (
	"math"
	"strconv"
	"strings"

	"github.com/regime-engine/regime"
)

// Exposure maps each regime Level to the share of the index's net asset
// value held in risky constituents (0..1); the rest is held in the
// stablecoin basket. Element i is the exposure of Levels[i], from
// StrongBearish to StrongBullish.
type Exposure [5]float64

// DefaultExposure returns the published mapping: strong bearish 0%,
// bearish 25%, neutral 50%, bullish 100%, strong bullish 100%. Bearish is
// set at the top of the 0-25% range the specification allows so the
// ladder 0 -> 25% -> 50% has equal steps: a gauge that wobbles between
// bearish and neutral moves a quarter of the index, not half of it, and a
// false bearish call still leaves a quarter invested.
func DefaultExposure() Exposure { return Exposure{0, 0.25, 0.5, 1, 1} }

// Of returns the exposure of level l, or NaN when l is not a valid level
// (NoLevel included).
func (e Exposure) Of(l Level) float64 {
	if !l.Valid() {
		return math.NaN()
	}
	return e[l-StrongBearish]
}

// Validate returns an EINVALID error unless every exposure lies in [0, 1]
// and the mapping does not decrease from bearish to bullish levels.
func (e Exposure) Validate() error {
	for i, v := range e {
		if !(v >= 0 && v <= 1) {
			return regime.Errorf(regime.EINVALID, "invalid exposure %v for %s: want a value in [0, 1]", v, Levels[i])
		}
		if i > 0 && v < e[i-1] {
			return regime.Errorf(regime.EINVALID, "invalid exposure mapping %s: %s (%v) is below %s (%v)", e, Levels[i], v, Levels[i-1], e[i-1])
		}
	}
	return nil
}

// String formats e as five comma-separated numbers, strong bearish first
// ("0,0.25,0.5,1,1"), the form ParseExposure reads.
func (e Exposure) String() string {
	parts := make([]string, len(e))
	for i, v := range e {
		parts[i] = strconv.FormatFloat(v, 'g', -1, 64)
	}
	return strings.Join(parts, ",")
}

// ParseExposure parses five comma-separated exposures, strong bearish
// first, and validates them.
func ParseExposure(s string) (Exposure, error) {
	var e Exposure
	parts := strings.Split(s, ",")
	if len(parts) != len(e) {
		return e, regime.Errorf(regime.EINVALID, "invalid exposure mapping %q: want 5 comma-separated values, strong bearish first", s)
	}
	for i, p := range parts {
		v, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil {
			return e, regime.Errorf(regime.EINVALID, "invalid exposure mapping %q: %q is not a number", s, p)
		}
		e[i] = v
	}
	return e, e.Validate()
}
