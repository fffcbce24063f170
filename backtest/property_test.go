package backtest_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/regime-engine/regime"
	"github.com/regime-engine/regime/backtest"
	"github.com/regime-engine/regime/bench/fixture"
	"github.com/regime-engine/regime/index"
)

// TestRunProperties draws random markets and rules and checks the
// accounting invariants (NAV rebuilt bit for bit from the log, cash and
// holdings never negative, exposure in [0, 1]), that trades execute only
// after a decision (at the close after it), and that target weights of
// every full decision sum to 1 (risky exposure + stable sleeve, or cash
// when no stablecoin is pegged).
func TestRunProperties(t *testing.T) {
	n := 40
	if testing.Short() {
		n = 10
	}
	rng := rand.New(rand.NewPCG(99, 1))
	for i := 0; i < n; i++ {
		o := fixture.MarketOptions{Seed: rng.Uint64(), Days: 150 + rng.IntN(300), Coins: 3 + rng.IntN(30), Unpriced: rng.IntN(4)}
		cfg := backtest.DefaultConfig()
		cfg.Universe.N = 1 + rng.IntN(25)
		cfg.Universe.Buffer = rng.Float64()
		cfg.Universe.MinHistoryDays = rng.IntN(60)
		cfg.Universe.MinVolumeUSD = []float64{0, 1e6, 1e8}[rng.IntN(3)]
		cfg.Weights.Scheme = index.Schemes[rng.IntN(3)]
		cfg.Weights.MaxLargest = 0.1 + 0.9*rng.Float64()
		cfg.Weights.MaxOther = 0.05 + (cfg.Weights.MaxLargest-0.05)*rng.Float64()
		cfg.RebalanceDays = 1 + rng.IntN(30)
		cfg.DriftBand = rng.Float64() * 0.5
		cfg.FeeRate = rng.Float64() * 0.01
		cfg.SlippageBase = rng.Float64() * 0.005
		cfg.SlippageImpact = rng.Float64() * 0.5
		cfg.SlippageMax = cfg.SlippageBase + rng.Float64()*0.1
		cfg.DelistDays = 1 + rng.IntN(10)
		cfg.DelistRecovery = rng.Float64()
		cfg.Stable.Assets = [][]string{{"usd-coin"}, {"usd-coin", "tether"}, {"tether"}, nil}[rng.IntN(4)]
		cfg.Stable.RepegDays = 1 + rng.IntN(10)
		e := index.Exposure{rng.Float64() * 0.2}
		for k := 1; k < 5; k++ {
			e[k] = e[k-1] + (1-e[k-1])*rng.Float64()
		}
		cfg.Exposure = e
		t.Run(fmt.Sprintf("%d", i), func(t *testing.T) {
			m, sig := fixture.Market(o)
			if rng.IntN(3) == 0 {
				cfg.Start = m.Dates[rng.IntN(len(m.Dates)/2)]
			}
			r, err := backtest.Run(cfg, m, sig)
			if err != nil {
				t.Fatalf("%+v: %v", cfg, err)
			}
			checkInvariants(t, cfg, m, r)
			for _, d := range r.Decisions {
				if d.Trigger == backtest.ReasonDepeg {
					continue
				}
				sum := d.Cash
				for _, w := range d.Targets {
					if !(w.Weight > 0) {
						t.Fatalf("%s: target %+v", d.Date, w)
					}
					sum += w.Weight
				}
				if (len(d.Targets) > 0 || d.Cash > 0) && math.Abs(sum-1) > 1e-9 {
					t.Fatalf("%s: target weights sum to %v: %+v", d.Date, sum, d)
				}
			}
			first := regime.Date(1 << 30)
			if len(r.Decisions) > 0 {
				first = r.Decisions[0].Date
			}
			for _, tr := range r.Trades() {
				if tr.Reason != backtest.ReasonDelisted && tr.Date <= first {
					t.Fatalf("trade on %s before or on the first decision's close %s", tr.Date, first)
				}
			}
		})
	}
}
