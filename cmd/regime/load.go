package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"net"
	"os"
	"strings"
	"time"

	"github.com/regime-engine/regime"
	"github.com/regime-engine/regime/backtest"
	"github.com/regime-engine/regime/engine"
	"github.com/regime-engine/regime/sqlite"
	"github.com/regime-engine/regime/synth"
)

type importCmd struct {
	Dir    string `arg:"" help:"Data directory: the research dataset (e.g. ../shared/data) or a CSV-schema directory (docs/csv-schema.md)." type:"existingdir"`
	Source string `help:"Source label for CSV-schema data (default csv)."`
	dateFlags
	JSON bool `name:"json" help:"Print the data-quality report as JSON."`
}

func (c importCmd) Help() string {
	return "Each file is imported in one transaction: a corrupt file is reported with its name and line\n" +
		"and leaves the store as it was. Importing the same data twice changes nothing.\n\n" +
		"Example:\n  regime import ../shared/data --db regime.db\n  regime import ./my-data --source mydesk --json"
}

func (c importCmd) Run(g *globals) error {
	r, err := c.rng()
	if err != nil {
		return err
	}
	st, err := g.openStore(false)
	if err != nil {
		return err
	}
	defer st.Close()
	rep, err := engine.Import(g.ctx, st, c.Dir, engine.ImportOptions{Source: c.Source, Range: r, Progress: g.ui.Func()})
	g.ui.Wait()
	if err != nil {
		return err
	}
	if c.JSON {
		return writeJSON(g.stdout, rep)
	}
	return rep.WriteText(g.stdout)
}

// synthFlags are the shape of a synthetic market.
type synthFlags struct {
	Seed   int64  `help:"Random seed: the same seed gives the same market byte for byte." default:"1"`
	Tokens int    `help:"Risky tokens." default:"300"`
	Days   int    `help:"Days of history." default:"3650"`
	Start  string `help:"First day (YYYY-MM-DD)." default:"2015-01-01"`
}

func (f synthFlags) config(progress regime.ProgressFunc) (synth.Config, error) {
	start, err := regime.ParseDate(f.Start)
	if err != nil {
		return synth.Config{}, fmt.Errorf("--start: %w", err)
	}
	cfg := synth.Config{Seed: f.Seed, Tokens: f.Tokens, Days: f.Days, Start: start, Progress: progress}
	return cfg, cfg.Validate()
}

type synthCmd struct {
	synthFlags
	Out   string `help:"Write the market as a CSV-schema directory here (readable by regime import)." type:"path"`
	Store bool   `help:"Load the market straight into the store at --db."`
	JSON  bool   `name:"json" help:"Machine-readable summary."`
}

func (c synthCmd) Help() string {
	return "The market follows a hidden bull/neutral/bear Markov chain; the true path is written as\n" +
		"truth.csv (or the series truth:regime) so detection can be scored. Synthetic results are\n" +
		"never market results.\n\n" +
		"Example:\n  regime synth --seed 7 --out ./synthetic\n  regime synth --seed 7 --tokens 5000 --days 3650 --store --db synth.db"
}

func (c synthCmd) Run(g *globals) error {
	if (c.Out == "") == !c.Store {
		return regime.Errorf(regime.EINVALID, "give exactly one of --out DIR or --store (with --db PATH)")
	}
	cfg, err := c.config(g.ui.Func())
	if err != nil {
		return err
	}
	t0 := time.Now()
	where := c.Out
	if c.Out != "" {
		err = engine.SynthToDir(c.Out, cfg)
	} else {
		where = g.DB
		st, oerr := g.openStore(false)
		if oerr != nil {
			return oerr
		}
		defer st.Close()
		err = engine.SynthToStore(g.ctx, st, cfg)
	}
	g.ui.Wait()
	if err != nil {
		return err
	}
	cfg = cfg.WithDefaults()
	if c.JSON {
		return writeJSON(g.stdout, map[string]any{"seed": cfg.Seed, "tokens": cfg.Tokens, "days": cfg.Days, "start": cfg.Start, "written_to": where})
	}
	_, err = fmt.Fprintf(g.stdout, "synthetic market (seed %d): %d tokens + %d stablecoins x %d days from %s written to %s in %.1fs\n",
		cfg.Seed, cfg.Tokens, max(cfg.Stablecoins, 0), cfg.Days, cfg.Start, where, time.Since(t0).Seconds())
	return err
}

type demoCmd struct {
	Data string `help:"Build from a data directory (e.g. ../shared/data) instead of the synthetic market." type:"existingdir"`
	synthFlags
	StoreOnly bool   `help:"Stop after building the store (no gauge, no index backtest)."`
	Split     string `help:"Report the index backtest's in-sample (before DATE) and out-of-sample (from DATE) windows separately." default:"2021-01-01" placeholder:"DATE"`
	JSON      bool   `name:"json" help:"Machine-readable summary."`
	Serve     bool   `help:"After the pipeline, serve the dashboard and the API on the store (like regime serve) with an admin key named demo-dashboard, print the dashboard's URL and run until Ctrl-C."`
	Addr      string `default:"127.0.0.1:8080" help:"Listen address of --serve." placeholder:"HOST:PORT"`
}

// demoKeyName names the admin key of `regime demo --serve`.
const demoKeyName = "demo-dashboard"

func (c demoCmd) Help() string {
	return "Runs the pipeline end to end, offline, on the embedded store: builds the store (synthetic\n" +
		"market by default; real data with --data), summarises it, computes the Market Gauge\n" +
		"walk-forward and runs the regime-switching index against its benchmarks. Re-running is safe:\n" +
		"every write is an idempotent upsert.\n\n" +
		"--serve then serves the dashboard and the /v1 API on the store (the code of `regime serve`)\n" +
		"with an admin key named demo-dashboard, whose token is kept in <db>.dashboard-key (mode 0600)\n" +
		"and reused by the next --serve; it prints dashboard: http://ADDR/#key=TOKEN and runs until Ctrl-C.\n\n" +
		"Example:\n  regime demo\n  regime demo --data ../shared/data --db real.db\n  regime demo --serve --addr 127.0.0.1:8080"
}

func (c demoCmd) Run(g *globals) error {
	st, err := g.openStore(false)
	if err != nil {
		return err
	}
	defer st.Close()
	if c.Data != "" {
		rep, err := engine.Import(g.ctx, st, c.Data, engine.ImportOptions{Progress: g.ui.Func()})
		g.ui.Wait()
		if err != nil {
			return err
		}
		if !c.JSON {
			if err := rep.WriteText(g.stdout); err != nil {
				return err
			}
			fmt.Fprintln(g.stdout)
		}
	} else {
		cfg, err := c.config(g.ui.Func())
		if err != nil {
			return err
		}
		err = engine.SynthToStore(g.ctx, st, cfg)
		g.ui.Wait()
		if err != nil {
			return err
		}
		if !c.JSON {
			fmt.Fprintf(g.stdout, "SYNTHETIC market (seed %d) loaded into %s: demo data with known regimes, not market results.\n\n", c.Seed, g.DB)
		}
	}
	sum, err := engine.Summarize(g.ctx, st)
	if err != nil {
		return err
	}
	if c.Serve && c.StoreOnly {
		return regime.Errorf(regime.EINVALID, "--serve needs the pipeline: drop --store-only")
	}
	if c.StoreOnly {
		if c.JSON {
			return writeJSON(g.stdout, sum)
		}
		return sum.WriteText(g.stdout)
	}
	if !c.JSON {
		if err := sum.WriteText(g.stdout); err != nil {
			return err
		}
	}
	if err := c.pipeline(g, st, sum); err != nil || !c.Serve {
		return err
	}
	return c.serveDashboard(g, st)
}

// serveDashboard serves the dashboard and the API on st with the code of
// `regime serve` (its flag defaults, --addr from the demo), with the
// demo-dashboard admin key; it prints the dashboard's URL with the key in
// the fragment once it listens and returns when g.ctx is cancelled.
func (c demoCmd) serveDashboard(g *globals, st *sqlite.Store) error {
	token, err := demoKey(g.ctx, st, g.DB+".dashboard-key")
	if err != nil {
		return err
	}
	sc, err := defaultServeCmd()
	if err != nil {
		return err
	}
	sc.Addr, sc.LogLevel, sc.NoAccessLog = c.Addr, "warn", true
	return sc.serve(g, st, func(addr net.Addr) {
		fmt.Fprintf(g.stdout, "\ndashboard: http://%s/#key=%s\n(serving the API and the dashboard on %s; Ctrl-C stops)\n", addr, token, g.DB)
	})
}

// demoKey returns the token of the store's live demo-dashboard admin key,
// kept in the file at path. When the file is missing or its token no
// longer opens a live demo-dashboard key, it revokes the store's other
// demo-dashboard keys (their tokens are lost), creates a new one and
// writes its token to path (mode 0600).
func demoKey(ctx context.Context, st *sqlite.Store, path string) (string, error) {
	if b, err := os.ReadFile(path); err == nil {
		tok := strings.TrimSpace(string(b))
		if k, err := st.KeyByHash(ctx, regime.HashAPIKey(tok)); err == nil && k.Name == demoKeyName && !k.Revoked() && k.Allows(regime.ScopeAdmin) {
			return tok, nil
		}
	}
	keys, err := st.ListKeys(ctx)
	if err != nil {
		return "", err
	}
	now := time.Now()
	for _, k := range keys {
		if k.Name == demoKeyName && !k.Revoked() {
			if err := st.RevokeKey(ctx, k.ID, now); err != nil {
				return "", err
			}
		}
	}
	k, tok, err := regime.NewAPIKey(rand.Reader, demoKeyName, []regime.Scope{regime.ScopeAdmin}, now)
	if err != nil {
		return "", err
	}
	if err := st.CreateKey(ctx, k); err != nil {
		return "", err
	}
	if err := os.WriteFile(path, []byte(tok+"\n"), 0o600); err != nil {
		return "", regime.Errorf(regime.EINVALID, "cannot keep the dashboard key in %s: %v", path, err)
	}
	return tok, nil
}

// pipeline runs the stages after the store: the Market Gauge walk-forward
// and the index backtest driven by it, with its benchmarks.
func (c demoCmd) pipeline(g *globals, st regime.Store, sum *engine.Summary) error {
	p, err := engine.LoadPanel(g.ctx, st, regime.DateRange{})
	if err != nil {
		return err
	}
	gopt := engine.DefaultGaugeOptions()
	run, err := engine.RunGauge(g.ctx, st, p, gopt)
	if err != nil {
		return fmt.Errorf("gauge: %w", err)
	}
	last := len(p.Dates) - 1
	day := gaugeDayOf(p, run, gopt, last)
	opt := engine.BacktestOptions{Strategy: engine.StrategyGauge, Signal: run.IndexLevels(), SignalStart: p.Dates[0], Progress: g.ui.Func()}
	if opt.Split, err = regime.ParseDate(c.Split); err != nil {
		return fmt.Errorf("--split: %w", err)
	}
	rep, err := engine.Backtest(g.ctx, st, opt)
	g.ui.Wait()
	if err != nil {
		return fmt.Errorf("index backtest: %w", err)
	}
	if c.JSON {
		return writeJSON(g.stdout, map[string]any{"store": sum, "gauge": day, "backtest": backtestJSON(rep, nil)})
	}
	fmt.Fprintln(g.stdout)
	if err := writeGaugeDay(g.stdout, day, run, gopt, last); err != nil {
		return err
	}
	in := rep.Input
	fmt.Fprintf(g.stdout, "\nregime index (top %d, driven by the gauge) against its benchmarks, %s..%s\n", in.Config.Universe.N, in.From, in.To)
	for _, win := range rep.Windows {
		fmt.Fprintf(g.stdout, "\n== %s: %s..%s ==\n", strings.ReplaceAll(win.Name, "_", "-"), win.From, win.To)
		fmt.Fprint(g.stdout, backtest.MetricsTable(rep.Comparison.Names, win.Metrics))
	}
	_, err = fmt.Fprintln(g.stdout, "\nnext: regime gauge --csv, regime evaluate, regime backtest --monthly, regime signals (all take --db)")
	return err
}
