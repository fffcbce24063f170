package regime

import "context"

// Data sources added for live ingestion (see ingest/). The constants in
// bar.go name the older ones.
const (
	SourceDefiLlama = "defillama" // DefiLlama stablecoin supply
)

// Watermark records how far one series of one source has been ingested:
// every record of the series up to and including Through (daily series) or
// with an open time up to and including Time (intraday series) is stored.
// A live ingester saves the watermark in the same transaction as the page
// of records it covers, so after a crash the next run resumes at the
// watermark without losing or duplicating rows.
//
// Series names are the ingester's own: an observation series
// ("fred:DGS10"), "bars:<asset id>", "candles:<asset id>", "universe".
type Watermark struct {
	Source  string
	Series  string
	Through Date  // last day fully stored (inclusive); NoDate when none
	Time    int64 // intraday series: open time (Unix seconds) of the last stored candle; 0 otherwise
	Updated int64 // when the watermark was written (Unix seconds, from the ingester's clock)
}

// WatermarkStore reads the stored watermarks. Stores that support live
// ingestion implement it next to Store.
type WatermarkStore interface {
	// Watermark returns the watermark of (source, series), or an error
	// wrapping ErrNotFound when that series was never ingested.
	Watermark(ctx context.Context, source, series string) (Watermark, error)
	// Watermarks lists the watermarks of source (all sources when
	// empty), sorted by (Source, Series).
	Watermarks(ctx context.Context, source string) ([]Watermark, error)
}

// WatermarkWriter saves a watermark. The Writer a store passes to fn in
// Store.Update implements it too when the store supports live ingestion,
// so a page of records and its watermark commit together:
//
//	st.Update(ctx, func(w Writer) error {
//		// ... w.UpsertBars(ctx, page) ...
//		return w.(WatermarkWriter).SetWatermark(ctx, wm)
//	})
type WatermarkWriter interface {
	// SetWatermark stores wm, replacing the watermark of (wm.Source,
	// wm.Series). It returns an EINVALID *Error for an empty source or
	// series or a negative Time.
	SetWatermark(ctx context.Context, wm Watermark) error
}
