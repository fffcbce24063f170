package sqlite

import (
	"context"
	"database/sql"
	"math"
	"strings"

	"github.com/regime-engine/regime"
)

// notFound returns an ENOTFOUND error (errors.Is(err, regime.ErrNotFound)).
func notFound(format string, args ...any) error {
	return regime.Errorf(regime.ENOTFOUND, format, args...)
}

// val maps SQL NULL back to NaN.
func val(n sql.NullFloat64) float64 {
	if !n.Valid {
		return math.NaN()
	}
	return n.Float64
}

// bounds turns a DateRange into inclusive SQL bounds, a zero side being
// unbounded.
func bounds(r regime.DateRange) (from, to int64) {
	from, to = math.MinInt32, math.MaxInt32
	if r.From != regime.NoDate {
		from = int64(r.From)
	}
	if r.To != regime.NoDate {
		to = int64(r.To)
	}
	return from, to
}

// exists reports whether query returns a row.
func (s *Store) exists(ctx context.Context, op, query string, args ...any) (bool, error) {
	var one int
	switch err := s.rdb.QueryRowContext(ctx, query, args...).Scan(&one); err {
	case nil:
		return true, nil
	case sql.ErrNoRows:
		return false, nil
	default:
		return false, dbError(op, err)
	}
}

// requireAsset returns an ENOTFOUND error when id is not stored.
func (s *Store) requireAsset(ctx context.Context, op, id string) error {
	ok, err := s.exists(ctx, op, `SELECT 1 FROM assets WHERE id = ?`, id)
	if err != nil {
		return err
	}
	if !ok {
		return notFound("asset %q not found", id)
	}
	return nil
}

// Asset returns the asset with the given id, or an ENOTFOUND error.
func (s *Store) Asset(ctx context.Context, id string) (regime.Asset, error) {
	const op = "asset"
	var a regime.Asset
	var kind string
	err := s.rdb.QueryRowContext(ctx, `SELECT id, symbol, name, kind FROM assets WHERE id = ?`, id).
		Scan(&a.ID, &a.Symbol, &a.Name, &kind)
	if err == sql.ErrNoRows {
		return regime.Asset{}, notFound("asset %q not found", id)
	}
	if err != nil {
		return regime.Asset{}, dbError(op, err)
	}
	a.Kind = regime.AssetKind(kind)
	byID, err := s.aliases(ctx, op, `WHERE asset_id = ?`, id)
	if err != nil {
		return regime.Asset{}, err
	}
	a.Aliases = byID[id]
	return a, nil
}

// aliases loads aliases matching where, grouped by asset id, each group
// sorted by (source, source id, from, symbol, name).
func (s *Store) aliases(ctx context.Context, op, where string, args ...any) (map[string][]regime.Alias, error) {
	rows, err := s.rdb.QueryContext(ctx, `SELECT asset_id, source, source_id, symbol, name, from_date, to_date
		FROM asset_aliases `+where+` ORDER BY asset_id, source, source_id, from_date, symbol, name`, args...)
	if err != nil {
		return nil, dbError(op, err)
	}
	defer rows.Close()
	out := make(map[string][]regime.Alias)
	for rows.Next() {
		var id string
		var al regime.Alias
		var from, to int64
		if err := rows.Scan(&id, &al.Source, &al.SourceID, &al.Symbol, &al.Name, &from, &to); err != nil {
			return nil, dbError(op, err)
		}
		al.From, al.To = regime.Date(from), regime.Date(to)
		out[id] = append(out[id], al)
	}
	if err := rows.Err(); err != nil {
		return nil, dbError(op, err)
	}
	return out, nil
}

// LookupAsset resolves a user reference: an asset id (exact), else a
// current symbol, else an alias symbol or source id (both compared
// case-insensitively, ASCII folding). When several assets match, the one
// whose matching alias was seen most recently (largest To) wins, ties
// going to the smallest id. Returns an ENOTFOUND error if nothing matches.
func (s *Store) LookupAsset(ctx context.Context, ref string) (regime.Asset, error) {
	const op = "lookup asset"
	if ref == "" {
		return regime.Asset{}, notFound("asset reference is empty")
	}
	a, err := s.Asset(ctx, ref)
	if err == nil || regime.ErrorCode(err) != regime.ENOTFOUND {
		return a, err
	}
	// recency: latest To of an alias matching ref, else of any alias.
	const recency = `COALESCE(
		(SELECT MAX(x.to_date) FROM asset_aliases x WHERE x.asset_id = a.id
			AND (LOWER(x.symbol) = LOWER(?) OR LOWER(x.source_id) = LOWER(?))),
		(SELECT MAX(x.to_date) FROM asset_aliases x WHERE x.asset_id = a.id), 0)`
	queries := []string{
		`SELECT a.id, ` + recency + ` AS recency FROM assets a
			WHERE LOWER(a.symbol) = LOWER(?) ORDER BY recency DESC, a.id LIMIT 1`,
		`SELECT a.id, ` + recency + ` AS recency FROM assets a
			WHERE a.id IN (SELECT asset_id FROM asset_aliases
				WHERE LOWER(symbol) = LOWER(?) OR LOWER(source_id) = LOWER(?))
			ORDER BY recency DESC, a.id LIMIT 1`,
	}
	args := [][]any{{ref, ref, ref}, {ref, ref, ref, ref}}
	for i, q := range queries {
		var id string
		var rec int64
		err := s.rdb.QueryRowContext(ctx, q, args[i]...).Scan(&id, &rec)
		if err == sql.ErrNoRows {
			continue
		}
		if err != nil {
			return regime.Asset{}, dbError(op, err)
		}
		return s.Asset(ctx, id)
	}
	return regime.Asset{}, notFound("no asset matches %q", ref)
}

// FindAssets lists assets matching f, sorted by id. Search is a
// case-insensitive substring of the id, the symbol, the name or any alias
// symbol or name. Returns EINVALID for an unknown kind or a negative
// limit.
func (s *Store) FindAssets(ctx context.Context, f regime.AssetFilter) ([]regime.Asset, error) {
	const op = "find assets"
	if f.Kind != "" && !f.Kind.Valid() {
		return nil, regime.Errorf(regime.EINVALID, "unknown asset kind %q", f.Kind)
	}
	if f.Limit < 0 {
		return nil, regime.Errorf(regime.EINVALID, "negative limit %d", f.Limit)
	}
	q := `SELECT id, symbol, name, kind FROM assets`
	var args []any
	if f.Kind != "" {
		q += ` WHERE kind = ?`
		args = append(args, string(f.Kind))
	}
	rows, err := s.rdb.QueryContext(ctx, q+` ORDER BY id`, args...)
	if err != nil {
		return nil, dbError(op, err)
	}
	var all []regime.Asset
	for rows.Next() {
		var a regime.Asset
		var kind string
		if err := rows.Scan(&a.ID, &a.Symbol, &a.Name, &kind); err != nil {
			rows.Close()
			return nil, dbError(op, err)
		}
		a.Kind = regime.AssetKind(kind)
		all = append(all, a)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, dbError(op, err)
	}
	byID, err := s.aliases(ctx, op, ``)
	if err != nil {
		return nil, err
	}
	search := strings.ToLower(f.Search)
	match := func(a regime.Asset) bool {
		if search == "" {
			return true
		}
		has := func(v string) bool { return strings.Contains(strings.ToLower(v), search) }
		if has(a.ID) || has(a.Symbol) || has(a.Name) {
			return true
		}
		for _, al := range a.Aliases {
			if has(al.Symbol) || has(al.Name) {
				return true
			}
		}
		return false
	}
	out := []regime.Asset{}
	for _, a := range all {
		a.Aliases = byID[a.ID]
		if !match(a) {
			continue
		}
		out = append(out, a)
		if f.Limit > 0 && len(out) == f.Limit {
			break
		}
	}
	return out, nil
}

const barColumns = `source, date, open, high, low, close,
	volume_usd, market_cap_usd, supply, cap_estimated, known_at`

// scanner scans rows into untyped values, which is several times cheaper
// per column than database/sql's conversions into typed destinations.
type scanner struct {
	vals []any
	ptrs []any
}

// newScanner returns a scanner for n columns.
func newScanner(n int) *scanner {
	s := &scanner{vals: make([]any, n), ptrs: make([]any, n)}
	for i := range s.vals {
		s.ptrs[i] = &s.vals[i]
	}
	return s
}

// scan reads the current row.
func (s *scanner) scan(rows *sql.Rows) error { return rows.Scan(s.ptrs...) }

// f returns column i as a float, NULL as NaN.
func (s *scanner) f(i int) float64 {
	switch v := s.vals[i].(type) {
	case float64:
		return v
	case int64:
		return float64(v)
	}
	return math.NaN()
}

// i returns column i as an integer.
func (s *scanner) i(i int) int64 {
	switch v := s.vals[i].(type) {
	case int64:
		return v
	case float64:
		return int64(v)
	}
	return 0
}

// s returns column i as a string.
func (s *scanner) s(i int) string {
	switch v := s.vals[i].(type) {
	case string:
		return v
	case []byte:
		return string(v)
	}
	return ""
}

// queryBars runs a bar query selecting barColumns for one asset.
func (s *Store) queryBars(ctx context.Context, op, assetID, query string, args ...any) ([]regime.Bar, error) {
	rows, err := s.rdb.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, dbError(op, err)
	}
	defer rows.Close()
	var out []regime.Bar
	sc := newScanner(11)
	var source string
	for rows.Next() {
		if err := sc.scan(rows); err != nil {
			return nil, dbError(op, err)
		}
		if src := sc.s(0); src != source {
			source = src // share one string per source
		}
		out = append(out, regime.Bar{AssetID: assetID, Source: source, Date: regime.Date(sc.i(1)),
			Open: sc.f(2), High: sc.f(3), Low: sc.f(4), Close: sc.f(5),
			VolumeUSD: sc.f(6), MarketCapUSD: sc.f(7), Supply: sc.f(8),
			CapEstimated: sc.i(9) != 0, KnownAt: regime.Date(sc.i(10))})
	}
	if err := rows.Err(); err != nil {
		return nil, dbError(op, err)
	}
	return out, nil
}

// Bars returns one reconciled bar per day in r (regime.MergeBars over all
// sources). Returns EINVALID for an invalid range and ENOTFOUND for an
// unknown asset; a known asset without bars in r gives an empty slice.
func (s *Store) Bars(ctx context.Context, assetID string, r regime.DateRange) ([]regime.Bar, error) {
	const op = "bars"
	if err := r.Validate(); err != nil {
		return nil, err
	}
	if err := s.requireAsset(ctx, op, assetID); err != nil {
		return nil, err
	}
	from, to := bounds(r)
	rows, err := s.queryBars(ctx, op, assetID, `SELECT `+barColumns+` FROM bars
		WHERE asset_id = ? AND date >= ? AND date <= ?`, assetID, from, to)
	if err != nil {
		return nil, err
	}
	out := regime.MergeBars(rows)
	if out == nil {
		out = []regime.Bar{}
	}
	return out, nil
}

// SourceBars returns the raw bars of one source in r sorted by date.
// Returns EINVALID for an invalid range and ENOTFOUND for an unknown
// asset; an unknown source gives an empty slice.
func (s *Store) SourceBars(ctx context.Context, assetID, source string, r regime.DateRange) ([]regime.Bar, error) {
	const op = "source bars"
	if err := r.Validate(); err != nil {
		return nil, err
	}
	if err := s.requireAsset(ctx, op, assetID); err != nil {
		return nil, err
	}
	from, to := bounds(r)
	out, err := s.queryBars(ctx, op, assetID, `SELECT `+barColumns+` FROM bars
		WHERE asset_id = ? AND source = ? AND date >= ? AND date <= ? ORDER BY date`, assetID, source, from, to)
	if out == nil && err == nil {
		out = []regime.Bar{}
	}
	return out, err
}

// Observations returns a series' values in r sorted by date. Returns
// EINVALID for an invalid range and ENOTFOUND for a series with no stored
// values.
func (s *Store) Observations(ctx context.Context, series string, r regime.DateRange) ([]regime.Observation, error) {
	const op = "observations"
	if err := r.Validate(); err != nil {
		return nil, err
	}
	ok, err := s.exists(ctx, op, `SELECT 1 FROM observations WHERE series = ? LIMIT 1`, series)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, notFound("series %q not found", series)
	}
	from, to := bounds(r)
	rows, err := s.rdb.QueryContext(ctx, `SELECT date, value, source, known_at FROM observations
		WHERE series = ? AND date >= ? AND date <= ? ORDER BY date`, series, from, to)
	if err != nil {
		return nil, dbError(op, err)
	}
	defer rows.Close()
	out := []regime.Observation{}
	sc := newScanner(4)
	var source string
	for rows.Next() {
		if err := sc.scan(rows); err != nil {
			return nil, dbError(op, err)
		}
		if src := sc.s(2); src != source {
			source = src
		}
		out = append(out, regime.Observation{Series: series, Date: regime.Date(sc.i(0)), Value: sc.f(1),
			Source: source, KnownAt: regime.Date(sc.i(3))})
	}
	if err := rows.Err(); err != nil {
		return nil, dbError(op, err)
	}
	return out, nil
}

// Series lists the stored series sorted by name. Source is the source of
// the series' latest value; Count counts stored rows, missing values
// included.
func (s *Store) Series(ctx context.Context) ([]regime.SeriesInfo, error) {
	const op = "series"
	rows, err := s.rdb.QueryContext(ctx, `SELECT o.series, COUNT(*), MIN(o.date), MAX(o.date),
		(SELECT x.source FROM observations x WHERE x.series = o.series ORDER BY x.date DESC LIMIT 1)
		FROM observations o GROUP BY o.series ORDER BY o.series`)
	if err != nil {
		return nil, dbError(op, err)
	}
	defer rows.Close()
	out := []regime.SeriesInfo{}
	for rows.Next() {
		var si regime.SeriesInfo
		var from, to int64
		if err := rows.Scan(&si.Series, &si.Count, &from, &to, &si.Source); err != nil {
			return nil, dbError(op, err)
		}
		si.From, si.To = regime.Date(from), regime.Date(to)
		out = append(out, si)
	}
	if err := rows.Err(); err != nil {
		return nil, dbError(op, err)
	}
	return out, nil
}

// requireSource returns an ENOTFOUND error when source has no snapshots.
func (s *Store) requireSource(ctx context.Context, op, source string) error {
	ok, err := s.exists(ctx, op, `SELECT 1 FROM constituents WHERE source = ? LIMIT 1`, source)
	if err != nil {
		return err
	}
	if !ok {
		return notFound("no universe snapshots from source %q", source)
	}
	return nil
}

// Constituents returns the latest snapshot of source taken on or before
// date, sorted by rank then asset id. An empty source means any source,
// the latest snapshot winning and ties going to the first source name.
// Returns ENOTFOUND for a source without snapshots and an empty slice when
// no snapshot is that old.
func (s *Store) Constituents(ctx context.Context, source string, date regime.Date) ([]regime.Constituent, error) {
	const op = "constituents"
	var snapSource string
	var snapDate int64
	var err error
	if source != "" {
		if err := s.requireSource(ctx, op, source); err != nil {
			return nil, err
		}
		snapSource = source
		var d sql.NullInt64
		err = s.rdb.QueryRowContext(ctx, `SELECT MAX(date) FROM constituents WHERE source = ? AND date <= ?`,
			source, int64(date)).Scan(&d)
		if err == nil && !d.Valid {
			err = sql.ErrNoRows
		}
		snapDate = d.Int64
	} else {
		err = s.rdb.QueryRowContext(ctx, `SELECT source, date FROM constituents WHERE date <= ?
			ORDER BY date DESC, source LIMIT 1`, int64(date)).Scan(&snapSource, &snapDate)
	}
	if err == sql.ErrNoRows {
		return []regime.Constituent{}, nil
	}
	if err != nil {
		return nil, dbError(op, err)
	}
	rows, err := s.rdb.QueryContext(ctx, `SELECT source, date, asset_id, rank, market_cap_usd, price_usd, supply, volume_usd
		FROM constituents WHERE source = ? AND date = ? ORDER BY rank, asset_id`, snapSource, snapDate)
	if err != nil {
		return nil, dbError(op, err)
	}
	defer rows.Close()
	out := []regime.Constituent{}
	for rows.Next() {
		var c regime.Constituent
		var d, rank int64
		var m, p, sup, v sql.NullFloat64
		if err := rows.Scan(&c.Source, &d, &c.AssetID, &rank, &m, &p, &sup, &v); err != nil {
			return nil, dbError(op, err)
		}
		c.Date, c.Rank = regime.Date(d), int(rank)
		c.MarketCapUSD, c.PriceUSD, c.Supply, c.VolumeUSD = val(m), val(p), val(sup), val(v)
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, dbError(op, err)
	}
	return out, nil
}

// SnapshotDates lists the distinct dates of stored snapshots of source in
// ascending order; an empty source lists the dates of all sources.
// Returns ENOTFOUND for a source without snapshots.
func (s *Store) SnapshotDates(ctx context.Context, source string) ([]regime.Date, error) {
	const op = "snapshot dates"
	q := `SELECT DISTINCT date FROM constituents ORDER BY date`
	var args []any
	if source != "" {
		if err := s.requireSource(ctx, op, source); err != nil {
			return nil, err
		}
		q = `SELECT DISTINCT date FROM constituents WHERE source = ? ORDER BY date`
		args = append(args, source)
	}
	rows, err := s.rdb.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, dbError(op, err)
	}
	defer rows.Close()
	out := []regime.Date{}
	for rows.Next() {
		var d int64
		if err := rows.Scan(&d); err != nil {
			return nil, dbError(op, err)
		}
		out = append(out, regime.Date(d))
	}
	if err := rows.Err(); err != nil {
		return nil, dbError(op, err)
	}
	return out, nil
}

// Candles returns the candles of one asset and source with
// from <= Time < to, sorted by time. Returns EINVALID when from > to and
// ENOTFOUND for an unknown asset.
func (s *Store) Candles(ctx context.Context, assetID, source string, from, to int64) ([]regime.Candle, error) {
	const op = "candles"
	if from > to {
		return nil, regime.Errorf(regime.EINVALID, "invalid time range: from %d is after to %d", from, to)
	}
	if err := s.requireAsset(ctx, op, assetID); err != nil {
		return nil, err
	}
	rows, err := s.rdb.QueryContext(ctx, `SELECT time, open, high, low, close,
		volume_base, volume_quote, trades FROM candles
		WHERE asset_id = ? AND source = ? AND time >= ? AND time < ? ORDER BY time`, assetID, source, from, to)
	if err != nil {
		return nil, dbError(op, err)
	}
	defer rows.Close()
	out := []regime.Candle{}
	sc := newScanner(8)
	for rows.Next() {
		if err := sc.scan(rows); err != nil {
			return nil, dbError(op, err)
		}
		out = append(out, regime.Candle{AssetID: assetID, Source: source, Time: sc.i(0),
			Open: sc.f(1), High: sc.f(2), Low: sc.f(3), Close: sc.f(4),
			VolumeBase: sc.f(5), VolumeQuote: sc.f(6), Trades: sc.f(7)})
	}
	if err := rows.Err(); err != nil {
		return nil, dbError(op, err)
	}
	return out, nil
}
