package csv

import (
	stdcsv "encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/regime-engine/regime"
)

// ReadOptions tune the Read* functions.
type ReadOptions struct {
	// Source labels the decoded bars, observations and constituents;
	// empty means regime.SourceCSV.
	Source string
	// KnownAsset, when set, is asked about every asset_id; rows naming an
	// asset it does not know are rejected.
	KnownAsset func(id string) bool
}

func (o ReadOptions) source() string {
	if o.Source == "" {
		return regime.SourceCSV
	}
	return o.Source
}

// table decodes one CSV file with a fixed set of allowed columns.
type table struct {
	name string
	r    *stdcsv.Reader
	cols []string // allowed columns
	pos  []int    // pos[i]: field index of cols[i] in the file, -1 if absent
	rec  []string
	line int
}

// newTable reads and checks the header: every column must be one of cols,
// none twice, and every column in required must be present.
func newTable(r io.Reader, name string, cols, required []string) (*table, error) {
	t := &table{name: name, r: stdcsv.NewReader(r), cols: cols, pos: make([]int, len(cols))}
	t.r.ReuseRecord = true
	hdr, err := t.r.Read()
	if err == io.EOF {
		return nil, regime.Errorf(regime.EINVALID, "%s:1:1: empty file: want a header row (%s)", name, strings.Join(cols, ","))
	}
	if err != nil {
		return nil, t.parseErr(err)
	}
	for i := range t.pos {
		t.pos[i] = -1
	}
	for f, h := range hdr {
		if f == 0 {
			h = strings.TrimPrefix(h, "\uFEFF")
		}
		_, col := t.r.FieldPos(f)
		i := index(cols, h)
		if i < 0 {
			return nil, regime.Errorf(regime.EINVALID, "%s:1:%d: unknown column %q: want one of %s", name, col, h, strings.Join(cols, ", "))
		}
		if t.pos[i] >= 0 {
			return nil, regime.Errorf(regime.EINVALID, "%s:1:%d: duplicate column %q", name, col, h)
		}
		t.pos[i] = f
	}
	for _, req := range required {
		if t.pos[index(cols, req)] < 0 {
			return nil, regime.Errorf(regime.EINVALID, "%s:1:1: missing required column %q", name, req)
		}
	}
	return t, nil
}

func index(s []string, v string) int {
	for i, x := range s {
		if x == v {
			return i
		}
	}
	return -1
}

// next reads the next row; it returns false at the end of the file.
func (t *table) next() (bool, error) {
	rec, err := t.r.Read()
	if err == io.EOF {
		return false, nil
	}
	if err != nil {
		return false, t.parseErr(err)
	}
	t.rec = rec
	t.line, _ = t.r.FieldPos(0)
	return true, nil
}

func (t *table) parseErr(err error) error {
	var pe *stdcsv.ParseError
	if errors.As(err, &pe) {
		msg := pe.Err.Error()
		if errors.Is(pe.Err, stdcsv.ErrFieldCount) {
			msg = "wrong number of fields (a truncated or malformed row?)"
		}
		if pe.StartLine != pe.Line {
			msg += fmt.Sprintf(" (in the record starting on line %d)", pe.StartLine)
		}
		return regime.Errorf(regime.EINVALID, "%s:%d:%d: %s", t.name, pe.Line, pe.Column, msg)
	}
	return &regime.Error{Code: regime.EUNAVAILABLE, Message: "cannot read " + t.name, Err: err}
}

// get returns the cell of column c ("" when the column is absent).
func (t *table) get(c int) string {
	if p := t.pos[c]; p >= 0 {
		return t.rec[p]
	}
	return ""
}

// errf returns an EINVALID error positioned at column c of the current row.
func (t *table) errf(c int, format string, args ...any) error {
	line, col := t.line, 1
	if p := t.pos[c]; p >= 0 {
		line, col = t.r.FieldPos(p)
	}
	return regime.Errorf(regime.EINVALID, "%s:%d:%d: %s: %s", t.name, line, col, t.cols[c], fmt.Sprintf(format, args...))
}

// key reads a required identifier: non-empty, no surrounding spaces.
func (t *table) key(c int) (string, error) {
	s := t.get(c)
	if s == "" {
		return "", t.errf(c, "required value is empty")
	}
	if strings.TrimSpace(s) != s {
		return "", t.errf(c, "%q has leading or trailing spaces", s)
	}
	return s, nil
}

// date reads a YYYY-MM-DD cell; empty yields NoDate unless required.
func (t *table) date(c int, required bool) (regime.Date, error) {
	s := t.get(c)
	if s == "" {
		if required {
			return 0, t.errf(c, "required value is empty")
		}
		return regime.NoDate, nil
	}
	d, ok := parseDate(s)
	if !ok {
		return 0, t.errf(c, "invalid date %q: want YYYY-MM-DD", s)
	}
	return d, nil
}

// num reads a decimal number; empty yields NaN unless required.
func (t *table) num(c int, required bool) (float64, error) {
	s := t.get(c)
	if s == "" {
		if required {
			return 0, t.errf(c, "required value is empty")
		}
		return math.NaN(), nil
	}
	for i := 0; i < len(s); i++ {
		switch ch := s[i]; {
		case ch >= '0' && ch <= '9', ch == '.', ch == '-', ch == '+', ch == 'e', ch == 'E':
		default:
			return 0, t.errf(c, "invalid number %q: want digits with '.' as decimal separator", s)
		}
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(v, 0) {
		return 0, t.errf(c, "invalid number %q", s)
	}
	return v, nil
}

// nonNeg reads an optional number that must be >= 0.
func (t *table) nonNeg(c int) (float64, error) {
	v, err := t.num(c, false)
	if err == nil && v < 0 {
		err = t.errf(c, "%s must be >= 0", t.get(c))
	}
	return v, err
}

// positive reads a number that must be > 0.
func (t *table) positive(c int, required bool) (float64, error) {
	v, err := t.num(c, required)
	if err == nil && v <= 0 {
		err = t.errf(c, "%s must be > 0", t.get(c))
	}
	return v, err
}

// asset reads an asset_id cell and checks it against opt.KnownAsset.
func (t *table) asset(c int, opt ReadOptions) (string, error) {
	id, err := t.key(c)
	if err == nil && opt.KnownAsset != nil && !opt.KnownAsset(id) {
		err = t.errf(c, "unknown asset %q: list it in %s", id, AssetsFile)
	}
	return id, err
}

// keySet detects duplicate (key, date) pairs.
type keySet map[string]*dateSet

func (k keySet) add(key string, d regime.Date) bool {
	s := k[key]
	if s == nil {
		s = &dateSet{}
		k[key] = s
	}
	return s.add(d)
}

// ReadAssets decodes an assets.csv stream named name (used in messages)
// and calls fn for every asset in file order. It stops at the first
// invalid row or fn error. See docs/csv-schema.md for the rules.
func ReadAssets(r io.Reader, name string, fn func(regime.Asset) error) error {
	const cID, cSymbol, cName, cKind = 0, 1, 2, 3
	t, err := newTable(r, name, assetCols, assetCols)
	if err != nil {
		return err
	}
	seen := map[string]bool{}
	for {
		ok, err := t.next()
		if !ok || err != nil {
			return err
		}
		var a regime.Asset
		if a.ID, err = t.key(cID); err != nil {
			return err
		}
		if seen[a.ID] {
			return t.errf(cID, "duplicate id %q", a.ID)
		}
		seen[a.ID] = true
		if a.Symbol, err = t.key(cSymbol); err != nil {
			return err
		}
		if a.Name, err = t.key(cName); err != nil {
			return err
		}
		a.Kind = regime.AssetKind(t.get(cKind))
		if !a.Kind.Valid() {
			return t.errf(cKind, "unknown kind %q: want one of %s", a.Kind, kindList())
		}
		if err := fn(a); err != nil {
			return err
		}
	}
}

func kindList() string {
	s := make([]string, len(regime.Kinds))
	for i, k := range regime.Kinds {
		s[i] = string(k)
	}
	return strings.Join(s, ", ")
}

// ReadBars decodes a bars.csv stream and calls fn for every bar in file
// order; the *Bar is reused after fn returns. Bars get opt.Source and
// KnownAt = Date. It stops at the first invalid row or fn error.
func ReadBars(r io.Reader, name string, opt ReadOptions, fn func(*regime.Bar) error) error {
	const cAsset, cDate, cOpen, cHigh, cLow, cClose, cVol, cCap, cSupply = 0, 1, 2, 3, 4, 5, 6, 7, 8
	t, err := newTable(r, name, barCols, []string{"asset_id", "date", "close"})
	if err != nil {
		return err
	}
	seen := keySet{}
	src := opt.source()
	var b regime.Bar
	for {
		ok, err := t.next()
		if !ok || err != nil {
			return err
		}
		b = regime.Bar{Source: src}
		if b.AssetID, err = t.asset(cAsset, opt); err != nil {
			return err
		}
		if b.Date, err = t.date(cDate, true); err != nil {
			return err
		}
		if seen.add(b.AssetID, b.Date) {
			return t.errf(cDate, "duplicate row for asset %q on %s", b.AssetID, t.get(cDate))
		}
		b.KnownAt = b.Date
		if b.Open, err = t.positive(cOpen, false); err != nil {
			return err
		}
		if b.High, err = t.positive(cHigh, false); err != nil {
			return err
		}
		if b.Low, err = t.positive(cLow, false); err != nil {
			return err
		}
		if b.Close, err = t.positive(cClose, true); err != nil {
			return err
		}
		if !math.IsNaN(b.High) && (b.High < b.Close || b.High < b.Open || b.High < b.Low) {
			return t.errf(cHigh, "%s is below open, low or close", t.get(cHigh))
		}
		if !math.IsNaN(b.Low) && (b.Low > b.Close || b.Low > b.Open) {
			return t.errf(cLow, "%s is above open or close", t.get(cLow))
		}
		if b.VolumeUSD, err = t.nonNeg(cVol); err != nil {
			return err
		}
		if b.MarketCapUSD, err = t.nonNeg(cCap); err != nil {
			return err
		}
		if b.MarketCapUSD == 0 {
			b.MarketCapUSD = math.NaN()
		}
		if b.Supply, err = t.nonNeg(cSupply); err != nil {
			return err
		}
		if err := fn(&b); err != nil {
			return err
		}
	}
}

// ReadObservations decodes an observations.csv stream and calls fn for
// every observation in file order. KnownAt defaults to Date. It stops at
// the first invalid row or fn error.
func ReadObservations(r io.Reader, name string, opt ReadOptions, fn func(regime.Observation) error) error {
	const cSeries, cDate, cValue, cKnown = 0, 1, 2, 3
	t, err := newTable(r, name, observationCols, []string{"series", "date", "value"})
	if err != nil {
		return err
	}
	seen := keySet{}
	src := opt.source()
	for {
		ok, err := t.next()
		if !ok || err != nil {
			return err
		}
		o := regime.Observation{Source: src}
		if o.Series, err = t.key(cSeries); err != nil {
			return err
		}
		if o.Date, err = t.date(cDate, true); err != nil {
			return err
		}
		if seen.add(o.Series, o.Date) {
			return t.errf(cDate, "duplicate row for series %q on %s", o.Series, t.get(cDate))
		}
		if o.Value, err = t.num(cValue, true); err != nil {
			return err
		}
		if o.KnownAt, err = t.date(cKnown, false); err != nil {
			return err
		}
		if o.KnownAt == regime.NoDate {
			o.KnownAt = o.Date
		} else if o.KnownAt < o.Date {
			return t.errf(cKnown, "%s is before date %s", t.get(cKnown), t.get(cDate))
		}
		if err := fn(o); err != nil {
			return err
		}
	}
}

// ReadConstituents decodes a constituents.csv stream and calls fn for
// every row in file order. A market cap of 0 is read as missing. It stops
// at the first invalid row or fn error.
func ReadConstituents(r io.Reader, name string, opt ReadOptions, fn func(regime.Constituent) error) error {
	const cDate, cRank, cAsset, cCap, cPrice, cVol, cSupply = 0, 1, 2, 3, 4, 5, 6
	t, err := newTable(r, name, constituentCols, []string{"date", "rank", "asset_id"})
	if err != nil {
		return err
	}
	seen := keySet{}
	src := opt.source()
	for {
		ok, err := t.next()
		if !ok || err != nil {
			return err
		}
		c := regime.Constituent{Source: src}
		if c.Date, err = t.date(cDate, true); err != nil {
			return err
		}
		rank := t.get(cRank)
		n, perr := strconv.Atoi(rank)
		if perr != nil || n < 1 || strings.HasPrefix(rank, "+") {
			return t.errf(cRank, "invalid rank %q: want an integer >= 1", rank)
		}
		c.Rank = n
		if c.AssetID, err = t.asset(cAsset, opt); err != nil {
			return err
		}
		if seen.add(c.AssetID, c.Date) {
			return t.errf(cAsset, "duplicate row for asset %q on %s", c.AssetID, t.get(cDate))
		}
		if c.MarketCapUSD, err = t.nonNeg(cCap); err != nil {
			return err
		}
		if c.MarketCapUSD == 0 {
			c.MarketCapUSD = math.NaN()
		}
		if c.PriceUSD, err = t.positive(cPrice, false); err != nil {
			return err
		}
		if c.VolumeUSD, err = t.nonNeg(cVol); err != nil {
			return err
		}
		if c.Supply, err = t.nonNeg(cSupply); err != nil {
			return err
		}
		if err := fn(c); err != nil {
			return err
		}
	}
}

// ReadTruth decodes a truth.csv stream and calls fn with each row as an
// observation of TruthSeries (+1 bull, 0 neutral, -1 bear). It stops at
// the first invalid row or fn error.
func ReadTruth(r io.Reader, name string, opt ReadOptions, fn func(regime.Observation) error) error {
	const cDate, cRegime = 0, 1
	t, err := newTable(r, name, truthCols, truthCols)
	if err != nil {
		return err
	}
	var seen dateSet
	src := opt.source()
	for {
		ok, err := t.next()
		if !ok || err != nil {
			return err
		}
		d, err := t.date(cDate, true)
		if err != nil {
			return err
		}
		if seen.add(d) {
			return t.errf(cDate, "duplicate row for %s", t.get(cDate))
		}
		v := truthValue(t.get(cRegime))
		if v == nil {
			return t.errf(cRegime, "unknown regime %q: want bull, neutral or bear", t.get(cRegime))
		}
		if err := fn(regime.Observation{Series: TruthSeries, Date: d, Value: *v, Source: src, KnownAt: d}); err != nil {
			return err
		}
	}
}

func truthValue(label string) *float64 {
	for i := range truthLabels {
		if truthLabels[i].label == label {
			return &truthLabels[i].value
		}
	}
	return nil
}
