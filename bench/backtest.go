package bench

import (
	"fmt"
	"testing"

	"github.com/regime-engine/regime/backtest"
	"github.com/regime-engine/regime/bench/fixture"
	"github.com/regime-engine/regime/index"
)

func (r *runner) backtest() error {
	const sec = "backtest"
	m, sig := fixture.Market(fixture.MarketOptions{Seed: 42, Days: r.o.BacktestDays, Coins: r.o.BacktestCoins})
	if err := m.Validate(); err != nil {
		return err
	}
	years := float64(r.o.BacktestDays) / backtest.DaysPerYear

	// Orders: most of the run is orders.
	cfg := fixture.OrdersConfig(m)
	res, trades, err := r.timeRun(cfg, m, sig)
	if err != nil {
		return err
	}
	row := newRow(sec, "simulated order", nsPerOp(res)/float64(trades), "ns/order").want("value", "<=", 100)
	row.Allocs = allocsPerOp(res) / float64(trades)
	row.CPU = res.cpu / float64(trades)
	row.Note = fmt.Sprintf("daily equal-weight rebalance of %d coins, %d orders per run; whole run / orders (upper bound)", len(cfg.Fixed), trades)
	r.add(row)

	// One default backtest: top 100 by market cap.
	def := backtest.DefaultConfig()
	if res, trades, err = r.timeRun(def, m, sig); err != nil {
		return err
	}
	row = newRow(sec, fmt.Sprintf("%.0f-year daily top-%d backtest", years, def.Universe.N), nsPerOp(res)/1e6, "ms").want("value", "<=", 50)
	row.Allocs = allocsPerOp(res)
	row.CPU = res.cpu / 1e6
	row.Note = fmt.Sprintf("%d days x %d coins, %d trades; allocs per run", r.o.BacktestDays, r.o.BacktestCoins, trades)
	r.add(row)

	// Parameter sweep.
	grid := fixture.SweepGrid(r.o.SweepTrials)
	var runErr error
	res = measureOnce(func(b *testing.B) {
		for b.Loop() {
			if _, err := backtest.Sweep(r.ctx, backtest.DefaultConfig(), m, sig, grid, r.o.SweepWorkers, nil); err != nil {
				runErr = err
			}
		}
	})
	if runErr != nil {
		return runErr
	}
	secs := nsPerOp(res) / 1e9
	row = newRow(sec, fmt.Sprintf("sweep %d trials, %d workers", len(grid), r.o.SweepWorkers), secs, "s")
	row.CPU = res.cpu / 1e9
	row.Note = fmt.Sprintf("%.0f ms per trial; CPU sums over workers (CPU/%d is the wall time on %d idle cores)", secs*1e3/float64(len(grid)), r.o.SweepWorkers, r.o.SweepWorkers)
	if len(grid) == fullSweep {
		r.add(row.want("value", "<", 60))
		return nil
	}
	r.add(row)
	row = newRow(sec, fmt.Sprintf("sweep %d trials, %d workers", fullSweep, r.o.SweepWorkers), secs*fullSweep/float64(len(grid)), "s").want("value", "<", 60)
	row.CPU = res.cpu / 1e9 * fullSweep / float64(len(grid))
	row.Projection = true
	row.Note = fmt.Sprintf("linear in trials from %d", len(grid))
	r.add(row)
	return nil
}

// timeRun measures backtest.Run(cfg, m, sig) and returns the timing and
// the trades of one run.
func (r *runner) timeRun(cfg backtest.Config, m *backtest.Market, sig []index.Level) (timing, int, error) {
	var trades int
	var runErr error
	res := measure(r.o.BenchTime, func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			res, err := backtest.Run(cfg, m, sig)
			if err != nil {
				runErr = err
				continue
			}
			trades = res.NumTrades()
		}
	})
	return res, trades, runErr
}
