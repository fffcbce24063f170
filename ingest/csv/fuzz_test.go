package csv_test

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/regime-engine/regime"
	"github.com/regime-engine/regime/ingest/csv"
)

// FuzzReadBars checks that the bar decoder never panics, that every bar it
// accepts satisfies the schema rules, and that every error it returns is
// an EINVALID *regime.Error positioned as name:line:column.
func FuzzReadBars(f *testing.F) {
	for _, dir := range []string{"testdata/good", "testdata/bad"} {
		paths, _ := filepath.Glob(filepath.Join(dir, "bars*.csv"))
		for _, p := range paths {
			b, err := os.ReadFile(p)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(b)
		}
	}
	f.Add([]byte("asset_id,date,close\nx,2024-01-01,1e3\nx,2024-01-02,\"2\"\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		err := csv.ReadBars(bytes.NewReader(data), "bars.csv", csv.ReadOptions{}, func(b *regime.Bar) error {
			if b.AssetID == "" || strings.TrimSpace(b.AssetID) != b.AssetID {
				t.Errorf("bad asset id %q", b.AssetID)
			}
			if !(b.Close > 0) || math.IsInf(b.Close, 0) {
				t.Errorf("close %v accepted", b.Close)
			}
			for _, v := range []float64{b.Open, b.High, b.Low} {
				if !math.IsNaN(v) && !(v > 0) {
					t.Errorf("price %v accepted", v)
				}
			}
			if b.High < b.Low || b.High < b.Close || b.Low > b.Close || b.High < b.Open || b.Low > b.Open {
				t.Errorf("inconsistent OHLC %+v accepted", b)
			}
			for _, v := range []float64{b.VolumeUSD, b.MarketCapUSD, b.Supply} {
				if v < 0 || math.IsInf(v, 0) {
					t.Errorf("value %v accepted", v)
				}
			}
			if b.MarketCapUSD == 0 {
				t.Error("market cap 0 not turned into NaN")
			}
			if b.Source != regime.SourceCSV || b.KnownAt != b.Date {
				t.Errorf("source/known_at %+v", b)
			}
			return nil
		})
		if err != nil {
			if regime.ErrorCode(err) != regime.EINVALID || !strings.HasPrefix(err.Error(), "bars.csv:") {
				t.Errorf("error %v: want EINVALID starting with bars.csv:", err)
			}
		}
	})
}
