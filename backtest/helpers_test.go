package backtest_test

import (
	"math"
	"testing"

	"github.com/regime-engine/regime/backtest"
)

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
