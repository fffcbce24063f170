package backtest_test

import (
	"math"
	"testing"

	"github.com/regime-engine/regime"
	"github.com/regime-engine/regime/backtest"
	"github.com/regime-engine/regime/index"
)

func tinyMarket() *backtest.Market {
	days := backtest.Days(regime.MustDate("2024-01-01"), regime.MustDate("2024-01-05"))
	m := backtest.NewMarket(days, []string{"a", "b", "usd-coin"})
	m.Kinds = map[string]regime.AssetKind{"a": regime.KindCoin, "b": regime.KindCoin, "usd-coin": regime.KindStablecoin}
	for t := range days {
		m.Set(t, 0, 10, 1e12)
		m.Set(t, 1, 20, 1e12)
		m.Set(t, 2, 1, 1e12)
	}
	m.Snapshots = []backtest.Snapshot{{Date: days[0], Constituents: []regime.Constituent{
		{AssetID: "a", MarketCapUSD: 900, VolumeUSD: 1e9, Supply: math.NaN(), PriceUSD: math.NaN()},
		{AssetID: "b", MarketCapUSD: 100, VolumeUSD: 1e9, Supply: math.NaN(), PriceUSD: math.NaN()}}}}
	return m
}

func TestRunErrors(t *testing.T) {
	cfg := backtest.DefaultConfig()
	tests := []struct {
		name string
		cfg  func(*backtest.Config)
		mkt  func(*backtest.Market)
		sig  []index.Level
	}{
		{"signal length", nil, nil, []index.Level{index.Bullish}},
		{"start after end", func(c *backtest.Config) { c.Start = regime.MustDate("2030-01-01") }, nil, nil},
		{"zero price", nil, func(m *backtest.Market) { m.Close[3] = 0 }, nil},
		{"duplicate asset", nil, func(m *backtest.Market) { m.Assets[1] = "a" }, nil},
		{"short close matrix", nil, func(m *backtest.Market) { m.Close = m.Close[:4] }, nil},
		{"unsorted snapshots", nil, func(m *backtest.Market) { m.Snapshots = append(m.Snapshots, m.Snapshots[0]) }, nil},
		{"bad fee", func(c *backtest.Config) { c.FeeRate = -1 }, nil, nil},
		{"bad exposure", func(c *backtest.Config) { c.Exposure = index.Exposure{1, 0, 0, 0, 0} }, nil, nil},
		{"bad scheme", func(c *backtest.Config) { c.Weights.Scheme = "mystery" }, nil, nil},
		{"bad period", func(c *backtest.Config) { c.RebalanceDays = 0 }, nil, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, m := cfg, tinyMarket()
			if tc.cfg != nil {
				tc.cfg(&c)
			}
			if tc.mkt != nil {
				tc.mkt(m)
			}
			_, err := backtest.Run(c, m, tc.sig)
			if regime.ErrorCode(err) != regime.EINVALID {
				t.Fatalf("error %v, want an EINVALID *regime.Error", err)
			}
		})
	}
	if _, err := backtest.Compare(cfg, tinyMarket(), nil); regime.ErrorCode(err) != regime.EINVALID {
		t.Fatalf("Compare without a bitcoin column: %v, want EINVALID", err)
	}
}

// TestDailyCapWins checks that a daily market cap, when the market has
// one, ranks the candidates instead of the (older) snapshot cap.
func TestDailyCapWins(t *testing.T) {
	cfg := backtest.DefaultConfig()
	cfg.Universe.N = 1
	cfg.Universe.MinHistoryDays = 1
	for _, tc := range []struct {
		name  string
		daily bool
		want  string
	}{{"snapshot caps", false, "a"}, {"daily caps", true, "b"}} {
		t.Run(tc.name, func(t *testing.T) {
			m := tinyMarket()
			if tc.daily {
				for tt := range m.Dates {
					m.Cap[tt*3+0] = 1e3
					m.Cap[tt*3+1] = 5e3
				}
			}
			r, err := backtest.Run(cfg, m, nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(r.Trades()) == 0 || r.Trades()[0].Asset != tc.want {
				t.Fatalf("trades %+v, want the first to buy %s", r.Trades(), tc.want)
			}
		})
	}
}

// TestStartWarmUp checks that days before Start are history only: no
// trade, no NAV, but they count for the price-history filter.
func TestStartWarmUp(t *testing.T) {
	cfg := backtest.DefaultConfig()
	cfg.Universe.MinHistoryDays = 3
	cfg.Start = regime.MustDate("2024-01-03")
	r, err := backtest.Run(cfg, tinyMarket(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.NAV) != 3 || r.Dates[0] != cfg.Start {
		t.Fatalf("NAV from %s, %d days", r.Dates[0], len(r.NAV))
	}
	if len(r.Trades()) == 0 || r.Trades()[0].Date != regime.MustDate("2024-01-04") {
		t.Fatalf("first trade %+v, want on 2024-01-04 (history before Start counts)", r.Trades())
	}
}
