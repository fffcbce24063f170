package regime

// Progress is an event emitted by long-running steps (import, synth,
// factor builds, backtests) so a CLI can draw a bar and an API can stream
// job progress. Total is 0 when unknown.
type Progress struct {
	Stage string // short name of the step, e.g. "import prices/coingecko_daily_majors.csv"
	Done  int64  // units completed so far
	Total int64  // units in all, 0 if unknown
	Unit  string // "rows", "bytes", "tokens", "days", ...
	Final bool   // true on the last event of a stage
}

// ProgressFunc receives progress events. Implementations must be cheap and
// safe to call from the goroutine doing the work. A nil ProgressFunc is
// valid and means "no progress reporting"; call it through Report.
type ProgressFunc func(Progress)

// Report calls f with p if f is not nil.
func (f ProgressFunc) Report(p Progress) {
	if f != nil {
		f(p)
	}
}
