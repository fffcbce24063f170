package main

import (
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/regime-engine/regime"
	"github.com/regime-engine/regime/backtest"
	"github.com/regime-engine/regime/engine"
	"github.com/regime-engine/regime/index"
)

type backtestCmd struct {
	Strategy string `help:"What drives the index: gauge (the Market Gauge, computed walk-forward), sma200 (BTC close vs its 200-day mean: bullish above, bearish below) or buyhold." default:"gauge" enum:"gauge,sma200,buyhold"`
	dateFlags
	Split string `help:"Report the in-sample (before DATE) and out-of-sample (from DATE) windows of the run separately; 'none' to disable." default:"2021-01-01" placeholder:"DATE"`

	Exposure  string  `help:"Risky exposure per level, strong bearish first (five numbers)." placeholder:"0,0.25,0.5,1,1"`
	N         int     `name:"n" help:"Index constituents (default 100)."`
	Scheme    string  `help:"Weighting scheme: cap, sqrt_cap or equal (default cap)."`
	Rebalance int     `help:"Scheduled rebalance period in days (default 7)."`
	Fee       string  `help:"Fee as a fraction of traded value (default 0.001)." placeholder:"RATE"`
	Initial   float64 `placeholder:"USD" help:"Starting NAV in USD (default 1000000). Slippage grows with trade size relative to daily volume, so results depend on it."`

	NoStableFill bool `help:"Leave stablecoin days without a daily close unpriced instead of assuming 1.00 USD."`

	Monthly bool   `help:"Also print the monthly return table of the regime index."`
	Trades  string `help:"Write the regime index's transaction log (every trade) to this CSV file." type:"path" placeholder:"FILE"`
	NAV     string `name:"nav" help:"Write the daily NAV of every run (and the regime index's exposure and level) to this CSV file." type:"path" placeholder:"FILE"`

	Sweep     bool   `help:"Also sweep a parameter grid in parallel and report the best trial with its deflated Sharpe ratio and PBO."`
	Exposures string `help:"Sweep: exposure mappings separated by ';'." default:"0,0.25,0.5,1,1;0,0,0.5,1,1;0,0,0,1,1"`
	Ns        string `help:"Sweep: index sizes." default:"10,30,100"`
	Schemes   string `help:"Sweep: weighting schemes." default:"cap,sqrt_cap,equal"`
	Periods   string `help:"Sweep: rebalance periods in days." default:"7,30"`
	Workers   int    `help:"Sweep: parallel workers (0 = all cores)." default:"0"`
	Top       int    `help:"Sweep: trials to print." default:"10"`

	JSON bool `name:"json" help:"Machine-readable output (missing values are null)."`
	CSV  bool `name:"csv" help:"Metrics as CSV: one row per window and run."`
}

func (c backtestCmd) Help() string {
	return "Runs the regime-switching top-100 index and, on the same market and rules, its benchmarks:\n" +
		"buy_and_hold (the same index always invested), btc_hold, and sma200 (the same index switched by\n" +
		"BTC close > SMA200, 100%/0%). Decisions use the close of day t and execute at the close of t+1.\n" +
		"The in-sample and out-of-sample windows are parts of one continuous run. Same inputs, same\n" +
		"output, byte for byte. Rules: docs/rulebook.md.\n\n" +
		"Example:\n  regime backtest --db real.db --from 2018-01-01 --to 2024-12-31\n" +
		"  regime backtest --strategy buyhold --json\n" +
		"  regime backtest --trades trades.csv --nav nav.csv --monthly\n" +
		"  regime backtest --sweep --ns 10,30,100 --periods 7,30"
}

func (c backtestCmd) options() (engine.BacktestOptions, error) {
	var opt engine.BacktestOptions
	r, err := c.rng()
	if err != nil {
		return opt, err
	}
	opt.Strategy, opt.From, opt.To, opt.NoStableFill = c.Strategy, r.From, r.To, c.NoStableFill
	opt.GaugeLevels = engine.GaugeLevels(engine.DefaultGaugeOptions())
	if c.Split != "" && c.Split != "none" {
		if opt.Split, err = regime.ParseDate(c.Split); err != nil {
			return opt, fmt.Errorf("--split: %w", err)
		}
	}
	cfg := backtest.DefaultConfig()
	if c.Exposure != "" {
		if cfg.Exposure, err = index.ParseExposure(c.Exposure); err != nil {
			return opt, fmt.Errorf("--exposure: %w", err)
		}
	}
	if c.N != 0 {
		cfg.Universe.N = c.N
	}
	if c.Scheme != "" {
		cfg.Weights.Scheme = index.Scheme(c.Scheme)
	}
	if c.Rebalance != 0 {
		cfg.RebalanceDays = c.Rebalance
	}
	if c.Fee != "" {
		if cfg.FeeRate, err = strconv.ParseFloat(c.Fee, 64); err != nil {
			return opt, regime.Errorf(regime.EINVALID, "--fee: %q is not a number", c.Fee)
		}
	}
	if c.Initial != 0 {
		cfg.InitialNAV = c.Initial
	}
	if err := cfg.Validate(); err != nil {
		return opt, err
	}
	opt.Config = &cfg
	return opt, nil
}

func (c backtestCmd) grid() ([]backtest.Params, error) {
	var exps []index.Exposure
	for _, s := range strings.Split(c.Exposures, ";") {
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		e, err := index.ParseExposure(s)
		if err != nil {
			return nil, fmt.Errorf("--exposures: %w", err)
		}
		exps = append(exps, e)
	}
	ns, err := intList("--ns", c.Ns)
	if err != nil {
		return nil, err
	}
	periods, err := intList("--periods", c.Periods)
	if err != nil {
		return nil, err
	}
	var schemes []index.Scheme
	for _, s := range strings.Split(c.Schemes, ",") {
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		if !index.Scheme(s).Valid() {
			return nil, regime.Errorf(regime.EINVALID, "--schemes: unknown scheme %q: want cap, sqrt_cap or equal", s)
		}
		schemes = append(schemes, index.Scheme(s))
	}
	return backtest.Grid(exps, ns, schemes, periods), nil
}

func intList(flag, s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		v, err := strconv.Atoi(f)
		if err != nil || v <= 0 {
			return nil, regime.Errorf(regime.EINVALID, "%s: %q is not a positive whole number", flag, f)
		}
		out = append(out, v)
	}
	return out, nil
}

func (c backtestCmd) Run(g *globals) error {
	if c.JSON && c.CSV {
		return regime.Errorf(regime.EINVALID, "give at most one of --json and --csv")
	}
	opt, err := c.options()
	if err != nil {
		return err
	}
	var grid []backtest.Params
	if c.Sweep {
		if grid, err = c.grid(); err != nil {
			return err
		}
	}
	st, err := g.openStore(true)
	if err != nil {
		return err
	}
	defer st.Close()
	opt.Progress = g.ui.Func()
	in, err := engine.PrepareBacktest(g.ctx, st, opt)
	if err != nil {
		g.ui.Wait()
		return err
	}
	rep, err := in.Compare(g.ctx, opt.Progress)
	if err != nil {
		g.ui.Wait()
		return err
	}
	var sw *backtest.SweepResult
	if c.Sweep {
		sw, err = in.Sweep(g.ctx, grid, c.Workers, opt.Progress)
		if err != nil {
			g.ui.Wait()
			return err
		}
	}
	g.ui.Wait()
	if c.Trades != "" {
		if err := writeFile(c.Trades, func(w io.Writer) error { return engine.WriteTrades(w, rep.Comparison.Results[0].Trades()) }); err != nil {
			return err
		}
	}
	if c.NAV != "" {
		if err := writeFile(c.NAV, func(w io.Writer) error { return engine.WriteNAV(w, rep.Comparison) }); err != nil {
			return err
		}
	}
	switch {
	case c.JSON:
		return writeJSON(g.stdout, backtestJSON(rep, sw))
	case c.CSV:
		return writeBacktestCSV(g.stdout, rep)
	}
	return c.writeText(g.stdout, rep, sw)
}

// writeFile creates path and writes it with fn.
func writeFile(path string, fn func(io.Writer) error) error {
	f, err := os.Create(path)
	if err != nil {
		return regime.Errorf(regime.EINVALID, "cannot write %s: %v", path, err)
	}
	if err := fn(f); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

func (c backtestCmd) writeText(w io.Writer, rep *engine.BacktestReport, sw *backtest.SweepResult) error {
	in := rep.Input
	cmp := rep.Comparison
	fmt.Fprintf(w, "regime index backtest: strategy %s, %s..%s, reference %s\n", in.Strategy, in.From, in.To, in.Config.BTC)
	cfg := in.Config
	fmt.Fprintf(w, "rules: top %d, %s weights, exposure %s, rebalance every %d days, fee %g, initial NAV %.0f USD\n",
		cfg.Universe.N, cfg.Weights.Scheme, cfg.Exposure, cfg.RebalanceDays, cfg.FeeRate, cfg.InitialNAV)
	u := in.Universe
	fmt.Fprintf(w, "universe: %d days from %d stored %s snapshots, %d days ranked by daily market caps; %d assets with daily prices (%d monthly-snapshot or estimated closes not used as prices)\n",
		u.SnapshotDays, u.StoredCount, orDash(u.StoredSource), u.DailyCapDays, u.PricedAssets, u.ExcludedClose)
	if len(in.Stable) == 0 {
		fmt.Fprintln(w, "stablecoin basket: none in the store; the defensive sleeve is US dollar cash")
	}
	for _, s := range in.Stable {
		fmt.Fprintf(w, "stablecoin basket: %s (for %s): %d days priced", s.Asset, s.Requested, s.PricedDays)
		if s.FilledDays > 0 {
			fmt.Fprintf(w, ", %d days WITHOUT a daily close assumed at 1.00 USD (%s..%s)", s.FilledDays, s.FirstFilled, s.LastFilled)
		}
		fmt.Fprintln(w)
	}
	if c.Split != "" && c.Split != "none" && in.Split == regime.NoDate {
		fmt.Fprintf(w, "split %s is outside %s..%s: only the whole run is reported\n", c.Split, in.From, in.To)
	}
	for _, win := range rep.Windows {
		fmt.Fprintf(w, "\n== %s: %s..%s ==\n", strings.ReplaceAll(win.Name, "_", "-"), win.From, win.To)
		fmt.Fprint(w, backtest.MetricsTable(cmp.Names, win.Metrics))
		from, to := windowCoverage(in, win)
		if cv := engine.RunCoverage(cmp.Results[1], from, to); cv.Decisions > 0 {
			fmt.Fprintf(w, "index coverage (%s, %d decisions): %.1f constituents on average; %.1f of the top-%d investable coins skipped per decision for lack of a daily close, %.1f%% of their market cap, %.1f%% of index weight (%.1f%%..%.1f%%)\n",
				cmp.Names[1], cv.Decisions, cv.AvgMembers, cv.AvgUnpriced, cfg.Universe.N, 100*cv.CapShare, 100*cv.WeightShare, 100*cv.MinWeight, 100*cv.MaxWeight)
		}
	}
	fmt.Fprintf(w, "\nperformance by regime (%s)\n%s", cmp.Names[0], backtest.RegimeTable(cmp.Results[0].Metrics))
	if c.Monthly {
		fmt.Fprintf(w, "\nmonthly returns (%s)\n%s", cmp.Names[0], backtest.MonthlyTable(cmp.Results[0].Monthly))
	}
	if sw != nil {
		fmt.Fprintf(w, "\nparameter sweep (%s signal)\n%s", in.Strategy, sw.Table(c.Top))
	}
	return nil
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// metricsOut is backtest.Metrics for JSON and CSV, NaN as null.
type metricsOut struct {
	Start              regime.Date `json:"start"`
	End                regime.Date `json:"end"`
	Days               int         `json:"days"`
	TotalReturn        num         `json:"total_return"`
	CAGR               num         `json:"cagr"`
	Volatility         num         `json:"volatility"`
	Sharpe             num         `json:"sharpe"`
	Sortino            num         `json:"sortino"`
	MaxDrawdown        num         `json:"max_drawdown"`
	DrawdownPeak       regime.Date `json:"drawdown_peak"`
	DrawdownTrough     regime.Date `json:"drawdown_trough"`
	DrawdownRecovery   *string     `json:"drawdown_recovery"`
	Calmar             num         `json:"calmar"`
	Turnover           num         `json:"turnover"`
	Fees               num         `json:"fees_usd"`
	Slippage           num         `json:"slippage_usd"`
	Trades             int         `json:"trades"`
	TimeInMarket       num         `json:"time_in_market"`
	AvgExposure        num         `json:"avg_exposure"`
	MissingPriceShare  num         `json:"unpriced_cap_share"`
	MissingWeightShare num         `json:"unpriced_weight_share"`
}

func metricsJSON(m backtest.Metrics) metricsOut {
	o := metricsOut{Start: m.Start, End: m.End, Days: m.Days, TotalReturn: num(m.TotalReturn), CAGR: num(m.CAGR),
		Volatility: num(m.Volatility), Sharpe: num(m.Sharpe), Sortino: num(m.Sortino), MaxDrawdown: num(m.MaxDrawdown),
		DrawdownPeak: m.DrawdownPeak, DrawdownTrough: m.DrawdownTrough, Calmar: num(m.Calmar), Turnover: num(m.Turnover),
		Fees: num(m.Fees), Slippage: num(m.Slippage), Trades: m.Trades, TimeInMarket: num(m.TimeInMarket),
		AvgExposure: num(m.AvgExposure), MissingPriceShare: num(m.MissingPriceShare), MissingWeightShare: num(m.MissingWeightShare)}
	if m.DrawdownRecovery != regime.NoDate {
		s := m.DrawdownRecovery.String()
		o.DrawdownRecovery = &s
	}
	return o
}

type regimeOut struct {
	Level       index.Level `json:"level"`
	Days        int         `json:"days"`
	Return      num         `json:"return"`
	AnnReturn   num         `json:"ann_mean_return"`
	AvgExposure num         `json:"avg_exposure"`
}

type monthOut struct {
	Month  string `json:"month"`
	Return num    `json:"return"`
}

type runOut struct {
	Name     string      `json:"name"`
	Metrics  metricsOut  `json:"metrics"`
	ByRegime []regimeOut `json:"by_regime"`
	Monthly  []monthOut  `json:"monthly"`
}

type windowOut struct {
	Name     string                 `json:"name"`
	From     regime.Date            `json:"from"`
	To       regime.Date            `json:"to"`
	Runs     map[string]metricsOut  `json:"runs"`
	Coverage map[string]coverageOut `json:"coverage"`
}

// coverageOut is engine.Coverage with NaN as null.
type coverageOut struct {
	Decisions   int `json:"decisions"`
	AvgMembers  num `json:"avg_members"`
	AvgUnpriced num `json:"avg_unpriced"`
	CapShare    num `json:"unpriced_cap_share"`
	WeightShare num `json:"unpriced_weight_share"`
	MinWeight   num `json:"min_unpriced_weight_share"`
	MaxWeight   num `json:"max_unpriced_weight_share"`
}

// windowCoverage returns the decision range of a window: the
// out-of-sample window's decisions start on the split day.
func windowCoverage(in *engine.BacktestInput, w engine.Window) (from, to regime.Date) {
	if w.Name == "out_of_sample" {
		return in.Split, regime.NoDate
	}
	return w.From, w.To
}

type trialOut struct {
	Params  string     `json:"params"`
	Metrics metricsOut `json:"metrics"`
}

type sweepOut struct {
	Trials         []trialOut `json:"trials"`
	Best           int        `json:"best"`
	DeflatedSharpe num        `json:"deflated_sharpe"`
	PBO            num        `json:"pbo"`
	PBOBlocks      int        `json:"pbo_blocks"`
}

type backtestOut struct {
	Strategy string               `json:"strategy"`
	From     regime.Date          `json:"from"`
	To       regime.Date          `json:"to"`
	Split    *regime.Date         `json:"split"`
	BTC      string               `json:"reference_asset"`
	Rules    map[string]any       `json:"rules"`
	Universe engine.UniverseStats `json:"universe"`
	Stable   []engine.StableFill  `json:"stablecoins"`
	Runs     []runOut             `json:"runs"`
	Windows  []windowOut          `json:"windows"`
	Sweep    *sweepOut            `json:"sweep,omitempty"`
}

func backtestJSON(rep *engine.BacktestReport, sw *backtest.SweepResult) backtestOut {
	in := rep.Input
	cfg := in.Config
	o := backtestOut{Strategy: in.Strategy, From: in.From, To: in.To, BTC: cfg.BTC, Universe: in.Universe, Stable: in.Stable,
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
		ro := runOut{Name: rep.Comparison.Names[i], Metrics: metricsJSON(r.Metrics), ByRegime: []regimeOut{}, Monthly: []monthOut{}}
		for _, s := range r.Metrics.ByRegime {
			ro.ByRegime = append(ro.ByRegime, regimeOut{s.Level, s.Days, num(s.Return), num(s.AnnReturn), num(s.AvgExposure)})
		}
		for _, m := range r.Monthly {
			ro.Monthly = append(ro.Monthly, monthOut{fmt.Sprintf("%04d-%02d", m.Year, m.Month), num(m.Return)})
		}
		o.Runs = append(o.Runs, ro)
	}
	for _, w := range rep.Windows {
		wo := windowOut{Name: w.Name, From: w.From, To: w.To, Runs: map[string]metricsOut{}, Coverage: map[string]coverageOut{}}
		from, to := windowCoverage(in, w)
		for i, m := range w.Metrics {
			name := rep.Comparison.Names[i]
			wo.Runs[name] = metricsJSON(m)
			cv := engine.RunCoverage(rep.Comparison.Results[i], from, to)
			wo.Coverage[name] = coverageOut{cv.Decisions, num(cv.AvgMembers), num(cv.AvgUnpriced), num(cv.CapShare),
				num(cv.WeightShare), num(cv.MinWeight), num(cv.MaxWeight)}
		}
		o.Windows = append(o.Windows, wo)
	}
	if sw != nil {
		so := &sweepOut{Best: sw.Best, DeflatedSharpe: num(sw.DeflatedSharpe), PBO: num(sw.PBO), PBOBlocks: sw.PBOBlocks}
		for _, t := range sw.Trials {
			so.Trials = append(so.Trials, trialOut{Params: t.Params.String(), Metrics: metricsJSON(t.Metrics)})
		}
		o.Sweep = so
	}
	return o
}

// writeBacktestCSV writes one row per window and run.
func writeBacktestCSV(w io.Writer, rep *engine.BacktestReport) error {
	cw := csv.NewWriter(w)
	head := []string{"window", "run", "start", "end", "days", "total_return", "cagr", "volatility", "sharpe", "sortino",
		"max_drawdown", "drawdown_peak", "drawdown_trough", "drawdown_recovery", "calmar", "turnover", "fees_usd",
		"slippage_usd", "trades", "time_in_market", "avg_exposure", "unpriced_cap_share", "unpriced_weight_share"}
	if err := cw.Write(head); err != nil {
		return err
	}
	for _, win := range rep.Windows {
		for i, m := range win.Metrics {
			rec := ""
			if m.DrawdownRecovery != regime.NoDate {
				rec = m.DrawdownRecovery.String()
			}
			row := []string{win.Name, rep.Comparison.Names[i], m.Start.String(), m.End.String(), strconv.Itoa(m.Days),
				num(m.TotalReturn).String(), num(m.CAGR).String(), num(m.Volatility).String(), num(m.Sharpe).String(),
				num(m.Sortino).String(), num(m.MaxDrawdown).String(), m.DrawdownPeak.String(), m.DrawdownTrough.String(), rec,
				num(m.Calmar).String(), num(m.Turnover).String(), num(m.Fees).String(), num(m.Slippage).String(),
				strconv.Itoa(m.Trades), num(m.TimeInMarket).String(), num(m.AvgExposure).String(),
				num(m.MissingPriceShare).String(), num(m.MissingWeightShare).String()}
			if err := cw.Write(row); err != nil {
				return err
			}
		}
	}
	cw.Flush()
	return cw.Error()
}
