package backtest_test

import (
	"context"
	"sync"
	"testing"

	"github.com/regime-engine/regime/backtest"
	"github.com/regime-engine/regime/bench/fixture"
	"github.com/regime-engine/regime/index"
)

var (
	benchOnce sync.Once
	benchM    *backtest.Market
	benchSig  []index.Level
)

// tenYears is a 10-year daily market with 200 coins (top 100 held) and
// 10 unpriced snapshot coins, shared by the benchmarks.
func tenYears() (*backtest.Market, []index.Level) {
	benchOnce.Do(func() {
		benchM, benchSig = fixture.Market(fixture.MarketOptions{Seed: 42, Days: 3650, Coins: 200, Unpriced: 10})
		if err := benchM.Validate(); err != nil {
			panic(err)
		}
	})
	return benchM, benchSig
}

// runN runs b.N backtests and returns the trades of one.
func runN(b *testing.B, cfg backtest.Config, m *backtest.Market, sig []index.Level) int {
	trades := 0
	for i := 0; i < b.N; i++ {
		r, err := backtest.Run(cfg, m, sig)
		if err != nil {
			b.Fatal(err)
		}
		trades = r.NumTrades()
	}
	return trades
}

// BenchmarkRun10y is one 10-year daily top-100 backtest (target: <= 50 ms).
// It also reports the time per trade of the log (ns/trade, target <= 100
// ns per simulated order), an upper bound since it charges the whole
// simulation (marking, selection, weighting) to the orders.
func BenchmarkRun10y(b *testing.B) {
	m, sig := tenYears()
	cfg := backtest.DefaultConfig()
	b.ReportAllocs()
	b.ResetTimer()
	c0 := fixture.CPUNanos()
	trades := runN(b, cfg, m, sig)
	cpu := float64(fixture.CPUNanos()-c0) / float64(b.N)
	b.ReportMetric(cpu, "cpu-ns/op")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(trades), "ns/trade")
	b.ReportMetric(float64(trades), "trades")
}

// BenchmarkOrders measures the cost of a simulated order: a fixed
// universe of every coin (no snapshot selection to sort), equal weights,
// rebalanced daily with no drift band, so most of the run is orders;
// cpu-ns/order is the whole run's CPU time divided by its trades (an
// upper bound, decisions and marking included).
func BenchmarkOrders(b *testing.B) {
	m, sig := tenYears()
	cfg := fixture.OrdersConfig(m)
	b.ResetTimer()
	c0 := fixture.CPUNanos()
	trades := runN(b, cfg, m, sig)
	b.ReportMetric(float64(fixture.CPUNanos()-c0)/float64(b.N)/float64(trades), "cpu-ns/order")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(trades), "ns/order")
	b.ReportMetric(float64(trades), "orders")
}

// BenchmarkCompare runs the index and its three benchmarks on 10 years.
func BenchmarkCompare(b *testing.B) {
	m, sig := tenYears()
	cfg := backtest.DefaultConfig()
	for i := 0; i < b.N; i++ {
		if _, err := backtest.Compare(cfg, m, sig); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSweep1000 sweeps 1,000 parameter sets over 10 years with
// every core (target: under a minute on 2 cores; run with -cpu 2
// -benchtime 1x).
func BenchmarkSweep1000(b *testing.B) {
	m, sig := tenYears()
	grid := fixture.SweepGrid(1000)
	if len(grid) != 1000 {
		b.Fatalf("grid has %d sets", len(grid))
	}
	c0 := fixture.CPUNanos()
	for i := 0; i < b.N; i++ {
		if _, err := backtest.Sweep(context.Background(), backtest.DefaultConfig(), m, sig, grid, 0, nil); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(fixture.CPUNanos()-c0)/float64(b.N), "cpu-ns/op")
}

// BenchmarkOrderMarginal measures the marginal cost of a simulated order:
// the same daily-rebalanced fixed universe run twice, with no drift band
// (every constituent trades every day) and with a band so wide that only
// entries and exits trade; the CPU time difference over the trade count
// difference is the cost of an order (sizing, costs, cash and holdings
// update, the log line and its share of the returned log).
func BenchmarkOrderMarginal(b *testing.B) {
	m, sig := tenYears()
	cfg := fixture.OrdersConfig(m)
	wide := cfg
	wide.DriftBand = 1e9
	var cpuA, cpuB int64
	var nA, nB int
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		c0 := fixture.CPUNanos()
		ra, err := backtest.Run(cfg, m, sig)
		if err != nil {
			b.Fatal(err)
		}
		c1 := fixture.CPUNanos()
		rb, err := backtest.Run(wide, m, sig)
		if err != nil {
			b.Fatal(err)
		}
		c2 := fixture.CPUNanos()
		cpuA += c1 - c0
		cpuB += c2 - c1
		nA, nB = ra.NumTrades(), rb.NumTrades()
	}
	b.ReportMetric(float64(cpuA-cpuB)/float64(b.N)/float64(nA-nB), "cpu-ns/order")
	b.ReportMetric(float64(nA-nB), "orders")
}
