package serve

import (
	"context"
	"fmt"
	"sort"

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
	ix := &indexState{rep: rep, res: rep.Comparison.Results[0], symbols: map[string]string{}}
	for _, a := range st.p.Assets {
		ix.symbols[a.ID] = a.Symbol
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
// every simulated close in r.
func (s *Sources) NAV(ctx context.Context, r regime.DateRange) ([]httpapi.NAVPoint, error) {
	ix, err := s.index(ctx)
	if err != nil {
		return nil, err
	}
	lo, hi := dayBounds(ix.res.Dates, r)
	out := make([]httpapi.NAVPoint, 0, hi-lo)
	for i := lo; i < hi; i++ {
		out = append(out, httpapi.NAVPoint{Date: ix.res.Dates[i], NAV: httpapi.Num(ix.res.NAV[i])})
	}
	return out, nil
}

// Trades returns the regime index's transaction log in r, by date then
// asset (log order within an asset). Cost is fee plus slippage.
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
		out = append(out, httpapi.Trade{Date: t.Date, AssetID: t.Asset, Side: t.Side.String(), Quantity: httpapi.Num(t.Quantity),
			Price: httpapi.Num(t.Price), Cost: httpapi.Num(t.Fee + t.Slippage)})
	}
	sort.SliceStable(out, func(a, b int) bool {
		if out[a].Date != out[b].Date {
			return out[a].Date < out[b].Date
		}
		return out[a].AssetID < out[b].AssetID
	})
	return out, nil
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
