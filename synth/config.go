// Package synth generates a seeded synthetic crypto market whose bull,
// neutral and bear regimes are known, for demos, tests and scale
// benchmarks.
//
// # Model
//
// A hidden regime path follows a semi-Markov chain over bull, neutral and
// bear: each spell lasts a minimum of min(30, D/4) days plus an
// exponential tail, so its expected length is the configured duration D
// (defaults: bull 300, neutral 120, bear 250 days), and on leaving a state
// the next one is drawn from
//
//	from bull:    neutral 0.75, bear 0.25
//	from neutral: bull 0.50,    bear 0.50
//	from bear:    neutral 0.70, bull 0.30
//
// The market factor's daily log return is drift + vol × t where t is a
// Student-t variate with 4 degrees of freedom scaled to unit variance:
//
//	regime   drift/day   vol/day  (annualised, 365 days)
//	bull     +0.0035     0.032    (61%)
//	neutral   0.0000     0.027    (52%)
//	bear     -0.0040     0.045    (86%)
//
// Every token's log return is beta × market + alpha + sigma × t3 (t with 3
// degrees of freedom, unit variance, alpha = -sigma²/2 so idiosyncratic
// noise adds no mean). The first token, "Synthcoin" (SYN), has beta 1 and
// a small sigma, so it tracks the market factor like BTC; the first
// max(10, OnchainTokens) tokens are majors that list on day 0 and never
// die; the rest list over time (15% on day 0, the others on days weighted
// 3:1.5:0.7 towards bull:neutral:bear, within the first 90% of the
// period), with betas 0.8-1.7, sigmas around 5%/day and power-law
// (Pareto, index 1.1) listing market caps. Non-major tokens die with a
// daily hazard that is highest in bear markets: a dying token falls by
// 94-99% over 20-60 days and then stops trading. Circulating supply grows
// at a token-specific rate; market cap = close × supply; volume is a
// token-specific turnover of the market cap, higher on large moves and in
// bull markets. Open is the previous close (markets trade around the
// clock) and high/low extend beyond open and close, so
// low <= open, close <= high. Prices carry 8 significant digits.
//
// Stablecoins trade within about 2% of $1, with supply growing in bull and
// shrinking in bear markets. Unless NoDepeg is set, the last stablecoin
// depegs 15 days into the first bear spell of at least 40 days that starts
// 60 days or more after its listing: it collapses towards $0.02 and stops
// trading 30 days later (there is no depeg if no such spell exists).
//
// Observation series respond to the regime with a lag (they are
// informative, not oracles): "feargreed:value" (0..100, regime lagged 7
// days plus recent market returns), "onchain:<id>:AdrActCnt" and
// "onchain:<id>:TxCnt" (lag 14) and "flows:<id>:netflow" (lag 5, native
// units, positive = into exchanges, higher in bear markets) for the
// first OnchainTokens tokens, and weekday macro series "fred:DGS10",
// "fred:DTWEXBGS", "fred:SP500" and "fred:VIXCLS" (lag 45). Daily macro,
// on-chain and flow values are known the day after their date.
//
// On the first day of every month a snapshot of the TopN assets by market
// cap (stablecoins included, like CoinMarketCap) is emitted as universe
// constituents, and the true regime of every day is emitted as truth.
//
// # Reproducibility
//
// Generation is a pure function of Config: the regime path, every token,
// the factors and the names draw from separate PCG streams of math/rand/v2
// seeded from Seed, and nothing depends on map iteration order, so the same
// Config produces byte-identical output (on the same CPU architecture; a
// platform that fuses multiply-adds may round differently). Markets nest:
// token i trades identically in every market with the same Seed, Days,
// Start, OnchainTokens and regime durations that has more than i tokens,
// so a 5,000-token market contains the 300-token one. Memory is
// bounded by the number of tokens, not days × tokens: Generate streams one
// day at a time.
package synth

import (
	"math"

	"github.com/regime-engine/regime"
)

// Config describes a synthetic market. The zero value of every field but
// Seed means its documented default; Validate reports fields out of range.
type Config struct {
	Seed        int64
	Tokens      int         // risky tokens (stablecoins excluded); default 300, 1..100000
	Days        int         // days generated; default 3650, 1..100000
	Start       regime.Date // first day; default 2015-01-01
	Stablecoins int         // default 3, up to 20; -1 means none
	TopN        int         // assets per monthly constituents snapshot; default 200, 1..100000

	// OnchainTokens is the number of leading tokens with on-chain and
	// exchange-flow series; default 5, up to 100; -1 means none.
	OnchainTokens int

	// Expected regime spell lengths in days; defaults 300 (bull), 120
	// (neutral) and 250 (bear); each 2..100000.
	BullDays, NeutralDays, BearDays float64

	// NoDepeg disables the stablecoin depeg.
	NoDepeg bool

	// Progress, when set, receives a "synth" stage event (unit "days")
	// every 30 days and at the end.
	Progress regime.ProgressFunc
}

// Defaults of Config.
const (
	DefaultTokens        = 300
	DefaultDays          = 3650
	DefaultStablecoins   = 3
	DefaultTopN          = 200
	DefaultOnchainTokens = 5
	DefaultBullDays      = 300
	DefaultNeutralDays   = 120
	DefaultBearDays      = 250
)

// DefaultStart is the default first day, 2015-01-01.
const DefaultStart regime.Date = 16436

// lastDay is 9999-12-31, the last day a YYYY-MM-DD date can name.
const lastDay regime.Date = 2932896

// Validate returns an EINVALID *regime.Error naming the first field out
// of range, or nil.
func (c Config) Validate() error {
	bad := func(format string, args ...any) error {
		return regime.Errorf(regime.EINVALID, "synth: "+format, args...)
	}
	switch {
	case c.Tokens < 0 || c.Tokens > 100000:
		return bad("Tokens must be 1..100000 (0 means %d), got %d", DefaultTokens, c.Tokens)
	case c.Days < 0 || c.Days > 100000:
		return bad("Days must be 1..100000 (0 means %d), got %d", DefaultDays, c.Days)
	case c.Start < 0:
		return bad("Start must be on or after 1970-01-02 (zero means %s), got %s", DefaultStart, c.Start)
	case int64(c.WithDefaults().Start)+int64(c.WithDefaults().Days)-1 > int64(lastDay):
		return bad("Start + Days must end by 9999-12-31, got start %s and %d days", c.WithDefaults().Start, c.WithDefaults().Days)
	case c.Stablecoins < -1 || c.Stablecoins > 20:
		return bad("Stablecoins must be -1 (none) or 1..20 (0 means %d), got %d", DefaultStablecoins, c.Stablecoins)
	case c.TopN < 0 || c.TopN > 100000:
		return bad("TopN must be 1..100000 (0 means %d), got %d", DefaultTopN, c.TopN)
	case c.OnchainTokens < -1 || c.OnchainTokens > 100:
		return bad("OnchainTokens must be -1 (none) or 1..100 (0 means %d), got %d", DefaultOnchainTokens, c.OnchainTokens)
	}
	for _, d := range []struct {
		name string
		v    float64
	}{{"BullDays", c.BullDays}, {"NeutralDays", c.NeutralDays}, {"BearDays", c.BearDays}} {
		if math.IsNaN(d.v) || d.v < 0 || (d.v > 0 && d.v < 2) || d.v > 100000 {
			return bad("%s must be 2..100000 (0 means the default), got %g", d.name, d.v)
		}
	}
	return nil
}

// WithDefaults returns c with every zero field replaced by its default
// and -1 counts by 0.
func (c Config) WithDefaults() Config {
	def := func(v *int, d int) {
		switch *v {
		case 0:
			*v = d
		case -1:
			*v = 0
		}
	}
	def(&c.Tokens, DefaultTokens)
	def(&c.Days, DefaultDays)
	def(&c.Stablecoins, DefaultStablecoins)
	def(&c.TopN, DefaultTopN)
	def(&c.OnchainTokens, DefaultOnchainTokens)
	if c.Start == regime.NoDate {
		c.Start = DefaultStart
	}
	deff := func(v *float64, d float64) {
		if *v == 0 {
			*v = d
		}
	}
	deff(&c.BullDays, DefaultBullDays)
	deff(&c.NeutralDays, DefaultNeutralDays)
	deff(&c.BearDays, DefaultBearDays)
	if c.OnchainTokens > c.Tokens {
		c.OnchainTokens = c.Tokens
	}
	return c
}

// Regime is a market regime of the hidden path.
type Regime int8

// Regimes, valued as stored in the truth series.
const (
	Bear    Regime = -1
	Neutral Regime = 0
	Bull    Regime = 1
)

// String returns "bull", "neutral" or "bear".
func (r Regime) String() string {
	switch r {
	case Bull:
		return "bull"
	case Bear:
		return "bear"
	}
	return "neutral"
}
