package detect

import "math"

// TokenSignal is one token's bullish or bearish signal on one day.
type TokenSignal struct {
	State State `json:"state"`
	// Conviction in [0, 1]: the weighted share of voting families that
	// agree with State times their mean strength; 0 for Neutral.
	Conviction float64 `json:"conviction"`
	// Families are the families that agreed, strongest first.
	Families []string `json:"families"`
	Votes    []Vote   `json:"votes"`
}

// DefaultTokenConfluence returns the confluence of per-token signals: the
// TokenRules families with unit weights (volume and volatility 0.5),
// VoteBand 0.15 and K 4 (ConfirmDays is not used: a token signal is a
// single day's reading).
func DefaultTokenConfluence() ConfluenceConfig {
	var fams []string
	for _, r := range TokenRules() {
		fams = append(fams, r.Family)
	}
	return ConfluenceConfig{Families: fams, Weights: map[string]float64{"volume": 0.5, "volatility": 0.5},
		VoteBand: 0.15, K: 4, ConfirmDays: 1}
}

// SignalOf turns one day's family scores (scores[f] for cfg.Families[f])
// into a token signal: Bull when the weighted bullish votes reach cfg.K and
// outweigh the bearish ones, Bear symmetrically, Neutral otherwise.
func SignalOf(scores []float64, cfg ConfluenceConfig) TokenSignal {
	votes := make([]Vote, len(cfg.Families))
	var voting float64
	for f, fam := range cfg.Families {
		s := math.NaN()
		if f < len(scores) {
			s = scores[f]
		}
		votes[f] = cfg.VoteOf(fam, s)
		if !math.IsNaN(s) {
			voting += cfg.Weight(fam)
		}
	}
	bull, bear := cfg.Tally(votes)
	sig := TokenSignal{Votes: votes}
	const eps = 1e-9
	switch {
	case bull >= cfg.K-eps && bull > bear:
		sig.State = Bull
	case bear >= cfg.K-eps && bear > bull:
		sig.State = Bear
	default:
		return sig
	}
	var agree, strength float64
	for _, v := range votes {
		if v.State == sig.State {
			w := cfg.Weight(v.Family)
			agree += w
			strength += w * v.Strength
		}
	}
	if agree > 0 && voting > 0 {
		sig.Conviction = (agree / voting) * (strength / agree)
	}
	sig.Families = Agreeing(votes, sig.State)
	return sig
}
