package dataset_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/regime-engine/regime"
	"github.com/regime-engine/regime/ingest/dataset"
)

func TestIdentities(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	importDir(t, st, dataset.Options{Dir: miniDir})
	tests := []struct {
		name       string
		id         string
		wantSymbol string
		wantKind   regime.AssetKind
		// CMC aliases (Name|SYMBOL) the asset must have, and must not have
		want, notWant []string
	}{
		{"old LUNA became Terra Classic", "terra", "LUNC", regime.KindCoin, []string{"Terra|LUNA", "Terra Classic|LUNC"}, nil},
		{"Terra 2.0 is a new asset", "terra-2", "LUNA", regime.KindCoin, []string{"Terra|LUNA"}, []string{"Terra Classic|LUNC"}},
		{"UST became USTC", "terrausd", "USTC", regime.KindStablecoin, []string{"TerraUSD|UST", "TerraClassicUSD|USTC"}, nil},
		{"pre-2023 BinaryX is the old token", "binaryx-old", "BNX", regime.KindCoin, []string{"BinaryX|BNX", "BinaryX (old)|BNX"}, nil},
		{"redenominated BinaryX", "binaryx", "BNX", regime.KindCoin, []string{"BinaryX|BNX"}, []string{"BinaryX (old)|BNX"}},
		{"renamed Binance Coin", "binance-coin", "BNB", regime.KindExchangeToken, []string{"Binance Coin|BNB", "BNB|BNB"}, nil},
		{"BigONE's ONE is an exchange token", "bigone-token", "ONE", regime.KindExchangeToken, []string{"BigONE Token|ONE"}, []string{"Harmony|ONE"}},
		{"Harmony reuses ONE", "harmony", "ONE", regime.KindCoin, []string{"Harmony|ONE"}, []string{"BigONE Token|ONE"}},
		{"Tether", "tether", "USDT", regime.KindStablecoin, []string{"Tether|USDT"}, nil},
		{"WBTC", "wrapped-bitcoin", "WBTC", regime.KindWrapped, []string{"Wrapped Bitcoin|WBTC"}, nil},
		{"PAXG", "pax-gold", "PAXG", regime.KindPegged, []string{"PAX Gold|PAXG"}, nil},
		{"FTT", "ftx-token", "FTT", regime.KindExchangeToken, []string{"FTX Token|FTT"}, nil},
		{"Coin Metrics asset outside CMC", "ethos", "ETHOS", regime.KindCoin, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := st.Asset(ctx, tt.id)
			if err != nil {
				t.Fatalf("Asset(%q): %v", tt.id, err)
			}
			if a.Symbol != tt.wantSymbol || a.Kind != tt.wantKind {
				t.Errorf("%s: symbol %s kind %s, want %s %s", tt.id, a.Symbol, a.Kind, tt.wantSymbol, tt.wantKind)
			}
			has := map[string]bool{}
			for _, al := range a.Aliases {
				if al.Source == regime.SourceCMC {
					has[al.SourceID] = true
				}
			}
			for _, k := range tt.want {
				if !has[k] {
					t.Errorf("%s: missing CMC alias %q (have %v)", tt.id, k, has)
				}
			}
			for _, k := range tt.notWant {
				if has[k] {
					t.Errorf("%s: has CMC alias %q of another asset", tt.id, k)
				}
			}
		})
	}
	t.Run("Terra aliases split at the collapse", func(t *testing.T) {
		old, _ := st.Asset(ctx, "terra")
		for _, al := range old.Aliases {
			if al.SourceID == "Terra|LUNA" && al.To > d("2022-05-31") {
				t.Errorf("old Terra alias runs to %s, after the relaunch", al.To)
			}
		}
	})
}

func TestUniverse(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	rep := importDir(t, st, dataset.Options{Dir: miniDir})
	ids := func(date string) []string {
		cs, err := st.Constituents(ctx, regime.SourceCMC, d(date))
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, c := range cs {
			out = append(out, c.AssetID)
		}
		return out
	}
	tests := []struct {
		date string
		want string
	}{
		{"2020-01-01", "bitcoin ethereum tether binance-coin ftx-token terra wrapped-bitcoin pax-gold bigone-token"},
		{"2022-06-01", "bitcoin terra terra-2 terrausd"},
		{"2023-03-01", "bitcoin binaryx-old binaryx"}, // duplicate BNX: two assets
		{"2024-08-01", "bitcoin"},                     // rank-201 EDLC rejected
		{"2024-08-15", "bitcoin"},                     // the latest snapshot on or before the day
	}
	for _, tt := range tests {
		if got := strings.Join(ids(tt.date), " "); got != tt.want {
			t.Errorf("constituents %s = %q, want %q", tt.date, got, tt.want)
		}
	}
	r := reason(rep, dataset.FileUniverse, "rank_out_of_range")
	if r.Count != 1 || !r.Rejected || len(r.Examples) != 1 || !strings.Contains(r.Examples[0], "cmc_monthly_top200_2020_2025.csv:") || !strings.Contains(r.Examples[0], "EDLC") {
		t.Errorf("rank_out_of_range = %+v, want one rejected EDLC row with file:line", r)
	}
	// 2020-01 and 2020-02: WBTC<PAXG<ONE by cap; 2020-03: WBTC<PAXG, TINY<BIG; 2022-06: LUNC<LUNA
	if rep.RankInversions != 7 {
		t.Errorf("RankInversions = %d, want 7", rep.RankInversions)
	}
	if r := reason(rep, dataset.FileUniverse, "zero_market_cap"); r.Count != 1 || r.Rejected {
		t.Errorf("zero_market_cap = %+v, want 1 adjusted row", r)
	}
	cs, _ := st.Constituents(ctx, regime.SourceCMC, d("2020-03-01"))
	for _, c := range cs {
		if c.AssetID == "zero-cap-coin" && !math.IsNaN(c.MarketCapUSD) {
			t.Errorf("zero market cap stored as %v, want NaN", c.MarketCapUSD)
		}
	}
}

func TestCoinGeckoDateShift(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	rep := importDir(t, st, dataset.Options{Dir: miniDir})
	bars, err := st.SourceBars(ctx, "bitcoin", regime.SourceCoinGecko, regime.DateRange{})
	if err != nil {
		t.Fatal(err)
	}
	// file rows 2020-01-02 (7201.5) and 2020-01-03 (6985, cap 0); the
	// 2020-01-04 row has a negative price
	if len(bars) != 2 {
		t.Fatalf("got %d CoinGecko bars, want 2: %+v", len(bars), bars)
	}
	if bars[0].Date != d("2020-01-01") || bars[0].Close != 7201.5 || bars[0].MarketCapUSD != 1.306e11 {
		t.Errorf("first bar %s close %v cap %v, want 2020-01-01 7201.5 1.306e11", bars[0].Date, bars[0].Close, bars[0].MarketCapUSD)
	}
	if bars[1].Date != d("2020-01-02") || !math.IsNaN(bars[1].MarketCapUSD) {
		t.Errorf("second bar %s cap %v, want 2020-01-02 with a missing cap", bars[1].Date, bars[1].MarketCapUSD)
	}
	for _, tt := range []struct {
		reason   string
		count    int
		rejected bool
	}{{"zero_market_cap", 1, false}, {"nonpositive_price", 1, true}} {
		if r := reason(rep, dataset.FileCoinGecko, tt.reason); r.Count != tt.count || r.Rejected != tt.rejected {
			t.Errorf("%s = %+v, want count %d rejected %v", tt.reason, r, tt.count, tt.rejected)
		}
	}
	a, _ := st.Asset(ctx, "bitcoin")
	found := false
	for _, al := range a.Aliases {
		found = found || (al.Source == regime.SourceCoinGecko && al.SourceID == "bitcoin")
	}
	if !found {
		t.Errorf("bitcoin has no CoinGecko alias with SourceID bitcoin: %+v", a.Aliases)
	}
}

func TestTetherSlices(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	importDir(t, st, dataset.Options{Dir: miniDir})
	bars, err := st.SourceBars(ctx, "tether", regime.SourceCoinMetrics, regime.DateRange{})
	if err != nil || len(bars) != 1 {
		t.Fatalf("tether Coin Metrics bars: %v %+v", err, bars)
	}
	// Omni 1.34e9 + Ethereum 2.7e9 + Tron 6e7: never the Omni-only cap
	if want := 1.34e9 + 2.7e9 + 6e7; math.Abs(bars[0].MarketCapUSD-want) > 1 {
		t.Errorf("tether cap %v, want the sum of chain slices %v", bars[0].MarketCapUSD, want)
	}
	obs, err := st.Observations(ctx, "onchain:tether:AdrActCnt@omni", regime.DateRange{})
	if err != nil || len(obs) != 1 || obs[0].Value != 2000 {
		t.Errorf("onchain:tether:AdrActCnt@omni = %+v, %v; want one value 2000", obs, err)
	}
}

func TestEstimatedCapsUseOnlyKnownSupply(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	rep := importDir(t, st, dataset.Options{Dir: miniDir})
	cmc, err := st.SourceBars(ctx, "binance-coin", regime.SourceCMC, regime.DateRange{})
	if err != nil || len(cmc) != 3 {
		t.Fatalf("binance-coin CMC bars: %v %d", err, len(cmc))
	}
	est, err := st.SourceBars(ctx, "binance-coin", regime.SourceEstimate, regime.DateRange{})
	if err != nil {
		t.Fatal(err)
	}
	yahoo, _ := st.SourceBars(ctx, "binance-coin", regime.SourceYahoo, regime.DateRange{})
	closeOn := map[regime.Date]float64{}
	for _, b := range yahoo {
		closeOn[b.Date] = b.Close
	}
	// Yahoo has 66 days from 2019-12-30; no supply before the 2020-01-01
	// snapshot (2 days), and the three snapshot days carry a reported cap
	// (CoinGecko's bar, shifted to 2020-01-01, falls on one of them)
	if len(est) != 66-2-3 {
		t.Errorf("got %d estimated caps, want 61", len(est))
	}
	if rep.EstimatedCaps < len(est) {
		t.Errorf("report counts %d estimates, store has %d for one asset", rep.EstimatedCaps, len(est))
	}
	for _, b := range est {
		var want float64 // the latest snapshot supply on or before the day
		for _, s := range cmc {
			if s.Date <= b.Date {
				want = s.Supply
			}
		}
		if !b.CapEstimated || b.KnownAt != b.Date || b.Supply != want || math.Abs(b.MarketCapUSD-closeOn[b.Date]*want) > 1e-3 {
			t.Errorf("%s: estimate cap %v supply %v known %s, want close %v x supply %v known that day",
				b.Date, b.MarketCapUSD, b.Supply, b.KnownAt, closeOn[b.Date], want)
		}
	}
}

func TestObservations(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	rep := importDir(t, st, dataset.Options{Dir: miniDir})
	tests := []struct {
		series    string
		date      string
		value     float64
		knownAt   string
		wantCount int
	}{
		{"fred:DGS10", "2020-01-02", 1.88, "2020-01-03", 2},     // daily: next day ("abc" row rejected)
		{"fred:CPIAUCSL", "2020-01-01", 259.1, "2020-02-16", 1}, // monthly CPI: +46 days
		{"fred:FEDFUNDS", "2020-01-01", 1.55, "2020-02-02", 1},  // monthly: +32 days
		{"fred:WALCL", "2020-01-06", 4173000, "2020-01-07", 1},  // H.4.1: next day
		{"feargreed:value", "2020-01-01", 38, "2020-01-01", 2},  // 140 rejected
		{"trends:bitcoin", "2020-12-01", 40, "2021-01-01", 2},   // known after the month
		{"flows:bitcoin:inflow", "2020-01-01", 40624.06, "2020-01-01", 1},
		{"flows:bitcoin:binance:inflow", "2016-07-01", 10, "2016-07-01", 1}, // leading zero day dropped
		{"flows:bitcoin:kraken:supply", "2016-06-30", 91228.1, "2016-06-30", 2},
		{"onchain:bitcoin:CapMVRVCur", "2024-12-31", 2.55, "2024-12-31", 2},
		{"onchain:bitcoin:CapRealUSD", "2020-01-01", 1e11, "2020-01-01", 1},  // raw file: metric not in the full file
		{"onchain:bitcoin:AdrActCnt", "2020-01-01", 800000, "2020-01-01", 5}, // panel 3 days + full 2 days
	}
	for _, tt := range tests {
		t.Run(tt.series, func(t *testing.T) {
			obs, err := st.Observations(ctx, tt.series, regime.DateRange{})
			if err != nil {
				t.Fatal(err)
			}
			if len(obs) != tt.wantCount {
				t.Errorf("%d observations, want %d", len(obs), tt.wantCount)
			}
			for _, o := range obs {
				if o.Date == d(tt.date) {
					if o.Value != tt.value || o.KnownAt != d(tt.knownAt) {
						t.Errorf("%s = %v known %s, want %v known %s", tt.date, o.Value, o.KnownAt, tt.value, tt.knownAt)
					}
					return
				}
			}
			t.Errorf("no value on %s", tt.date)
		})
	}
	if _, err := st.Observations(ctx, "onchain:bitcoin:PriceUSD@omni", regime.DateRange{}); err == nil {
		t.Errorf("unexpected series")
	}
	for _, tt := range []struct{ file, reason string }{
		{dataset.FileFRED, "unknown_series"}, {dataset.FileFRED, "bad_number"}, {dataset.FileFearGreed, "value_out_of_range"},
	} {
		if r := reason(rep, tt.file, tt.reason); r.Count != 1 || !r.Rejected {
			t.Errorf("%s %s = %+v, want 1 rejected row", tt.file, tt.reason, r)
		}
	}
}

func TestSourcesMappedConservatively(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	rep := importDir(t, st, dataset.Options{Dir: miniDir})
	if r := reason(rep, dataset.FileYahoo, "unmapped_symbol"); r.Count != 2 || !strings.Contains(r.Examples[0], "HYPE") {
		t.Errorf("Yahoo HYPE: %+v, want its 2 rows rejected as unmapped", r)
	}
	if a, err := st.LookupAsset(ctx, "HYPE"); !errors.Is(err, regime.ErrNotFound) {
		t.Errorf("an asset was created or matched for HYPE: %+v, %v", a, err)
	}
	if r := reason(rep, dataset.FileYahoo, "missing_price"); r.Count != 1 {
		t.Errorf("SHIB row without price: %+v", r)
	}
	if r := reason(rep, dataset.FileCoinbase, "non_usd_quote"); r.Count != 1 {
		t.Errorf("EURC/USDC: %+v", r)
	}
	cb, _ := st.SourceBars(ctx, "bitcoin", regime.SourceCoinbase, regime.DateRange{})
	if len(cb) != 2 || cb[0].Open != 7165 || cb[0].VolumeUSD != 7200000 {
		t.Errorf("Coinbase BTC bars: %+v", cb)
	}
	candles, err := st.Candles(ctx, "bitcoin", regime.SourceBinance, 0, math.MaxInt64)
	if err != nil || len(candles) != 3 {
		t.Fatalf("candles: %v %d", err, len(candles))
	}
	if candles[0].Trades != 7640 || !math.IsNaN(candles[1].Trades) {
		t.Errorf("trades %v %v, want 7640 and NaN", candles[0].Trades, candles[1].Trades)
	}
}

func TestImportIsIdempotent(t *testing.T) {
	st := openStore(t)
	rep1 := importDir(t, st, dataset.Options{Dir: miniDir})
	s1 := stats(t, st)
	rep2 := importDir(t, st, dataset.Options{Dir: miniDir})
	s2 := stats(t, st)
	if s1.Hash != s2.Hash || s1.Hash == "" {
		t.Errorf("hash changed on re-import: %s -> %s", s1.Hash, s2.Hash)
	}
	for k, n := range s1.Tables {
		if s2.Tables[k] != n {
			t.Errorf("table %s: %d rows, then %d", k, n, s2.Tables[k])
		}
	}
	if s1.Tables["bars"] == 0 {
		t.Errorf("no bars imported: %v", s1.Tables)
	}
	rep1.Elapsed, rep1.ElapsedReadWall, rep2.Elapsed, rep2.ElapsedReadWall = 0, 0, 0, 0
	j1, err1 := json.Marshal(rep1)
	j2, err2 := json.Marshal(rep2)
	if err1 != nil || err2 != nil || len(j1) < 1000 {
		t.Fatalf("report JSON: %v %v (%d bytes)", err1, err2, len(j1))
	}
	if !bytes.Equal(j1, j2) {
		t.Errorf("reports differ between identical imports")
	}
}

func TestCorruptFileLeavesStoreIntact(t *testing.T) {
	tests := []struct {
		name    string
		fixture string // replaces file in a copy of the mini dataset
		file    string
		wantMsg string
	}{
		{"truncated gzip", "testdata/broken/truncated.csv.gz", dataset.FileCoinbase, "truncated or corrupt"},
		{"wrong column count", "testdata/broken/malformed_row.csv", dataset.FileYahoo, ":6: wrong number of fields"},
	}
	for _, tt := range tests {
		for _, prefilled := range []bool{false, true} {
			t.Run(tt.name, func(t *testing.T) {
				st := openStore(t)
				if prefilled {
					importDir(t, st, dataset.Options{Dir: miniDir, Range: regime.DateRange{To: d("2020-01-15")}})
				}
				before := stats(t, st)
				dir := copyDir(t, miniDir)
				if err := copyFile(tt.fixture, filepath.Join(dir, filepath.FromSlash(tt.file))); err != nil {
					t.Fatal(err)
				}
				_, err := dataset.Import(context.Background(), st, dataset.Options{Dir: dir})
				if err == nil {
					t.Fatal("Import succeeded on a corrupt file")
				}
				if regime.ErrorCode(err) != regime.EINVALID || !strings.Contains(err.Error(), tt.file) || !strings.Contains(err.Error(), tt.wantMsg) {
					t.Errorf("error %q (code %s), want EINVALID naming %s and %q", err, regime.ErrorCode(err), tt.file, tt.wantMsg)
				}
				if after := stats(t, st); after.Hash != before.Hash {
					t.Errorf("store changed: hash %s -> %s", before.Hash, after.Hash)
				}
			})
		}
	}
}

func TestRange(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	r := regime.DateRange{From: d("2020-01-01"), To: d("2020-01-31")}
	rep := importDir(t, st, dataset.Options{Dir: miniDir, Range: r})
	bars, err := st.SourceBars(ctx, "binance-coin", regime.SourceYahoo, regime.DateRange{})
	if err != nil {
		t.Fatal(err)
	}
	if len(bars) != 31 {
		t.Errorf("%d Yahoo BNB bars in January, want 31", len(bars))
	}
	for _, b := range bars {
		if !r.Contains(b.Date) {
			t.Errorf("bar on %s outside %s", b.Date, r)
		}
	}
	// identities do not depend on the range
	if _, err := st.Asset(ctx, "terra-2"); err != nil {
		t.Errorf("terra-2: %v", err)
	}
	skipped := 0
	for _, f := range rep.Files {
		skipped += f.Skipped
	}
	if skipped == 0 {
		t.Errorf("no rows counted as skipped by the range")
	}
}

func TestProgressAndReport(t *testing.T) {
	st := openStore(t)
	final := map[string]bool{}
	var bad []regime.Progress
	rep := importDir(t, st, dataset.Options{Dir: miniDir, Progress: func(p regime.Progress) {
		if p.Total > 0 && p.Done > p.Total || p.Stage == "" {
			bad = append(bad, p)
		}
		if p.Final {
			final[p.Stage] = true
		}
	}})
	if len(bad) > 0 {
		t.Errorf("bad progress events: %+v", bad)
	}
	for _, stage := range []string{"import " + dataset.FileUniverse, "import " + dataset.FileFRED, "write assets", "write " + dataset.FileUniverse} {
		if !final[stage] {
			t.Errorf("no final progress event for %q", stage)
		}
	}
	var buf bytes.Buffer
	if err := rep.WriteText(&buf); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{dataset.FileUniverse, "rank_out_of_range", "estimated market caps", "fred ", "onchain:bitcoin", "binance-coin", "missing"} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("text report lacks %q", want)
		}
	}
	if rep.AssetsByKind[regime.KindStablecoin] != 2 || rep.AssetsByKind[regime.KindExchangeToken] != 3 {
		t.Errorf("assets by kind = %v", rep.AssetsByKind)
	}
}

func TestImportErrors(t *testing.T) {
	st := openStore(t)
	tests := []struct {
		name string
		opt  dataset.Options
	}{
		{"missing directory", dataset.Options{Dir: "testdata/does-not-exist"}},
		{"not a dataset", dataset.Options{Dir: "testdata/broken"}},
		{"inverted range", dataset.Options{Dir: miniDir, Range: regime.DateRange{From: d("2021-01-01"), To: d("2020-01-01")}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := dataset.Import(context.Background(), st, tt.opt); regime.ErrorCode(err) != regime.EINVALID {
				t.Errorf("err = %v, want EINVALID", err)
			}
		})
	}
}
