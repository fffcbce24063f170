package backtest_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"testing"

	"github.com/regime-engine/regime"
	"github.com/regime-engine/regime/backtest"
	"github.com/regime-engine/regime/index"
)

// synthOpts shapes a synthetic market.
type synthOpts struct {
	Seed     uint64
	Days     int
	Coins    int // ordinary coins besides bitcoin, ethereum and the dead coin
	Unpriced int // snapshot-only coins without daily prices
}

// synthMarket builds a seeded random-walk market: bitcoin, ethereum and
// Coins ordinary coins (some listed late) driven by a common factor, a
// coin that collapses to ~0 and then stops trading ("deadcoin"), a
// wrapped bitcoin (not investable), USD Coin (pegged) and Tether (depegs
// to ~0.93 for three weeks in the middle), and weekly universe snapshots
// (including Unpriced coins without daily closes). It also returns a
// daily regime signal that cycles through every level.
func synthMarket(o synthOpts) (*backtest.Market, []index.Level) {
	rng := rand.New(rand.NewPCG(o.Seed, 0x5eed))
	start := regime.MustDate("2015-01-01")
	dates := backtest.Days(start, start.AddDays(o.Days-1))
	assets := []string{"bitcoin", "ethereum", "deadcoin", "wrapped-bitcoin", "usd-coin", "tether"}
	for i := 0; i < o.Coins; i++ {
		assets = append(assets, fmt.Sprintf("coin-%03d", i))
	}
	m := backtest.NewMarket(dates, assets)
	m.Cap = nil
	kind := func(id string) regime.AssetKind {
		switch id {
		case "usd-coin", "tether":
			return regime.KindStablecoin
		case "wrapped-bitcoin":
			return regime.KindWrapped
		}
		return regime.KindCoin
	}
	nA := len(assets)
	supply := make([]float64, nA)
	price := make([]float64, nA)
	listed := make([]int, nA)
	beta := make([]float64, nA)
	for a, id := range assets {
		m.Kinds[id] = kind(id)
		supply[a] = math.Exp(14 + 3*rng.Float64())
		price[a] = math.Exp(rng.NormFloat64() * 2)
		beta[a] = 0.6 + 0.8*rng.Float64()
		if a >= 6 && rng.IntN(4) == 0 {
			listed[a] = rng.IntN(o.Days / 2)
		}
	}
	supply[0], price[0] = 19e6, 300
	supply[1], price[1] = 100e6, 10
	supply[3] = 0.01 * supply[0]
	dieAt := o.Days / 3
	depegFrom, depegTo := o.Days/2, o.Days/2+21
	for t := range dates {
		mkt := 0.0005 + 0.035*rng.NormFloat64()
		for a, id := range assets {
			switch {
			case id == "usd-coin":
				price[a] = 1 + 0.001*rng.NormFloat64()
			case id == "tether":
				price[a] = 1 + 0.001*rng.NormFloat64()
				if t >= depegFrom && t < depegTo {
					price[a] = 0.93 + 0.01*rng.NormFloat64()
				}
			case id == "wrapped-bitcoin":
				price[a] = price[0]
			case id == "deadcoin" && t >= dieAt-30:
				price[a] *= 0.8
			default:
				price[a] *= math.Exp(beta[a]*mkt + 0.03*rng.NormFloat64())
			}
			if t < listed[a] || (id == "deadcoin" && t >= dieAt) {
				continue
			}
			vol := supply[a] * price[a] * (0.02 + 0.05*rng.Float64())
			m.Set(t, a, price[a], vol)
		}
		if t%7 == 0 {
			snap := backtest.Snapshot{Date: dates[t]}
			for a, id := range assets {
				c := m.At(t, a)
				if math.IsNaN(c) {
					continue
				}
				snap.Constituents = append(snap.Constituents, regime.Constituent{Date: dates[t], Source: "synth", AssetID: id,
					MarketCapUSD: supply[a] * c, PriceUSD: c, Supply: supply[a], VolumeUSD: m.Volume[t*nA+a]})
			}
			for i := 0; i < o.Unpriced; i++ {
				id := fmt.Sprintf("unpriced-%02d", i)
				m.Kinds[id] = regime.KindCoin
				snap.Constituents = append(snap.Constituents, regime.Constituent{Date: dates[t], Source: "synth", AssetID: id,
					MarketCapUSD: 1e6 * float64(100+i) * (1 + 0.1*rng.NormFloat64()), PriceUSD: math.NaN(), Supply: math.NaN(), VolumeUSD: 1e9})
			}
			sort.SliceStable(snap.Constituents, func(i, j int) bool {
				return snap.Constituents[i].MarketCapUSD > snap.Constituents[j].MarketCapUSD
			})
			for i := range snap.Constituents {
				snap.Constituents[i].Rank = i + 1
			}
			m.Snapshots = append(m.Snapshots, snap)
		}
	}
	signal := make([]index.Level, o.Days)
	lv := index.Neutral
	for t := range signal {
		if t%40 == 0 {
			lv = index.Levels[rng.IntN(len(index.Levels))]
		}
		signal[t] = lv
		if t >= depegFrom-10 && t < depegTo {
			signal[t] = index.Bearish // hold stablecoins through the depeg
		}
		if t < 10 || rng.IntN(50) == 0 {
			signal[t] = index.NoLevel
		}
	}
	return m, signal
}

// replay rebuilds holdings and the NAV of every simulated day from the
// trade log and the closes alone, following docs/rulebook.md. It returns
// the NAVs, the holdings (units per asset column) and cash at each close.
func replay(t *testing.T, cfg backtest.Config, m *backtest.Market, r *backtest.Result) (nav []float64, qty [][]float64, cash []float64) {
	t.Helper()
	nA := len(m.Assets)
	col := map[string]int{}
	for a, id := range m.Assets {
		col[id] = a
	}
	s0 := m.Day(r.Dates[0])
	q := make([]float64, nA)
	last := make([]float64, nA)
	for a := range last {
		last[a] = math.NaN()
	}
	c := cfg.InitialNAV
	k := 0
	trades := r.Trades()
	for u := 0; u < len(m.Dates); u++ {
		for a := 0; a < nA; a++ {
			if p := m.At(u, a); !math.IsNaN(p) {
				last[a] = p
			}
		}
		if u < s0 {
			continue
		}
		for ; k < len(trades) && trades[k].Date == m.Dates[u]; k++ {
			tr := trades[k]
			a := col[tr.Asset]
			switch tr.Side {
			case backtest.Buy:
				c -= tr.Value + tr.Fee + tr.Slippage
				q[a] += tr.Quantity
			case backtest.Sell:
				c += tr.Value - tr.Fee - tr.Slippage
				q[a] -= tr.Quantity
			}
		}
		v := c
		for a := 0; a < nA; a++ {
			if q[a] > 0 {
				v += q[a] * last[a]
			}
		}
		nav = append(nav, v)
		qty = append(qty, append([]float64(nil), q...))
		cash = append(cash, c)
	}
	if k != len(trades) {
		t.Fatalf("replay: %d of %d trades are not on a simulated day in date order", len(trades)-k, len(trades))
	}
	return nav, qty, cash
}

// checkInvariants asserts the accounting invariants of a run.
func checkInvariants(t *testing.T, cfg backtest.Config, m *backtest.Market, r *backtest.Result) {
	t.Helper()
	nav, qty, cash := replay(t, cfg, m, r)
	for i := range nav {
		if nav[i] != r.NAV[i] {
			t.Fatalf("%s: NAV rebuilt from the log %v != reported %v", r.Dates[i], nav[i], r.NAV[i])
		}
		if cash[i] < -1e-9*nav[i] {
			t.Fatalf("%s: negative cash %v", r.Dates[i], cash[i])
		}
		for a, q := range qty[i] {
			if q < 0 {
				t.Fatalf("%s: negative holding %v of %s", r.Dates[i], q, m.Assets[a])
			}
		}
		if !(nav[i] > 0) {
			t.Fatalf("%s: NAV %v not positive", r.Dates[i], nav[i])
		}
		if e := r.Exposure[i]; !(e >= -1e-12 && e <= 1+1e-9) {
			t.Fatalf("%s: exposure %v outside [0, 1]", r.Dates[i], e)
		}
	}
	for _, tr := range r.Trades() {
		if !(tr.Quantity > 0) || tr.Price < 0 || tr.Fee < 0 || tr.Slippage < 0 || tr.Value != tr.Quantity*tr.Price {
			t.Fatalf("bad trade %+v", tr)
		}
		if tr.Reason == backtest.ReasonDelisted && (tr.Fee != 0 || tr.Slippage != 0 || tr.Side != backtest.Sell) {
			t.Fatalf("bad write-off %+v", tr)
		}
	}
}
