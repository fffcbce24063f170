package backtest

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/regime-engine/regime"
	"github.com/regime-engine/regime/index"
)

// Params are the rules a sweep varies; zero fields keep the base value.
type Params struct {
	Exposure      *index.Exposure
	N             int
	Scheme        index.Scheme
	RebalanceDays int
}

// Apply returns c with p's non-zero fields set.
func (p Params) Apply(c Config) Config {
	if p.Exposure != nil {
		c.Exposure = *p.Exposure
	}
	if p.N > 0 {
		c.Universe.N = p.N
	}
	if p.Scheme != "" {
		c.Weights.Scheme = p.Scheme
	}
	if p.RebalanceDays > 0 {
		c.RebalanceDays = p.RebalanceDays
	}
	return c
}

// String describes p as space-separated key=value pairs.
func (p Params) String() string {
	s := ""
	if p.Exposure != nil {
		s += "exposure=" + p.Exposure.String() + " "
	}
	return s + fmt.Sprintf("n=%d scheme=%s rebalance=%d", p.N, p.Scheme, p.RebalanceDays)
}

// Grid returns the cartesian product of the given values, exposures
// varying slowest and periods fastest. An empty list keeps the base value.
func Grid(exposures []index.Exposure, ns []int, schemes []index.Scheme, periods []int) []Params {
	var out []Params
	ex := []*index.Exposure{nil}
	if len(exposures) > 0 {
		ex = ex[:0]
		for i := range exposures {
			ex = append(ex, &exposures[i])
		}
	}
	if len(ns) == 0 {
		ns = []int{0}
	}
	if len(schemes) == 0 {
		schemes = []index.Scheme{""}
	}
	if len(periods) == 0 {
		periods = []int{0}
	}
	for _, e := range ex {
		for _, n := range ns {
			for _, s := range schemes {
				for _, p := range periods {
					out = append(out, Params{Exposure: e, N: n, Scheme: s, RebalanceDays: p})
				}
			}
		}
	}
	return out
}

// Trial is one run of a sweep.
type Trial struct {
	Params  Params
	Metrics Metrics
	Returns []float64 // daily returns, kept for the overfitting statistics
}

// SweepResult records every trial of a sweep, the best one by Sharpe
// ratio (ties: the first) and the overfitting statistics next to it.
type SweepResult struct {
	Trials []Trial
	Best   int // index of the best trial, -1 if no trial has a Sharpe ratio
	// DeflatedSharpe is the deflated Sharpe ratio of the best trial given
	// all trials: the probability its skill is real (near 1 is good).
	DeflatedSharpe float64
	// PBO is the probability of backtest overfitting by CSCV with
	// PBOBlocks blocks: the chance the in-sample winner is below the
	// median out of sample (near 0 is good).
	PBO       float64
	PBOBlocks int
}

// Sweep runs base with each of grid's parameter sets on m and signal,
// using workers goroutines (0 = all cores). Results are in grid order
// whatever the scheduling, so two sweeps of the same inputs are
// identical. progress receives one event per finished trial, from the
// calling goroutine. Sweep stops early with ctx's error when ctx is done,
// and returns the first failing trial's error.
func Sweep(ctx context.Context, base Config, m *Market, signal []index.Level, grid []Params, workers int, progress regime.ProgressFunc) (*SweepResult, error) {
	if err := m.Validate(); err != nil {
		return nil, err
	}
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	type done struct {
		i   int
		t   Trial
		err error
	}
	jobs := make(chan int)
	out := make(chan done)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				r, err := Run(grid[i].Apply(base), m, signal)
				d := done{i: i, err: err}
				if err == nil {
					d.t = Trial{Params: grid[i], Metrics: r.Metrics, Returns: Returns(r.NAV)}
				}
				out <- d
			}
		}()
	}
	go func() {
		defer close(jobs)
		for i := range grid {
			select {
			case jobs <- i:
			case <-ctx.Done():
				return
			}
		}
	}()
	go func() { wg.Wait(); close(out) }()
	res := &SweepResult{Trials: make([]Trial, len(grid)), Best: -1, PBOBlocks: 16}
	var firstErr error
	n := 0
	for d := range out {
		n++
		if d.err != nil && firstErr == nil {
			firstErr = fmt.Errorf("sweep trial %d (%s): %w", d.i, grid[d.i], d.err)
		}
		res.Trials[d.i] = d.t
		progress.Report(regime.Progress{Stage: "sweep", Done: int64(n), Total: int64(len(grid)), Unit: "trials", Final: n == len(grid)})
	}
	if firstErr != nil {
		return nil, firstErr
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	sharpes := make([]float64, len(grid))
	rets := make([][]float64, len(grid))
	for i, t := range res.Trials {
		sharpes[i] = t.Metrics.Sharpe / math.Sqrt(DaysPerYear)
		rets[i] = t.Returns
		if !math.IsNaN(sharpes[i]) && (res.Best < 0 || sharpes[i] > sharpes[res.Best]) {
			res.Best = i
		}
	}
	res.DeflatedSharpe, res.PBO = math.NaN(), math.NaN()
	if res.Best >= 0 {
		res.DeflatedSharpe = DeflatedSharpe(res.Trials[res.Best].Returns, sharpes)
		res.PBO = PBO(rets, res.PBOBlocks)
	}
	return res, nil
}

// Table formats the top trials by Sharpe ratio (at most top, best first,
// ties by grid order) with the overfitting statistics of the best one.
func (r *SweepResult) Table(top int) string {
	idx := make([]int, len(r.Trials))
	for i := range idx {
		idx[i] = i
	}
	sharpe := func(i int) float64 {
		s := r.Trials[i].Metrics.Sharpe
		if math.IsNaN(s) {
			return math.Inf(-1)
		}
		return s
	}
	slices.SortStableFunc(idx, func(a, b int) int { return cmp.Compare(sharpe(b), sharpe(a)) })
	if top > len(idx) {
		top = len(idx)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%5s %7s %8s %8s %7s  %s\n", "trial", "Sharpe", "CAGR", "max DD", "trades", "parameters")
	for _, i := range idx[:top] {
		m := r.Trials[i].Metrics
		fmt.Fprintf(&b, "%5d %7.2f %7.1f%% %7.1f%% %7d  %s\n", i, m.Sharpe, 100*m.CAGR, 100*m.MaxDrawdown, m.Trades, r.Trials[i].Params)
	}
	fmt.Fprintf(&b, "%d trials; best trial: deflated Sharpe ratio %.3f, probability of backtest overfitting %.3f (CSCV, %d blocks)\n",
		len(r.Trials), r.DeflatedSharpe, r.PBO, r.PBOBlocks)
	return b.String()
}
