package bench

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

// backtestMarket is a seeded random-walk market of days days: bitcoin,
// ethereum, coins ordinary coins (a quarter listed late) driven by a common
// factor and a stablecoin, with weekly universe snapshots ranked by market
// cap, and a daily regime signal that changes level every 40 days.
func backtestMarket(seed uint64, days, coins int) (*backtest.Market, []index.Level) {
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	start := regime.MustDate("2015-01-01")
	dates := backtest.Days(start, start.AddDays(days-1))
	assets := []string{"bitcoin", "ethereum", "tether"}
	for i := 0; i < coins; i++ {
		assets = append(assets, fmt.Sprintf("coin-%03d", i))
	}
	m := backtest.NewMarket(dates, assets)
	m.Cap = nil
	nA := len(assets)
	supply, price, beta := make([]float64, nA), make([]float64, nA), make([]float64, nA)
	listed := make([]int, nA)
	for a, id := range assets {
		m.Kinds[id] = regime.KindCoin
		supply[a] = math.Exp(14 + 3*rng.Float64())
		price[a] = math.Exp(rng.NormFloat64() * 2)
		beta[a] = 0.6 + 0.8*rng.Float64()
		if a >= 3 && rng.IntN(4) == 0 {
			listed[a] = rng.IntN(max(days/2, 1))
		}
	}
	m.Kinds["tether"] = regime.KindStablecoin
	supply[0], price[0] = 19e6, 300
	supply[1], price[1] = 100e6, 10
	supply[2], price[2] = 1e9, 1
	for t := range dates {
		mkt := 0.0005 + 0.035*rng.NormFloat64()
		for a := range assets {
			if a == 2 {
				price[a] = 1 + 0.001*rng.NormFloat64()
			} else {
				price[a] *= math.Exp(beta[a]*mkt + 0.03*rng.NormFloat64())
			}
			if t < listed[a] {
				continue
			}
			m.Set(t, a, price[a], supply[a]*price[a]*(0.02+0.05*rng.Float64()))
		}
		if t%7 != 0 {
			continue
		}
		snap := backtest.Snapshot{Date: dates[t]}
		for a, id := range assets {
			c := m.At(t, a)
			if math.IsNaN(c) {
				continue
			}
			snap.Constituents = append(snap.Constituents, regime.Constituent{Date: dates[t], Source: "synth", AssetID: id,
				MarketCapUSD: supply[a] * c, PriceUSD: c, Supply: supply[a], VolumeUSD: m.Volume[t*nA+a]})
		}
		sort.SliceStable(snap.Constituents, func(i, j int) bool {
			return snap.Constituents[i].MarketCapUSD > snap.Constituents[j].MarketCapUSD
		})
		for i := range snap.Constituents {
			snap.Constituents[i].Rank = i + 1
		}
		m.Snapshots = append(m.Snapshots, snap)
	}
	signal := make([]index.Level, days)
	lv := index.Neutral
	for t := range signal {
		if t%40 == 0 {
			lv = index.Levels[rng.IntN(len(index.Levels))]
		}
		signal[t] = lv
		if t < 10 {
			signal[t] = index.NoLevel
		}
	}
	return m, signal
}

// sweepGrid returns up to n distinct parameter sets out of 1,000: 10
// exposure mappings x 5 universe sizes x 2 weighting schemes x 10 rebalance
// periods, spread over the whole grid (every k-th set).
func sweepGrid(n int) []backtest.Params {
	var ex []index.Exposure
	for _, bear := range []float64{0, 0.25} {
		for _, neutral := range []float64{0.25, 0.5, 0.75, 1} {
			ex = append(ex, index.Exposure{0, bear, max(bear, neutral), 1, 1})
		}
	}
	ex = append(ex, index.Exposure{0, 0, 0, 1, 1}, index.Exposure{0, 0, 0, 0.5, 1})
	all := backtest.Grid(ex, []int{10, 20, 50, 100, 150}, []index.Scheme{index.CapWeighted, index.SqrtCap},
		[]int{1, 2, 3, 5, 7, 10, 14, 21, 30, 60})
	if n >= len(all) {
		return all
	}
	out := make([]backtest.Params, 0, n)
	for i := 0; i < n; i++ {
		out = append(out, all[i*len(all)/n])
	}
	return out
}

func (r *runner) backtest() error {
	const sec = "backtest"
	m, sig := backtestMarket(42, r.o.BacktestDays, r.o.BacktestCoins)
	if err := m.Validate(); err != nil {
		return err
	}
	years := float64(r.o.BacktestDays) / backtest.DaysPerYear

	// Orders: every investable coin, equal weights, rebalanced daily with
	// no drift band, so most of the run is orders.
	cfg := backtest.DefaultConfig()
	cfg.RebalanceDays = 1
	cfg.DriftBand = 0
	cfg.Weights.Scheme = index.EqualWeight
	for _, id := range m.Assets {
		if m.Kinds[id].Investable() {
			cfg.Fixed = append(cfg.Fixed, id)
		}
	}
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
	if runErr != nil {
		return runErr
	}
	row := newRow(sec, "simulated order", nsPerOp(res)/float64(trades), "ns/order").want("value", "<=", 100)
	row.Allocs = allocsPerOp(res) / float64(trades)
	row.CPU = res.cpu / float64(trades)
	row.Note = fmt.Sprintf("daily equal-weight rebalance of %d coins, %d orders per run; whole run / orders (upper bound)", len(cfg.Fixed), trades)
	r.add(row)

	// One default backtest: top 100 by market cap.
	def := backtest.DefaultConfig()
	res = measure(r.o.BenchTime, func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			res, err := backtest.Run(def, m, sig)
			if err != nil {
				runErr = err
				continue
			}
			trades = res.NumTrades()
		}
	})
	if runErr != nil {
		return runErr
	}
	row = newRow(sec, fmt.Sprintf("%.0f-year daily top-%d backtest", years, def.Universe.N), nsPerOp(res)/1e6, "ms").want("value", "<=", 50)
	row.Allocs = allocsPerOp(res)
	row.CPU = res.cpu / 1e6
	row.Note = fmt.Sprintf("%d days x %d coins, %d trades; allocs per run", r.o.BacktestDays, r.o.BacktestCoins, trades)
	r.add(row)

	// Parameter sweep.
	grid := sweepGrid(r.o.SweepTrials)
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
