package main

import (
	"fmt"
	"time"

	"github.com/regime-engine/regime"
	"github.com/regime-engine/regime/engine"
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
	JSON bool `name:"json" help:"Machine-readable summary."`
}

func (c demoCmd) Help() string {
	return "Runs the pipeline end to end, offline, on the embedded store: builds the store (synthetic\n" +
		"market by default; real data with --data), then summarises it. Re-running is safe: every\n" +
		"write is an idempotent upsert.\n\n" +
		"Example:\n  regime demo\n  regime demo --data ../shared/data --db real.db"
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
	if c.JSON {
		return writeJSON(g.stdout, sum)
	}
	return sum.WriteText(g.stdout)
}
