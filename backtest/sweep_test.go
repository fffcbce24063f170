package backtest_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/regime-engine/regime"
	"github.com/regime-engine/regime/backtest"
	"github.com/regime-engine/regime/bench/fixture"
	"github.com/regime-engine/regime/index"
)

func TestSweep(t *testing.T) {
	m, sig := fixture.Market(fixture.MarketOptions{Seed: 5, Days: 400, Coins: 20})
	grid := backtest.Grid([]index.Exposure{{0, 0.25, 0.5, 1, 1}, {0, 0, 0.5, 1, 1}}, []int{5, 10}, []index.Scheme{index.CapWeighted, index.EqualWeight}, []int{7, 30})
	if len(grid) != 16 {
		t.Fatalf("grid has %d sets, want 16", len(grid))
	}
	base := backtest.DefaultConfig()
	var events []regime.Progress
	par, err := backtest.Sweep(context.Background(), base, m, sig, grid, 4, func(p regime.Progress) { events = append(events, p) })
	if err != nil {
		t.Fatal(err)
	}
	seq, err := backtest.Sweep(context.Background(), base, m, sig, grid, 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprintf("%+v", par.Trials) != fmt.Sprintf("%+v", seq.Trials) || par.Best != seq.Best {
		t.Fatal("parallel and sequential sweeps differ")
	}
	if len(events) != len(grid) || !events[len(events)-1].Final || events[len(events)-1].Done != int64(len(grid)) {
		t.Fatalf("progress events: %d, last %+v", len(events), events[len(events)-1])
	}
	for i, tr := range par.Trials {
		r, err := backtest.Run(grid[i].Apply(base), m, sig)
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprintf("%+v", r.Metrics) != fmt.Sprintf("%+v", tr.Metrics) {
			t.Fatalf("trial %d (%s) differs from a direct run", i, grid[i])
		}
		if tr.Metrics.Sharpe > par.Trials[par.Best].Metrics.Sharpe {
			t.Fatalf("trial %d has a higher Sharpe than the best %d", i, par.Best)
		}
	}
	if !(par.DeflatedSharpe >= 0 && par.DeflatedSharpe <= 1) || !(par.PBO >= 0 && par.PBO <= 1) {
		t.Fatalf("DSR %v, PBO %v: want probabilities", par.DeflatedSharpe, par.PBO)
	}
	tab := par.Table(5)
	if !strings.Contains(tab, fmt.Sprintf("%5d", par.Best)) || !strings.Contains(tab, "deflated Sharpe") {
		t.Errorf("table does not show the best trial:\n%s", tab)
	}
	t.Logf("\n%s", tab)
}

func TestSweepCancel(t *testing.T) {
	m, sig := fixture.Market(fixture.MarketOptions{Seed: 5, Days: 200, Coins: 5})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := backtest.Sweep(ctx, backtest.DefaultConfig(), m, sig, backtest.Grid(nil, []int{1, 2, 3}, nil, nil), 2, nil)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v, want context.Canceled", err)
	}
}

func TestSweepBadTrial(t *testing.T) {
	m, sig := fixture.Market(fixture.MarketOptions{Seed: 5, Days: 100, Coins: 5})
	_, err := backtest.Sweep(context.Background(), backtest.DefaultConfig(), m, sig, []backtest.Params{{N: 3}, {RebalanceDays: -1}}, 2, nil)
	if err != nil {
		t.Fatalf("a negative period keeps the base value, got %v", err)
	}
	bad := index.Exposure{1, 0, 0, 0, 0}
	_, err = backtest.Sweep(context.Background(), backtest.DefaultConfig(), m, sig, []backtest.Params{{Exposure: &bad}}, 2, nil)
	if regime.ErrorCode(err) != regime.EINVALID {
		t.Fatalf("error %v, want EINVALID for a decreasing exposure mapping", err)
	}
}

func noise(rng *rand.Rand, n int, mean float64) []float64 {
	r := make([]float64, n)
	for i := range r {
		r[i] = mean + 0.02*rng.NormFloat64()
	}
	return r
}

func TestPBO(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 11))
	var pure [][]float64
	for i := 0; i < 50; i++ {
		pure = append(pure, noise(rng, 1600, 0))
	}
	if p := backtest.PBO(pure, 16); !(p > 0.3 && p < 0.8) {
		t.Errorf("PBO of pure noise = %v, want near 0.5 or above", p)
	}
	skill := append([][]float64{noise(rng, 1600, 0.004)}, pure[:20]...)
	if p := backtest.PBO(skill, 16); !(p < 0.1) {
		t.Errorf("PBO with one skilled trial = %v, want near 0", p)
	}
	for _, tc := range []struct {
		name string
		in   [][]float64
		s    int
	}{{"one trial", pure[:1], 16}, {"odd blocks", pure, 15}, {"too short", [][]float64{{1, 2}, {1, 2}}, 16}} {
		if p := backtest.PBO(tc.in, tc.s); !math.IsNaN(p) {
			t.Errorf("%s: PBO = %v, want NaN", tc.name, p)
		}
	}
}

func TestDeflatedSharpe(t *testing.T) {
	rng := rand.New(rand.NewPCG(12, 12))
	var sharpes []float64
	best, bestSR := []float64(nil), math.Inf(-1)
	for i := 0; i < 200; i++ {
		r := noise(rng, 1000, 0)
		mu, sd := meanSD(r)
		sharpes = append(sharpes, mu/sd)
		if mu/sd > bestSR {
			best, bestSR = r, mu/sd
		}
	}
	if d := backtest.DeflatedSharpe(best, sharpes); !(d < 0.5) {
		t.Errorf("DSR of the best of 200 noise trials = %v, want < 0.5", d)
	}
	strong := noise(rng, 1000, 0.004)
	mu, sd := meanSD(strong)
	if d := backtest.DeflatedSharpe(strong, append(sharpes[:10:10], mu/sd)); !(d > 0.95) {
		t.Errorf("DSR of a strong trial = %v, want > 0.95", d)
	}
	if d := backtest.DeflatedSharpe(strong, []float64{0.1}); !math.IsNaN(d) {
		t.Errorf("DSR with one trial = %v, want NaN", d)
	}
}

func meanSD(x []float64) (float64, float64) {
	var m, s float64
	for _, v := range x {
		m += v
	}
	m /= float64(len(x))
	for _, v := range x {
		s += (v - m) * (v - m)
	}
	return m, math.Sqrt(s / float64(len(x)-1))
}
