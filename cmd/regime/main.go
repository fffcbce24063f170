// Command regime is the single binary of the Regime engine: it imports
// market data into an embedded store, generates a synthetic market, queries
// what is stored and runs the pipeline end to end (`regime demo`).
//
// Every subcommand that touches the store takes --db PATH (or REGIME_DB),
// every command that prints results takes --json, and every failure exits
// non-zero with a one-line reason on stderr.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/alecthomas/kong"
	"github.com/regime-engine/regime"
	"github.com/regime-engine/regime/sqlite"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// globals are the flags every subcommand shares.
type globals struct {
	DB    string `name:"db" env:"REGIME_DB" default:"regime.db" help:"Path of the embedded SQLite store." type:"path"`
	Quiet bool   `short:"q" help:"No progress bars."`

	ctx    context.Context
	stdout io.Writer
	ui     *progressUI
}

type cli struct {
	globals

	Demo     demoCmd     `cmd:"" help:"Build a store end to end (synthetic market by default, --data DIR for real data) and summarise it."`
	Import   importCmd   `cmd:"" help:"Import a data directory (the research dataset or the documented CSV schema)."`
	Ingest   ingestCmd   `cmd:"" help:"Pull current data from CoinGecko, Binance, alternative.me, FRED, Coin Metrics and DefiLlama; resumes from per-series watermarks."`
	Synth    synthCmd    `cmd:"" help:"Generate a seeded synthetic market with known regimes, as CSV files or into a store."`
	Assets   assetsCmd   `cmd:"" help:"List assets with their kind and source identifiers."`
	Bars     barsCmd     `cmd:"" help:"Print an asset's reconciled daily bars."`
	Universe universeCmd `cmd:"" help:"Print the top-N universe by market cap as known on a date."`
	Series   seriesCmd   `cmd:"" help:"List stored observation series (on-chain, sentiment, macro)."`
	Obs      obsCmd      `cmd:"" help:"Print one observation series."`
	Factors  factorsCmd  `cmd:"" help:"List the factor registry or export factor values for an asset or the market."`
	Stats    statsCmd    `cmd:"" help:"Summarise the store: row counts, coverage and a content hash."`
	Gauge    gaugeCmd    `cmd:"" help:"Print the Market Gauge (0-100, five levels, each family's contribution) for a day or its history."`
	Signals  signalsCmd  `cmd:"" help:"Print per-token bullish/bearish signals with conviction and agreeing families."`
	Evaluate evaluateCmd `cmd:"" help:"Score the walk-forward gauge, models and confluence against dated phases and baselines."`
	Date     dateCmd     `cmd:"" help:"Date bull and bear phases of an asset ex post (turning points and phases)."`
	Backtest backtestCmd `cmd:"" help:"Backtest the regime-switching top-100 index against buy-and-hold, BTC and SMA200 benchmarks; sweeps with overfitting statistics."`
	Bench    benchCmd    `cmd:"" help:"Print speed figures with ratios against reference implementations measured in the same run."`
	Serve    serveCmd    `cmd:"" help:"Serve the /v1 HTTP API (OpenAPI at /openapi.json, docs at /docs)."`
	Keys     keysCmd     `cmd:"" help:"Create, list and revoke API keys of the HTTP API."`
	Version  versionCmd  `cmd:"" help:"Print the version."`
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run parses args, runs the chosen command and returns the exit status.
func run(args []string, stdout, stderr io.Writer) (code int) {
	var c cli
	parser, err := kong.New(&c,
		kong.Name("regime"),
		kong.Description("Regime tells crypto bull markets from bear markets, in the open.\n\n"+
			"Start with `regime demo` (offline, synthetic market) or `regime demo --data ../shared/data`."),
		kong.UsageOnError(),
		kong.ConfigureHelp(kong.HelpOptions{Compact: true}),
		kong.Writers(stdout, stderr),
		kong.Exit(func(c int) { panic(exitCode(c)) }),
	)
	if err != nil {
		fmt.Fprintf(stderr, "regime: %v\n", err)
		return 2
	}
	defer func() {
		if r := recover(); r != nil {
			if ec, ok := r.(exitCode); ok {
				code = int(ec)
				return
			}
			fmt.Fprintf(stderr, "regime: internal error: %v\n", r)
			code = 3
		}
	}()
	kctx, err := parser.Parse(args)
	if err != nil {
		fmt.Fprintf(stderr, "regime: %v\n", err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	c.globals.ctx = ctx
	c.globals.stdout = stdout
	c.globals.ui = newProgressUI(c.Quiet)
	err = kctx.Run(&c.globals)
	c.globals.ui.Wait()
	if err != nil {
		fmt.Fprintf(stderr, "regime: %s\n", oneLine(err))
		return 1
	}
	return 0
}

type exitCode int

// oneLine renders err for a user: the *regime.Error message chain, never a
// stack trace.
func oneLine(err error) string {
	if errors.Is(err, context.Canceled) {
		return "interrupted"
	}
	return err.Error()
}

// openStore opens the store at g.DB. When mustExist is set, a missing file
// is an error telling the user how to create one, instead of silently
// creating an empty store.
func (g *globals) openStore(mustExist bool) (*sqlite.Store, error) {
	if mustExist {
		if _, err := os.Stat(g.DB); errors.Is(err, os.ErrNotExist) {
			return nil, regime.Errorf(regime.ENOTFOUND, "no store at %s: create one with `regime demo` or `regime import DIR` (or pass --db)", g.DB)
		}
	}
	return sqlite.Open(g.ctx, g.DB)
}

type versionCmd struct{}

func (versionCmd) Run(g *globals) error {
	_, err := fmt.Fprintf(g.stdout, "regime %s\n", version)
	return err
}
