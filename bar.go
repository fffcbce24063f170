package regime

import (
	"math"
	"sort"
)

// Data sources known to the importer. User data imported from the
// documented CSV schema carries its own source label (default SourceCSV).
const (
	SourceCSV         = "csv"            // user CSV in the documented schema
	SourceSynth       = "synth"          // the seeded synthetic market
	SourceCoinMetrics = "coinmetrics"    // Coin Metrics community data
	SourceCoinGecko   = "coingecko"      // CoinGecko exports and API
	SourceCoinbase    = "coinbase"       // Coinbase exchange candles
	SourceYahoo       = "yahoo"          // Yahoo Finance XXX-USD
	SourceBinance     = "binance"        // Binance klines
	SourceCMC         = "cmc"            // CoinMarketCap historical snapshots
	SourceEstimate    = "estimate"       // values derived by Regime (e.g. price x supply)
	SourceFearGreed   = "alternative.me" // Crypto Fear & Greed Index
	SourceFRED        = "fred"           // Federal Reserve Economic Data
	SourceTrends      = "google_trends"  // Google Trends
)

// BarPriority is the documented order in which overlapping daily sources
// are reconciled, best first. Price fields come from the first source in
// this order that has a close on that day; market cap from the first that
// has a non-estimated market cap, else the estimate; volume from the first
// that has one. Reasons: user data wins over anything bundled; Coin
// Metrics reference rates are a cross-venue end-of-day price with market
// cap; CoinGecko is cross-venue with market cap (dates shifted to the
// close they represent); Coinbase and Yahoo are single-venue or aggregated
// candles without market cap; Binance is a single venue; CMC monthly
// snapshot prices are a last resort.
var BarPriority = []string{SourceCSV, SourceSynth, SourceCoinMetrics, SourceCoinGecko, SourceCoinbase, SourceYahoo, SourceBinance, SourceCMC, SourceEstimate}

// SourceRank returns the position of source in BarPriority (lower is
// better); unknown sources rank after all known ones.
func SourceRank(source string) int {
	for i, s := range BarPriority {
		if s == source {
			return i
		}
	}
	return len(BarPriority)
}

// Bar is one asset's daily record from one source. Missing values are NaN,
// never zero. A day's bar is known at the close of Date unless KnownAt says
// later (for example a value published with a delay).
type Bar struct {
	AssetID      string
	Date         Date
	Source       string
	Open         float64
	High         float64
	Low          float64
	Close        float64
	VolumeUSD    float64
	MarketCapUSD float64
	Supply       float64 // circulating supply in native units
	CapEstimated bool    // MarketCapUSD was estimated (price x last known supply), not reported
	KnownAt      Date    // first day the values were available; >= Date
}

// NaN is the missing-value marker used throughout Regime.
var NaN = math.NaN()

// IsMissing reports whether v is a missing value (NaN).
func IsMissing(v float64) bool { return math.IsNaN(v) }

// MergeBars reconciles per-source bars of one asset into one bar per day
// following BarPriority, field by field as BarPriority documents. Input
// may be in any order; output is sorted by date. The merged bar's Source
// names the source of its Close; KnownAt is the latest KnownAt of the
// fields used.
func MergeBars(rows []Bar) []Bar {
	if len(rows) == 0 {
		return nil
	}
	s := make([]Bar, len(rows))
	copy(s, rows)
	sort.SliceStable(s, func(i, j int) bool {
		if s[i].Date != s[j].Date {
			return s[i].Date < s[j].Date
		}
		return SourceRank(s[i].Source) < SourceRank(s[j].Source)
	})
	var out []Bar
	for i := 0; i < len(s); {
		j := i
		for j < len(s) && s[j].Date == s[i].Date {
			j++
		}
		out = append(out, mergeDay(s[i:j]))
		i = j
	}
	return out
}

func mergeDay(day []Bar) Bar {
	m := Bar{AssetID: day[0].AssetID, Date: day[0].Date, Open: NaN, High: NaN, Low: NaN, Close: NaN,
		VolumeUSD: NaN, MarketCapUSD: NaN, Supply: NaN, KnownAt: day[0].Date}
	use := func(b Bar) {
		if b.KnownAt > m.KnownAt {
			m.KnownAt = b.KnownAt
		}
	}
	for _, b := range day {
		if m.Source == "" && !IsMissing(b.Close) {
			m.Source, m.Open, m.High, m.Low, m.Close = b.Source, b.Open, b.High, b.Low, b.Close
			use(b)
		}
	}
	for _, b := range day {
		if IsMissing(m.VolumeUSD) && !IsMissing(b.VolumeUSD) {
			m.VolumeUSD = b.VolumeUSD
			use(b)
		}
		if IsMissing(m.Supply) && !IsMissing(b.Supply) {
			m.Supply = b.Supply
		}
	}
	for _, est := range []bool{false, true} {
		for _, b := range day {
			if IsMissing(m.MarketCapUSD) && !IsMissing(b.MarketCapUSD) && b.CapEstimated == est {
				m.MarketCapUSD, m.CapEstimated = b.MarketCapUSD, est
				use(b)
			}
		}
	}
	if m.Source == "" {
		m.Source = day[0].Source
	}
	return m
}

// Candle is one intraday (hourly) OHLCV candle. Time is the candle's open
// time in Unix seconds (UTC).
type Candle struct {
	AssetID     string
	Source      string
	Time        int64
	Open        float64
	High        float64
	Low         float64
	Close       float64
	VolumeBase  float64
	VolumeQuote float64
	Trades      float64 // NaN when the source does not report it
}

// Constituent is one row of a point-in-time universe snapshot: the asset
// held rank Rank with the given market cap on Date according to Source.
type Constituent struct {
	Date         Date
	Source       string
	Rank         int
	AssetID      string
	MarketCapUSD float64
	PriceUSD     float64
	Supply       float64
	VolumeUSD    float64
}
