package binance_test

import (
	"math"
	"testing"

	"github.com/regime-engine/regime/ingest/binance"
	"github.com/regime-engine/regime/ingest/live/livetest"
)

func FuzzParseKlines(f *testing.F) {
	f.Add(livetest.Recorded(f, "klines_1d.json"))
	f.Add([]byte(`[[1,"1","1","1","1","1",2,"1",1]]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		ks, err := binance.ParseKlines(b)
		if err != nil {
			return
		}
		for _, k := range ks {
			if math.IsNaN(k.Close) || math.IsInf(k.High, 0) || k.CloseTime < k.OpenTime {
				t.Fatalf("accepted %+v", k)
			}
		}
	})
}

func FuzzParseDepth(f *testing.F) {
	f.Add(livetest.Recorded(f, "depth.json"))
	f.Fuzz(func(t *testing.T, b []byte) {
		book, err := binance.ParseDepth(b)
		if err != nil {
			return
		}
		bid, ask, _, ok := binance.DepthWithin(book, 0.02)
		if ok && (bid < 0 || ask < 0 || math.IsNaN(bid) || math.IsNaN(ask)) {
			t.Fatalf("depth %v %v", bid, ask)
		}
	})
}
