// Package detect dates bull and bear phases of a price series, computes
// the legacy baseline signals the engine is measured against, and scores
// any daily signal against dated phases.
//
// The dating (DateCycles, Consensus, MarkCorrections) looks at the whole
// sample, future included: it produces labels for scoring and research,
// never features. The baselines (SMA200, Cross50200, MACDPositive, RSI50,
// TwentyPercentRule, BuyAndHold) are causal: each day's state uses only
// prices up to that day. Score measures a signal against labels: balanced
// accuracy, flips per year, lag at each dated turning point, and a
// long/cash switching backtest executed at the next close with costs.
//
// The package is pure compute: it takes slices and returns values.
package detect
