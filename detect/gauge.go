package detect

import (
	"math"

	"github.com/regime-engine/regime"
)

// Level is one of the Market Gauge's five levels.
type Level int8

// Gauge levels, from the most bearish.
const (
	StrongBearish Level = -2
	Bearish       Level = -1
	NeutralLevel  Level = 0
	Bullish       Level = 1
	StrongBullish Level = 2
)

// String returns "strong bearish", "bearish", "neutral", "bullish" or
// "strong bullish".
func (l Level) String() string {
	switch l {
	case StrongBearish:
		return "strong bearish"
	case Bearish:
		return "bearish"
	case Bullish:
		return "bullish"
	case StrongBullish:
		return "strong bullish"
	}
	return "neutral"
}

// MarshalText implements encoding.TextMarshaler.
func (l Level) MarshalText() ([]byte, error) { return []byte(l.String()), nil }

// LevelOf returns the level of a 0–100 score: below 20 strong bearish,
// below 40 bearish, up to 60 neutral, up to 80 bullish, above strong
// bullish. NaN is neutral.
func LevelOf(score float64) Level {
	switch {
	case score < 20:
		return StrongBearish
	case score < 40:
		return Bearish
	case score <= 60:
		return NeutralLevel
	case score <= 80:
		return Bullish
	case score > 80:
		return StrongBullish
	}
	return NeutralLevel
}

// GaugeConfig configures the Market Gauge.
type GaugeConfig struct {
	Confluence ConfluenceConfig
	// FamilyWeight is the share of the score given to the family scores
	// (split between families by their confluence weights); the rest goes
	// to the models, split by ModelWeights. When no model has a value yet
	// the families carry the whole score.
	FamilyWeight float64
	ModelWeights map[string]float64
	// Smooth is the span, in days, of the exponential average applied to
	// every contribution (1 = none).
	Smooth int
	// BullAbove and BearBelow are the hysteresis band of the daily state:
	// the state turns Bull when the score reaches BullAbove, Bear when it
	// falls to BearBelow, and otherwise keeps the previous state.
	BullAbove, BearBelow float64
	// RequireConfluence also requires, for a change of state, that the
	// K-of-N confluence calls the new state that day.
	RequireConfluence bool
	// MinFamilyCoverage is the share of the families' total weight whose
	// scores must be known on a day for the gauge to have a score at all.
	// Below it (warm-up, missing data) the score is NaN: a call resting on
	// a couple of families, say the drawdown of a series that has just
	// started, is no call.
	MinFamilyCoverage float64
}

// DefaultGauge returns the gauge configuration chosen on BTC from
// 2015-01-01 to 2020-12-31 only (see docs/gauge.md): 20% of the score from
// the family scores and 80% from the models (gradient-boosted trees 1,
// logistic 0.5, HMM 0.5), a 10-day exponential average, and a 42.5/57.5
// hysteresis band. Among the configurations with at most 2 flips a year
// in sample it had the best Sharpe ratio.
func DefaultGauge() GaugeConfig {
	return GaugeConfig{
		Confluence:   DefaultConfluence(),
		FamilyWeight: 0.2,
		ModelWeights: map[string]float64{ModelLogistic: 0.5, ModelGBT: 1, ModelHMM: 0.5},
		Smooth:       10,
		BullAbove:    57.5,
		BearBelow:    42.5,

		MinFamilyCoverage: 0.5,
	}
}

// Validate returns an EINVALID *regime.Error naming the first invalid
// setting, or nil.
func (c GaugeConfig) Validate() error {
	if err := c.Confluence.Validate(); err != nil {
		return err
	}
	switch {
	case !(c.FamilyWeight >= 0 && c.FamilyWeight <= 1):
		return regime.Errorf(regime.EINVALID, "gauge: family weight %g outside [0, 1]", c.FamilyWeight)
	case c.Smooth < 1:
		return regime.Errorf(regime.EINVALID, "gauge: smoothing span %d must be at least 1", c.Smooth)
	case !(c.MinFamilyCoverage >= 0 && c.MinFamilyCoverage <= 1):
		return regime.Errorf(regime.EINVALID, "gauge: minimum family coverage %g outside [0, 1]", c.MinFamilyCoverage)
	case !(c.BearBelow <= c.BullAbove && c.BearBelow >= 0 && c.BullAbove <= 100):
		return regime.Errorf(regime.EINVALID, "gauge: hysteresis band %g..%g invalid", c.BearBelow, c.BullAbove)
	}
	for m, w := range c.ModelWeights {
		if !(w >= 0) || math.IsInf(w, 0) {
			return regime.Errorf(regime.EINVALID, "gauge: weight of model %s is %g", m, w)
		}
	}
	return nil
}

// Gauge is the daily Market Gauge.
type Gauge struct {
	// Score is the 0–100 gauge: 50 plus the sum of the contributions.
	Score []float64
	Level []Level
	// State is the daily bull/bear call with hysteresis (Neutral before
	// the first call).
	State []State
	// Components names the contributions: the families, then the models.
	Components []string
	// Contrib[c][t] is component c's contribution to Score on day t, in
	// score points (positive = bullish).
	Contrib [][]float64
	// Confluence is the K-of-N family confluence.
	Confluence ConfluenceResult
}

// ComputeGauge combines family scores (scores[f] for cfg.Confluence.Families[f])
// and model bull probabilities (probs[name], NaN when unknown) into the
// gauge. Each day, component c with value v_c in [−1, 1] (a family score,
// or 2p − 1 for a model) and weight w_c contributes 50·w_c·v_c/Σw over the
// components known that day; each contribution is then exponentially
// averaged over Smooth days. Day t uses inputs up to day t only.
func ComputeGauge(scores [][]float64, probs map[string][]float64, cfg GaugeConfig) (*Gauge, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	conf, err := Confluence(scores, cfg.Confluence)
	if err != nil {
		return nil, err
	}
	n := len(conf.State)
	g := &Gauge{Confluence: conf, Score: make([]float64, n), Level: make([]Level, n), State: make([]State, n)}
	var vals [][]float64
	var wts []float64
	var famTotal float64
	for _, f := range cfg.Confluence.Families {
		famTotal += cfg.Confluence.Weight(f)
	}
	for f, fam := range cfg.Confluence.Families {
		g.Components = append(g.Components, fam)
		vals = append(vals, scores[f])
		w := 0.0
		if famTotal > 0 {
			w = cfg.FamilyWeight * cfg.Confluence.Weight(fam) / famTotal
		}
		wts = append(wts, w)
	}
	var modTotal float64
	var models []string
	for _, m := range ModelNames() {
		if p, ok := probs[m]; ok && cfg.ModelWeights[m] > 0 {
			if len(p) != n {
				return nil, regime.Errorf(regime.EINVALID, "gauge: model %s has %d days, want %d", m, len(p), n)
			}
			models = append(models, m)
			modTotal += cfg.ModelWeights[m]
		}
	}
	for _, m := range models {
		g.Components = append(g.Components, m)
		v := make([]float64, n)
		for t, p := range probs[m] {
			v[t] = 2*p - 1
		}
		vals = append(vals, v)
		wts = append(wts, (1-cfg.FamilyWeight)*cfg.ModelWeights[m]/modTotal)
	}
	g.Contrib = make([][]float64, len(vals))
	for c := range vals {
		g.Contrib[c] = make([]float64, n)
	}
	alpha := 2 / (float64(cfg.Smooth) + 1)
	raw := make([]float64, len(vals))
	started := false
	state := Neutral
	nFam := len(cfg.Confluence.Families)
	for t := 0; t < n; t++ {
		var sw, famKnown float64
		for c := range vals {
			raw[c] = 0
			if v := vals[c][t]; !math.IsNaN(v) && wts[c] > 0 {
				sw += wts[c]
				raw[c] = wts[c] * v
				if c < nFam {
					famKnown += wts[c]
				}
			}
		}
		if sw == 0 || famKnown < cfg.MinFamilyCoverage*cfg.FamilyWeight*(1-1e-12) {
			for c := range vals {
				g.Contrib[c][t] = math.NaN()
			}
			g.Score[t] = math.NaN()
			g.State[t] = state
			continue
		}
		score := 50.0
		for c := range vals {
			x := 50 * raw[c] / sw
			if started && t > 0 && !math.IsNaN(g.Contrib[c][t-1]) {
				x = g.Contrib[c][t-1] + alpha*(x-g.Contrib[c][t-1])
			}
			g.Contrib[c][t] = x
			score += x
		}
		started = true
		g.Score[t] = math.Max(0, math.Min(100, score))
		g.Level[t] = LevelOf(g.Score[t])
		want := Neutral
		if g.Score[t] >= cfg.BullAbove {
			want = Bull
		} else if g.Score[t] <= cfg.BearBelow {
			want = Bear
		}
		if want != Neutral && want != state && (!cfg.RequireConfluence || conf.State[t] == want) {
			state = want
		}
		g.State[t] = state
	}
	return g, nil
}

// ProbState turns a bull probability into a daily state with the
// hysteresis band [lo, hi]: Bull once p ≥ hi, Bear once p ≤ lo, otherwise
// the previous state (Neutral before the first call or while p is NaN
// from the start).
func ProbState(p []float64, lo, hi float64) []State {
	out := make([]State, len(p))
	s := Neutral
	for t, v := range p {
		if v >= hi {
			s = Bull
		} else if v <= lo {
			s = Bear
		}
		out[t] = s
	}
	return out
}
