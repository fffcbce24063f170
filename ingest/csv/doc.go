// Package csv reads and writes the Regime user CSV schema described in
// docs/csv-schema.md: a directory holding assets.csv and optionally
// bars.csv, observations.csv, constituents.csv and truth.csv.
//
// Import validates every row strictly and stores each file in one store
// transaction, so a file with a bad row leaves the store unchanged. Errors
// are EINVALID *regime.Error values whose message starts with
// "path:line:column:". The Read* functions decode a single file from any
// io.Reader with the same validation, and Writer streams records into a
// schema directory (used by the synthetic market generator).
//
// The package is named after the format it wraps; callers that also use
// encoding/csv import one of the two under another name.
package csv

// File names of the schema.
const (
	AssetsFile       = "assets.csv"
	BarsFile         = "bars.csv"
	ObservationsFile = "observations.csv"
	ConstituentsFile = "constituents.csv"
	TruthFile        = "truth.csv"
)

// TruthSeries is the observation series truth.csv is stored as: +1 bull,
// 0 neutral, -1 bear. It is used to score detection, never as a feature.
const TruthSeries = "truth:regime"

// Column layouts, in the order Writer writes them. Required columns are
// marked in the spec tables of read.go.
var (
	assetCols       = []string{"id", "symbol", "name", "kind"}
	barCols         = []string{"asset_id", "date", "open", "high", "low", "close", "volume_usd", "market_cap_usd", "supply"}
	observationCols = []string{"series", "date", "value", "known_at"}
	constituentCols = []string{"date", "rank", "asset_id", "market_cap_usd", "price_usd", "volume_usd", "supply"}
	truthCols       = []string{"date", "regime"}
)

// Regime labels of truth.csv and their stored values.
var truthLabels = []struct {
	label string
	value float64
}{{"bull", 1}, {"neutral", 0}, {"bear", -1}}
