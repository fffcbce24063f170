// Package index holds the rules of the regime-switching top-N index as
// pure functions: the point-in-time universe (eligibility filters and a
// rank buffer), the weighting schemes (capped market cap, square root of
// smoothed market cap, equal weight), the exposure policy that maps a
// regime Level to the share of the index held in risky assets, and the
// stablecoin basket with its depeg rule.
//
// The package does no I/O and keeps no state: the backtest package (and,
// later, the live engine) feeds it slices and structs known at the
// decision date and gets values back. docs/rulebook.md states every rule.
package index
