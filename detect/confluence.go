package detect

import (
	"encoding/json"
	"math"
	"sort"
	"strconv"

	"github.com/regime-engine/regime"
)

// Term maps one factor to a bullish (+) / bearish (−) reading in (−1, 1):
// tanh((x − Center) / Scale). A negative Scale means a high value is
// bearish (volatility, exchange inflows, the VIX).
type Term struct {
	Factor string
	Center float64
	Scale  float64
}

// read returns the term's reading of x, NaN when x is unknown.
func (t Term) read(x float64) float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) || t.Scale == 0 {
		return math.NaN()
	}
	return math.Tanh((x - t.Center) / t.Scale)
}

// FamilyRule says how one factor family reads the market: the mean of
// its terms' readings over the terms known that day.
type FamilyRule struct {
	Family string
	Terms  []Term
}

// Columns looks up a factor's daily values by name; nil when absent.
// A feature.Matrix's Column method satisfies it.
type Columns func(name string) []float32

// FamilyScores returns one row per rule of daily family scores in
// [−1, 1]: the mean reading of the rule's terms known that day, NaN when
// none is. n is the number of days; a column shorter than n (or absent)
// is unknown where it has no value. The score of day t reads only the
// factor values of day t, so it is as point in time as the factors.
func FamilyScores(cols Columns, n int, rules []FamilyRule) [][]float64 {
	out := make([][]float64, len(rules))
	for f, r := range rules {
		sum := make([]float64, n)
		cnt := make([]int, n)
		for _, t := range r.Terms {
			c := cols(t.Factor)
			for i := 0; i < n && i < len(c); i++ {
				if v := t.read(float64(c[i])); !math.IsNaN(v) {
					sum[i] += v
					cnt[i]++
				}
			}
		}
		s := make([]float64, n)
		for i := range s {
			s[i] = math.NaN()
			if cnt[i] > 0 {
				s[i] = sum[i] / float64(cnt[i])
			}
		}
		out[f] = s
	}
	return out
}

// MarketRules returns the family rules of the Market Gauge: the reference
// asset's (bitcoin's) token factors plus the market-level factors, grouped
// by feature family. The centres and scales are round numbers chosen from
// the meaning of each factor (a price 15% above its 200-day average reads
// tanh(1) ≈ 0.76 bullish), not fitted.
func MarketRules() []FamilyRule {
	return []FamilyRule{
		{"trend", []Term{{"px_sma_200", 0, 0.15}, {"cross_50_200", 0, 1}, {"sma_200_slope", 0, 0.05}, {"sma_50_slope", 0, 0.05}, {"px_ema_50", 0, 0.1}}},
		{"momentum", []Term{{"ret_30d", 0, 0.15}, {"ret_90d", 0, 0.3}, {"ret_180d", 0, 0.5}, {"mom_radj_90d", 0, 1}}},
		{"oscillator", []Term{{"rsi_14", 50, 15}, {"rsi_28", 50, 10}, {"roc_20", 0, 15}}},
		{"drawdown", []Term{{"dd_ath", -0.4, 0.2}, {"dd_365", -0.35, 0.15}, {"days_since_365h", 120, -60}}},
		{"volatility", []Term{{"downside_vol_30", 0.6, -0.25}, {"bb_pctb_20", 0.5, 0.3}}},
		{"volume", []Term{{"obv_slope_20", 0, 0.2}, {"vp_corr_30", 0, 0.2}}},
		{"support_resistance", []Term{{"dist_vwap_90", 0, 0.15}, {"donchian_pos_55", 0.5, 0.3}}},
		{"onchain", []Term{{"oc_hash_ribbon", 0, 0.03}, {"oc_adr_growth_30", 0, 0.1}, {"oc_mvrv", 1.2, 0.5}}},
		{"flows", []Term{{"flow_net_30", 0, -0.002}, {"flow_exsupply_chg_30", 0, -0.02}}},
		{"sentiment", []Term{{"fg_level", 50, 20}, {"fg_chg_30", 0, 20}, {"trends_chg_90", 0, 1}}},
		{"structure", []Term{{"mkt_total_mom_30", 0, 0.2}, {"mkt_total_dd_ath", -0.4, 0.2}, {"mkt_stable_dom_chg_30", 0, -0.01}}},
		{"breadth", []Term{{"breadth_above_200", 0.5, 0.25}, {"breadth_above_50", 0.5, 0.25}, {"breadth_mom_30", 0.5, 0.25}}},
		{"macro", []Term{{"macro_spx_mom_90", 0, 0.05}, {"macro_vix", 20, -8}, {"macro_hy_chg_30", 0, -0.3}, {"macro_dollar_mom_30", 0, -0.02}}},
	}
}

// TokenRules returns the family rules of per-token signals: token-level
// families only, read from the token's own factors.
func TokenRules() []FamilyRule {
	var out []FamilyRule
	for _, r := range MarketRules() {
		switch r.Family {
		case "trend", "momentum", "oscillator", "drawdown", "volatility", "volume", "support_resistance", "onchain", "flows":
			out = append(out, r)
		}
	}
	return out
}

// Vote is one family's call on one day.
type Vote struct {
	Family   string  `json:"family"`
	State    State   `json:"state"`
	Strength float64 `json:"strength"` // |score| in [0, 1]; 0 when the family abstains
	Score    float64 `json:"score"`    // the family score in [−1, 1], NaN when unknown
}

// MarshalJSON writes the vote with an unknown score as null.
func (v Vote) MarshalJSON() ([]byte, error) {
	score := "null"
	if !math.IsNaN(v.Score) && !math.IsInf(v.Score, 0) {
		score = strconv.FormatFloat(v.Score, 'g', 6, 64)
	}
	st, err := v.State.MarshalText()
	if err != nil {
		return nil, err
	}
	fam, _ := json.Marshal(v.Family)
	return []byte(`{"family":` + string(fam) + `,"state":"` + string(st) + `","strength":` +
		strconv.FormatFloat(v.Strength, 'g', 6, 64) + `,"score":` + score + `}`), nil
}

// ConfluenceConfig configures the K-of-N family confluence.
type ConfluenceConfig struct {
	// Families are the N voting families, in report order.
	Families []string
	// Weights gives each family's voting weight (missing = 1). A weight
	// of 0 keeps the family in the report but out of the vote.
	Weights map[string]float64
	// VoteBand: a family votes Bull when its score is above VoteBand,
	// Bear when below −VoteBand, Neutral otherwise; in [0, 1).
	VoteBand float64
	// K is the weighted number of agreeing families needed to call a
	// regime. With unit weights it is "K of N".
	K float64
	// ConfirmDays is how many consecutive days the K-of-N agreement must
	// hold before the call changes (at least 1).
	ConfirmDays int
}

// DefaultConfluence returns the confluence used by the gauge: the
// MarketRules families with unit weights (the weakly informative volume,
// volatility and macro families at 0.5), VoteBand 0.15, K 5 and
// ConfirmDays 3. These were chosen on BTC up to 2020-12-31 only.
func DefaultConfluence() ConfluenceConfig {
	var fams []string
	for _, r := range MarketRules() {
		fams = append(fams, r.Family)
	}
	return ConfluenceConfig{
		Families:    fams,
		Weights:     map[string]float64{"volume": 0.5, "volatility": 0.5, "macro": 0.5},
		VoteBand:    0.15,
		K:           5,
		ConfirmDays: 3,
	}
}

// Weight returns family f's voting weight.
func (c ConfluenceConfig) Weight(f string) float64 {
	if w, ok := c.Weights[f]; ok {
		return w
	}
	return 1
}

// Validate returns an EINVALID *regime.Error naming the first invalid
// setting, or nil.
func (c ConfluenceConfig) Validate() error {
	switch {
	case len(c.Families) == 0:
		return regime.Errorf(regime.EINVALID, "confluence: no families")
	case !(c.VoteBand >= 0 && c.VoteBand < 1):
		return regime.Errorf(regime.EINVALID, "confluence: vote band %g outside [0, 1)", c.VoteBand)
	case !(c.K > 0):
		return regime.Errorf(regime.EINVALID, "confluence: K %g must be positive", c.K)
	case c.ConfirmDays < 1:
		return regime.Errorf(regime.EINVALID, "confluence: confirm days %d must be at least 1", c.ConfirmDays)
	}
	var total float64
	for _, f := range c.Families {
		w := c.Weight(f)
		if !(w >= 0) || math.IsInf(w, 0) {
			return regime.Errorf(regime.EINVALID, "confluence: weight of %s is %g", f, w)
		}
		total += w
	}
	if c.K > total {
		return regime.Errorf(regime.EINVALID, "confluence: K %g exceeds the total family weight %g", c.K, total)
	}
	return nil
}

// VoteOf turns a family score into a vote.
func (c ConfluenceConfig) VoteOf(family string, score float64) Vote {
	v := Vote{Family: family, Score: score}
	switch {
	case math.IsNaN(score):
	case score > c.VoteBand:
		v.State, v.Strength = Bull, math.Abs(score)
	case score < -c.VoteBand:
		v.State, v.Strength = Bear, math.Abs(score)
	}
	return v
}

// Tally returns the weighted number of bullish and bearish votes.
func (c ConfluenceConfig) Tally(votes []Vote) (bull, bear float64) {
	for _, v := range votes {
		switch v.State {
		case Bull:
			bull += c.Weight(v.Family)
		case Bear:
			bear += c.Weight(v.Family)
		}
	}
	return bull, bear
}

// ConfluenceResult is the daily output of Confluence.
type ConfluenceResult struct {
	// State is the confluence call with hysteresis: it changes to Bull
	// (Bear) only after at least K weighted families have voted Bull
	// (Bear) on ConfirmDays consecutive days, and otherwise keeps the
	// previous call; Neutral before the first call.
	State []State
	// Bull and Bear are the weighted bullish and bearish vote counts.
	Bull, Bear []float64
	// Score is the weighted mean family score in [−1, 1] (NaN when no
	// family has a score).
	Score []float64
}

// Confluence computes the K-of-N call from family scores (scores[f][t]
// for family cfg.Families[f]). The call of day t depends on scores up to
// day t only.
func Confluence(scores [][]float64, cfg ConfluenceConfig) (ConfluenceResult, error) {
	if err := cfg.Validate(); err != nil {
		return ConfluenceResult{}, err
	}
	if len(scores) != len(cfg.Families) {
		return ConfluenceResult{}, regime.Errorf(regime.EINVALID, "confluence: %d score rows for %d families", len(scores), len(cfg.Families))
	}
	n := 0
	if len(scores) > 0 {
		n = len(scores[0])
	}
	for f := range scores {
		if len(scores[f]) != n {
			return ConfluenceResult{}, regime.Errorf(regime.EINVALID, "confluence: family %s has %d days, want %d", cfg.Families[f], len(scores[f]), n)
		}
	}
	r := ConfluenceResult{State: make([]State, n), Bull: make([]float64, n), Bear: make([]float64, n), Score: make([]float64, n)}
	votes := make([]Vote, len(scores))
	for t := 0; t < n; t++ {
		var sw, ws float64
		for f, fam := range cfg.Families {
			votes[f] = cfg.VoteOf(fam, scores[f][t])
			if w := cfg.Weight(fam); w > 0 && !math.IsNaN(scores[f][t]) {
				sw += w
				ws += w * scores[f][t]
			}
		}
		r.Score[t] = math.NaN()
		if sw > 0 {
			r.Score[t] = ws / sw
		}
		r.Bull[t], r.Bear[t] = cfg.Tally(votes)
	}
	// Hysteresis: a call changes only on a confirmed opposite confluence.
	state, runBull, runBear := Neutral, 0, 0
	for t := 0; t < n; t++ {
		const eps = 1e-9
		if r.Bull[t] >= cfg.K-eps {
			runBull++
		} else {
			runBull = 0
		}
		if r.Bear[t] >= cfg.K-eps {
			runBear++
		} else {
			runBear = 0
		}
		if runBull >= cfg.ConfirmDays {
			state = Bull
		} else if runBear >= cfg.ConfirmDays {
			state = Bear
		}
		r.State[t] = state
	}
	return r, nil
}

// Agreeing returns the families whose vote equals s, strongest first
// (ties by name).
func Agreeing(votes []Vote, s State) []string {
	var vs []Vote
	for _, v := range votes {
		if v.State == s && s != Neutral {
			vs = append(vs, v)
		}
	}
	sort.Slice(vs, func(a, b int) bool {
		if vs[a].Strength != vs[b].Strength {
			return vs[a].Strength > vs[b].Strength
		}
		return vs[a].Family < vs[b].Family
	})
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = v.Family
	}
	return out
}
