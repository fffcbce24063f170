package backtest_test

import (
	"compress/gzip"
	"context"
	"encoding/csv"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/regime-engine/regime"
	"github.com/regime-engine/regime/backtest"
	"github.com/regime-engine/regime/index"
	"github.com/regime-engine/regime/ingest/dataset"
)

// dataDir is the shared research dataset (read in place, never copied).
const dataDir = "../../shared/data"

// readCSV calls row for every record of a (possibly gzipped) CSV file
// under dataDir, with a column lookup.
func readCSV(t *testing.T, rel string, row func(get func(string) string)) {
	t.Helper()
	f, err := os.Open(filepath.Join(dataDir, rel))
	if err != nil {
		t.Skipf("dataset absent: %v", err)
	}
	defer f.Close()
	var r io.Reader = f
	if strings.HasSuffix(rel, ".gz") {
		gz, err := gzip.NewReader(f)
		if err != nil {
			t.Fatal(err)
		}
		r = gz
	}
	cr := csv.NewReader(r)
	head, err := cr.Read()
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, h := range head {
		col[h] = i
	}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return
		}
		if err != nil {
			t.Fatalf("%s: %v", rel, err)
		}
		row(func(name string) string {
			if i, ok := col[name]; ok && i < len(rec) {
				return rec[i]
			}
			return ""
		})
	}
}

func num(s string) float64 {
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || s == "" {
		return math.NaN()
	}
	return v
}

// realMarket builds a Market from the shared dataset: the CMC monthly
// top-200 snapshots (survivorship-free) as the universe, and daily
// closes from Coinbase, then Yahoo, then CoinGecko (shifted one day back:
// its 00:00 snapshot is the previous close). Assets are identified by
// ticker (lower case), a known simplification: a reused ticker merges two
// coins. USD Coin has CoinGecko prices until 2022-09-14 and is assumed at
// 1.00 USD afterwards (no daily USDC price in the dataset).
func realMarket(t *testing.T, from, to regime.Date) *backtest.Market {
	type key struct {
		d  regime.Date
		id string
	}
	type px struct{ c, v float64 }
	prices := map[key]px{}
	ids := map[string]bool{}
	add := func(d regime.Date, sym string, c, v float64, shift int) {
		d = d.AddDays(shift)
		if d < from || d > to || !(c > 0) {
			return
		}
		k := key{d, strings.ToLower(sym)}
		if _, ok := prices[k]; ok {
			return
		}
		prices[k] = px{c, v}
		ids[k.id] = true
	}
	day := func(s string) regime.Date {
		d, err := regime.ParseDate(s)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	readCSV(t, "prices/coinbase_daily_ohlcv_2020_2025.csv.gz", func(get func(string) string) {
		add(day(get("date")), get("base"), num(get("close")), num(get("volume_usd_approx")), 0)
	})
	readCSV(t, "prices/yahoo_daily_ohlcv_26coins.csv", func(get func(string) string) {
		if s := get("symbol"); s != "HYPE" && s != "MNT" { // other coins under those tickers
			add(day(get("date")), s, num(get("close")), num(get("volume_usd")), 0)
		}
	})
	readCSV(t, "prices/coingecko_daily_majors.csv", func(get func(string) string) {
		add(day(get("date")), get("symbol"), num(get("close_usd")), num(get("volume_usd")), -1)
	})
	type snapRow struct {
		c    regime.Constituent
		kind regime.AssetKind
	}
	var snaps []backtest.Snapshot
	kinds := map[string]regime.AssetKind{}
	readCSV(t, "universe/cmc_monthly_top200_2020_2025.csv", func(get func(string) string) {
		d := day(get("date"))
		if d > to {
			return
		}
		id := strings.ToLower(get("symbol"))
		k := dataset.Classify(get("name"), get("symbol"))
		if old, ok := kinds[id]; !ok || old == regime.KindCoin {
			kinds[id] = k // a reused ticker keeps any non-coin kind it was given
		}
		if len(snaps) == 0 || snaps[len(snaps)-1].Date != d {
			snaps = append(snaps, backtest.Snapshot{Date: d})
		}
		s := &snaps[len(snaps)-1]
		rank, _ := strconv.Atoi(get("rank"))
		s.Constituents = append(s.Constituents, regime.Constituent{Date: d, Source: regime.SourceCMC, Rank: rank, AssetID: id,
			MarketCapUSD: num(get("market_cap_usd")), PriceUSD: num(get("price_usd")), Supply: num(get("circulating_supply")), VolumeUSD: num(get("volume_24h_usd"))})
	})
	ids["usdc"] = true
	var assets []string
	for id := range ids {
		assets = append(assets, id)
	}
	sortStrings(assets)
	m := backtest.NewMarket(backtest.Days(from, to), assets)
	m.Cap = nil
	for id, k := range kinds {
		m.Kinds[id] = k
	}
	for t2, d := range m.Dates {
		for a, id := range assets {
			if p, ok := prices[key{d, id}]; ok {
				m.Set(t2, a, p.c, p.v)
			} else if id == "usdc" {
				m.Set(t2, a, 1, 1e10)
			}
		}
	}
	m.Kinds["usdc"] = regime.KindStablecoin
	m.Snapshots = snaps
	return m
}

func sortStrings(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

// fiveLevels maps bitcoin's close / SMA(n) to the five regime levels, a
// stand-in for the Market Gauge: above 1.10 strong bullish, above 1.00
// bullish, above 0.95 neutral, above 0.85 bearish, else strong bearish.
func fiveLevels(closes []float64, n int) []index.Level {
	out := make([]index.Level, len(closes))
	for i := range closes {
		out[i] = index.NoLevel
		if i+1 < n || math.IsNaN(closes[i]) {
			continue
		}
		var s float64
		k := 0
		for j := i; j > i-n; j-- {
			if !math.IsNaN(closes[j]) {
				s += closes[j]
				k++
			}
		}
		x := closes[i] / (s / float64(k))
		switch {
		case x > 1.10:
			out[i] = index.StrongBullish
		case x > 1.00:
			out[i] = index.Bullish
		case x > 0.95:
			out[i] = index.Neutral
		case x > 0.85:
			out[i] = index.Bearish
		default:
			out[i] = index.StrongBearish
		}
	}
	return out
}

// TestRealData runs 2020-2024 on the shared dataset with the benchmarks,
// logs the metrics, and checks invariants and sane ranges.
func TestRealData(t *testing.T) {
	if testing.Short() {
		t.Skip("real-data backtest skipped in -short mode")
	}
	from, start, to := regime.MustDate("2019-01-01"), regime.MustDate("2020-01-01"), regime.MustDate("2024-12-31")
	m := realMarket(t, from, to)
	cfg := backtest.DefaultConfig()
	cfg.BTC = "btc"
	cfg.Stable.Assets = []string{"usdc"}
	cfg.Start = start
	b := m.Asset("btc")
	sig := fiveLevels(m.Column(b), 200)
	c, err := backtest.Compare(cfg, m, sig)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("market: %d days x %d assets, %d snapshots", len(m.Dates), len(m.Assets), len(m.Snapshots))
	t.Logf("regime = five-level BTC close/SMA200 stand-in gauge; sma200 = BTC close > SMA200\n%s", c.Table())
	t.Logf("performance by regime (regime run)\n%s", backtest.RegimeTable(c.Results[0].Metrics))
	t.Logf("monthly returns (regime run)\n%s", backtest.MonthlyTable(c.Results[0].Monthly))
	for i, r := range c.Results {
		name := c.Names[i]
		checkInvariants(t, cfg, m, r)
		mt := r.Metrics
		if mt.Start != start || mt.End != to {
			t.Errorf("%s: period %s..%s", name, mt.Start, mt.End)
		}
		if !(mt.MaxDrawdown > 0 && mt.MaxDrawdown < 1) || !(mt.Volatility > 0.05 && mt.Volatility < 3) || !(mt.TotalReturn > -1 && mt.TotalReturn < 100) {
			t.Errorf("%s: implausible metrics %+v", name, mt)
		}
	}
	// BTC buy-and-hold must match the price ratio, less the entry costs.
	btc := c.Results[2]
	p0, p1 := m.At(m.Day(start.AddDays(1)), b), m.At(m.Day(to), b)
	if got, want := 1+btc.Metrics.TotalReturn, p1/p0; math.Abs(got/want-1) > 0.01 {
		t.Errorf("btc_hold growth %v, BTC price ratio %v", got, want)
	}
	if bh := c.Results[1].Metrics; bh.TimeInMarket < 0.99 {
		t.Errorf("buy_and_hold time in market %v", bh.TimeInMarket)
	}
	share := c.Results[1].Metrics.MissingPriceShare
	if !(share >= 0 && share < 1) {
		t.Errorf("missing-price share %v", share)
	}
	t.Logf("share of top-100 investable market cap without a daily price (skipped, slots refilled): mean %.1f%% over %d decisions", 100*share, len(c.Results[1].Decisions))
	var lo, hi = 1.0, 0.0
	var unpriced, members, wlo, whi = 0.0, 0.0, 1.0, 0.0
	ds := c.Results[1].Decisions
	for _, d := range ds {
		if !math.IsNaN(d.MissingPriceShare) {
			lo, hi = math.Min(lo, d.MissingPriceShare), math.Max(hi, d.MissingPriceShare)
		}
		if !math.IsNaN(d.MissingWeightShare) {
			wlo, whi = math.Min(wlo, d.MissingWeightShare), math.Max(whi, d.MissingWeightShare)
		}
		unpriced += float64(d.Unpriced)
		members += float64(d.Members)
	}
	t.Logf("missing-price share range: %.1f%% .. %.1f%%; on average %.1f of the top-100 investable coins had no daily price and the index held %.1f constituents",
		100*lo, 100*hi, unpriced/float64(len(ds)), members/float64(len(ds)))
	t.Logf("index weight (default capped cap weights) the unpriced coins would have had: mean %.1f%%, range %.1f%% .. %.1f%%",
		100*c.Results[1].Metrics.MissingWeightShare, 100*wlo, 100*whi)

	grid := backtest.Grid([]index.Exposure{{0, 0.25, 0.5, 1, 1}, {0, 0, 0.5, 1, 1}, {0, 0, 0, 1, 1}},
		[]int{10, 30, 100}, []index.Scheme{index.CapWeighted, index.SqrtCap, index.EqualWeight}, []int{7, 30})
	sw, err := backtest.Sweep(context.Background(), cfg, m, sig, grid, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("sweep on the five-level signal\n%s", sw.Table(8))
	if !(sw.PBO >= 0 && sw.PBO <= 1) || !(sw.DeflatedSharpe >= 0 && sw.DeflatedSharpe <= 1) {
		t.Errorf("overfitting statistics: DSR %v, PBO %v", sw.DeflatedSharpe, sw.PBO)
	}
}
