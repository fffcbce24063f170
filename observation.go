package regime

// Observation is one value of a named time series that is not a price:
// on-chain metrics, sentiment, search interest, macro series. Series names
// are "family:name" (e.g. "fred:DGS10", "feargreed:value",
// "onchain:btc:AdrActCnt", "trends:bitcoin"); a per-asset series names its
// asset id in the middle.
//
// KnownAt is the first day the value could have been acted on: the day
// after Date for daily macro prints, later for monthly releases. Factors
// at day t use only observations with KnownAt <= t.
type Observation struct {
	Series  string
	Date    Date
	Value   float64
	Source  string
	KnownAt Date
}

// SeriesInfo summarises one stored series.
type SeriesInfo struct {
	Series string
	Source string
	Count  int
	From   Date
	To     Date
}
