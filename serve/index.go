package serve

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strings"
	"sync"

	"github.com/regime-engine/regime"
	"github.com/regime-engine/regime/backtest"
	"github.com/regime-engine/regime/engine"
	"github.com/regime-engine/regime/httpapi"
)

// indexState is the regime index of one store content: the gauge
// strategy with the default rules over the whole store.
type indexState struct {
	rep     *engine.BacktestReport
	res     *backtest.Result // the regime index, rep.Comparison.Results[0]
	symbols map[string]string
	levels  map[regime.Date]string // the gauge level of each day with a known score

	allocOnce sync.Once
	alloc     []httpapi.AllocationPoint
}

func (s *Sources) computeIndex(ctx context.Context, st *state) (*indexState, error) {
	rep, err := engine.Backtest(ctx, s.st, engine.BacktestOptions{Strategy: engine.StrategyGauge,
		GaugeLevels: s.levelsOf(st), Split: s.opt.Split})
	if regime.ErrorCode(err) == regime.EINVALID {
		// The store is too short for the default rules: there is no
		// index yet, which is not the client's fault.
		return nil, regime.Errorf(regime.ENOTFOUND, "no regime index yet: %s", regime.ErrorMessage(err))
	}
	if err != nil {
		return nil, fmt.Errorf("serve: index: %w", err)
	}
	ix := &indexState{rep: rep, res: rep.Comparison.Results[0], symbols: map[string]string{}, levels: map[regime.Date]string{}}
	for _, a := range st.p.Assets {
		ix.symbols[a.ID] = a.Symbol
	}
	for _, g := range st.gauges {
		if !math.IsNaN(float64(g.Value)) && g.Level != "" {
			ix.levels[g.Date] = g.Level
		}
	}
	return ix, nil
}

func (s *Sources) index(ctx context.Context) (*indexState, error) {
	st, err := s.current(ctx)
	if err != nil {
		return nil, err
	}
	return st.index.get(ctx, func() (*indexState, error) { return s.computeIndex(s.bg, st) })
}

// Composition returns the target weights of the index's last rebalance
// decision taken on or before date (NoDate: the last one). Weights are
// fractions of NAV; what they leave is US dollar cash. It returns
// ENOTFOUND before the first decision.
func (s *Sources) Composition(ctx context.Context, date regime.Date) (httpapi.Composition, error) {
	ix, err := s.index(ctx)
	if err != nil {
		return httpapi.Composition{}, err
	}
	var d *backtest.Decision
	for k := range ix.res.Decisions {
		dk := &ix.res.Decisions[k]
		if date != regime.NoDate && dk.Date > date {
			break
		}
		if dk.Targets != nil {
			d = dk
		}
	}
	if d == nil {
		if date == regime.NoDate {
			return httpapi.Composition{}, regime.Errorf(regime.ENOTFOUND, "the index has taken no rebalance decision yet")
		}
		return httpapi.Composition{}, regime.Errorf(regime.ENOTFOUND, "the index had taken no rebalance decision by %s", date)
	}
	c := httpapi.Composition{Date: d.Date, Regime: d.Level.String(), Exposure: httpapi.Num(d.Exposure),
		Weights: make([]httpapi.Weight, 0, len(d.Targets))}
	for _, t := range d.Targets {
		c.Weights = append(c.Weights, httpapi.Weight{AssetID: t.Asset, Symbol: ix.symbols[t.Asset], Weight: httpapi.Num(t.Weight)})
	}
	return c, nil
}

// NAV returns the regime index's NAV (USD, after that day's trades) at
// every simulated close in r, with its risky exposure, the gauge level of
// the day (nil while the gauge has no score) and the benchmarks' NAVs
// (buy_and_hold, btc_hold, sma200: same initial NAV, same rules).
func (s *Sources) NAV(ctx context.Context, r regime.DateRange) ([]httpapi.NAVPoint, error) {
	ix, err := s.index(ctx)
	if err != nil {
		return nil, err
	}
	cmp := ix.rep.Comparison
	bench := map[string]func(regime.Date) float64{}
	for k, name := range cmp.Names {
		if strings.HasPrefix(name, backtest.RunSMA) && bench["sma"] == nil {
			name = "sma" // the SMA-switched run, whatever its window (sma200 by default)
		}
		bench[name] = navAt(ix.res.Dates, cmp.Results[k])
	}
	at := func(name string, d regime.Date) httpapi.Num {
		if f := bench[name]; f != nil {
			return httpapi.Num(f(d))
		}
		return httpapi.Num(math.NaN())
	}
	lo, hi := dayBounds(ix.res.Dates, r)
	out := make([]httpapi.NAVPoint, 0, hi-lo)
	for i := lo; i < hi; i++ {
		d := ix.res.Dates[i]
		p := httpapi.NAVPoint{Date: d, NAV: httpapi.Num(ix.res.NAV[i]), Exposure: httpapi.Num(ix.res.Exposure[i]),
			Benchmarks: httpapi.Benchmarks{BuyAndHold: at(backtest.RunBuyAndHold, d), BTCHold: at(backtest.RunBTC, d),
				SMA200: at("sma", d)}}
		if l, ok := ix.levels[d]; ok {
			p.Level = &l
		}
		out = append(out, p)
	}
	return out, nil
}

// navAt returns the NAV of res by date, NaN on a day res did not simulate;
// it indexes directly when res runs on the calendar dates.
func navAt(dates []regime.Date, res *backtest.Result) func(regime.Date) float64 {
	if len(res.Dates) == len(dates) && len(dates) > 0 && res.Dates[0] == dates[0] && res.Dates[len(dates)-1] == dates[len(dates)-1] {
		return func(d regime.Date) float64 {
			i := sort.Search(len(dates), func(i int) bool { return dates[i] >= d })
			if i < len(dates) && dates[i] == d {
				return res.NAV[i]
			}
			return math.NaN()
		}
	}
	m := make(map[regime.Date]float64, len(res.Dates))
	for i, d := range res.Dates {
		m[d] = res.NAV[i]
	}
	return func(d regime.Date) float64 {
		if v, ok := m[d]; ok {
			return v
		}
		return math.NaN()
	}
}

// Trades returns the regime index's transaction log in r, by date then
// asset (log order within an asset): every field of the log, with side
// and reason as the backtest names them and cost = fee + slippage.
func (s *Sources) Trades(ctx context.Context, r regime.DateRange) ([]httpapi.Trade, error) {
	ix, err := s.index(ctx)
	if err != nil {
		return nil, err
	}
	out := []httpapi.Trade{}
	for _, t := range ix.res.Trades() {
		if !r.Contains(t.Date) {
			continue
		}
		side, _ := t.Side.MarshalText()
		reason, _ := t.Reason.MarshalText()
		out = append(out, httpapi.Trade{Date: t.Date, AssetID: t.Asset, Side: string(side), Quantity: httpapi.Num(t.Quantity),
			Price: httpapi.Num(t.Price), Value: httpapi.Num(t.Value), Fee: httpapi.Num(t.Fee), Slippage: httpapi.Num(t.Slippage),
			Cost: httpapi.Num(t.Fee + t.Slippage), Reason: string(reason)})
	}
	sort.SliceStable(out, func(a, b int) bool {
		if out[a].Date != out[b].Date {
			return out[a].Date < out[b].Date
		}
		return out[a].AssetID < out[b].AssetID
	})
	return out, nil
}

// AllocationTop is how many of the largest risky holdings an allocation
// point lists by name.
const AllocationTop = 8

// Allocation returns the regime index's actual holdings as shares of its
// NAV at the close (value / NAV, after that day's trades) on every day the
// index traded, and on the last simulated day, within r. Holdings are
// rebuilt from the transaction log and valued at the day's close (the
// last known close for a held asset without one). Stablecoins (the stable
// sleeve's assets and every asset of kind stablecoin) are "stable", the
// rest of the NAV not held is "cash", and the risky holdings are the top
// AllocationTop by weight plus "other".
func (s *Sources) Allocation(ctx context.Context, r regime.DateRange) ([]httpapi.AllocationPoint, error) {
	ix, err := s.index(ctx)
	if err != nil {
		return nil, err
	}
	ix.allocOnce.Do(func() { ix.alloc = ix.allocation() })
	out := []httpapi.AllocationPoint{}
	for _, p := range ix.alloc {
		if r.Contains(p.Date) {
			out = append(out, p)
		}
	}
	return out, nil
}

func (ix *indexState) allocation() []httpapi.AllocationPoint {
	in := ix.rep.Input
	m := in.Market
	stable := map[string]bool{}
	for _, a := range in.Config.Stable.Assets {
		stable[a] = true
	}
	for id, k := range m.Kinds {
		if k == regime.KindStablecoin {
			stable[id] = true
		}
	}
	trades := ix.res.Trades()
	qty := map[string]float64{}
	lastClose := map[string]float64{}
	var out []httpapi.AllocationPoint
	k := 0
	dates := ix.res.Dates
	for i, d := range dates {
		traded := false
		for ; k < len(trades) && trades[k].Date <= d; k++ {
			t := trades[k]
			traded = traded || t.Date == d
			if t.Side == backtest.Buy {
				qty[t.Asset] += t.Quantity
			} else {
				qty[t.Asset] -= t.Quantity
			}
			if q := qty[t.Asset]; q <= 1e-12*max(1, t.Quantity) {
				delete(qty, t.Asset)
			}
		}
		row := m.Day(d)
		for a := range qty {
			if j := m.Asset(a); row >= 0 && j >= 0 {
				if c := m.At(row, j); !math.IsNaN(c) {
					lastClose[a] = c
				}
			}
		}
		if !traded && i != len(dates)-1 {
			continue
		}
		nav := ix.res.NAV[i]
		if !(nav > 0) {
			continue
		}
		p := httpapi.AllocationPoint{Date: d}
		var risky []httpapi.HoldingWeight
		held := 0.0
		stab := 0.0
		for a, q := range qty {
			c, ok := lastClose[a]
			if !ok {
				continue
			}
			w := q * c / nav
			held += w
			if stable[a] {
				stab += w
				continue
			}
			risky = append(risky, httpapi.HoldingWeight{AssetID: a, Symbol: ix.symbols[a], Weight: httpapi.Num(w)})
		}
		sort.Slice(risky, func(a, b int) bool {
			if risky[a].Weight != risky[b].Weight {
				return risky[a].Weight > risky[b].Weight
			}
			return risky[a].AssetID < risky[b].AssetID
		})
		other := 0.0
		if len(risky) > AllocationTop {
			for _, h := range risky[AllocationTop:] {
				other += float64(h.Weight)
			}
			risky = risky[:AllocationTop]
		}
		if risky == nil {
			risky = []httpapi.HoldingWeight{}
		}
		p.Stable, p.Cash, p.Top, p.Other = httpapi.Num(stab), httpapi.Num(max(0, 1-held)), risky, httpapi.Num(other)
		out = append(out, p)
	}
	return out
}

// Performance returns the regime index's metrics over r (the whole run
// when r is open) under their plain names (cagr, sharpe, max_drawdown...);
// the same metrics prefixed "in_sample." and "out_of_sample." over the
// parts of r before and from the split (the close before the split is the
// out-of-sample base, as in `regime backtest`); each benchmark's metrics
// prefixed with its name ("buy_and_hold.", "btc_hold.", "sma200."); and the
// monthly returns as "monthly.YYYY-MM".
func (s *Sources) Performance(ctx context.Context, r regime.DateRange) (httpapi.Performance, error) {
	ix, err := s.index(ctx)
	if err != nil {
		return httpapi.Performance{}, err
	}
	if err := r.Validate(); err != nil {
		return httpapi.Performance{}, err
	}
	m, ok := ix.res.Window(r.From, r.To)
	if !ok {
		return httpapi.Performance{}, regime.Errorf(regime.ENOTFOUND, "the index has fewer than two simulated days in %s (it runs %s..%s)",
			r, ix.res.Dates[0], ix.res.Dates[len(ix.res.Dates)-1])
	}
	out := httpapi.Performance{From: m.Start, To: m.End, Metrics: map[string]httpapi.Num{}}
	putMetrics(out.Metrics, "", m)
	if sp := ix.rep.Input.Split; sp != regime.NoDate {
		if m, ok := ix.res.Window(r.From, minDate(r.To, sp.AddDays(-1))); ok {
			putMetrics(out.Metrics, "in_sample.", m)
		}
		if m, ok := ix.res.Window(maxDate(r.From, sp.AddDays(-1)), r.To); ok {
			putMetrics(out.Metrics, "out_of_sample.", m)
		}
	}
	cmp := ix.rep.Comparison
	for k := 1; k < len(cmp.Results); k++ {
		if m, ok := cmp.Results[k].Window(r.From, r.To); ok {
			putMetrics(out.Metrics, cmp.Names[k]+".", m)
		}
	}
	for _, mo := range ix.res.Monthly {
		first := regime.DateOf(timeOfMonth(mo.Year, mo.Month))
		last := regime.DateOf(timeOfMonth(mo.Year, mo.Month+1)).AddDays(-1)
		if (r.From == regime.NoDate || first >= r.From) && (r.To == regime.NoDate || last <= r.To) {
			out.Metrics[fmt.Sprintf("monthly.%04d-%02d", mo.Year, mo.Month)] = httpapi.Num(mo.Return)
		}
	}
	return out, nil
}

func putMetrics(dst map[string]httpapi.Num, prefix string, m backtest.Metrics) {
	for k, v := range map[string]float64{"total_return": m.TotalReturn, "cagr": m.CAGR, "volatility": m.Volatility,
		"sharpe": m.Sharpe, "sortino": m.Sortino, "max_drawdown": m.MaxDrawdown, "calmar": m.Calmar, "turnover": m.Turnover,
		"fees_usd": m.Fees, "slippage_usd": m.Slippage, "trades": float64(m.Trades), "days": float64(m.Days),
		"time_in_market": m.TimeInMarket, "avg_exposure": m.AvgExposure} {
		dst[prefix+k] = httpapi.Num(v)
	}
}

func minDate(a, b regime.Date) regime.Date {
	if a == regime.NoDate || b < a {
		return b
	}
	return a
}

func maxDate(a, b regime.Date) regime.Date {
	if a == regime.NoDate || b > a {
		return b
	}
	return a
}
