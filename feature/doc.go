// Package feature computes Regime's factors: pure functions over aligned
// daily slices and a registry of named factors (name, family, formula,
// warm-up, inputs). It does no I/O and knows nothing of stores.
//
// # Alignment contract
//
// A Series holds one token's daily inputs as parallel slices. Dates are
// consecutive calendar days (one entry per day, no gaps, strictly
// increasing); every other slice has the same length or is nil (absent).
// The value at index i must be known at the close of day Dates[i]: the
// caller (the engine) aligns store data so, using Bar.KnownAt and
// Observation.KnownAt, and fills unknown values with NaN, never 0.
// Market-wide inputs (sentiment, macro, dominance, breadth) come in a
// Market aligned to its own consecutive Dates; AlignAsOf turns a list of
// observations into such an aligned slice plus a staleness measure.
//
// # Point in time
//
// A factor's value at index i depends only on inputs at indices <= i.
// Every factor is computed by a streaming state machine that is fed the
// days in order: a StepFunc called once per day, or a BlockFunc called
// over consecutive ranges of days (a tight loop with no call per day, the
// form of every token factor). Building a whole history (Build,
// BuildPanel) runs blocks of 128 days and appending one day
// (Stream.Append, Panel.Append) runs a block of one, the same code with
// the same values. Factors of one build share intermediate states (log
// returns, moving averages, the DMI, MACD, stochastic and
// support/resistance states); a shared state advances on demand and
// remembers its last 128 days, so the build can run each factor over a
// block of days at a time. The lookahead subpackage proves
// the property for every registered factor alone and for the whole build
// (prefix truncation and future poisoning).
//
// # Missing values
//
// Missing or non-finite inputs (NaN, ±Inf) are treated as unknown. Output
// is NaN, never a silent zero, during a factor's warm-up, when a required
// input is absent (the Matrix records the reason) and when the input it
// needs today is unknown. NaN does not poison a factor forever:
//
//   - windowed factors (moving averages, rolling std/max/min, sums) use
//     the known values of their window and are NaN while more than 10% of
//     the window (any value, for windows under 10 days) is unknown; they
//     recover once the unknown days leave the window;
//   - recursive kernels (EMA, Wilder averages in RSI/ATR/ADX, OBV) skip
//     an unknown input: they output NaN for that day and carry their state
//     over unchanged to the next known value;
//   - expanding kernels (all-time high, expanding std) ignore unknown values.
//
// The batch kernels (SMA, EMA, RSI, ...) write into caller-provided
// slices, run in one O(n) pass and allocate nothing. They follow the
// stricter TA-Lib-like rule that a window kernel is NaN while any unknown
// value lies in its window (recursive kernels skip unknown inputs as
// above), and match TA-Lib's conventions (checked in tests against
// github.com/markcheno/go-talib, a test-only oracle).
package feature
