// Package report holds the machine-readable reports of Regime's use-cases,
// shared by the CLI's --json output and the HTTP API's job results so both
// print the same bytes for the same run.
package report

import (
	"fmt"
	"math"

	"github.com/regime-engine/regime"
	"github.com/regime-engine/regime/backtest"
	"github.com/regime-engine/regime/engine"
	"github.com/regime-engine/regime/index"
)

// Num is a float64 that encodes a missing value (NaN, ±Inf) as JSON null
// and every other value with the shortest exact representation (regime.Num).
type Num = regime.Num

// Metrics is backtest.Metrics for JSON and CSV, NaN as null.
type Metrics struct {
	Start              regime.Date `json:"start"`
	End                regime.Date `json:"end"`
	Days               int         `json:"days"`
	TotalReturn        Num         `json:"total_return"`
	CAGR               Num         `json:"cagr"`
	Volatility         Num         `json:"volatility"`
	Sharpe             Num         `json:"sharpe"`
	Sortino            Num         `json:"sortino"`
	MaxDrawdown        Num         `json:"max_drawdown"`
	DrawdownPeak       regime.Date `json:"drawdown_peak"`
	DrawdownTrough     regime.Date `json:"drawdown_trough"`
	DrawdownRecovery   *string     `json:"drawdown_recovery"`
	Calmar             Num         `json:"calmar"`
	Turnover           Num         `json:"turnover"`
	Fees               Num         `json:"fees_usd"`
	Slippage           Num         `json:"slippage_usd"`
	Trades             int         `json:"trades"`
	TimeInMarket       Num         `json:"time_in_market"`
	AvgExposure        Num         `json:"avg_exposure"`
	MissingPriceShare  Num         `json:"unpriced_cap_share"`
	MissingWeightShare Num         `json:"unpriced_weight_share"`
}

// NewMetrics converts m, missing values as NaN.
func NewMetrics(m backtest.Metrics) Metrics {
	o := Metrics{Start: m.Start, End: m.End, Days: m.Days, TotalReturn: Num(m.TotalReturn), CAGR: Num(m.CAGR),
		Volatility: Num(m.Volatility), Sharpe: Num(m.Sharpe), Sortino: Num(m.Sortino), MaxDrawdown: Num(m.MaxDrawdown),
		DrawdownPeak: m.DrawdownPeak, DrawdownTrough: m.DrawdownTrough, Calmar: Num(m.Calmar), Turnover: Num(m.Turnover),
		Fees: Num(m.Fees), Slippage: Num(m.Slippage), Trades: m.Trades, TimeInMarket: Num(m.TimeInMarket),
		AvgExposure: Num(m.AvgExposure), MissingPriceShare: Num(m.MissingPriceShare), MissingWeightShare: Num(m.MissingWeightShare)}
	if m.DrawdownRecovery != regime.NoDate {
		s := m.DrawdownRecovery.String()
		o.DrawdownRecovery = &s
	}
	return o
}

// RegimeStats is one regime level's statistics of a run.
type RegimeStats struct {
	Level       index.Level `json:"level"`
	Days        int         `json:"days"`
	Return      Num         `json:"return"`
	AnnReturn   Num         `json:"ann_mean_return"`
	AvgExposure Num         `json:"avg_exposure"`
}

// Month is one calendar month's return ("YYYY-MM").
type Month struct {
	Month  string `json:"month"`
	Return Num    `json:"return"`
}

// Run is one run of a comparison (the regime index or a benchmark).
type Run struct {
	Name     string        `json:"name"`
	Metrics  Metrics       `json:"metrics"`
	ByRegime []RegimeStats `json:"by_regime"`
	Monthly  []Month       `json:"monthly"`
}

// Window is every run's metrics and universe coverage over one reporting window.
type Window struct {
	Name     string              `json:"name"`
	From     regime.Date         `json:"from"`
	To       regime.Date         `json:"to"`
	Runs     map[string]Metrics  `json:"runs"`
	Coverage map[string]Coverage `json:"coverage"`
}

// Coverage is engine.Coverage with NaN as null.
type Coverage struct {
	Decisions   int `json:"decisions"`
	AvgMembers  Num `json:"avg_members"`
	AvgUnpriced Num `json:"avg_unpriced"`
	CapShare    Num `json:"unpriced_cap_share"`
	WeightShare Num `json:"unpriced_weight_share"`
	MinWeight   Num `json:"min_unpriced_weight_share"`
	MaxWeight   Num `json:"max_unpriced_weight_share"`
}

// WindowCoverage returns the decision range of a window: the
// out-of-sample window's decisions start on the split day.
func WindowCoverage(in *engine.BacktestInput, w engine.Window) (from, to regime.Date) {
	if w.Name == "out_of_sample" {
		return in.Split, regime.NoDate
	}
	return w.From, w.To
}

// Trial is one parameter set of a sweep.
type Trial struct {
	Params  string  `json:"params"`
	Metrics Metrics `json:"metrics"`
}

// Sweep is a parameter sweep with its deflated Sharpe ratio and PBO.
type Sweep struct {
	Trials         []Trial `json:"trials"`
	Best           int     `json:"best"`
	DeflatedSharpe Num     `json:"deflated_sharpe"`
	PBO            Num     `json:"pbo"`
	PBOBlocks      int     `json:"pbo_blocks"`
}

// Backtest is the JSON report of a backtest, the output of
// `regime backtest --json` and the result of the API's backtest jobs.
type Backtest struct {
	Strategy string               `json:"strategy"`
	From     regime.Date          `json:"from"`
	To       regime.Date          `json:"to"`
	Split    *regime.Date         `json:"split"`
	BTC      string               `json:"reference_asset"`
	Rules    map[string]any       `json:"rules"`
	Universe engine.UniverseStats `json:"universe"`
	Stable   []engine.StableFill  `json:"stablecoins"`
	Runs     []Run                `json:"runs"`
	Windows  []Window             `json:"windows"`
	Sweep    *Sweep               `json:"sweep,omitempty"`
	NAV      *NAV                 `json:"nav,omitempty"` // only when asked for (WithNAV)
}

// NAV is the daily NAV of every run of a backtest on the regime index's
// simulated days, in USD from the same initial NAV, with the regime
// index's risky exposure (0..1). A run without a value on a day has null.
type NAV struct {
	Dates    []regime.Date    `json:"dates"`
	Series   map[string][]Num `json:"series" doc:"One series per run: regime, buy_and_hold, btc_hold, sma200."`
	Exposure []Num            `json:"exposure"`
}

// NewNAV returns the daily series of rep's comparison, aligned with the
// first run's (the regime index's) dates.
func NewNAV(rep *engine.BacktestReport) *NAV {
	cmp := rep.Comparison
	base := cmp.Results[0]
	o := &NAV{Dates: append([]regime.Date{}, base.Dates...), Series: map[string][]Num{}, Exposure: make([]Num, len(base.Dates))}
	row := make(map[regime.Date]int, len(base.Dates))
	for i, d := range base.Dates {
		row[d] = i
		o.Exposure[i] = Num(base.Exposure[i])
	}
	for k, name := range cmp.Names {
		s := make([]Num, len(base.Dates))
		for i := range s {
			s[i] = Num(math.NaN())
		}
		for i, d := range cmp.Results[k].Dates {
			if j, ok := row[d]; ok {
				s[j] = Num(cmp.Results[k].NAV[i])
			}
		}
		o.Series[name] = s
	}
	return o
}

// WithNAV returns b with the daily NAV series of rep (the "nav" field of
// `regime backtest --nav-json` and of a backtest job with "nav": true).
func (b Backtest) WithNAV(rep *engine.BacktestReport) Backtest {
	b.NAV = NewNAV(rep)
	return b
}

// NewBacktest builds the JSON report of rep and, when not nil, of the sweep sw.
func NewBacktest(rep *engine.BacktestReport, sw *backtest.SweepResult) Backtest {
	in := rep.Input
	cfg := in.Config
	o := Backtest{Strategy: in.Strategy, From: in.From, To: in.To, BTC: cfg.BTC, Universe: in.Universe, Stable: in.Stable,
		Rules: map[string]any{"n": cfg.Universe.N, "scheme": cfg.Weights.Scheme, "exposure": cfg.Exposure.String(),
			"rebalance_days": cfg.RebalanceDays, "fee_rate": cfg.FeeRate, "initial_nav": cfg.InitialNAV, "stable_assets": cfg.Stable.Assets}}
	if o.Stable == nil {
		o.Stable = []engine.StableFill{}
	}
	if in.Split != regime.NoDate {
		s := in.Split
		o.Split = &s
	}
	for i, r := range rep.Comparison.Results {
		ro := Run{Name: rep.Comparison.Names[i], Metrics: NewMetrics(r.Metrics), ByRegime: []RegimeStats{}, Monthly: []Month{}}
		for _, s := range r.Metrics.ByRegime {
			ro.ByRegime = append(ro.ByRegime, RegimeStats{s.Level, s.Days, Num(s.Return), Num(s.AnnReturn), Num(s.AvgExposure)})
		}
		for _, m := range r.Monthly {
			ro.Monthly = append(ro.Monthly, Month{fmt.Sprintf("%04d-%02d", m.Year, m.Month), Num(m.Return)})
		}
		o.Runs = append(o.Runs, ro)
	}
	for _, w := range rep.Windows {
		wo := Window{Name: w.Name, From: w.From, To: w.To, Runs: map[string]Metrics{}, Coverage: map[string]Coverage{}}
		from, to := WindowCoverage(in, w)
		for i, m := range w.Metrics {
			name := rep.Comparison.Names[i]
			wo.Runs[name] = NewMetrics(m)
			cv := engine.RunCoverage(rep.Comparison.Results[i], from, to)
			wo.Coverage[name] = Coverage{cv.Decisions, Num(cv.AvgMembers), Num(cv.AvgUnpriced), Num(cv.CapShare),
				Num(cv.WeightShare), Num(cv.MinWeight), Num(cv.MaxWeight)}
		}
		o.Windows = append(o.Windows, wo)
	}
	if sw != nil {
		so := &Sweep{Best: sw.Best, DeflatedSharpe: Num(sw.DeflatedSharpe), PBO: Num(sw.PBO), PBOBlocks: sw.PBOBlocks}
		for _, t := range sw.Trials {
			so.Trials = append(so.Trials, Trial{Params: t.Params.String(), Metrics: NewMetrics(t.Metrics)})
		}
		o.Sweep = so
	}
	return o
}
