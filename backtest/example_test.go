package backtest_test

import (
	"encoding/json"
	"fmt"

	"github.com/regime-engine/regime"
	"github.com/regime-engine/regime/backtest"
	"github.com/regime-engine/regime/index"
)

// A three-day market: the decision on the first close is executed at the
// second, and a strong bearish signal on the second close moves the index
// into USD Coin at the third.
func ExampleRun() {
	days := backtest.Days(regime.MustDate("2024-01-01"), regime.MustDate("2024-01-03"))
	m := backtest.NewMarket(days, []string{"bitcoin", "usd-coin"})
	m.Kinds["bitcoin"], m.Kinds["usd-coin"] = regime.KindCoin, regime.KindStablecoin
	for t, p := range []float64{100, 100, 120} {
		m.Set(t, 0, p, 1e12)
		m.Set(t, 1, 1, 1e12)
	}
	m.Snapshots = []backtest.Snapshot{{Date: days[0], Constituents: []regime.Constituent{
		{AssetID: "bitcoin", MarketCapUSD: 2e12, VolumeUSD: 1e10}, {AssetID: "usd-coin", MarketCapUSD: 5e10, VolumeUSD: 1e10}}}}
	cfg := backtest.DefaultConfig()
	cfg.Universe.MinHistoryDays = 1
	cfg.FeeRate, cfg.SlippageBase, cfg.SlippageImpact, cfg.SlippageMax = 0, 0, 0, 0
	r, err := backtest.Run(cfg, m, []index.Level{index.Bullish, index.StrongBearish, index.StrongBearish})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, tr := range r.Trades() {
		fmt.Println(tr.Date, tr.Side, tr.Asset, tr.Quantity, tr.Price, tr.Reason)
	}
	fmt.Println(r.NAV)
	// Output:
	// 2024-01-02 buy bitcoin 10000 100 constituent_change
	// 2024-01-03 sell bitcoin 10000 120 regime_change
	// 2024-01-03 buy usd-coin 1.2e+06 1 regime_change
	// [1e+06 1e+06 1.2e+06]
}

// Trades encode as JSON with readable sides and reasons.
func ExampleTrade_json() {
	b, _ := json.Marshal(backtest.Trade{Date: regime.MustDate("2024-01-02"), Side: backtest.Buy, Reason: backtest.ReasonDepeg,
		Asset: "usd-coin", Quantity: 480, Price: 1, Value: 480})
	fmt.Println(string(b))
	var back backtest.Trade
	if err := json.Unmarshal(b, &back); err != nil {
		fmt.Println(err)
	}
	fmt.Println(back.Side, back.Reason)
	// Output:
	// {"Date":"2024-01-02","Side":"buy","Reason":"depeg","Asset":"usd-coin","Quantity":480,"Price":1,"Value":480,"Fee":0,"Slippage":0}
	// buy depeg
}
