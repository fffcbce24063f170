// Package backtest simulates the regime-switching index day by day on a
// dense day x asset market, records every trade, computes performance
// metrics, runs the benchmarks (buy-and-hold of the same index, BTC
// buy-and-hold, the index switched by price > SMA200) in the same call,
// and sweeps parameter grids in parallel with overfitting statistics
// (deflated Sharpe ratio, probability of backtest overfitting by CSCV).
//
// Timing: a decision is taken on the close of day t with data up to t and
// executed at the close of day t+1, never on the signal's own close. The
// net asset value of every day can be rebuilt exactly from the trade log
// and the closes (docs/rulebook.md, section 10).
//
// The package is pure compute: it takes a Market and a signal and returns
// values; same inputs give byte-identical outputs.
//
// Speed is measured by Go benchmarks on a synthetic 10-year, 200-coin
// market (bench_test.go): go test ./backtest -run X -bench . -cpu 2
// (BenchmarkSweep1000 runs 1,000 trials; add -benchtime 1x). They report
// CPU time next to wall time, which a busy machine inflates.
package backtest
