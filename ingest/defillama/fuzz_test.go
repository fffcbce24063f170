package defillama_test

import (
	"testing"

	"github.com/regime-engine/regime/ingest/defillama"
	"github.com/regime-engine/regime/ingest/live/livetest"
)

func FuzzParseChart(f *testing.F) {
	f.Add(livetest.Recorded(f, "stablecoincharts_all.json"))
	f.Fuzz(func(t *testing.T, b []byte) {
		pts, err := defillama.ParseChart(b)
		if err != nil {
			return
		}
		for _, p := range pts {
			if !(p.TotalUSD >= 0) {
				t.Fatalf("accepted %+v", p)
			}
		}
	})
}
