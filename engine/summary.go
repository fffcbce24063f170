// Package engine holds the use-cases that wire Regime's stages through a
// store: building a store from a data source, summarising it, and (as the
// pipeline grows) computing factors, the gauge and the index. It is the
// layer the CLI and the HTTP API call; compute packages stay free of I/O.
package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/regime-engine/regime"
)

// Summary describes what a store holds, for `regime demo` and `regime stats`.
type Summary struct {
	Tables       map[string]int64       `json:"tables"`
	Hash         string                 `json:"hash"`
	AssetsByKind map[string]int         `json:"assets_by_kind"`
	Series       int                    `json:"series"`
	Reference    *SeriesSpan            `json:"reference_asset,omitempty"`
	Universe     *UniverseSummary       `json:"universe,omitempty"`
	Latest       map[string]LatestValue `json:"latest_observations,omitempty"`
}

// SeriesSpan is the date coverage of one asset's reconciled closes.
type SeriesSpan struct {
	AssetID   string      `json:"asset_id"`
	Symbol    string      `json:"symbol"`
	From      regime.Date `json:"from"`
	To        regime.Date `json:"to"`
	Days      int         `json:"days"`
	LastClose float64     `json:"last_close"`
}

// UniverseSummary is the latest universe snapshot in the store.
type UniverseSummary struct {
	Source    string      `json:"source"`
	Snapshots int         `json:"snapshots"`
	Date      regime.Date `json:"date"`
	Top       []string    `json:"top"` // symbols of the top 10 by rank
}

// LatestValue is the most recent value of an observation series.
type LatestValue struct {
	Date  regime.Date `json:"date"`
	Value float64     `json:"value"`
}

// summarySeries are shown in the summary when present.
var summarySeries = []string{"feargreed:value", "fred:DGS10", "fred:VIXCLS", "truth:regime"}

// Summarize reads a store and describes its content. It never writes.
func Summarize(ctx context.Context, st regime.Reader) (*Summary, error) {
	stats, err := st.Stats(ctx)
	if err != nil {
		return nil, fmt.Errorf("summary: stats: %w", err)
	}
	s := &Summary{Tables: stats.Tables, Hash: stats.Hash, AssetsByKind: map[string]int{}, Latest: map[string]LatestValue{}}
	assets, err := st.FindAssets(ctx, regime.AssetFilter{})
	if err != nil {
		return nil, fmt.Errorf("summary: assets: %w", err)
	}
	for _, a := range assets {
		s.AssetsByKind[string(a.Kind)]++
	}
	series, err := st.Series(ctx)
	if err != nil {
		return nil, fmt.Errorf("summary: series: %w", err)
	}
	s.Series = len(series)
	have := map[string]bool{}
	for _, si := range series {
		have[si.Series] = true
	}
	for _, name := range summarySeries {
		if !have[name] {
			continue
		}
		obs, err := st.Observations(ctx, name, regime.DateRange{})
		if err != nil {
			return nil, fmt.Errorf("summary: %s: %w", name, err)
		}
		if n := len(obs); n > 0 {
			s.Latest[name] = LatestValue{Date: obs[n-1].Date, Value: obs[n-1].Value}
		}
	}
	if ref, err := referenceAsset(ctx, st); err == nil {
		bars, err := st.Bars(ctx, ref.ID, regime.DateRange{})
		if err != nil {
			return nil, fmt.Errorf("summary: bars %s: %w", ref.ID, err)
		}
		if n := len(bars); n > 0 {
			s.Reference = &SeriesSpan{AssetID: ref.ID, Symbol: ref.Symbol, From: bars[0].Date, To: bars[n-1].Date, Days: n, LastClose: bars[n-1].Close}
		}
	} else if !errors.Is(err, regime.ErrNotFound) {
		return nil, err
	}
	for _, src := range []string{regime.SourceCMC, regime.SourceSynth, regime.SourceCSV} {
		dates, err := st.SnapshotDates(ctx, src)
		if errors.Is(err, regime.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("summary: snapshots: %w", err)
		}
		if len(dates) == 0 {
			continue
		}
		last := dates[len(dates)-1]
		cs, err := st.Constituents(ctx, src, last)
		if err != nil {
			return nil, fmt.Errorf("summary: constituents: %w", err)
		}
		u := &UniverseSummary{Source: src, Snapshots: len(dates), Date: last}
		for i := 0; i < len(cs) && len(u.Top) < 10; i++ {
			a, err := st.Asset(ctx, cs[i].AssetID)
			if err != nil {
				return nil, fmt.Errorf("summary: constituent %s: %w", cs[i].AssetID, err)
			}
			u.Top = append(u.Top, a.Symbol)
		}
		s.Universe = u
		break
	}
	return s, nil
}

// referenceAsset is BTC when the store has it, else the largest investable
// constituent of the latest snapshot (a synthetic market's leading token).
func referenceAsset(ctx context.Context, st regime.Reader) (regime.Asset, error) {
	if a, err := st.LookupAsset(ctx, "BTC"); err == nil {
		return a, nil
	} else if !errors.Is(err, regime.ErrNotFound) {
		return regime.Asset{}, err
	}
	cs, err := st.Constituents(ctx, "", regime.MustDate("9999-12-31"))
	if err != nil {
		return regime.Asset{}, err
	}
	for _, c := range cs {
		a, err := st.Asset(ctx, c.AssetID)
		if err != nil {
			return regime.Asset{}, err
		}
		if a.Kind.Investable() {
			return a, nil
		}
	}
	return regime.Asset{}, regime.ErrNotFound
}

// WriteText prints the summary for people.
func (s *Summary) WriteText(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "store content\t")
	for _, k := range sortedKeys(s.Tables) {
		fmt.Fprintf(tw, "  %s\t%d\n", k, s.Tables[k])
	}
	kinds := make([]string, 0, len(s.AssetsByKind))
	for k, n := range s.AssetsByKind {
		kinds = append(kinds, fmt.Sprintf("%s %d", k, n))
	}
	sort.Strings(kinds)
	fmt.Fprintf(tw, "assets by kind\t%s\n", strings.Join(kinds, ", "))
	fmt.Fprintf(tw, "observation series\t%d\n", s.Series)
	if r := s.Reference; r != nil {
		fmt.Fprintf(tw, "reference asset\t%s (%s): %d daily closes %s..%s, last close %.2f\n", r.Symbol, r.AssetID, r.Days, r.From, r.To, r.LastClose)
	}
	if u := s.Universe; u != nil {
		fmt.Fprintf(tw, "universe\t%d %s snapshots; on %s the top 10 were %s\n", u.Snapshots, u.Source, u.Date, strings.Join(u.Top, " "))
	}
	for _, k := range sortedKeys(s.Latest) {
		v := s.Latest[k]
		fmt.Fprintf(tw, "latest %s\t%g on %s\n", k, v.Value, v.Date)
	}
	fmt.Fprintf(tw, "content hash\t%s\n", s.Hash)
	return tw.Flush()
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
