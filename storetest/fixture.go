package storetest

import (
	"context"
	"testing"

	"github.com/regime-engine/regime"
)

// d parses a fixture date.
func d(s string) regime.Date { return regime.MustDate(s) }

var nan = regime.NaN

// Fixture days used by the bar reconciliation cases.
var (
	day1 = d("2021-03-01")
	day2 = d("2021-03-02")
	day3 = d("2021-03-03")
	day4 = d("2021-03-04")
)

// fixtureAssets covers renames and reused tickers: the original Terra
// (LUNA, renamed LUNC in 2022) and Terra 2.0 (LUNA since 2022), and the
// ticker UST held by two assets that both have since changed symbol.
func fixtureAssets() []regime.Asset {
	return []regime.Asset{
		{ID: "bitcoin", Symbol: "BTC", Name: "Bitcoin", Kind: regime.KindCoin, Aliases: []regime.Alias{
			{Source: regime.SourceCMC, SourceID: "Bitcoin|BTC", Symbol: "BTC", Name: "Bitcoin", From: d("2020-01-01"), To: d("2024-12-01")},
			{Source: regime.SourceCoinGecko, SourceID: "bitcoin", Symbol: "BTC", Name: "Bitcoin", From: d("2013-04-28"), To: d("2024-12-18")},
		}},
		{ID: "ethereum", Symbol: "ETH", Name: "Ethereum", Kind: regime.KindCoin, Aliases: []regime.Alias{
			{Source: regime.SourceCoinMetrics, SourceID: "eth", Symbol: "ETH", Name: "Ethereum", From: d("2015-08-08"), To: d("2020-07-27")},
		}},
		{ID: "terra", Symbol: "LUNC", Name: "Terra Classic", Kind: regime.KindCoin, Aliases: []regime.Alias{
			{Source: regime.SourceCMC, SourceID: "Terra Classic|LUNC", Symbol: "LUNC", Name: "Terra Classic", From: d("2022-06-01"), To: d("2024-12-01")},
			{Source: regime.SourceCMC, SourceID: "Terra|LUNA", Symbol: "LUNA", Name: "Terra", From: d("2020-01-01"), To: d("2022-05-01")},
		}},
		{ID: "terra-2", Symbol: "LUNA", Name: "Terra", Kind: regime.KindCoin, Aliases: []regime.Alias{
			{Source: regime.SourceCMC, SourceID: "Terra|LUNA", Symbol: "LUNA", Name: "Terra", From: d("2022-06-01"), To: d("2024-12-01")},
		}},
		{ID: "terrausd", Symbol: "USTC", Name: "TerraClassicUSD", Kind: regime.KindStablecoin, Aliases: []regime.Alias{
			{Source: regime.SourceCMC, SourceID: "TerraUSD|UST", Symbol: "UST", Name: "TerraUSD", From: d("2020-12-01"), To: d("2022-05-01")},
		}},
		{ID: "tether", Symbol: "USDT", Name: "Tether", Kind: regime.KindStablecoin},
		{ID: "ust-wormhole", Symbol: "USTW", Name: "UST (Wormhole)", Kind: regime.KindWrapped, Aliases: []regime.Alias{
			{Source: regime.SourceCoinGecko, SourceID: "terrausd-wormhole", Symbol: "UST", Name: "Wrapped UST", From: d("2022-01-01"), To: d("2023-01-01")},
		}},
	}
}

// fixtureBars has several sources per day for bitcoin so that every rule
// of regime.MergeBars is exercised, plus plain single-source ethereum bars.
func fixtureBars() []regime.Bar {
	bar := func(source string, day regime.Date, o, h, l, c, v, m, s float64, est bool, known regime.Date) regime.Bar {
		return regime.Bar{AssetID: "bitcoin", Date: day, Source: source, Open: o, High: h, Low: l, Close: c,
			VolumeUSD: v, MarketCapUSD: m, Supply: s, CapEstimated: est, KnownAt: known}
	}
	bs := []regime.Bar{
		// day1: csv has the price only; volume must come from coingecko,
		// the cap from coinmetrics (reported beats estimated).
		bar(regime.SourceCSV, day1, 100, 110, 90, 105, nan, nan, nan, false, day1),
		bar(regime.SourceCoinMetrics, day1, nan, nan, nan, 104, nan, 1900, 18.5, false, day1.AddDays(1)),
		bar(regime.SourceCoinGecko, day1, nan, nan, nan, 103, 50, 1950, nan, false, day1),
		bar(regime.SourceEstimate, day1, nan, nan, nan, nan, nan, 2000, nan, true, day1),
		// day2: the best source lacks a close, so the price comes from binance.
		bar(regime.SourceCoinGecko, day2, nan, nan, nan, nan, 60, 1990, nan, false, day2),
		bar(regime.SourceBinance, day2, 101, 112, 99, 108, 70, nan, nan, false, day2),
		// day3: only an estimated cap exists.
		bar(regime.SourceCoinbase, day3, 108, 115, 100, 111, 80, nan, nan, false, day3),
		bar(regime.SourceEstimate, day3, nan, nan, nan, nan, nan, 2100, nan, true, day3.AddDays(2)),
		// day4: a reported cap of a low-ranked source beats an estimated
		// cap of the best source.
		bar(regime.SourceCSV, day4, 111, 113, 109, 112, nan, 2050, nan, true, day4),
		bar(regime.SourceCMC, day4, nan, nan, nan, 112.5, nan, 2060, 18.6, false, day4),
	}
	for i := 0; i < 5; i++ {
		day := d("2020-01-01").AddDays(i)
		c := 130 + float64(i)
		bs = append(bs, regime.Bar{AssetID: "ethereum", Date: day, Source: regime.SourceCoinMetrics,
			Open: nan, High: nan, Low: nan, Close: c, VolumeUSD: nan, MarketCapUSD: c * 110e6, Supply: 110e6, KnownAt: day})
	}
	return bs
}

// fixtureObservations has a daily and a monthly series and a missing value.
func fixtureObservations() []regime.Observation {
	return []regime.Observation{
		{Series: "feargreed:value", Date: d("2021-01-01"), Value: 40, Source: regime.SourceFearGreed, KnownAt: d("2021-01-01")},
		{Series: "feargreed:value", Date: d("2021-01-02"), Value: nan, Source: regime.SourceFearGreed, KnownAt: d("2021-01-02")},
		{Series: "feargreed:value", Date: d("2021-01-03"), Value: 55.5, Source: regime.SourceFearGreed, KnownAt: d("2021-01-03")},
		{Series: "fred:CPIAUCSL", Date: d("2020-12-01"), Value: 260.474, Source: regime.SourceFRED, KnownAt: d("2021-01-13")},
		{Series: "fred:CPIAUCSL", Date: d("2021-01-01"), Value: 261.582, Source: regime.SourceFRED, KnownAt: d("2021-02-10")},
	}
}

// fixtureConstituents has monthly cmc snapshots and one coingecko
// snapshot between them.
func fixtureConstituents() []regime.Constituent {
	c := func(source string, day regime.Date, rank int, id string, cap float64) regime.Constituent {
		return regime.Constituent{Date: day, Source: source, Rank: rank, AssetID: id, MarketCapUSD: cap,
			PriceUSD: cap / 1e6, Supply: 1e6, VolumeUSD: nan}
	}
	return []regime.Constituent{
		c(regime.SourceCMC, d("2022-04-01"), 2, "ethereum", 400e9),
		c(regime.SourceCMC, d("2022-04-01"), 1, "bitcoin", 800e9),
		c(regime.SourceCMC, d("2022-04-01"), 3, "terra", 40e9),
		c(regime.SourceCMC, d("2022-05-01"), 1, "bitcoin", 700e9),
		c(regime.SourceCMC, d("2022-05-01"), 2, "ethereum", 350e9),
		c(regime.SourceCoinGecko, d("2022-04-15"), 1, "bitcoin", 750e9),
		c(regime.SourceCoinGecko, d("2022-04-15"), 2, "tether", 80e9),
	}
}

// fixtureCandles are hourly candles, one with an unknown trade count.
func fixtureCandles() []regime.Candle {
	const t0 = 1614556800 // 2021-03-01T00:00:00Z
	var cs []regime.Candle
	for i := int64(0); i < 4; i++ {
		cs = append(cs, regime.Candle{AssetID: "bitcoin", Source: regime.SourceBinance, Time: t0 + 3600*i,
			Open: 100 + float64(i), High: 102 + float64(i), Low: 99 + float64(i), Close: 101 + float64(i),
			VolumeBase: 10, VolumeQuote: 1000, Trades: float64(500 + i)})
	}
	cs[2].Trades = nan
	cs = append(cs, regime.Candle{AssetID: "bitcoin", Source: regime.SourceCoinbase, Time: t0,
		Open: 100, High: 101, Low: 99, Close: 100.5, VolumeBase: 1, VolumeQuote: 100, Trades: nan})
	return cs
}

// load writes every fixture record to s.
func load(t *testing.T, s regime.Writer) {
	t.Helper()
	ctx := context.Background()
	must(t, s.UpsertAssets(ctx, fixtureAssets()))
	must(t, s.UpsertBars(ctx, fixtureBars()))
	must(t, s.UpsertObservations(ctx, fixtureObservations()))
	must(t, s.UpsertConstituents(ctx, fixtureConstituents()))
	must(t, s.UpsertCandles(ctx, fixtureCandles()))
}

// must fails the test on err.
func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
