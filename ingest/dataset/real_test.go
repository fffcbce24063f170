package dataset_test

import (
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/regime-engine/regime"
	"github.com/regime-engine/regime/ingest/dataset"
)

// realDir is the research dataset, relative to this package.
const realDir = "../../../shared/data"

func skipWithoutReal(t testing.TB) {
	t.Helper()
	if _, err := os.Stat(filepath.Join(realDir, dataset.FileUniverse)); err != nil {
		t.Skip("research dataset not present:", err)
	}
	if testing.Short() {
		t.Skip("full dataset import skipped in -short mode")
	}
}

// TestRealDataset imports ../shared/data twice and checks what the
// engine relies on. Set REGIME_REPORT=path to keep the text report.
func TestRealDataset(t *testing.T) {
	skipWithoutReal(t)
	ctx := context.Background()
	st := openStore(t)
	rep := importDir(t, st, dataset.Options{Dir: realDir})
	if out := os.Getenv("REGIME_REPORT"); out != "" {
		f, err := os.Create(out)
		if err != nil {
			t.Fatal(err)
		}
		rep.WriteText(f)
		f.Close()
	}

	t.Run("BTC closes cover 2013-2024", func(t *testing.T) {
		bars, err := st.Bars(ctx, "bitcoin", regime.DateRange{From: d("2013-01-01"), To: d("2024-12-31")})
		if err != nil {
			t.Fatal(err)
		}
		if len(bars) == 0 || bars[0].Date != d("2013-01-01") || bars[len(bars)-1].Date != d("2024-12-31") {
			t.Fatalf("BTC bars %d, want 2013-01-01..2024-12-31", len(bars))
		}
		for i := 1; i < len(bars); i++ {
			if bars[i].Date-bars[i-1].Date != 1 || !(bars[i].Close > 0) {
				t.Fatalf("BTC gap or missing close at %s", bars[i].Date)
			}
		}
	})
	t.Run("top 100 on 2021-06-01 holds LUNA and FTT", func(t *testing.T) {
		cs, err := st.Constituents(ctx, regime.SourceCMC, d("2021-06-01"))
		if err != nil {
			t.Fatal(err)
		}
		have := map[string]bool{}
		for _, c := range cs {
			if c.Rank <= 100 {
				have[c.AssetID] = true
			}
		}
		for _, id := range []string{"terra", "ftx-token", "bitcoin", "tether"} {
			if !have[id] {
				t.Errorf("%s not in the 2021-06-01 top 100", id)
			}
		}
		a, err := st.Asset(ctx, "terra")
		if err != nil || a.Symbol != "LUNC" {
			t.Errorf("terra = %+v, %v; want the asset now called LUNC", a, err)
		}
	})
	t.Run("sentiment and macro", func(t *testing.T) {
		for _, s := range []string{"feargreed:value", "fred:DGS10", "fred:CPIAUCSL", "trends:bitcoin", "onchain:bitcoin:CapMVRVCur", "flows:bitcoin:inflow"} {
			obs, err := st.Observations(ctx, s, regime.DateRange{From: d("2019-01-01"), To: d("2019-12-31")})
			if err != nil || len(obs) == 0 {
				t.Errorf("%s in 2019: %d values, %v", s, len(obs), err)
			}
		}
	})
	t.Run("USDT cap is never Omni only", func(t *testing.T) {
		bars, err := st.SourceBars(ctx, "tether", regime.SourceCoinMetrics, regime.DateRange{From: d("2020-07-27"), To: d("2020-07-27")})
		if err != nil || len(bars) != 1 || bars[0].MarketCapUSD < 9e9 {
			t.Errorf("tether Coin Metrics cap on 2020-07-27 = %+v, %v; want about $10B", bars, err)
		}
	})
	t.Run("known flaws", func(t *testing.T) {
		if r := reason(rep, dataset.FileUniverse, "rank_out_of_range"); r.Count != 1 {
			t.Errorf("rank_out_of_range = %+v, want the EDLC row", r)
		}
		cs, _ := st.Constituents(ctx, regime.SourceCMC, d("2023-03-01"))
		bnx := map[string]bool{}
		for _, c := range cs {
			if c.AssetID == "binaryx" || c.AssetID == "binaryx-old" {
				bnx[c.AssetID] = true
			}
		}
		if len(bnx) != 2 {
			t.Errorf("2023-03-01 BNX assets = %v, want binaryx and binaryx-old", bnx)
		}
		if rep.RankInversions == 0 || rep.EstimatedCaps == 0 {
			t.Errorf("rank inversions %d, estimated caps %d", rep.RankInversions, rep.EstimatedCaps)
		}
		if a, err := st.LookupAsset(ctx, "HYPE"); !errors.Is(err, regime.ErrNotFound) {
			t.Errorf("Yahoo HYPE was mapped: %+v, %v", a, err)
		}
	})
	t.Run("estimates", func(t *testing.T) {
		// BNB: CoinGecko caps end 2023-11-30, Yahoo closes continue
		bars, err := st.Bars(ctx, "binance-coin", regime.DateRange{From: d("2024-06-10"), To: d("2024-06-10")})
		if err != nil || len(bars) != 1 || !bars[0].CapEstimated || math.IsNaN(bars[0].MarketCapUSD) {
			t.Errorf("BNB 2024-06-10 = %+v, %v; want an estimated cap", bars, err)
		}
	})
}
