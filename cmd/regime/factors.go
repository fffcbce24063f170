package main

import (
	"encoding/csv"
	"fmt"
	"math"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/regime-engine/regime"
	"github.com/regime-engine/regime/engine"
	"github.com/regime-engine/regime/feature"
)

type factorsCmd struct {
	Asset  string `arg:"" optional:"" help:"Asset id or symbol whose token factors to export."`
	List   bool   `help:"Print the factor registry (name, family, warm-up, inputs, formula)."`
	Market bool   `help:"Export the market-level factors (sentiment, macro, structure, breadth) instead of one token's."`
	dateFlags
	Format string `help:"Output format: csv or json." enum:"csv,json" default:"csv"`
	JSON   bool   `name:"json" help:"Same as --format json."`
}

func (c factorsCmd) Help() string {
	return "Factors are computed on the whole stored history (so warm-up windows are full) and then cut\n" +
		"to --from/--to. A value at a date uses only data known at that date. Missing inputs give an\n" +
		"empty cell (null in JSON) and the reason is listed.\n\n" +
		"Example:\n  regime factors --list\n  regime factors BTC --from 2024-01-01 --to 2024-12-31 > btc-factors.csv\n  regime factors --market --from 2022-01-01 --format json"
}

func (c factorsCmd) Run(g *globals) error {
	if c.JSON {
		c.Format = "json"
	}
	if c.List {
		return c.list(g)
	}
	if c.Market == (c.Asset != "") {
		return regime.Errorf(regime.EINVALID, "give an ASSET, or --market, or --list")
	}
	r, err := c.rng()
	if err != nil {
		return err
	}
	st, err := g.openStore(true)
	if err != nil {
		return err
	}
	defer st.Close()
	var m *feature.Matrix
	label := "market"
	if c.Market {
		p, err := engine.LoadPanel(g.ctx, st, regime.DateRange{})
		if err != nil {
			return err
		}
		in, err := engine.MarketInputs(g.ctx, st, p)
		if err != nil {
			return err
		}
		if m, err = feature.BuildMarket(in, feature.ByLevel(feature.LevelMarket)); err != nil {
			return err
		}
	} else {
		a, err := st.LookupAsset(g.ctx, c.Asset)
		if err != nil {
			return fmt.Errorf("asset %q: %w", c.Asset, err)
		}
		label = a.ID
		p, err := engine.LoadAssetPanel(g.ctx, st, regime.DateRange{}, a)
		if err != nil {
			return err
		}
		s, err := engine.TokenSeries(g.ctx, st, p, 0)
		if err != nil {
			return err
		}
		if m, err = feature.Build(s, feature.ByLevel(feature.LevelToken)); err != nil {
			return err
		}
	}
	return writeMatrix(g, label, m, r, c.Format)
}

func (c factorsCmd) list(g *globals) error {
	reg := feature.Registry()
	if c.Format == "json" {
		type row struct {
			Name    string   `json:"name"`
			Family  string   `json:"family"`
			Level   string   `json:"level"`
			Warmup  int      `json:"warmup_days"`
			Inputs  []string `json:"inputs"`
			Formula string   `json:"formula"`
		}
		out := make([]row, len(reg))
		for i, f := range reg {
			out[i] = row{f.Name, f.Family, f.Level.String(), f.Warmup, f.Inputs, f.Formula}
		}
		return writeJSON(g.stdout, out)
	}
	tw := tabwriter.NewWriter(g.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tFAMILY\tLEVEL\tWARM-UP\tINPUTS")
	for _, f := range reg {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\n", f.Name, f.Family, f.Level, f.Warmup, strings.Join(f.Inputs, ","))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(g.stdout, "%d factors (%d token-level, %d market-level); formulas: regime factors --list --json or docs/factors.md\n",
		len(reg), len(feature.ByLevel(feature.LevelToken)), len(feature.ByLevel(feature.LevelMarket)))
	return err
}

// writeMatrix prints the rows of m inside r as CSV (date, then one column
// per factor) or JSON (with the reason of every entirely missing factor).
func writeMatrix(g *globals, label string, m *feature.Matrix, r regime.DateRange, format string) error {
	var rows []int
	for i, d := range m.Dates {
		if r.Contains(d) {
			rows = append(rows, i)
		}
	}
	cell := func(j, i int) float64 { return float64(m.Col(j)[i]) }
	if format == "json" {
		type out struct {
			Subject string            `json:"subject"`
			Factors []string          `json:"factors"`
			Missing map[string]string `json:"missing,omitempty"`
			Rows    []map[string]any  `json:"rows"`
		}
		o := out{Subject: label, Factors: m.Names, Missing: map[string]string{}, Rows: []map[string]any{}}
		for j, why := range m.Missing {
			if why != "" {
				o.Missing[m.Names[j]] = why
			}
		}
		for _, i := range rows {
			row := map[string]any{"date": m.Dates[i]}
			for j, name := range m.Names {
				row[name] = num(cell(j, i))
			}
			o.Rows = append(o.Rows, row)
		}
		return writeJSON(g.stdout, o)
	}
	w := csv.NewWriter(g.stdout)
	w.Write(append([]string{"date"}, m.Names...))
	rec := make([]string, len(m.Names)+1)
	for _, i := range rows {
		rec[0] = m.Dates[i].String()
		for j := range m.Names {
			v := cell(j, i)
			if math.IsNaN(v) {
				rec[j+1] = ""
			} else {
				rec[j+1] = strconv.FormatFloat(v, 'g', 7, 32)
			}
		}
		w.Write(rec)
	}
	w.Flush()
	return w.Error()
}
