package csv

import (
	"bufio"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strconv"

	"github.com/regime-engine/regime"
)

// Writer streams records into a directory in the schema. Each file is
// created on its first record (assets.csv always, at the latest by
// Close) with a header naming every column; output is buffered and
// numbers are formatted with strconv, so writing millions of rows costs
// little more than the disk. Missing values (NaN) are written as empty
// cells. A Writer is not safe for concurrent use; after the first error
// every method returns that error.
type Writer struct {
	dir    string
	files  [5]*outFile
	line   []byte
	err    error
	closed bool

	date    regime.Date // last date formatted into dateTxt
	dateTxt []byte
	dateOK  bool
}

type outFile struct {
	f *os.File
	w *bufio.Writer
}

const (
	fAssets = iota
	fBars
	fObservations
	fConstituents
	fTruth
)

var fileNames = [5]string{AssetsFile, BarsFile, ObservationsFile, ConstituentsFile, TruthFile}
var fileCols = [5][]string{assetCols, barCols, observationCols, constituentCols, truthCols}

// NewWriter returns a Writer for dir, creating the directory if needed.
// Existing schema files in dir are overwritten as records arrive.
func NewWriter(dir string) (*Writer, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, &regime.Error{Code: regime.EINVALID, Message: "cannot create output directory " + dir, Err: err}
	}
	return &Writer{dir: dir, line: make([]byte, 0, 256)}, nil
}

func (w *Writer) file(k int) *outFile {
	if w.err == nil && w.closed {
		w.err = regime.Errorf(regime.EINTERNAL, "csv: write after Close")
	}
	if w.err != nil {
		return nil
	}
	if f := w.files[k]; f != nil {
		return f
	}
	path := filepath.Join(w.dir, fileNames[k])
	f, err := os.Create(path)
	if err != nil {
		w.err = &regime.Error{Code: regime.EINVALID, Message: "cannot create " + path, Err: err}
		return nil
	}
	o := &outFile{f: f, w: bufio.NewWriterSize(f, 1<<20)}
	w.files[k] = o
	b := w.line[:0]
	for i, c := range fileCols[k] {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, c...)
	}
	b = append(b, '\n')
	w.emit(o, b)
	return o
}

func (w *Writer) emit(o *outFile, b []byte) {
	w.line = b[:0]
	if w.err != nil {
		return
	}
	if _, err := o.w.Write(b); err != nil {
		w.err = &regime.Error{Code: regime.EUNAVAILABLE, Message: "cannot write " + o.f.Name(), Err: err}
	}
}

// WriteAssets writes asset rows (id, symbol, name, kind).
func (w *Writer) WriteAssets(assets []regime.Asset) error {
	o := w.file(fAssets)
	for i := range assets {
		if o == nil {
			break
		}
		a := &assets[i]
		b := appendText(w.line[:0], a.ID)
		b = append(b, ',')
		b = appendText(b, a.Symbol)
		b = append(b, ',')
		b = appendText(b, a.Name)
		b = append(b, ',')
		b = appendText(b, string(a.Kind))
		w.emit(o, append(b, '\n'))
	}
	return w.err
}

// WriteBar writes one bars.csv row. Source, CapEstimated and KnownAt are
// not part of the schema and are not written.
func (w *Writer) WriteBar(r *regime.Bar) error {
	o := w.file(fBars)
	if o == nil {
		return w.err
	}
	b := appendText(w.line[:0], r.AssetID)
	b = append(b, ',')
	b = w.appendDateCached(b, r.Date)
	for _, v := range [...]float64{r.Open, r.High, r.Low, r.Close, r.VolumeUSD, r.MarketCapUSD, r.Supply} {
		b = append(b, ',')
		b = appendNum(b, v)
	}
	w.emit(o, append(b, '\n'))
	return w.err
}

// WriteObservation writes one observations.csv row; known_at is left
// empty when it equals the date (or is unset).
func (w *Writer) WriteObservation(r *regime.Observation) error {
	o := w.file(fObservations)
	if o == nil {
		return w.err
	}
	b := appendText(w.line[:0], r.Series)
	b = append(b, ',')
	b = w.appendDateCached(b, r.Date)
	b = append(b, ',')
	b = appendNum(b, r.Value)
	b = append(b, ',')
	if r.KnownAt != regime.NoDate && r.KnownAt != r.Date {
		b = appendDate(b, r.KnownAt)
	}
	w.emit(o, append(b, '\n'))
	return w.err
}

// WriteConstituent writes one constituents.csv row. Source is not part of
// the schema and is not written.
func (w *Writer) WriteConstituent(r *regime.Constituent) error {
	o := w.file(fConstituents)
	if o == nil {
		return w.err
	}
	b := w.appendDateCached(w.line[:0], r.Date)
	b = append(b, ',')
	b = strconv.AppendInt(b, int64(r.Rank), 10)
	b = append(b, ',')
	b = appendText(b, r.AssetID)
	for _, v := range [...]float64{r.MarketCapUSD, r.PriceUSD, r.VolumeUSD, r.Supply} {
		b = append(b, ',')
		b = appendNum(b, v)
	}
	w.emit(o, append(b, '\n'))
	return w.err
}

// WriteTruth writes one truth.csv row; label must be bull, neutral or
// bear.
func (w *Writer) WriteTruth(d regime.Date, label string) error {
	if w.err == nil && truthValue(label) == nil {
		w.err = regime.Errorf(regime.EINVALID, "truth: unknown regime label %q: want bull, neutral or bear", label)
	}
	o := w.file(fTruth)
	if o == nil {
		return w.err
	}
	b := w.appendDateCached(w.line[:0], d)
	b = append(b, ',')
	b = append(b, label...)
	w.emit(o, append(b, '\n'))
	return w.err
}

// Close writes assets.csv if no asset was written, flushes and closes
// every file. It returns the first error met by the Writer; calling it
// again has no effect.
func (w *Writer) Close() error {
	if w.closed {
		return w.err
	}
	if w.files[fAssets] == nil {
		w.file(fAssets)
	}
	w.closed = true
	var errs []error
	for i, o := range w.files {
		if o == nil {
			continue
		}
		if err := o.w.Flush(); err != nil {
			errs = append(errs, err)
		}
		if err := o.f.Close(); err != nil {
			errs = append(errs, err)
		}
		w.files[i] = nil
	}
	if w.err != nil {
		return w.err
	}
	if err := errors.Join(errs...); err != nil {
		w.err = &regime.Error{Code: regime.EUNAVAILABLE, Message: "cannot write " + w.dir, Err: err}
		return w.err
	}
	return nil
}

// appendNum appends v in the shortest decimal form that parses back to
// the same float64, in plain notation (no exponent); NaN is an empty cell.
func appendNum(b []byte, v float64) []byte {
	if math.IsNaN(v) {
		return b
	}
	if v == math.Trunc(v) && math.Abs(v) < 1e15 {
		return strconv.AppendInt(b, int64(v), 10)
	}
	return strconv.AppendFloat(b, v, 'f', -1, 64)
}

// appendText appends s as a CSV field, quoting it when needed.
func appendText(b []byte, s string) []byte {
	quote := false
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case ',', '"', '\n', '\r':
			quote = true
		}
	}
	if len(s) > 0 && (s[0] == ' ' || s[0] == '\t') {
		quote = true
	}
	if !quote {
		return append(b, s...)
	}
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		if s[i] == '"' {
			b = append(b, '"')
		}
		b = append(b, s[i])
	}
	return append(b, '"')
}

// appendDateCached appends d, reusing the last formatted date: streams
// written day by day format each date once.
func (w *Writer) appendDateCached(b []byte, d regime.Date) []byte {
	if !w.dateOK || w.date != d {
		w.dateTxt = appendDate(w.dateTxt[:0], d)
		w.date, w.dateOK = d, true
	}
	return append(b, w.dateTxt...)
}
