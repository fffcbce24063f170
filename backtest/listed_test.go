package backtest_test

import (
	"testing"

	"github.com/regime-engine/regime/backtest"
	"github.com/regime-engine/regime/bench/fixture"
	"github.com/regime-engine/regime/index"
)

// TestListedCoinLosesItsPrice checks that a held coin whose price source
// ends while it is still listed (Market.Listed) is sold at its last close
// with the fee and the maximum slippage, instead of written off at 0.
func TestListedCoinLosesItsPrice(t *testing.T) {
	for _, tc := range []struct {
		name   string
		listed bool
		reason backtest.Reason
	}{
		{"dead", false, backtest.ReasonDelisted},
		{"listed", true, backtest.ReasonNoPrice},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, _ := fixture.Market(fixture.MarketOptions{Seed: 2, Days: 400, Coins: 3})
			if tc.listed {
				m.Listed = make([]bool, len(m.Close))
				for i := range m.Listed {
					m.Listed[i] = true
				}
			}
			if err := m.Validate(); err != nil {
				t.Fatal(err)
			}
			cfg := backtest.DefaultConfig()
			cfg.Weights.Scheme = index.EqualWeight
			cfg.Universe.MinVolumeUSD = 0
			r, err := backtest.Run(cfg, m, nil)
			if err != nil {
				t.Fatal(err)
			}
			checkInvariants(t, cfg, m, r)
			var exit *backtest.Trade
			for _, tr := range r.Trades() {
				if tr.Asset == "deadcoin" && (tr.Reason == backtest.ReasonDelisted || tr.Reason == backtest.ReasonNoPrice) {
					exit = &tr
					break
				}
			}
			if exit == nil {
				t.Fatal("the coin without closes was kept")
			}
			if exit.Reason != tc.reason {
				t.Fatalf("exit reason %s, want %s", exit.Reason, tc.reason)
			}
			a, d := m.Asset("deadcoin"), m.Day(exit.Date)
			last := 0.0
			for i := d; i >= 0; i-- {
				if c := m.At(i, a); c == c {
					last = c
					break
				}
			}
			switch tc.reason {
			case backtest.ReasonNoPrice:
				if exit.Price != last || exit.Fee != cfg.FeeRate*exit.Value || exit.Slippage != cfg.SlippageMax*exit.Value {
					t.Errorf("listed exit %+v, want the last close %v with fee and maximum slippage", *exit, last)
				}
			default:
				if exit.Price != 0 {
					t.Errorf("write-off at %v, want 0", exit.Price)
				}
			}
		})
	}
}
