package engine

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"strconv"

	"github.com/regime-engine/regime"
	"github.com/regime-engine/regime/backtest"
	"github.com/regime-engine/regime/index"
)

// Backtest strategies: what drives the regime index.
const (
	// StrategyGauge is the Market Gauge's daily level (needs
	// BacktestOptions.GaugeLevels).
	StrategyGauge = "gauge"
	// StrategySMA200 is bitcoin's close against the mean of its last 200
	// closes: bullish above, bearish at or below (100% and 25% risky with
	// the default exposure mapping), no level before 200 closes.
	StrategySMA200 = "sma200"
	// StrategyBuyHold is the index always at the bullish exposure.
	StrategyBuyHold = "buyhold"
	// StrategyCustom labels a precomputed BacktestOptions.Signal.
	StrategyCustom = "custom"
)

// Strategies lists the strategies Backtest computes itself, in a fixed order.
var Strategies = []string{StrategyGauge, StrategySMA200, StrategyBuyHold}

// DefaultWarmupDays is how many days of history before the first simulated
// day the backtest market holds: enough for the 200-day SMA, the 30-day
// history filter and the 30-day cap smoothing.
const DefaultWarmupDays = 400

// UniverseTopN is the size of the universe snapshots synthesised from
// daily market caps on days without a stored snapshot at most
// SnapshotMaxAge days old (the stored CMC snapshots hold 200 coins).
const UniverseTopN = 200

// SourceDailyCaps labels the universe snapshots Backtest ranks from the
// daily market caps (Panel.TopAt's fallback).
const SourceDailyCaps = "daily_caps"

// GaugeLevelsFunc computes the daily regime level of every day of p.Dates,
// point in time: the level of day i uses only data known at the close of
// day i (the backtest executes it at the next close).
type GaugeLevelsFunc func(ctx context.Context, st regime.Reader, p *Panel) ([]index.Level, error)

// BacktestOptions configure Backtest and PrepareBacktest. The zero value
// runs the default rules over the whole store with the "gauge" strategy.
type BacktestOptions struct {
	// Strategy is one of Strategies (default StrategyGauge). It is a
	// label only when Signal is given.
	Strategy string
	// Signal, when not nil, is a precomputed daily level series:
	// Signal[i] is the level of day SignalStart+i (days outside are
	// NoLevel). It must be point in time.
	Signal      []index.Level
	SignalStart regime.Date
	// GaugeLevels computes the gauge strategy's levels. Without it the
	// gauge strategy fails with EUNAVAILABLE.
	GaugeLevels GaugeLevelsFunc

	// From is the first simulated day (default: the store's first day
	// plus WarmupDays); To the last (default: the store's last day).
	// Nothing dated after To is read.
	From, To regime.Date
	// Split, when inside (From, To], reports the in-sample window
	// From..Split-1 and the out-of-sample window Split-1..To (the close
	// before Split is the out-of-sample base) next to the whole run.
	Split regime.Date
	// Config holds the rules (nil: backtest.DefaultConfig()). Start and
	// BTC are set by Backtest; Stable.Assets are resolved against the store.
	Config *backtest.Config
	// WarmupDays of history before From are loaded (default
	// DefaultWarmupDays).
	WarmupDays int
	// NoStableFill keeps stablecoin days without a daily close missing
	// instead of assuming 1.00 USD (see StableFill).
	NoStableFill bool
	// Progress receives one event per stage.
	Progress regime.ProgressFunc
}

// StableFill reports how a basket stablecoin was priced.
type StableFill struct {
	Asset string `json:"asset"` // store asset id
	// Requested is the basket id it stands for (e.g. the default
	// "usd-coin" resolved by id, symbol or alias).
	Requested string `json:"requested"`
	// PricedDays are simulated days with a daily close; FilledDays are
	// days after its first daily close without one, priced at 1.00 USD
	// (volume: the last known daily volume), from FirstFilled to
	// LastFilled. A depeg on a filled day is invisible to the backtest.
	PricedDays  int         `json:"priced_days"`
	FilledDays  int         `json:"filled_days"`
	FirstFilled regime.Date `json:"first_filled,omitempty"`
	LastFilled  regime.Date `json:"last_filled,omitempty"`
}

// UniverseStats counts how the universe of each simulated day was defined.
type UniverseStats struct {
	SnapshotDays  int    `json:"snapshot_days"`   // the latest stored snapshot, at most SnapshotMaxAge days old
	DailyCapDays  int    `json:"daily_cap_days"`  // ranked from the daily market caps known that day
	StoredSource  string `json:"stored_source"`   // source of the stored snapshots ("" if none)
	StoredCount   int    `json:"stored_count"`    // stored snapshots used
	PricedAssets  int    `json:"priced_assets"`   // assets with at least one daily close in the market
	ExcludedClose int    `json:"excluded_closes"` // closes from monthly snapshots or estimates, not used as daily prices
}

// BacktestInput is everything a backtest runs on, loaded once from a
// store: the dense market, the resolved rules and the strategy's signal.
// Run, Compare and Sweep it as often as needed; it is read-only after
// PrepareBacktest.
type BacktestInput struct {
	Strategy string
	Market   *backtest.Market
	Config   backtest.Config // Start, BTC and Stable.Assets resolved
	Signal   []index.Level   // aligned with Market.Dates; nil = always invested
	From, To regime.Date
	Split    regime.Date // NoDate when no split is reported
	Stable   []StableFill
	Universe UniverseStats
	Panel    *Panel
}

// PrepareBacktest loads the store up to opt.To into a backtest market and
// computes the strategy's signal. Daily closes come from the daily price
// sources only: a close whose reconciled source is a monthly snapshot
// (cmc) or an estimate is dropped, so a coin priced once a month counts
// as having no daily price. The universe of each day is the latest stored
// snapshot if it is at most SnapshotMaxAge days old, else the top
// UniverseTopN assets by the market caps known that day (Panel.TopAt).
//
// Errors: EINVALID for bad options or rules, ENOTFOUND for an empty store
// or one without a reference asset, EUNAVAILABLE for the gauge strategy
// without GaugeLevels.
func PrepareBacktest(ctx context.Context, st regime.Reader, opt BacktestOptions) (*BacktestInput, error) {
	if opt.Strategy == "" {
		opt.Strategy = StrategyGauge
		if opt.Signal != nil {
			opt.Strategy = StrategyCustom
		}
	}
	if opt.Signal == nil {
		known := false
		for _, s := range Strategies {
			known = known || s == opt.Strategy
		}
		if !known {
			return nil, regime.Errorf(regime.EINVALID, "unknown strategy %q: want one of gauge, sma200, buyhold", opt.Strategy)
		}
		if opt.Strategy == StrategyGauge && opt.GaugeLevels == nil {
			return nil, regime.Errorf(regime.EUNAVAILABLE, "the gauge is not wired yet: use --strategy sma200 or buyhold")
		}
	}
	if err := (regime.DateRange{From: opt.From, To: opt.To}).Validate(); err != nil {
		return nil, err
	}
	cfg := backtest.DefaultConfig()
	if opt.Config != nil {
		cfg = *opt.Config
	}
	warm := opt.WarmupDays
	if warm <= 0 {
		warm = DefaultWarmupDays
	}
	opt.Progress.Report(regime.Progress{Stage: "backtest load", Unit: "steps", Total: 3})
	tap := &sourceTap{Reader: st, excluded: map[string][]regime.Date{}}
	p, err := LoadPanel(ctx, tap, regime.DateRange{To: opt.To})
	if err != nil {
		return nil, err
	}
	opt.Progress.Report(regime.Progress{Stage: "backtest load", Unit: "steps", Done: 1, Total: 3})
	last := p.Dates[len(p.Dates)-1]
	to := opt.To
	if to == regime.NoDate || to > last {
		to = last
	}
	from := opt.From
	if from == regime.NoDate {
		from = p.Dates[0].AddDays(warm)
	}
	if from < p.Dates[0] {
		from = p.Dates[0]
	}
	if from >= to {
		return nil, regime.Errorf(regime.EINVALID, "backtest window %s..%s is empty: the store's data runs %s..%s (plus %d warm-up days)",
			from, to, p.Dates[0], last, warm)
	}
	calStart := max(p.Dates[0], from.AddDays(-warm))
	in := &BacktestInput{Strategy: opt.Strategy, From: from, To: to, Panel: p}
	if opt.Split > from && opt.Split <= to {
		in.Split = opt.Split
	}
	ref := p.ReferenceAsset()
	if ref < 0 {
		return nil, regime.Errorf(regime.ENOTFOUND, "no reference asset (bitcoin or a top coin) in the store")
	}
	cfg.BTC = p.Assets[ref].ID
	cfg.Start = from
	i0, _ := p.DayIndex(calStart)
	i1, _ := p.DayIndex(to)
	daily := p.dailyCloses(tap.excluded, &in.Universe)
	stable, fills, err := resolveStable(ctx, st, p, cfg.Stable.Assets, i0)
	if err != nil {
		return nil, err
	}
	cfg.Stable.Assets = stable
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	in.Market = p.market(daily, i0, i1, stable, &in.Universe)
	in.Stable = in.fillStable(fills, !opt.NoStableFill)
	if err := p.marketSnapshots(ctx, st, in.Market, i0, i1, from, &in.Universe); err != nil {
		return nil, err
	}
	listed(in.Market)
	if err := in.Market.Validate(); err != nil {
		return nil, err
	}
	opt.Progress.Report(regime.Progress{Stage: "backtest load", Unit: "steps", Done: 2, Total: 3})
	in.Config = cfg
	in.Signal, err = strategySignal(ctx, st, p, daily[ref], opt, i0, i1)
	if err != nil {
		return nil, err
	}
	opt.Progress.Report(regime.Progress{Stage: "backtest load", Unit: "steps", Done: 3, Total: 3, Final: true})
	return in, nil
}

// sourceTap passes Bars through and records, per asset, the days whose
// reconciled close comes from a source that is not a daily price.
type sourceTap struct {
	regime.Reader
	excluded map[string][]regime.Date
}

// Bars implements regime.Reader.
func (s *sourceTap) Bars(ctx context.Context, id string, r regime.DateRange) ([]regime.Bar, error) {
	bars, err := s.Reader.Bars(ctx, id, r)
	for _, b := range bars {
		if !dailySource(b.Source) && !math.IsNaN(b.Close) {
			s.excluded[id] = append(s.excluded[id], max(b.Date, b.KnownAt))
		}
	}
	return bars, err
}

// dailySource reports whether a reconciled close from source is a daily
// price: every source but the monthly CMC snapshots and estimates.
func dailySource(source string) bool {
	return source != regime.SourceCMC && source != regime.SourceEstimate
}

// dailyCloses returns every asset's closes on the panel calendar (NaN
// padded to full length) with the excluded closes removed.
func (p *Panel) dailyCloses(excluded map[string][]regime.Date, u *UniverseStats) [][]float64 {
	n := len(p.Dates)
	out := make([][]float64, len(p.Assets))
	for k, a := range p.Assets {
		c := nanSlice(n)
		copy(c[p.Start[k]:], p.Close[k])
		for _, d := range excluded[a.ID] {
			if i, ok := p.DayIndex(d); ok && !math.IsNaN(c[i]) {
				c[i] = math.NaN()
				u.ExcludedClose++
			}
		}
		out[k] = c
	}
	return out
}

// stableRef is a resolved basket stablecoin.
type stableRef struct {
	requested string
	k         int // panel index
}

// resolveStable maps the basket ids to store assets: by id, else by
// LookupAsset (symbol, alias). When none resolves, the stablecoin with the
// largest market cap known on day i0 stands in (none: the sleeve is cash).
func resolveStable(ctx context.Context, st regime.Reader, p *Panel, ids []string, i0 int) ([]string, []stableRef, error) {
	var out []string
	var refs []stableRef
	seen := map[int]bool{}
	for _, id := range ids {
		k := p.Index(id)
		if k < 0 {
			a, err := st.LookupAsset(ctx, id)
			if err != nil && regime.ErrorCode(err) != regime.ENOTFOUND {
				return nil, nil, fmt.Errorf("backtest: stablecoin %s: %w", id, err)
			}
			if err == nil {
				k = p.Index(a.ID)
			}
			if k < 0 && id == "usd-coin" {
				if a, err := st.LookupAsset(ctx, "USDC"); err == nil {
					k = p.Index(a.ID)
				}
			}
		}
		if k >= 0 && p.Assets[k].Kind == regime.KindStablecoin && !seen[k] {
			seen[k] = true
			out = append(out, p.Assets[k].ID)
			refs = append(refs, stableRef{id, k})
		}
	}
	if len(out) == 0 {
		best, bestCap := -1, 0.0
		for k, a := range p.Assets {
			if a.Kind != regime.KindStablecoin {
				continue
			}
			// the largest cap known at the first day with any stablecoin cap at or after i0
			if c := p.capFrom(k, i0); c > bestCap {
				best, bestCap = k, c
			}
		}
		if best >= 0 {
			out = append(out, p.Assets[best].ID)
			refs = append(refs, stableRef{ids0(ids), best})
		}
	}
	if out == nil {
		out = []string{}
	}
	return out, refs, nil
}

func ids0(ids []string) string {
	if len(ids) == 0 {
		return ""
	}
	return ids[0]
}

// capFrom returns asset k's market cap on day i0, or on its first day
// with a cap after i0 (the earliest the stablecoin existed).
func (p *Panel) capFrom(k, i0 int) float64 {
	for i := max(i0, p.Start[k]); i < p.Start[k]+len(p.Cap[k]); i++ {
		if c := p.At(p.Cap, k, i); c > 0 {
			return c
		}
	}
	return 0
}

// market builds the dense market of days i0..i1: every asset with a daily
// close in the window plus the basket stablecoins, kinds of every asset.
func (p *Panel) market(daily [][]float64, i0, i1 int, stable []string, u *UniverseStats) *backtest.Market {
	keep := map[string]bool{}
	for _, id := range stable {
		keep[id] = true
	}
	var ids []string
	var cols []int
	for k, a := range p.Assets {
		priced := false
		for i := i0; i <= i1 && !priced; i++ {
			priced = !math.IsNaN(daily[k][i])
		}
		if priced {
			u.PricedAssets++
		}
		if priced || keep[a.ID] {
			ids, cols = append(ids, a.ID), append(cols, k)
		}
	}
	m := backtest.NewMarket(p.Dates[i0:i1+1], ids)
	for _, a := range p.Assets {
		m.Kinds[a.ID] = a.Kind
	}
	nA := len(ids)
	for j, k := range cols {
		for i := i0; i <= i1; i++ {
			c := daily[k][i]
			t := (i-i0)*nA + j
			if !math.IsNaN(c) {
				m.Close[t] = c
				m.Volume[t] = p.At(p.Volume, k, i)
			}
			m.Cap[t] = p.At(p.Cap, k, i)
		}
	}
	return m
}

// fillStable prices every basket stablecoin at 1.00 USD on the days after
// its first daily close that have none (when fill is set), with the last
// known daily volume, and reports the filled days.
func (in *BacktestInput) fillStable(refs []stableRef, fill bool) []StableFill {
	m := in.Market
	nA := len(m.Assets)
	var out []StableFill
	for _, r := range refs {
		id := in.Panel.Assets[r.k].ID
		a := m.Asset(id)
		f := StableFill{Asset: id, Requested: r.requested}
		seen, vol := false, math.NaN()
		for t, d := range m.Dates {
			x := t*nA + a
			if !math.IsNaN(m.Close[x]) {
				seen = true
				if v := m.Volume[x]; v > 0 {
					vol = v
				}
				if d >= in.From {
					f.PricedDays++
				}
				continue
			}
			if !seen || !fill {
				continue
			}
			m.Close[x], m.Volume[x] = 1, vol
			if d >= in.From {
				f.FilledDays++
				if f.FirstFilled == regime.NoDate {
					f.FirstFilled = d
				}
				f.LastFilled = d
			}
		}
		out = append(out, f)
	}
	return out
}

// marketSnapshots sets m.Snapshots: the stored snapshots dated up to day
// i1 (those older than the calendar only if still fresh at its start),
// plus, on every day i0..i1 without a stored snapshot at most
// SnapshotMaxAge days old, the top UniverseTopN assets by the daily caps
// known that day.
func (p *Panel) marketSnapshots(ctx context.Context, st regime.Reader, m *backtest.Market, i0, i1 int, from regime.Date, u *UniverseStats) error {
	var stored []backtest.Snapshot
	for _, s := range p.Snapshots {
		if s.Date > p.Dates[i1] || int(p.Dates[i0]-s.Date) > SnapshotMaxAge {
			continue
		}
		cs, err := st.Constituents(ctx, s.Source, s.Date)
		if err != nil {
			return fmt.Errorf("backtest: snapshot %s: %w", s.Date, err)
		}
		var keep []regime.Constituent
		for _, c := range cs {
			if c.Date == s.Date {
				keep = append(keep, c)
			}
		}
		stored = append(stored, backtest.Snapshot{Date: s.Date, Constituents: keep})
		u.StoredSource = s.Source
		u.StoredCount++
	}
	var out []backtest.Snapshot
	j := 0
	for i := i0; i <= i1; i++ {
		d := p.Dates[i]
		for j < len(stored) && stored[j].Date <= d {
			out = append(out, stored[j])
			j++
		}
		top, method := p.TopAt(i, UniverseTopN, false)
		if d >= from {
			if method == FromSnapshot {
				u.SnapshotDays++
			} else {
				u.DailyCapDays++
			}
		}
		if method == FromSnapshot {
			continue
		}
		s := backtest.Snapshot{Date: d, Constituents: make([]regime.Constituent, len(top))}
		for r, k := range top {
			s.Constituents[r] = regime.Constituent{Date: d, Source: SourceDailyCaps, Rank: r + 1, AssetID: p.Assets[k].ID,
				MarketCapUSD: p.At(p.Cap, k, i), PriceUSD: p.At(p.Close, k, i), Supply: math.NaN(), VolumeUSD: p.At(p.Volume, k, i)}
		}
		out = append(out, s)
	}
	m.Snapshots = out
	return nil
}

// listed sets m.Listed: an asset is listed on day t when the universe
// snapshot in force at t (the latest dated on or before t) names it. A
// held asset that runs out of daily closes while listed lost its price
// source (a price file that stops, a gap), not its value, and is sold at
// its last close; one that is not listed is written off (rulebook
// section 9).
func listed(m *backtest.Market) {
	nA := len(m.Assets)
	m.Listed = make([]bool, len(m.Dates)*nA)
	for k, s := range m.Snapshots {
		end := m.Dates[len(m.Dates)-1]
		if k+1 < len(m.Snapshots) {
			end = m.Snapshots[k+1].Date - 1
		}
		t0 := m.Day(max(s.Date, m.Dates[0]))
		if t0 < 0 {
			continue
		}
		for _, c := range s.Constituents {
			a := m.Asset(c.AssetID)
			if a < 0 {
				continue
			}
			for t := t0; t < len(m.Dates) && m.Dates[t] <= end; t++ {
				m.Listed[t*nA+a] = true
			}
		}
	}
}

// strategySignal returns the signal on the market calendar (days i0..i1
// of the panel).
func strategySignal(ctx context.Context, st regime.Reader, p *Panel, btc []float64, opt BacktestOptions, i0, i1 int) ([]index.Level, error) {
	n := i1 - i0 + 1
	out := make([]index.Level, n)
	for i := range out {
		out[i] = index.NoLevel
	}
	switch {
	case opt.Signal != nil:
		for i := range out {
			if j := int(p.Dates[i0+i] - opt.SignalStart); j >= 0 && j < len(opt.Signal) {
				out[i] = opt.Signal[j]
			}
		}
		return out, nil
	case opt.Strategy == StrategyBuyHold:
		return nil, nil
	case opt.Strategy == StrategySMA200:
		full := SMA200Levels(btc)
		copy(out, full[i0:i1+1])
		return out, nil
	}
	lv, err := opt.GaugeLevels(ctx, st, p)
	if err != nil {
		return nil, fmt.Errorf("backtest: gauge: %w", err)
	}
	if len(lv) != len(p.Dates) {
		return nil, regime.Errorf(regime.EINTERNAL, "gauge returned %d levels for %d days", len(lv), len(p.Dates))
	}
	copy(out, lv[i0:i1+1])
	return out, nil
}

// SMA200Levels maps bitcoin's daily closes to the sma200 strategy's
// levels: Bullish when the close is above the mean of the last 200
// available closes (the day included), Bearish at or below, NoLevel
// before 200 closes and on days without a close. Day i uses closes up to
// i only.
func SMA200Levels(closes []float64) []index.Level {
	out := backtest.SMASignal(closes, 200)
	for i, l := range out {
		switch l {
		case index.StrongBullish:
			out[i] = index.Bullish
		case index.StrongBearish:
			out[i] = index.Bearish
		}
	}
	return out
}

// Window is one reporting window of a backtest: each run's metrics over
// From..To.
type Window struct {
	Name    string             `json:"name"` // "full", "in_sample" or "out_of_sample"
	From    regime.Date        `json:"from"`
	To      regime.Date        `json:"to"`
	Metrics []backtest.Metrics `json:"-"` // one per run, in Comparison.Names order
}

// BacktestReport is the outcome of Backtest: the regime index and its
// benchmarks (Comparison.Names: "regime", "buy_and_hold", "btc_hold",
// "sma200"), and the reporting windows.
type BacktestReport struct {
	Input      *BacktestInput
	Comparison *backtest.Comparison
	Windows    []Window
}

// Backtest loads the store (PrepareBacktest) and runs the regime index
// with its three benchmarks on the same market and rules (backtest.Compare).
// The windows are the whole run and, with a split, the in-sample and
// out-of-sample parts of the same continuous run.
func Backtest(ctx context.Context, st regime.Reader, opt BacktestOptions) (*BacktestReport, error) {
	in, err := PrepareBacktest(ctx, st, opt)
	if err != nil {
		return nil, err
	}
	return in.Compare(ctx, opt.Progress)
}

// Compare runs the regime index and the benchmarks on in.
func (in *BacktestInput) Compare(ctx context.Context, progress regime.ProgressFunc) (*BacktestReport, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	progress.Report(regime.Progress{Stage: "backtest runs", Unit: "runs", Total: 4})
	c, err := backtest.Compare(in.Config, in.Market, in.Signal)
	if err != nil {
		return nil, err
	}
	progress.Report(regime.Progress{Stage: "backtest runs", Unit: "runs", Done: 4, Total: 4, Final: true})
	rep := &BacktestReport{Input: in, Comparison: c}
	rep.Windows = append(rep.Windows, in.window(c, "full", regime.NoDate, regime.NoDate))
	if in.Split != regime.NoDate {
		rep.Windows = append(rep.Windows,
			in.window(c, "in_sample", regime.NoDate, in.Split.AddDays(-1)),
			in.window(c, "out_of_sample", in.Split.AddDays(-1), regime.NoDate))
	}
	return rep, nil
}

func (in *BacktestInput) window(c *backtest.Comparison, name string, from, to regime.Date) Window {
	w := Window{Name: name, From: from, To: to}
	for _, r := range c.Results {
		if name == "full" {
			w.Metrics = append(w.Metrics, r.Metrics)
			continue
		}
		m, _ := r.Window(from, to)
		w.Metrics = append(w.Metrics, m)
	}
	if w.From == regime.NoDate {
		w.From = in.From
	}
	if w.To == regime.NoDate {
		w.To = in.To
	}
	return w
}

// Sweep runs the regime strategy with every parameter set of grid on in
// (backtest.Sweep), in parallel on workers goroutines (0: all cores).
func (in *BacktestInput) Sweep(ctx context.Context, grid []backtest.Params, workers int, progress regime.ProgressFunc) (*backtest.SweepResult, error) {
	if len(grid) == 0 {
		return nil, regime.Errorf(regime.EINVALID, "empty sweep grid")
	}
	var fn regime.ProgressFunc
	if progress != nil {
		fn = func(p regime.Progress) {
			p.Stage, p.Unit = "backtest sweep", "trials"
			progress(p)
		}
	}
	return backtest.Sweep(ctx, in.Config, in.Market, in.Signal, grid, workers, fn)
}

// TradeHeader is the header of the transaction log CSV.
var TradeHeader = []string{"date", "asset", "side", "quantity", "price", "value", "fee", "slippage", "reason"}

// fmtFloat formats v exactly (shortest representation that parses back
// to the same float64); NaN is empty.
func fmtFloat(v float64) string {
	if math.IsNaN(v) {
		return ""
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

// WriteTrades writes the transaction log as CSV with TradeHeader. Numbers
// are written exactly, so the log rebuilds the NAV bit for bit.
func WriteTrades(w io.Writer, trades []backtest.Trade) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(TradeHeader); err != nil {
		return err
	}
	for _, t := range trades {
		if err := cw.Write([]string{t.Date.String(), t.Asset, t.Side.String(), fmtFloat(t.Quantity), fmtFloat(t.Price),
			fmtFloat(t.Value), fmtFloat(t.Fee), fmtFloat(t.Slippage), t.Reason.String()}); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// ReadTrades parses a transaction log written by WriteTrades. It returns
// an EINVALID error naming the line of a malformed row.
func ReadTrades(r io.Reader) ([]backtest.Trade, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = len(TradeHeader)
	head, err := cr.Read()
	if err != nil {
		return nil, regime.Errorf(regime.EINVALID, "trade log: line 1: %v", err)
	}
	for i, h := range TradeHeader {
		if head[i] != h {
			return nil, regime.Errorf(regime.EINVALID, "trade log: line 1: column %d is %q, want %q", i+1, head[i], h)
		}
	}
	var out []backtest.Trade
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, regime.Errorf(regime.EINVALID, "trade log: line %d: %v", line, err)
		}
		var t backtest.Trade
		bad := func(col string, err error) error {
			return regime.Errorf(regime.EINVALID, "trade log: line %d: %s: %v", line, col, err)
		}
		if t.Date, err = regime.ParseDate(rec[0]); err != nil {
			return nil, bad("date", err)
		}
		t.Asset = rec[1]
		if t.Side, err = backtest.ParseSide(rec[2]); err != nil {
			return nil, bad("side", err)
		}
		fs := []*float64{&t.Quantity, &t.Price, &t.Value, &t.Fee, &t.Slippage}
		for j, f := range fs {
			if *f, err = strconv.ParseFloat(rec[3+j], 64); err != nil {
				return nil, bad(TradeHeader[3+j], err)
			}
		}
		if t.Reason, err = backtest.ParseReason(rec[8]); err != nil {
			return nil, bad("reason", err)
		}
		out = append(out, t)
	}
}

// WriteNAV writes the daily series of a comparison as CSV: the date,
// each run's NAV (column "nav_<run>"), then the first run's risky
// exposure and signal level.
func WriteNAV(w io.Writer, c *backtest.Comparison) error {
	cw := csv.NewWriter(w)
	head := []string{"date"}
	for _, n := range c.Names {
		head = append(head, "nav_"+n)
	}
	head = append(head, "exposure", "level")
	if err := cw.Write(head); err != nil {
		return err
	}
	r0 := c.Results[0]
	row := make([]string, len(head))
	for i, d := range r0.Dates {
		row[0] = d.String()
		for j, r := range c.Results {
			row[1+j] = fmtFloat(r.NAV[i])
		}
		row[len(row)-2], row[len(row)-1] = fmtFloat(r0.Exposure[i]), r0.Levels[i].String()
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// RebuildNAV replays trades (in log order) on m's closes as
// docs/rulebook.md section 10 states and returns the NAV at every close
// from start: cash plus, per held asset in column order, units x the last
// known close. It returns an EINVALID error for a trade in an asset the
// market does not have.
func RebuildNAV(m *backtest.Market, initial float64, start regime.Date, trades []backtest.Trade) ([]float64, error) {
	nA := len(m.Assets)
	qty, last := make([]float64, nA), nanSlice(nA)
	cash := initial
	var out []float64
	k := 0
	for t, d := range m.Dates {
		for a := 0; a < nA; a++ {
			if c := m.At(t, a); !math.IsNaN(c) {
				last[a] = c
			}
		}
		for ; k < len(trades) && trades[k].Date <= d; k++ {
			tr := trades[k]
			a := m.Asset(tr.Asset)
			if a < 0 {
				return nil, regime.Errorf(regime.EINVALID, "trade %d: unknown asset %q", k+1, tr.Asset)
			}
			if tr.Side == backtest.Buy {
				cash -= tr.Value + tr.Fee + tr.Slippage
				qty[a] += tr.Quantity
			} else {
				cash += tr.Value - tr.Fee - tr.Slippage
				qty[a] -= tr.Quantity
			}
		}
		if d < start {
			continue
		}
		nav := cash
		for a := 0; a < nA; a++ {
			if qty[a] > 0 {
				nav += qty[a] * last[a]
			}
		}
		out = append(out, nav)
	}
	return out, nil
}

// Coverage summarises the universe decisions of a run dated from..to
// (NoDate: open): how many constituents the index held and how much of
// the top-N investable universe it had to skip for lack of a daily close.
type Coverage struct {
	Decisions   int     `json:"decisions"`       // decisions with a universe selection
	AvgMembers  float64 `json:"avg_members"`     // mean constituents chosen
	AvgUnpriced float64 `json:"avg_unpriced"`    // mean top-N candidates skipped without a daily close
	CapShare    float64 `json:"unpriced_cap"`    // mean market-cap share of those candidates
	WeightShare float64 `json:"unpriced_weight"` // mean index weight they would have had
	MinWeight   float64 `json:"min_unpriced_weight"`
	MaxWeight   float64 `json:"max_unpriced_weight"`
}

// RunCoverage returns the Coverage of r's decisions dated from..to. Values
// are NaN when no decision selected a universe (fixed universes).
func RunCoverage(r *backtest.Result, from, to regime.Date) Coverage {
	c := Coverage{MinWeight: math.Inf(1), MaxWeight: math.Inf(-1)}
	var members, unpriced, cs, ws float64
	for _, d := range r.Decisions {
		if (from != regime.NoDate && d.Date < from) || (to != regime.NoDate && d.Date > to) || math.IsNaN(d.MissingPriceShare) {
			continue
		}
		c.Decisions++
		members += float64(d.Members)
		unpriced += float64(d.Unpriced)
		cs += d.MissingPriceShare
		if w := d.MissingWeightShare; !math.IsNaN(w) {
			ws += w
			c.MinWeight, c.MaxWeight = math.Min(c.MinWeight, w), math.Max(c.MaxWeight, w)
		}
	}
	if c.Decisions == 0 {
		nan := math.NaN()
		return Coverage{AvgMembers: nan, AvgUnpriced: nan, CapShare: nan, WeightShare: nan, MinWeight: nan, MaxWeight: nan}
	}
	n := float64(c.Decisions)
	c.AvgMembers, c.AvgUnpriced, c.CapShare, c.WeightShare = members/n, unpriced/n, cs/n, ws/n
	return c
}
