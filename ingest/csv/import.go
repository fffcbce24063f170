package csv

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/regime-engine/regime"
)

// batchSize is the number of records sent to the store per Upsert call.
const batchSize = 10000

// Options tune Import.
type Options struct {
	// Source labels the imported bars, observations and constituents;
	// empty means regime.SourceCSV.
	Source string
	// Progress receives one stage per file, in bytes read.
	Progress regime.ProgressFunc
}

// Report summarises an import.
type Report struct {
	Dir   string
	Files []FileReport // in import order: assets, bars, observations, constituents, truth
}

// FileReport counts the rows imported from one file.
type FileReport struct {
	Name string // file name within Dir, e.g. "bars.csv"
	Rows int64
}

// Rows returns the number of rows imported from the named file (0 when it
// was absent).
func (r *Report) Rows(name string) int64 {
	for _, f := range r.Files {
		if f.Name == name {
			return f.Rows
		}
	}
	return 0
}

// Import reads the schema directory dir into st. assets.csv is required;
// bars.csv, observations.csv, constituents.csv and truth.csv are read
// when present, in that order. Each file is stored in one st.Update
// transaction, so the first invalid row (reported as an EINVALID
// *regime.Error naming path:line:column) leaves that file and every later
// one unstored, and files imported before it stored. Rows may name assets
// listed in assets.csv or already in st.
//
// Import returns an EINVALID error when dir has no assets.csv, the
// store's errors wrapped otherwise, and ctx.Err() when cancelled. The
// Report lists the files fully imported.
func Import(ctx context.Context, st regime.Store, dir string, opt Options) (*Report, error) {
	rep := &Report{Dir: dir}
	ropt := ReadOptions{Source: opt.Source}
	if _, err := os.Stat(filepath.Join(dir, AssetsFile)); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return rep, regime.Errorf(regime.EINVALID, "%s: no %s: not a directory in the Regime CSV schema", dir, AssetsFile)
		}
		return rep, &regime.Error{Code: regime.EINVALID, Message: "cannot read " + dir, Err: err}
	}
	// assets.csv: small, decoded fully before one transaction.
	var assets []regime.Asset
	err := readFile(ctx, dir, AssetsFile, opt.Progress, func(r io.Reader, name string) error {
		return ReadAssets(r, name, func(a regime.Asset) error {
			assets = append(assets, a)
			return nil
		})
	})
	if err != nil {
		return rep, err
	}
	err = st.Update(ctx, func(w regime.Writer) error {
		for i := 0; i < len(assets); i += batchSize {
			if err := w.UpsertAssets(ctx, assets[i:min(i+batchSize, len(assets))]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return rep, storeErr(AssetsFile, err)
	}
	rep.Files = append(rep.Files, FileReport{Name: AssetsFile, Rows: int64(len(assets))})

	// Every asset id a row may name, read before the write transactions
	// (a store may allow a single connection).
	stored, err := st.FindAssets(ctx, regime.AssetFilter{})
	if err != nil {
		return rep, storeErr(AssetsFile, err)
	}
	known := make(map[string]bool, len(stored)+len(assets))
	for _, a := range assets {
		known[a.ID] = true
	}
	for _, a := range stored {
		known[a.ID] = true
	}
	ropt.KnownAsset = func(id string) bool { return known[id] }

	type step struct {
		file string
		run  func(w regime.Writer, r io.Reader, name string, rows *int64) error
	}
	steps := []step{
		{BarsFile, func(w regime.Writer, r io.Reader, name string, rows *int64) error {
			buf := make([]regime.Bar, 0, batchSize)
			err := ReadBars(r, name, ropt, func(b *regime.Bar) error {
				*rows++
				if buf = append(buf, *b); len(buf) == batchSize {
					err := upsertBatch(ctx, w.UpsertBars, buf)
					buf = buf[:0]
					return err
				}
				return nil
			})
			if err == nil {
				err = upsertBatch(ctx, w.UpsertBars, buf)
			}
			return err
		}},
		{ObservationsFile, func(w regime.Writer, r io.Reader, name string, rows *int64) error {
			return batched(ctx, rows, w.UpsertObservations, func(fn func(regime.Observation) error) error {
				return ReadObservations(r, name, ropt, fn)
			})
		}},
		{ConstituentsFile, func(w regime.Writer, r io.Reader, name string, rows *int64) error {
			return batched(ctx, rows, w.UpsertConstituents, func(fn func(regime.Constituent) error) error {
				return ReadConstituents(r, name, ropt, fn)
			})
		}},
		{TruthFile, func(w regime.Writer, r io.Reader, name string, rows *int64) error {
			return batched(ctx, rows, w.UpsertObservations, func(fn func(regime.Observation) error) error {
				return ReadTruth(r, name, ropt, fn)
			})
		}},
	}
	for _, s := range steps {
		if _, err := os.Stat(filepath.Join(dir, s.file)); errors.Is(err, fs.ErrNotExist) {
			continue
		}
		var rows int64
		err := st.Update(ctx, func(w regime.Writer) error {
			rows = 0
			return readFile(ctx, dir, s.file, opt.Progress, func(r io.Reader, name string) error {
				return s.run(w, r, name, &rows)
			})
		})
		if err != nil {
			return rep, storeErr(s.file, err)
		}
		rep.Files = append(rep.Files, FileReport{Name: s.file, Rows: rows})
	}
	return rep, nil
}

// batched collects the records decoded by read into batches for upsert.
func batched[T any](ctx context.Context, rows *int64, upsert func(context.Context, []T) error, read func(func(T) error) error) error {
	buf := make([]T, 0, batchSize)
	err := read(func(v T) error {
		*rows++
		if buf = append(buf, v); len(buf) == batchSize {
			err := upsertBatch(ctx, upsert, buf)
			buf = buf[:0]
			return err
		}
		return nil
	})
	if err == nil {
		err = upsertBatch(ctx, upsert, buf)
	}
	return err
}

func upsertBatch[T any](ctx context.Context, fn func(context.Context, []T) error, buf []T) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if len(buf) == 0 {
		return nil
	}
	return fn(ctx, buf)
}

// storeErr keeps *regime.Error messages (they already name the file and
// row for decoding errors) and names the file for anything else.
func storeErr(file string, err error) error {
	var re *regime.Error
	if errors.As(err, &re) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return &regime.Error{Code: regime.EUNAVAILABLE, Message: "import " + file + ": store failed", Err: err}
}

// readFile opens dir/file for read and reports progress in bytes.
func readFile(ctx context.Context, dir, file string, progress regime.ProgressFunc, read func(r io.Reader, name string) error) error {
	path := filepath.Join(dir, file)
	f, err := os.Open(path)
	if err != nil {
		return &regime.Error{Code: regime.EINVALID, Message: "cannot open " + path, Err: err}
	}
	defer f.Close()
	var total int64
	if fi, err := f.Stat(); err == nil {
		total = fi.Size()
	}
	cr := &countingReader{r: f, ctx: ctx, stage: "import " + file, total: total, progress: progress}
	err = read(cr, path)
	if err == nil {
		err = cr.err
	}
	progress.Report(regime.Progress{Stage: cr.stage, Done: cr.n, Total: total, Unit: "bytes", Final: true})
	return err
}

// countingReader counts bytes for progress and stops reading when ctx is cancelled.
type countingReader struct {
	r        io.Reader
	ctx      context.Context
	stage    string
	n, total int64
	last     int64
	progress regime.ProgressFunc
	err      error
}

func (c *countingReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		c.err = err
		return 0, err
	}
	n, err := c.r.Read(p)
	c.n += int64(n)
	if c.progress != nil && c.n-c.last >= 1<<20 {
		c.last = c.n
		c.progress(regime.Progress{Stage: c.stage, Done: c.n, Total: c.total, Unit: "bytes"})
	}
	return n, err
}
