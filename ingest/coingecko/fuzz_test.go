package coingecko_test

import (
	"math"
	"testing"

	"github.com/regime-engine/regime/ingest/coingecko"
	"github.com/regime-engine/regime/ingest/live/livetest"
)

func FuzzParseMarkets(f *testing.F) {
	f.Add(livetest.Recorded(f, "markets.json"))
	f.Fuzz(func(t *testing.T, b []byte) {
		ms, err := coingecko.ParseMarkets(b)
		if err != nil {
			return
		}
		for _, m := range ms {
			if m.ID == "" || math.IsInf(m.MarketCap, 0) {
				t.Fatalf("accepted %+v", m)
			}
		}
	})
}

func FuzzParseCoinList(f *testing.F) {
	f.Add(livetest.Recorded(f, "coins_list.json"))
	f.Fuzz(func(t *testing.T, b []byte) {
		cs, err := coingecko.ParseCoinList(b)
		if err != nil {
			return
		}
		for _, c := range cs {
			if c.ID == "" {
				t.Fatal("accepted an empty id")
			}
		}
	})
}

func FuzzParseChart(f *testing.F) {
	f.Add(livetest.Recorded(f, "market_chart_range.json"))
	f.Fuzz(func(t *testing.T, b []byte) {
		ch, err := coingecko.ParseChart(b)
		if err != nil {
			return
		}
		for i := 1; i < len(ch.Points); i++ {
			if ch.Points[i].Time <= ch.Points[i-1].Time {
				t.Fatalf("points not strictly increasing at %d", i)
			}
		}
	})
}
