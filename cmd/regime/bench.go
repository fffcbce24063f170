package main

import (
	"github.com/regime-engine/regime/bench"
)

// benchCmd prints speed figures next to references measured in the same
// run (see docs/bench.md). A missed target is a MISS row, not a failure.
type benchCmd struct {
	Section string `arg:"" optional:"" enum:"feature,backtest,store,synth,api,all" default:"all" help:"Section to run: feature, backtest, store, synth, api or all."`
	Quick   bool   `help:"Smaller sizes and shorter timings; full-scale figures are projected (marked ~)."`
	JSON    bool   `name:"json" help:"Print the report as JSON."`
	Tokens  int    `help:"Tokens of the full factor build (default 500, quick 100; 5000 is the target scale, about 17 GB)."`
	Days    int    `help:"Days of the full factor build (default 3650)."`
	Trials  int    `help:"Parameter sets of the backtest sweep (default 1000, quick 100)."`
}

func (c *benchCmd) Run(g *globals) error {
	rep, err := bench.Run(g.ctx, bench.Options{
		Sections:    []string{c.Section},
		Quick:       c.Quick,
		Tokens:      c.Tokens,
		Days:        c.Days,
		SweepTrials: c.Trials,
		Progress:    g.ui.Func(),
	})
	if err != nil {
		return err
	}
	if c.JSON {
		return bench.WriteJSON(g.stdout, rep)
	}
	return bench.WriteTable(g.stdout, rep)
}
