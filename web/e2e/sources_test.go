package e2e_test

import (
	"context"
	"encoding/json"
	"math"
	"sort"

	"github.com/regime-engine/regime"
	"github.com/regime-engine/regime/backtest"
	"github.com/regime-engine/regime/engine"
	"github.com/regime-engine/regime/httpapi"
)

// The sources below adapt engine results to the httpapi source
// interfaces for the test server, the way `regime serve` wires them.

// gaugeSource serves a precomputed gauge run.
type gaugeSource struct{ items []httpapi.Gauge }

func newGaugeSource(run *engine.GaugeRun) *gaugeSource {
	g := run.Gauge
	fam := map[string]int{}
	for i, f := range run.Families {
		fam[f] = i
	}
	s := &gaugeSource{}
	for t, d := range run.Dates {
		if math.IsNaN(g.Score[t]) {
			continue
		}
		v := httpapi.Gauge{Date: d, Value: httpapi.Num(g.Score[t]), Level: g.Level[t].String(), Regime: g.State[t].String()}
		for c, name := range g.Components {
			fc := httpapi.FamilyContribution{Family: name, Score: httpapi.Num(math.NaN()), Weight: httpapi.Num(math.NaN()), Contribution: httpapi.Num(g.Contrib[c][t])}
			if i, ok := fam[name]; ok {
				fc.Score = httpapi.Num(50 + 50*run.Scores[i][t]) // votes in [-1, 1] as 0..100
			}
			v.Families = append(v.Families, fc)
		}
		s.items = append(s.items, v)
	}
	return s
}

func (s *gaugeSource) Latest(context.Context) (httpapi.Gauge, error) {
	if len(s.items) == 0 {
		return httpapi.Gauge{}, regime.Errorf(regime.ENOTFOUND, "no gauge computed")
	}
	return s.items[len(s.items)-1], nil
}

func (s *gaugeSource) History(_ context.Context, r regime.DateRange) ([]httpapi.Gauge, error) {
	var out []httpapi.Gauge
	for _, g := range s.items {
		if (r.From == regime.NoDate || g.Date >= r.From) && (r.To == regime.NoDate || g.Date <= r.To) {
			out = append(out, g)
		}
	}
	return out, nil
}

// signalSource serves precomputed token signals.
type signalSource struct{ items []httpapi.Signal }

func newSignalSource(rows []engine.TokenSignalRow) *signalSource {
	s := &signalSource{}
	for _, r := range rows {
		reason := ""
		for i, f := range r.Families {
			if i > 0 {
				reason += ", "
			}
			reason += f
		}
		s.items = append(s.items, httpapi.Signal{AssetID: r.Asset, Date: r.Date, State: r.State.String(), Score: httpapi.Num(r.Conviction), Reason: reason})
	}
	sort.SliceStable(s.items, func(i, j int) bool {
		a, b := s.items[i], s.items[j]
		if a.Date != b.Date {
			return a.Date < b.Date
		}
		return a.AssetID < b.AssetID
	})
	return s
}

func (s *signalSource) Signals(_ context.Context, q httpapi.SignalQuery) ([]httpapi.Signal, error) {
	var out []httpapi.Signal
	for _, x := range s.items {
		if (q.AssetID == "" || q.AssetID == x.AssetID) && (q.Range.From == regime.NoDate || x.Date >= q.Range.From) && (q.Range.To == regime.NoDate || x.Date <= q.Range.To) {
			out = append(out, x)
		}
	}
	return out, nil
}

// indexSource serves one backtest result as the live index.
type indexSource struct {
	res *backtest.Result
}

func (s *indexSource) Composition(_ context.Context, date regime.Date) (httpapi.Composition, error) {
	var dec *backtest.Decision
	for i := range s.res.Decisions {
		d := &s.res.Decisions[i]
		if d.Targets != nil && (date == regime.NoDate || d.Date <= date) {
			dec = d
		}
	}
	if dec == nil {
		return httpapi.Composition{}, regime.Errorf(regime.ENOTFOUND, "no composition on or before %s", date)
	}
	c := httpapi.Composition{Date: dec.Date, Regime: dec.Level.String(), Exposure: httpapi.Num(dec.Exposure)}
	for _, w := range dec.Targets {
		c.Weights = append(c.Weights, httpapi.Weight{AssetID: w.Asset, Weight: httpapi.Num(w.Weight)})
	}
	return c, nil
}

func inRange(d regime.Date, r regime.DateRange) bool {
	return (r.From == regime.NoDate || d >= r.From) && (r.To == regime.NoDate || d <= r.To)
}

func (s *indexSource) NAV(_ context.Context, r regime.DateRange) ([]httpapi.NAVPoint, error) {
	var out []httpapi.NAVPoint
	for i, d := range s.res.Dates {
		if inRange(d, r) {
			out = append(out, httpapi.NAVPoint{Date: d, NAV: httpapi.Num(s.res.NAV[i])})
		}
	}
	return out, nil
}

func (s *indexSource) Trades(_ context.Context, r regime.DateRange) ([]httpapi.Trade, error) {
	var out []httpapi.Trade
	for _, t := range s.res.Trades() {
		if inRange(t.Date, r) {
			side, _ := t.Side.MarshalText()
			out = append(out, httpapi.Trade{Date: t.Date, AssetID: t.Asset, Side: string(side), Quantity: httpapi.Num(t.Quantity), Price: httpapi.Num(t.Price), Cost: httpapi.Num(t.Fee + t.Slippage)})
		}
	}
	return out, nil
}

func (s *indexSource) Performance(_ context.Context, r regime.DateRange) (httpapi.Performance, error) {
	m := s.res.Metrics
	return httpapi.Performance{From: m.Start, To: m.End, Metrics: metrics(m)}, nil
}

func metrics(m backtest.Metrics) map[string]httpapi.Num {
	return map[string]httpapi.Num{
		"total_return": httpapi.Num(m.TotalReturn), "cagr": httpapi.Num(m.CAGR), "volatility": httpapi.Num(m.Volatility),
		"sharpe": httpapi.Num(m.Sharpe), "sortino": httpapi.Num(m.Sortino), "max_drawdown": httpapi.Num(m.MaxDrawdown),
		"calmar": httpapi.Num(m.Calmar), "time_in_market": httpapi.Num(m.TimeInMarket), "trades": httpapi.Num(m.Trades),
	}
}

// backtestResult is the job result the dashboard's Backtest page draws.
type backtestResult struct {
	Strategy string                            `json:"strategy"`
	From     regime.Date                       `json:"from"`
	To       regime.Date                       `json:"to"`
	Series   []navSeries                       `json:"series"`
	Metrics  map[string]map[string]httpapi.Num `json:"metrics"`
}

type navSeries struct {
	Name string             `json:"name"`
	NAV  []httpapi.NAVPoint `json:"nav"`
}

type backtestParams struct {
	Strategy string      `json:"strategy"`
	From     regime.Date `json:"from"`
	To       regime.Date `json:"to"`
	Fee      *float64    `json:"fee"`
}

// backtestRunner is the "backtest" job kind over st.
func backtestRunner(st regime.Reader) httpapi.JobRunner {
	return func(ctx context.Context, raw json.RawMessage, progress func(done, total int64)) (any, error) {
		var p backtestParams
		if len(raw) > 0 {
			if err := json.Unmarshal(raw, &p); err != nil {
				return nil, regime.Errorf(regime.EINVALID, "backtest parameters: %v", err)
			}
		}
		if p.Strategy == "" {
			p.Strategy = engine.StrategySMA200
		}
		const stages = 4
		var n int64
		opt := engine.BacktestOptions{Strategy: p.Strategy, From: p.From, To: p.To, Progress: func(regime.Progress) {
			if n < stages-1 {
				n++
			}
			progress(n, stages)
		}}
		if p.Fee != nil {
			cfg := backtest.DefaultConfig()
			cfg.FeeRate = *p.Fee
			opt.Config = &cfg
		}
		progress(0, stages)
		rep, err := engine.Backtest(ctx, st, opt)
		if err != nil {
			return nil, err
		}
		progress(stages, stages)
		c := rep.Comparison
		out := backtestResult{Strategy: p.Strategy, Metrics: map[string]map[string]httpapi.Num{}}
		for i, name := range c.Names {
			r := c.Results[i]
			s := navSeries{Name: name}
			for j, d := range r.Dates {
				s.NAV = append(s.NAV, httpapi.NAVPoint{Date: d, NAV: httpapi.Num(r.NAV[j])})
			}
			out.Series = append(out.Series, s)
			out.Metrics[name] = metrics(r.Metrics)
			out.From, out.To = r.Metrics.Start, r.Metrics.End
		}
		return out, nil
	}
}
