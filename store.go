package regime

import "context"

// Writer stores records. Every method is an idempotent upsert on the
// record's natural key, so writing the same records twice leaves the store
// unchanged:
//
//   - assets: ID (aliases are merged: the union of aliases, each alias's
//     From/To widened to cover both)
//   - bars: (AssetID, Source, Date)
//   - observations: (Series, Date)
//   - constituents: (Source, Date, AssetID)
//   - candles: (AssetID, Source, Time)
//
// Methods return an EINVALID *Error for records that violate the domain
// (empty keys, unknown asset kind, a bar for an unknown asset, KnownAt
// before Date), in which case nothing of the call is written.
type Writer interface {
	UpsertAssets(ctx context.Context, assets []Asset) error
	UpsertBars(ctx context.Context, bars []Bar) error
	UpsertObservations(ctx context.Context, obs []Observation) error
	UpsertConstituents(ctx context.Context, cs []Constituent) error
	UpsertCandles(ctx context.Context, cs []Candle) error
}

// Reader queries stored records. Lists are sorted by their natural key.
// Methods return an error wrapping ErrNotFound when a named asset or
// series does not exist, and an EINVALID *Error for an invalid range.
type Reader interface {
	// Asset returns the asset with the given id.
	Asset(ctx context.Context, id string) (Asset, error)
	// LookupAsset resolves a user reference: an id, a current symbol, or
	// any alias symbol or source id. When a symbol is ambiguous the asset
	// with the most recent alias wins. ErrNotFound if nothing matches.
	LookupAsset(ctx context.Context, ref string) (Asset, error)
	// FindAssets lists assets matching f, sorted by id.
	FindAssets(ctx context.Context, f AssetFilter) ([]Asset, error)
	// Bars returns one reconciled bar per day (see MergeBars) in r.
	Bars(ctx context.Context, assetID string, r DateRange) ([]Bar, error)
	// SourceBars returns the raw bars of one source in r.
	SourceBars(ctx context.Context, assetID, source string, r DateRange) ([]Bar, error)
	// Observations returns a series' values in r by Date.
	Observations(ctx context.Context, series string, r DateRange) ([]Observation, error)
	// Series lists the stored series, sorted by name.
	Series(ctx context.Context) ([]SeriesInfo, error)
	// Constituents returns the latest snapshot of source taken on or
	// before date (the universe as known that day), sorted by rank. An
	// empty source means any source, the latest snapshot winning, ties
	// broken by source name.
	Constituents(ctx context.Context, source string, date Date) ([]Constituent, error)
	// SnapshotDates lists the dates of stored universe snapshots of source.
	SnapshotDates(ctx context.Context, source string) ([]Date, error)
	// Candles returns candles with from <= Time < to (Unix seconds).
	Candles(ctx context.Context, assetID, source string, from, to int64) ([]Candle, error)
	// Stats counts rows per table and hashes the whole content in key
	// order: equal hashes mean equal stores.
	Stats(ctx context.Context) (Stats, error)
}

// Store is a complete Regime store.
type Store interface {
	Reader
	Writer
	// Update runs fn in one transaction: either everything fn writes is
	// stored or, if fn returns an error or panics, nothing is.
	Update(ctx context.Context, fn func(w Writer) error) error
	// Ping checks the store is reachable (for readiness probes).
	Ping(ctx context.Context) error
	Close() error
}

// Stats describes a store's content.
type Stats struct {
	Tables map[string]int64 // row count per table
	Hash   string           // hex SHA-256 over all rows in key order
}
