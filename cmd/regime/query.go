package main

import (
	"encoding/csv"
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/regime-engine/regime"
	"github.com/regime-engine/regime/engine"
)

// dateFlags are the --from/--to flags of every command that lists by date.
type dateFlags struct {
	From string `help:"First day (YYYY-MM-DD), inclusive." placeholder:"DATE"`
	To   string `help:"Last day (YYYY-MM-DD), inclusive." placeholder:"DATE"`
}

func (f dateFlags) rng() (regime.DateRange, error) {
	var r regime.DateRange
	var err error
	if f.From != "" {
		if r.From, err = regime.ParseDate(f.From); err != nil {
			return r, fmt.Errorf("--from: %w", err)
		}
	}
	if f.To != "" {
		if r.To, err = regime.ParseDate(f.To); err != nil {
			return r, fmt.Errorf("--to: %w", err)
		}
	}
	return r, r.Validate()
}

type assetsCmd struct {
	Kind   string `help:"Only this kind: coin, stablecoin, wrapped, staked, pegged, exchange_token."`
	Search string `help:"Case-insensitive substring of id, symbol or name."`
	Limit  int    `help:"At most this many (0 = all)." default:"0"`
	JSON   bool   `name:"json" help:"Machine-readable output."`
}

func (c assetsCmd) Help() string {
	return "Example:\n  regime assets --kind stablecoin\n  regime assets --search luna --json"
}

func (c assetsCmd) Run(g *globals) error {
	if c.Kind != "" && !regime.AssetKind(c.Kind).Valid() {
		return regime.Errorf(regime.EINVALID, "--kind %q: want one of %v", c.Kind, regime.Kinds)
	}
	if c.Limit < 0 {
		return regime.Errorf(regime.EINVALID, "--limit must be >= 0, got %d", c.Limit)
	}
	st, err := g.openStore(true)
	if err != nil {
		return err
	}
	defer st.Close()
	as, err := st.FindAssets(g.ctx, regime.AssetFilter{Kind: regime.AssetKind(c.Kind), Search: c.Search, Limit: c.Limit})
	if err != nil {
		return err
	}
	if c.JSON {
		if as == nil {
			as = []regime.Asset{}
		}
		return writeJSON(g.stdout, as)
	}
	tw := tabwriter.NewWriter(g.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSYMBOL\tNAME\tKIND\tSOURCES")
	for _, a := range as {
		var src []string
		for _, al := range a.Aliases {
			src = append(src, al.Source+":"+al.SourceID)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", a.ID, a.Symbol, a.Name, a.Kind, strings.Join(dedupe(src), " "))
	}
	return tw.Flush()
}

func dedupe(s []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, v := range s {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}

type barsCmd struct {
	Asset string `arg:"" help:"Asset id, symbol or source id (e.g. bitcoin, BTC)."`
	dateFlags
	Source string `help:"Show one source's raw bars instead of the reconciled series."`
	JSON   bool   `name:"json" help:"Machine-readable output."`
	CSV    bool   `name:"csv" help:"CSV output."`
}

func (c barsCmd) Help() string {
	return "Example:\n  regime bars BTC --from 2013-01-01 --to 2024-12-31 --csv > btc.csv\n  regime bars ethereum --source coingecko --json"
}

type barOut struct {
	Date         regime.Date `json:"date"`
	Source       string      `json:"source"`
	Open         num         `json:"open"`
	High         num         `json:"high"`
	Low          num         `json:"low"`
	Close        num         `json:"close"`
	VolumeUSD    num         `json:"volume_usd"`
	MarketCapUSD num         `json:"market_cap_usd"`
	CapEstimated bool        `json:"cap_estimated"`
	Supply       num         `json:"supply"`
	KnownAt      regime.Date `json:"known_at"`
}

func (c barsCmd) Run(g *globals) error {
	r, err := c.rng()
	if err != nil {
		return err
	}
	st, err := g.openStore(true)
	if err != nil {
		return err
	}
	defer st.Close()
	a, err := st.LookupAsset(g.ctx, c.Asset)
	if err != nil {
		return fmt.Errorf("asset %q: %w", c.Asset, err)
	}
	var bars []regime.Bar
	if c.Source != "" {
		bars, err = st.SourceBars(g.ctx, a.ID, c.Source, r)
	} else {
		bars, err = st.Bars(g.ctx, a.ID, r)
	}
	if err != nil {
		return err
	}
	out := make([]barOut, len(bars))
	for i, b := range bars {
		out[i] = barOut{b.Date, b.Source, num(b.Open), num(b.High), num(b.Low), num(b.Close), num(b.VolumeUSD), num(b.MarketCapUSD), b.CapEstimated, num(b.Supply), b.KnownAt}
	}
	switch {
	case c.JSON:
		return writeJSON(g.stdout, map[string]any{"asset": a, "bars": out})
	case c.CSV:
		w := csv.NewWriter(g.stdout)
		w.Write([]string{"date", "source", "open", "high", "low", "close", "volume_usd", "market_cap_usd", "cap_estimated", "supply", "known_at"})
		for _, b := range out {
			w.Write([]string{b.Date.String(), b.Source, b.Open.String(), b.High.String(), b.Low.String(), b.Close.String(),
				b.VolumeUSD.String(), b.MarketCapUSD.String(), strconv.FormatBool(b.CapEstimated), b.Supply.String(), b.KnownAt.String()})
		}
		w.Flush()
		return w.Error()
	}
	tw := tabwriter.NewWriter(g.stdout, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(g.stdout, "%s (%s, %s): %d days\n", a.Symbol, a.Name, a.ID, len(out))
	fmt.Fprintln(tw, "DATE\tCLOSE\tVOLUME USD\tMARKET CAP USD\tSOURCE\t")
	for _, b := range out {
		est := ""
		if b.CapEstimated {
			est = " (est.)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s%s\t%s\t\n", b.Date, b.Close, b.VolumeUSD, b.MarketCapUSD, est, b.Source)
	}
	return tw.Flush()
}

type universeCmd struct {
	Date   string `required:"" help:"The day (YYYY-MM-DD): the latest snapshot taken on or before it is used."`
	Top    int    `help:"How many ranks." default:"100"`
	All    bool   `help:"Include stablecoins, wrapped, staked and pegged tokens (excluded from the index universe by default)."`
	Source string `help:"Snapshot source (default: any, latest wins)."`
	JSON   bool   `name:"json" help:"Machine-readable output."`
}

func (c universeCmd) Help() string {
	return "Example:\n  regime universe --date 2021-06-15 --top 100\n  regime universe --date 2022-01-01 --all --json"
}

type constituentOut struct {
	Rank         int         `json:"rank"`
	SnapshotDate regime.Date `json:"snapshot_date"`
	AssetID      string      `json:"asset_id"`
	Symbol       string      `json:"symbol"` // as known on the snapshot date
	Name         string      `json:"name"`
	Kind         string      `json:"kind"`
	MarketCapUSD num         `json:"market_cap_usd"`
	PriceUSD     num         `json:"price_usd"`
}

func (c universeCmd) Run(g *globals) error {
	d, err := regime.ParseDate(c.Date)
	if err != nil {
		return fmt.Errorf("--date: %w", err)
	}
	if c.Top <= 0 {
		return regime.Errorf(regime.EINVALID, "--top must be > 0, got %d", c.Top)
	}
	st, err := g.openStore(true)
	if err != nil {
		return err
	}
	defer st.Close()
	cs, err := st.Constituents(g.ctx, c.Source, d)
	if err != nil {
		return err
	}
	if len(cs) == 0 {
		return regime.Errorf(regime.ENOTFOUND, "no universe snapshot on or before %s", d)
	}
	var out []constituentOut
	for _, k := range cs {
		if len(out) == c.Top {
			break
		}
		a, err := st.Asset(g.ctx, k.AssetID)
		if err != nil {
			return err
		}
		if !c.All && !a.Kind.Investable() {
			continue
		}
		sym, name := a.NameAt(k.Source, k.Date)
		out = append(out, constituentOut{k.Rank, k.Date, a.ID, sym, name, string(a.Kind), num(k.MarketCapUSD), num(k.PriceUSD)})
	}
	if c.JSON {
		return writeJSON(g.stdout, out)
	}
	fmt.Fprintf(g.stdout, "universe as known on %s (snapshot %s, source %s)\n", d, cs[0].Date, cs[0].Source)
	tw := tabwriter.NewWriter(g.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "#\tRANK\tSYMBOL\tNAME\tKIND\tMARKET CAP USD")
	for i, o := range out {
		fmt.Fprintf(tw, "%d\t%d\t%s\t%s\t%s\t%.0f\n", i+1, o.Rank, o.Symbol, o.Name, o.Kind, float64(o.MarketCapUSD))
	}
	return tw.Flush()
}

type seriesCmd struct {
	JSON bool `name:"json" help:"Machine-readable output."`
}

func (c seriesCmd) Run(g *globals) error {
	st, err := g.openStore(true)
	if err != nil {
		return err
	}
	defer st.Close()
	ss, err := st.Series(g.ctx)
	if err != nil {
		return err
	}
	if c.JSON {
		return writeJSON(g.stdout, ss)
	}
	tw := tabwriter.NewWriter(g.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SERIES\tSOURCE\tVALUES\tFROM\tTO")
	for _, s := range ss {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\n", s.Series, s.Source, s.Count, s.From, s.To)
	}
	return tw.Flush()
}

type obsCmd struct {
	Series string `arg:"" help:"Series name, e.g. feargreed:value, fred:DGS10, onchain:bitcoin:AdrActCnt."`
	dateFlags
	JSON bool `name:"json" help:"Machine-readable output."`
}

func (c obsCmd) Help() string {
	return "Example:\n  regime obs feargreed:value --from 2022-01-01 --to 2022-12-31\n  regime obs fred:DGS10 --json"
}

type obsOut struct {
	Date    regime.Date `json:"date"`
	Value   num         `json:"value"`
	Source  string      `json:"source"`
	KnownAt regime.Date `json:"known_at"`
}

func (c obsCmd) Run(g *globals) error {
	r, err := c.rng()
	if err != nil {
		return err
	}
	st, err := g.openStore(true)
	if err != nil {
		return err
	}
	defer st.Close()
	obs, err := st.Observations(g.ctx, c.Series, r)
	if err != nil {
		return fmt.Errorf("series %q: %w", c.Series, err)
	}
	out := make([]obsOut, len(obs))
	for i, o := range obs {
		out[i] = obsOut{o.Date, num(o.Value), o.Source, o.KnownAt}
	}
	if c.JSON {
		return writeJSON(g.stdout, out)
	}
	tw := tabwriter.NewWriter(g.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "DATE\tVALUE\tKNOWN AT\tSOURCE")
	for _, o := range out {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", o.Date, o.Value, o.KnownAt, o.Source)
	}
	return tw.Flush()
}

type statsCmd struct {
	JSON bool `name:"json" help:"Machine-readable output."`
}

func (c statsCmd) Run(g *globals) error {
	st, err := g.openStore(true)
	if err != nil {
		return err
	}
	defer st.Close()
	s, err := engine.Summarize(g.ctx, st)
	if err != nil {
		return err
	}
	if c.JSON {
		return writeJSON(g.stdout, s)
	}
	return s.WriteText(g.stdout)
}
