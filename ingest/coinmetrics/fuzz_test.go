package coinmetrics_test

import (
	"math"
	"testing"

	"github.com/regime-engine/regime/ingest/coinmetrics"
	"github.com/regime-engine/regime/ingest/live/livetest"
)

func FuzzParseAssetMetrics(f *testing.F) {
	f.Add(livetest.Recorded(f, "asset_metrics.json"))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := coinmetrics.ParseAssetMetrics(b)
		if err != nil {
			return
		}
		for _, r := range p.Rows {
			for k, v := range r.Values {
				if math.IsNaN(v) || math.IsInf(v, 0) {
					t.Fatalf("%s = %v accepted", k, v)
				}
			}
		}
	})
}
