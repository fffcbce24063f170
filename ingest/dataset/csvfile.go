package dataset

import (
	"compress/gzip"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/regime-engine/regime"
)

// csvFile reads one dataset CSV (optionally gzip-compressed) row by row,
// keeping line numbers for messages and reporting read progress in bytes.
type csvFile struct {
	rel      string // path relative to the dataset directory, used in messages
	f        *os.File
	cr       *countReader
	r        *csv.Reader
	col      map[string]int
	header   []string
	line     int // line of the last record read
	size     int64
	progress regime.ProgressFunc
	stage    string
	lastRep  int64
}

// countReader counts the bytes read through it (compressed bytes for .gz
// files), so progress can be reported against the file size.
type countReader struct {
	r io.Reader
	n int64
}

func (c *countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// structural returns the error for a file that cannot be read as a whole:
// it names the file and line and aborts that file's import.
func structural(rel string, line int, format string, args ...any) error {
	loc := rel
	if line > 0 {
		loc = fmt.Sprintf("%s:%d", rel, line)
	}
	return regime.Errorf(regime.EINVALID, "%s: %s", loc, fmt.Sprintf(format, args...))
}

// openCSV opens dir/rel, checks that the header has the required columns
// and returns a reader positioned on the first data row. All-or-nothing:
// any later structural problem is returned by next.
func openCSV(dir, rel string, required []string, progress regime.ProgressFunc) (*csvFile, error) {
	f, err := os.Open(filepath.Join(dir, filepath.FromSlash(rel)))
	if err != nil {
		return nil, regime.Errorf(regime.EINVALID, "%s: cannot open: %v", rel, errors.Unwrap(err))
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, regime.Errorf(regime.EINVALID, "%s: cannot stat: %v", rel, err)
	}
	c := &csvFile{rel: rel, f: f, size: st.Size(), progress: progress, stage: "import " + rel}
	c.cr = &countReader{r: f}
	var in io.Reader = c.cr
	if strings.HasSuffix(rel, ".gz") {
		gz, err := gzip.NewReader(c.cr)
		if err != nil {
			f.Close()
			return nil, structural(rel, 0, "not a valid gzip file: %v", err)
		}
		in = gz
	}
	c.r = csv.NewReader(in)
	c.r.ReuseRecord = true
	hdr, err := c.r.Read()
	if err != nil {
		f.Close()
		if err == io.EOF {
			return nil, structural(rel, 1, "empty file: want a header row")
		}
		return nil, c.readErr(err)
	}
	c.line = 1
	c.header = append([]string(nil), hdr...)
	c.col = make(map[string]int, len(hdr))
	for i, h := range hdr {
		h = strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))
		c.header[i] = h
		c.col[h] = i
	}
	for _, name := range required {
		if _, ok := c.col[name]; !ok {
			f.Close()
			return nil, structural(rel, 1, "missing column %q (header: %s)", name, strings.Join(c.header, ","))
		}
	}
	c.r.FieldsPerRecord = len(hdr)
	c.report(false)
	return c, nil
}

// readErr converts a csv or gzip error into a structural error.
func (c *csvFile) readErr(err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		if errors.Is(pe.Err, csv.ErrFieldCount) {
			return structural(c.rel, pe.Line, "wrong number of fields: want %d like the header", len(c.header))
		}
		return structural(c.rel, pe.Line, "malformed CSV: %v", pe.Err)
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, gzip.ErrChecksum) || errors.Is(err, gzip.ErrHeader) {
		return structural(c.rel, c.line+1, "file is truncated or corrupt (%v)", err)
	}
	return structural(c.rel, c.line+1, "read error: %v", err)
}

// next returns the next record (valid until the following call), or
// io.EOF at the end. The context is checked every 4096 rows.
func (c *csvFile) next(ctx context.Context) ([]string, error) {
	rec, err := c.r.Read()
	if err != nil {
		if err == io.EOF {
			c.report(true)
			return nil, io.EOF
		}
		return nil, c.readErr(err)
	}
	c.line, _ = c.r.FieldPos(0)
	if c.line%4096 == 0 {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		c.report(false)
	}
	return rec, nil
}

func (c *csvFile) report(final bool) {
	done := c.cr.n
	if final {
		done = c.size
	}
	c.progress.Report(regime.Progress{Stage: c.stage, Done: done, Total: c.size, Unit: "bytes", Final: final})
}

func (c *csvFile) close() { c.f.Close() }

// get returns the trimmed field named name, or "" if the column is absent.
func (c *csvFile) get(rec []string, name string) string {
	i, ok := c.col[name]
	if !ok {
		return ""
	}
	return strings.TrimSpace(rec[i])
}

// pos formats the current position as file:line for examples.
func (c *csvFile) pos() string { return fmt.Sprintf("%s:%d", c.rel, c.line) }

// errBadNumber marks a cell that is neither empty nor a finite number.
var errBadNumber = errors.New("bad number")

// num parses a decimal cell: empty (or "nan"/"null" spellings used by the
// exports) is missing (NaN); text that is not a finite number is an error.
func num(s string) (float64, error) {
	switch strings.ToLower(s) {
	case "", "nan", "null", "none", "na":
		return math.NaN(), nil
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(v, 0) || math.IsNaN(v) {
		return math.NaN(), errBadNumber
	}
	return v, nil
}

// nums parses several cells; on the first bad one it returns its index.
func nums(cells ...string) ([]float64, int) {
	out := make([]float64, len(cells))
	for i, s := range cells {
		v, err := num(s)
		if err != nil {
			return nil, i
		}
		out[i] = v
	}
	return out, -1
}

// parseDay parses YYYY-MM-DD, also accepting a trailing time part
// ("2016-06-30 00:00:00+00:00") as the exports write it.
func parseDay(s string) (regime.Date, error) {
	if len(s) > 10 && (s[10] == ' ' || s[10] == 'T') {
		s = s[:10]
	}
	return regime.ParseDate(s)
}
