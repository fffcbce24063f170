package bench

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	_ "modernc.org/sqlite" // the "sqlite" database/sql driver of the reference

	"github.com/regime-engine/regime"
	"github.com/regime-engine/regime/sqlite"
)

// storeBars returns n daily bars of asset from source starting 2015-01-01.
func storeBars(asset, source string, n int) []regime.Bar {
	start := regime.MustDate("2015-01-01")
	out := make([]regime.Bar, n)
	for i := range out {
		c := 100 + float64(i%97)
		out[i] = regime.Bar{AssetID: asset, Date: start.AddDays(i), Source: source, Open: c - 1, High: c + 2, Low: c - 2,
			Close: c, VolumeUSD: c * 1e6, MarketCapUSD: c * 1e9, Supply: math.NaN(), KnownAt: start.AddDays(i)}
	}
	return out
}

func storeAssets(n int) []regime.Asset {
	out := make([]regime.Asset, n)
	for i := range out {
		id := fmt.Sprintf("a%04d", i)
		out[i] = regime.Asset{ID: id, Symbol: strings.ToUpper(id), Name: id, Kind: regime.KindCoin}
	}
	return out
}

// refSchema is the bars table of the store (sqlite/migrations) for the
// plain database/sql reference, with the store's write PRAGMAs.
const refSchema = `
PRAGMA journal_mode=WAL;
PRAGMA synchronous=NORMAL;
CREATE TABLE bars (
    asset_id TEXT NOT NULL, source TEXT NOT NULL, date INTEGER NOT NULL,
    open REAL, high REAL, low REAL, close REAL, volume_usd REAL, market_cap_usd REAL, supply REAL,
    cap_estimated INTEGER NOT NULL, known_at INTEGER NOT NULL,
    PRIMARY KEY (asset_id, source, date)
) WITHOUT ROWID;`

const refInsert = `INSERT INTO bars (asset_id, source, date, open, high, low, close, volume_usd, market_cap_usd, supply, cap_estimated, known_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (asset_id, source, date) DO UPDATE SET open = excluded.open, high = excluded.high, low = excluded.low,
close = excluded.close, volume_usd = excluded.volume_usd, market_cap_usd = excluded.market_cap_usd,
supply = excluded.supply, cap_estimated = excluded.cap_estimated, known_at = excluded.known_at`

func null(v float64) any {
	if math.IsNaN(v) {
		return nil
	}
	return v
}

// refUpsert writes bars with one prepared single-row statement per bar in
// one transaction.
func refUpsert(ctx context.Context, db *sql.DB, bars []regime.Bar) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	st, err := tx.PrepareContext(ctx, refInsert)
	if err != nil {
		return err
	}
	defer st.Close()
	for _, b := range bars {
		est := 0
		if b.CapEstimated {
			est = 1
		}
		if _, err := st.ExecContext(ctx, b.AssetID, b.Source, int64(b.Date), null(b.Open), null(b.High), null(b.Low),
			null(b.Close), null(b.VolumeUSD), null(b.MarketCapUSD), null(b.Supply), est, int64(b.KnownAt)); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// refRead reads one asset's bars of one source in date order.
func refRead(ctx context.Context, db *sql.DB, asset, source string) ([]regime.Bar, error) {
	rows, err := db.QueryContext(ctx, `SELECT date, open, high, low, close, volume_usd, market_cap_usd, supply, cap_estimated, known_at
FROM bars WHERE asset_id = ? AND source = ? ORDER BY date`, asset, source)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []regime.Bar
	for rows.Next() {
		b := regime.Bar{AssetID: asset, Source: source}
		var d, k int64
		var est int
		var v [7]sql.NullFloat64
		if err := rows.Scan(&d, &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &est, &k); err != nil {
			return nil, err
		}
		f := func(n sql.NullFloat64) float64 {
			if !n.Valid {
				return math.NaN()
			}
			return n.Float64
		}
		b.Date, b.KnownAt, b.CapEstimated = regime.Date(d), regime.Date(k), est != 0
		b.Open, b.High, b.Low, b.Close, b.VolumeUSD, b.MarketCapUSD, b.Supply = f(v[0]), f(v[1]), f(v[2]), f(v[3]), f(v[4]), f(v[5]), f(v[6])
		out = append(out, b)
	}
	return out, rows.Err()
}

func (r *runner) store() error {
	const sec = "store"
	ctx := r.ctx
	dir, err := os.MkdirTemp(r.o.TempDir, "regime-bench-")
	if err != nil {
		return regime.Errorf(regime.EINVALID, "bench store: temporary directory: %v", err)
	}
	defer os.RemoveAll(dir)

	s, err := sqlite.Open(ctx, filepath.Join(dir, "regime.db"))
	if err != nil {
		return err
	}
	defer s.Close()
	db, err := sql.Open("sqlite", filepath.Join(dir, "reference.db"))
	if err != nil {
		return err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	if _, err := db.ExecContext(ctx, refSchema); err != nil {
		return fmt.Errorf("reference schema: %w", err)
	}

	// A pool of 20 batches; the first pass inserts, later ones update.
	batch, per := r.o.StoreRows, r.o.ReadBars
	nAssets := max(1, (20*batch+per-1)/per)
	assets := storeAssets(nAssets)
	if err := s.UpsertAssets(ctx, assets); err != nil {
		return err
	}
	var pool []regime.Bar
	for _, a := range assets {
		pool = append(pool, storeBars(a.ID, regime.SourceCoinGecko, per)...)
	}
	chunk := func(i int) []regime.Bar {
		k := (i * batch) % len(pool)
		if k+batch > len(pool) {
			k = 0
		}
		return pool[k:min(k+batch, len(pool))]
	}
	var werr error
	upsert := func(write func([]regime.Bar) error) (ns, cpu float64) {
		i := 0
		res := measure(r.o.BenchTime, func(b *testing.B) {
			for b.Loop() {
				if err := write(chunk(i)); err != nil && werr == nil {
					werr = err
				}
				i++
			}
		})
		return nsPerOp(res) / float64(len(chunk(0))), res.cpu / float64(len(chunk(0)))
	}
	ours, oursCPU := upsert(func(b []regime.Bar) error { return s.UpsertBars(ctx, b) })
	ref, _ := upsert(func(b []regime.Bar) error { return refUpsert(ctx, db, b) })
	if werr != nil {
		return werr
	}
	row := newRow(sec, fmt.Sprintf("upsert bars, %d per call", len(chunk(0))), ours, "ns/row").vs("database/sql", ref, "value/ref")
	row.CPU = oursCPU
	row.Note = "reference: one prepared single-row INSERT ... ON CONFLICT per bar, one transaction per call"
	r.add(row)

	// Read ReadBars reconciled days of one asset with two sources.
	id := assets[0].ID
	if err := s.UpsertBars(ctx, storeBars(id, regime.SourceCoinMetrics, per)); err != nil {
		return err
	}
	if err := refUpsert(ctx, db, storeBars(id, regime.SourceCoinGecko, per)); err != nil {
		return err
	}
	var rerr error
	read := func(f func() ([]regime.Bar, error)) (us, cpu float64) {
		res := measure(r.o.BenchTime, func(b *testing.B) {
			for b.Loop() {
				bars, err := f()
				if err == nil && len(bars) != per {
					err = fmt.Errorf("read %d bars, want %d", len(bars), per)
				}
				if err != nil && rerr == nil {
					rerr = err
				}
			}
		})
		return nsPerOp(res) / 1e3, res.cpu / 1e3
	}
	ours, oursCPU = read(func() ([]regime.Bar, error) { return s.Bars(ctx, id, regime.DateRange{}) })
	ref, _ = read(func() ([]regime.Bar, error) { return refRead(ctx, db, id, regime.SourceCoinGecko) })
	if rerr != nil {
		return rerr
	}
	row = newRow(sec, fmt.Sprintf("read %d reconciled bars", per), ours, "µs").vs("database/sql", ref, "value/ref")
	row.CPU = oursCPU
	row.Note = "ours merges two sources per day; reference scans one source's rows"
	r.add(row)
	return nil
}
