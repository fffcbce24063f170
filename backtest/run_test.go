package backtest_test

import (
	"fmt"
	"math"
	"reflect"
	"testing"

	"github.com/regime-engine/regime/backtest"
	"github.com/regime-engine/regime/bench/fixture"
	"github.com/regime-engine/regime/index"
)

func TestRunInvariants(t *testing.T) {
	m, sig := fixture.Market(fixture.MarketOptions{Seed: 1, Days: 900, Coins: 60, Unpriced: 5})
	schemes := []index.Scheme{index.CapWeighted, index.SqrtCap, index.EqualWeight}
	for _, sc := range schemes {
		for _, n := range []int{1, 10, 50} {
			t.Run(fmt.Sprintf("%s/n=%d", sc, n), func(t *testing.T) {
				cfg := backtest.DefaultConfig()
				cfg.Weights.Scheme = sc
				cfg.Universe.N = n
				cfg.Stable.Assets = []string{"usd-coin", "tether"}
				r, err := backtest.Run(cfg, m, sig)
				if err != nil {
					t.Fatal(err)
				}
				checkInvariants(t, cfg, m, r)
				if r.NumTrades() == 0 || r.NumTrades() != r.Metrics.Trades || len(r.Decisions) == 0 {
					t.Fatalf("no trades or decisions")
				}
				reasons := map[backtest.Reason]int{}
				for _, tr := range r.Trades() {
					reasons[tr.Reason]++
				}
				for _, want := range []backtest.Reason{backtest.ReasonScheduled, backtest.ReasonRegime, backtest.ReasonConstituent, backtest.ReasonDepeg} {
					if reasons[want] == 0 && (n > 1 || want != backtest.ReasonConstituent) {
						t.Errorf("no trade with reason %s: %v", want, reasons)
					}
				}
			})
		}
	}
}

// TestDeadCoinCosts checks a coin that dies is written off at a loss, not
// sold at a good price.
func TestDeadCoinCosts(t *testing.T) {
	m, _ := fixture.Market(fixture.MarketOptions{Seed: 2, Days: 400, Coins: 3})
	cfg := backtest.DefaultConfig()
	cfg.Weights.Scheme = index.EqualWeight
	cfg.Universe.MinVolumeUSD = 0
	r, err := backtest.Run(cfg, m, nil)
	if err != nil {
		t.Fatal(err)
	}
	checkInvariants(t, cfg, m, r)
	found := false
	for _, tr := range r.Trades() {
		if tr.Asset == "deadcoin" && tr.Reason == backtest.ReasonDelisted {
			found = true
			if tr.Value != 0 || tr.Price != 0 {
				t.Errorf("write-off recovered %v, want 0 with the default recovery", tr.Value)
			}
		}
	}
	if !found {
		t.Fatal("the dead coin was not written off")
	}
}

func TestDeterministic(t *testing.T) {
	m, sig := fixture.Market(fixture.MarketOptions{Seed: 3, Days: 500, Coins: 30, Unpriced: 3})
	cfg := backtest.DefaultConfig()
	a, err := backtest.Compare(cfg, m, sig)
	if err != nil {
		t.Fatal(err)
	}
	m2, sig2 := fixture.Market(fixture.MarketOptions{Seed: 3, Days: 500, Coins: 30, Unpriced: 3})
	b, err := backtest.Compare(cfg, m2, sig2)
	if err != nil {
		t.Fatal(err)
	}
	sa, sb := "", ""
	for i := range a.Results {
		sa += fmt.Sprintf("%+v", *a.Results[i])
		sb += fmt.Sprintf("%+v", *b.Results[i])
	}
	if sa != sb || a.Table() != b.Table() {
		t.Fatal("two runs of the same inputs differ")
	}
}

// TestNoLookAhead poisons everything after a cut day (prices, volumes,
// signal, snapshots) and checks the log, the decisions and the NAV up to
// the cut are unchanged.
func TestNoLookAhead(t *testing.T) {
	for _, cut := range []int{50, 123, 300, 398} {
		t.Run(fmt.Sprint(cut), func(t *testing.T) {
			m, sig := fixture.Market(fixture.MarketOptions{Seed: 4, Days: 400, Coins: 25, Unpriced: 2})
			cfg := backtest.DefaultConfig()
			cfg.Weights.Scheme = index.SqrtCap
			cfg.Stable.Assets = []string{"usd-coin", "tether"}
			want, err := backtest.Run(cfg, m, sig)
			if err != nil {
				t.Fatal(err)
			}
			p, psig := fixture.Market(fixture.MarketOptions{Seed: 4, Days: 400, Coins: 25, Unpriced: 2})
			nA := len(p.Assets)
			for i := (cut + 1) * nA; i < len(p.Close); i++ {
				if i%3 == 0 {
					p.Close[i] = math.NaN()
				} else {
					p.Close[i] *= 7
				}
				p.Volume[i] = 1
			}
			for i := cut + 1; i < len(psig); i++ {
				psig[i] = index.Levels[i%5]
			}
			cutDate := p.Dates[cut]
			for k := range p.Snapshots {
				if p.Snapshots[k].Date > cutDate {
					cs := p.Snapshots[k].Constituents
					for i, j := 0, len(cs)-1; i < j; i, j = i+1, j-1 {
						cs[i], cs[j] = cs[j], cs[i]
					}
				}
			}
			got, err := backtest.Run(cfg, p, psig)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(prefixTrades(want.Trades(), cutDate), prefixTrades(got.Trades(), cutDate)) {
				t.Fatal("trades up to the cut differ")
			}
			if fmt.Sprintf("%+v", prefixDecisions(want.Decisions, cutDate)) != fmt.Sprintf("%+v", prefixDecisions(got.Decisions, cutDate)) { // NaN-safe
				t.Fatal("decisions up to the cut differ")
			}
			for i := 0; i <= cut; i++ {
				if want.NAV[i] != got.NAV[i] {
					t.Fatalf("NAV of %s differs", want.Dates[i])
				}
			}
		})
	}
}

func prefixTrades(ts []backtest.Trade, to interface{ String() string }) []backtest.Trade {
	var out []backtest.Trade
	for _, t := range ts {
		if t.Date.String() <= to.String() {
			out = append(out, t)
		}
	}
	return out
}

func prefixDecisions(ds []backtest.Decision, to interface{ String() string }) []backtest.Decision {
	var out []backtest.Decision
	for _, d := range ds {
		if d.Date.String() <= to.String() {
			out = append(out, d)
		}
	}
	return out
}

// TestPrefixInvariance runs the index on the first k+1 days of a market
// and on the whole market: the NAV and the trades up to day k must be the
// same, since nothing after day k may influence them.
func TestPrefixInvariance(t *testing.T) {
	m, sig := fixture.Market(fixture.MarketOptions{Seed: 6, Days: 300, Coins: 20, Unpriced: 2})
	cfg := backtest.DefaultConfig()
	cfg.Stable.Assets = []string{"usd-coin", "tether"}
	full, err := backtest.Run(cfg, m, sig)
	if err != nil {
		t.Fatal(err)
	}
	nA := len(m.Assets)
	for _, k := range []int{0, 1, 7, 99, 150, 298} {
		p := &backtest.Market{Dates: m.Dates[:k+1], Assets: m.Assets, Kinds: m.Kinds,
			Close: m.Close[:(k+1)*nA], Volume: m.Volume[:(k+1)*nA]}
		for _, s := range m.Snapshots {
			if s.Date <= m.Dates[k] {
				p.Snapshots = append(p.Snapshots, s)
			}
		}
		r, err := backtest.Run(cfg, p, sig[:k+1])
		if err != nil {
			t.Fatal(err)
		}
		for i := range r.NAV {
			if r.NAV[i] != full.NAV[i] {
				t.Fatalf("k=%d: NAV of %s differs", k, r.Dates[i])
			}
		}
		if fmt.Sprintf("%+v", r.Trades()) != fmt.Sprintf("%+v", prefixTrades(full.Trades(), m.Dates[k])) {
			t.Fatalf("k=%d: trades differ", k)
		}
	}
}
