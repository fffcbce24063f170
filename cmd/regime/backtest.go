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
	"github.com/regime-engine/regime/report"
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

	JSON    bool `name:"json" help:"Machine-readable output (missing values are null)."`
	NAVJSON bool `name:"nav-json" help:"Print the --json report with a \"nav\" field: the daily NAV of every run and the regime index's exposure (implies --json)."`
	CSV     bool `name:"csv" help:"Metrics as CSV: one row per window and run."`
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
	c.JSON = c.JSON || c.NAVJSON
	if c.JSON && c.CSV {
		return regime.Errorf(regime.EINVALID, "give at most one of --json (or --nav-json) and --csv")
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
		out := backtestJSON(rep, sw)
		if c.NAVJSON {
			out = out.WithNAV(rep)
		}
		return writeJSON(g.stdout, out)
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

// backtestJSON is the --json report; the API's backtest jobs return the
// same value (report.NewBacktest).
func backtestJSON(rep *engine.BacktestReport, sw *backtest.SweepResult) report.Backtest {
	return report.NewBacktest(rep, sw)
}

// windowCoverage returns the decision range of a window (report.WindowCoverage).
func windowCoverage(in *engine.BacktestInput, w engine.Window) (from, to regime.Date) {
	return report.WindowCoverage(in, w)
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
