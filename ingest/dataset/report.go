package dataset

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/regime-engine/regime"
)

// maxExamples is how many file:line examples are kept per reason.
const maxExamples = 3

// Report describes what Import read, stored and rejected. Every list is
// sorted, so two imports of the same directory give equal reports (apart
// from Elapsed).
type Report struct {
	Dir   string        `json:"dir"`
	Range string        `json:"range"`
	Files []*FileReport `json:"files"` // in import order

	AssetsByKind    map[regime.AssetKind]int `json:"assets_by_kind"`
	Assets          []AssetCoverage          `json:"assets"`           // sorted by id
	Identity        []string                 `json:"identity"`         // identity decisions worth auditing (renames, splits, mappings)
	RankInversions  int                      `json:"rank_inversions"`  // adjacent CMC ranks whose market caps are out of order
	EstimatedCaps   int                      `json:"estimated_caps"`   // SourceEstimate bars written
	Series          []SeriesCoverage         `json:"series"`           // observation series, sorted by name
	Bars            int                      `json:"bars"`             // bars written (all sources, estimates included)
	Observations    int                      `json:"observations"`     // observations written
	Constituents    int                      `json:"constituents"`     // universe rows written
	Candles         int                      `json:"candles"`          // hourly candles written
	Elapsed         time.Duration            `json:"elapsed_ns"`       // wall time of the whole import
	ElapsedReadWall time.Duration            `json:"elapsed_parse_ns"` // wall time spent reading and validating files
}

// FileReport is one input file's outcome.
type FileReport struct {
	File     string   `json:"file"`     // path relative to the dataset directory
	Missing  bool     `json:"missing"`  // the file does not exist (skipped)
	Rows     int      `json:"rows"`     // data rows read
	Stored   int      `json:"stored"`   // records written (bars, observations, constituents, candles)
	Rejected int      `json:"rejected"` // rows dropped for a known data flaw
	Skipped  int      `json:"skipped"`  // rows outside Options.Range
	Reasons  []Reason `json:"reasons"`  // rejections and adjustments, sorted by reason

	reasons map[string]*Reason
}

// Reason counts one kind of rejected or adjusted row.
type Reason struct {
	Reason   string   `json:"reason"`
	Rejected bool     `json:"rejected"` // true: rows dropped; false: values adjusted, rows kept
	Count    int      `json:"count"`
	Examples []string `json:"examples"` // "file:line: detail", first few in file order
}

// AssetCoverage is the daily close coverage of one asset, counted over the
// daily sources (not the monthly CMC snapshots nor estimates).
type AssetCoverage struct {
	ID         string           `json:"id"`
	Symbol     string           `json:"symbol"`
	Kind       regime.AssetKind `json:"kind"`
	Sources    []string         `json:"sources"` // sources with bars, sorted
	First      regime.Date      `json:"first"`
	Last       regime.Date      `json:"last"`
	Days       int              `json:"days"`        // days with a daily close
	Gaps       int              `json:"gaps"`        // runs of missing days between First and Last
	LongestGap int              `json:"longest_gap"` // days in the longest run
	Snapshots  int              `json:"snapshots"`   // CMC universe snapshots the asset is in
	Estimated  int              `json:"estimated"`   // estimated market-cap bars
}

// SeriesCoverage summarises one observation series written by the import.
type SeriesCoverage struct {
	Series string      `json:"series"`
	Count  int         `json:"count"`
	First  regime.Date `json:"first"`
	Last   regime.Date `json:"last"`
}

func newFileReport(rel string) *FileReport {
	return &FileReport{File: rel, reasons: map[string]*Reason{}}
}

// note counts a row under reason with an example; rejected says whether
// the row was dropped.
func (f *FileReport) note(reason string, rejected bool, pos, detail string) {
	r := f.reasons[reason]
	if r == nil {
		r = &Reason{Reason: reason, Rejected: rejected}
		f.reasons[reason] = r
	}
	r.Count++
	if rejected {
		f.Rejected++
	}
	if len(r.Examples) < maxExamples {
		r.Examples = append(r.Examples, pos+": "+detail)
	}
}

// noteN counts n rows under reason at once (used when a whole series is
// dropped); pos and detail describe the first.
func (f *FileReport) noteN(reason string, rejected bool, n int, pos, detail string) {
	if n <= 0 {
		return
	}
	f.note(reason, rejected, pos, detail)
	r := f.reasons[reason]
	r.Count += n - 1
	if rejected {
		f.Rejected += n - 1
	}
}

func (f *FileReport) finish() {
	f.Reasons = f.Reasons[:0]
	for _, r := range f.reasons {
		f.Reasons = append(f.Reasons, *r)
	}
	sort.Slice(f.Reasons, func(i, j int) bool { return f.Reasons[i].Reason < f.Reasons[j].Reason })
}

// WriteText writes a human-readable summary of r to w.
func (r *Report) WriteText(w io.Writer) error {
	ew := &errWriter{w: w}
	ew.printf("Imported %s (range %s) in %.1fs (reading %.1fs)\n", r.Dir, r.Range, r.Elapsed.Seconds(), r.ElapsedReadWall.Seconds())
	ew.printf("Written: %d bars (%d estimated market caps), %d observations, %d constituents, %d candles\n",
		r.Bars, r.EstimatedCaps, r.Observations, r.Constituents, r.Candles)
	ew.printf("CMC rank/market-cap inversions kept as ranked: %d\n\n", r.RankInversions)
	ew.printf("%-55s %9s %9s %9s %9s\n", "FILE", "ROWS", "STORED", "REJECTED", "SKIPPED")
	for _, f := range r.Files {
		if f.Missing {
			ew.printf("%-55s %9s\n", f.File, "missing")
			continue
		}
		ew.printf("%-55s %9d %9d %9d %9d\n", f.File, f.Rows, f.Stored, f.Rejected, f.Skipped)
		for _, rs := range f.Reasons {
			what := "adjusted"
			if rs.Rejected {
				what = "rejected"
			}
			ew.printf("    %-40s %s %d", rs.Reason, what, rs.Count)
			if len(rs.Examples) > 0 {
				ew.printf("  e.g. %s", rs.Examples[0])
			}
			ew.printf("\n")
		}
	}
	kinds := make([]string, 0, len(r.AssetsByKind))
	for _, k := range regime.Kinds {
		if n := r.AssetsByKind[k]; n > 0 {
			kinds = append(kinds, fmt.Sprintf("%s %d", k, n))
		}
	}
	ew.printf("\nAssets: %d (%s)\n", len(r.Assets), strings.Join(kinds, ", "))
	if len(r.Identity) > 0 {
		ew.printf("\nIdentity decisions:\n")
		for _, s := range r.Identity {
			ew.printf("    %s\n", s)
		}
	}
	ew.printf("\nDaily close coverage (assets with daily sources; JSON has all assets):\n")
	ew.printf("%-28s %-8s %-15s %-10s %-10s %6s %5s %7s %5s %5s\n", "ASSET", "SYMBOL", "KIND", "FIRST", "LAST", "DAYS", "GAPS", "LONGEST", "SNAP", "EST")
	monthly := 0
	for _, a := range r.Assets {
		if a.Days == 0 {
			monthly++
			continue
		}
		ew.printf("%-28s %-8s %-15s %-10s %-10s %6d %5d %7d %5d %5d\n", a.ID, a.Symbol, a.Kind, a.First, a.Last, a.Days, a.Gaps, a.LongestGap, a.Snapshots, a.Estimated)
	}
	ew.printf("%d more assets have CMC monthly snapshots only\n", monthly)
	ew.printf("\nObservation series by family (JSON lists every series):\n")
	ew.printf("%-36s %7s %9s %-10s %-10s\n", "FAMILY", "SERIES", "VALUES", "FIRST", "LAST")
	for _, g := range groupSeries(r.Series) {
		ew.printf("%-36s %7d %9d %-10s %-10s\n", g.Series, g.n, g.Count, g.First, g.Last)
	}
	return ew.err
}

// seriesGroup sums the series of one family prefix ("onchain:bitcoin").
type seriesGroup struct {
	SeriesCoverage
	n int
}

// groupSeries groups series by their name up to the last colon.
func groupSeries(ss []SeriesCoverage) []seriesGroup {
	var out []seriesGroup
	idx := map[string]int{}
	for _, s := range ss {
		fam := s.Series
		if i := strings.LastIndexByte(fam, ':'); i > 0 {
			fam = fam[:i]
		}
		j, ok := idx[fam]
		if !ok {
			j = len(out)
			idx[fam] = j
			out = append(out, seriesGroup{SeriesCoverage: SeriesCoverage{Series: fam, First: s.First, Last: s.Last}})
		}
		g := &out[j]
		g.n++
		g.Count += s.Count
		g.First = min(g.First, s.First)
		g.Last = max(g.Last, s.Last)
	}
	sort.Slice(out, func(a, b int) bool { return out[a].Series < out[b].Series })
	return out
}

type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) printf(format string, args ...any) {
	if e.err == nil {
		_, e.err = fmt.Fprintf(e.w, format, args...)
	}
}
