package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/regime-engine/regime"
	"github.com/regime-engine/regime/ingest/csv"
	"github.com/regime-engine/regime/ingest/dataset"
	"github.com/regime-engine/regime/synth"
)

// Layout is the kind of data directory `regime import` was given.
type Layout string

// Layouts recognised by DetectLayout.
const (
	LayoutDataset Layout = "dataset" // the research dataset laid out like ../shared/data
	LayoutCSV     Layout = "csv"     // the documented CSV schema (docs/csv-schema.md)
)

// DetectLayout tells which importer reads dir: a research dataset has
// dataset.FileUniverse, a CSV-schema directory has csv.AssetsFile. It
// returns an EINVALID error naming what it looked for otherwise.
func DetectLayout(dir string) (Layout, error) {
	fi, err := os.Stat(dir)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return "", regime.Errorf(regime.EINVALID, "data directory %s does not exist", dir)
		}
		return "", fmt.Errorf("data directory %s: %w", dir, err)
	}
	if !fi.IsDir() {
		return "", regime.Errorf(regime.EINVALID, "%s is not a directory", dir)
	}
	if exists(filepath.Join(dir, dataset.FileUniverse)) {
		return LayoutDataset, nil
	}
	if exists(filepath.Join(dir, csv.AssetsFile)) {
		return LayoutCSV, nil
	}
	return "", regime.Errorf(regime.EINVALID, "%s is neither the research dataset (no %s) nor a CSV-schema directory (no %s); see docs/csv-schema.md",
		dir, dataset.FileUniverse, csv.AssetsFile)
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// ImportOptions configure Import.
type ImportOptions struct {
	Source   string              // label for CSV-schema data (default regime.SourceCSV)
	Range    regime.DateRange    // research dataset only: import only records dated in Range
	Progress regime.ProgressFunc // progress events, one stage per file
}

// ImportReport is what Import returns: the importer's own report, which
// prints for people with WriteText and encodes as JSON.
type ImportReport struct {
	Layout  Layout          `json:"layout"`
	Dataset *dataset.Report `json:"dataset,omitempty"`
	CSV     *csv.Report     `json:"csv,omitempty"`
}

// WriteText prints the report for people.
func (r *ImportReport) WriteText(w io.Writer) error {
	if r.Dataset != nil {
		return r.Dataset.WriteText(w)
	}
	fmt.Fprintf(w, "imported CSV-schema directory %s\n", r.CSV.Dir)
	for _, f := range r.CSV.Files {
		fmt.Fprintf(w, "  %-18s %10d rows\n", f.Name, f.Rows)
	}
	return nil
}

// Import loads dir into st with the importer its layout needs. Every file
// is written in its own transaction: a corrupt file is reported with its
// name and line and leaves the store as it was.
func Import(ctx context.Context, st regime.Store, dir string, opt ImportOptions) (*ImportReport, error) {
	layout, err := DetectLayout(dir)
	if err != nil {
		return nil, err
	}
	switch layout {
	case LayoutDataset:
		if opt.Source != "" {
			return nil, regime.Errorf(regime.EINVALID, "--source applies to CSV-schema directories only; %s is the research dataset", dir)
		}
		rep, err := dataset.Import(ctx, st, dataset.Options{Dir: dir, Progress: opt.Progress, Range: opt.Range})
		if err != nil {
			return nil, err
		}
		return &ImportReport{Layout: layout, Dataset: rep}, nil
	default:
		if opt.Range != (regime.DateRange{}) {
			return nil, regime.Errorf(regime.EINVALID, "--from/--to apply to the research dataset only; filter CSV files before importing")
		}
		rep, err := csv.Import(ctx, st, dir, csv.Options{Source: opt.Source, Progress: opt.Progress})
		if err != nil {
			return nil, err
		}
		return &ImportReport{Layout: layout, CSV: rep}, nil
	}
}

// SynthToStore generates the synthetic market cfg straight into st.
func SynthToStore(ctx context.Context, st regime.Store, cfg synth.Config) error {
	return synth.Generate(cfg, synth.NewStoreSink(ctx, st))
}

// SynthToDir writes the synthetic market cfg as a CSV-schema directory.
func SynthToDir(dir string, cfg synth.Config) (err error) {
	sink, err := synth.NewCSVSink(dir)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := sink.Close(); err == nil {
			err = cerr
		}
	}()
	return synth.Generate(cfg, sink)
}
