package sqlite

import (
	"context"
	"database/sql"

	"github.com/regime-engine/regime"
)

var (
	_ regime.WatermarkStore  = (*Store)(nil)
	_ regime.WatermarkWriter = (*txWriter)(nil)
	_ regime.WatermarkWriter = (*Store)(nil)
)

// Watermark returns the stored watermark of (source, series), or an error
// wrapping regime.ErrNotFound when there is none.
func (s *Store) Watermark(ctx context.Context, source, series string) (regime.Watermark, error) {
	wm := regime.Watermark{Source: source, Series: series}
	var through int64
	err := s.rdb.QueryRowContext(ctx, `SELECT through, time, updated FROM watermarks WHERE source = ? AND series = ?`,
		source, series).Scan(&through, &wm.Time, &wm.Updated)
	if err == sql.ErrNoRows {
		return regime.Watermark{}, notFound("no watermark for %s %s", source, series)
	}
	if err != nil {
		return regime.Watermark{}, dbError("watermark", err)
	}
	wm.Through = regime.Date(through)
	return wm, nil
}

// Watermarks lists the watermarks of source (all when empty), sorted by
// (source, series).
func (s *Store) Watermarks(ctx context.Context, source string) ([]regime.Watermark, error) {
	const op = "watermarks"
	rows, err := s.rdb.QueryContext(ctx, `SELECT source, series, through, time, updated FROM watermarks
		WHERE ? = '' OR source = ? ORDER BY source, series`, source, source)
	if err != nil {
		return nil, dbError(op, err)
	}
	defer rows.Close()
	out := []regime.Watermark{}
	for rows.Next() {
		var wm regime.Watermark
		var through int64
		if err := rows.Scan(&wm.Source, &wm.Series, &through, &wm.Time, &wm.Updated); err != nil {
			return nil, dbError(op, err)
		}
		wm.Through = regime.Date(through)
		out = append(out, wm)
	}
	if err := rows.Err(); err != nil {
		return nil, dbError(op, err)
	}
	return out, nil
}

// SetWatermark stores wm in its own transaction; inside Update use the
// Writer's SetWatermark so the watermark commits with its records.
func (s *Store) SetWatermark(ctx context.Context, wm regime.Watermark) error {
	return s.write(ctx, func(w *txWriter) error { return w.SetWatermark(ctx, wm) })
}

// SetWatermark replaces the watermark of (wm.Source, wm.Series) inside the
// transaction; see regime.WatermarkWriter.
func (w *txWriter) SetWatermark(ctx context.Context, wm regime.Watermark) error {
	if wm.Source == "" || wm.Series == "" {
		return regime.Errorf(regime.EINVALID, "watermark: empty source or series (%q, %q)", wm.Source, wm.Series)
	}
	if wm.Time < 0 {
		return regime.Errorf(regime.EINVALID, "watermark %s %s: negative time %d", wm.Source, wm.Series, wm.Time)
	}
	_, err := w.tx.ExecContext(ctx, `INSERT INTO watermarks (source, series, through, time, updated) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (source, series) DO UPDATE SET through = excluded.through, time = excluded.time, updated = excluded.updated`,
		wm.Source, wm.Series, int64(wm.Through), wm.Time, wm.Updated)
	if err != nil {
		return dbError("set watermark", err)
	}
	return nil
}
