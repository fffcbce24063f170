package serve

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/regime-engine/regime"
	"github.com/regime-engine/regime/engine"
	"github.com/regime-engine/regime/httpapi"
)

// Evaluations returns `regime evaluate` on the whole store (default
// options, cut at Options.Split), computed on first request from the
// cached gauge run. Each market window signal is one evaluation with ID
// "<market>/<window>/<signal>" and subject the signal; the per-token
// signal scores of a window are "tokens/<window>" with subject
// "token_signals". Sorted by ID.
func (s *Sources) Evaluations(ctx context.Context) ([]httpapi.Evaluation, error) {
	st, err := s.current(ctx)
	if err != nil {
		return nil, err
	}
	return st.eval.get(ctx, func() ([]httpapi.Evaluation, error) { return s.computeEval(s.bg, st) })
}

func (s *Sources) computeEval(ctx context.Context, st *state) ([]httpapi.Evaluation, error) {
	opt := engine.DefaultEvalOptions()
	opt.Gauge, opt.Cut = s.opt.Gauge, s.opt.Split
	ev, err := engine.EvaluateRun(ctx, s.st, st.p, st.run, opt)
	if err != nil {
		return nil, fmt.Errorf("serve: evaluate: %w", err)
	}
	return evaluations(ev), nil
}

// evaluations flattens an evaluation report.
func evaluations(ev *engine.Evaluation) []httpapi.Evaluation {
	out := []httpapi.Evaluation{}
	spans := map[string]regime.DateRange{}
	for _, m := range ev.Markets {
		for _, w := range m.Windows {
			spans[w.Window] = regime.DateRange{From: w.From, To: w.To}
			for _, sg := range w.Signals {
				out = append(out, httpapi.Evaluation{ID: m.Market + "/" + w.Window + "/" + sg.Signal, Subject: sg.Signal,
					From: w.From, To: w.To, Metrics: map[string]httpapi.Num{
						"balanced_accuracy": httpapi.Num(sg.BalancedAccuracy), "flips_per_year": httpapi.Num(sg.FlipsPerYear),
						"median_lag_days": httpapi.Num(sg.MedianLag), "cagr": httpapi.Num(sg.CAGR),
						"max_drawdown": httpapi.Num(sg.MaxDrawdown), "sharpe": httpapi.Num(sg.Sharpe),
						"calmar": httpapi.Num(sg.Calmar), "exposure": httpapi.Num(sg.Exposure), "brier": httpapi.Num(sg.Brier)}})
			}
		}
	}
	for _, t := range ev.Tokens {
		sp := spans[t.Window]
		m := map[string]httpapi.Num{"observations": httpapi.Num(t.Observations), "base_up_rate": httpapi.Num(t.BaseUp),
			"base_mean_return": httpapi.Num(t.BaseMean)}
		for name, st := range map[string]engine.SignalStats{"bullish": t.Bull, "bearish": t.Bear, "neutral": t.Neutral} {
			m[name+".count"] = httpapi.Num(st.Count)
			m[name+".hit_rate"] = httpapi.Num(st.HitRate)
			m[name+".mean_return"] = httpapi.Num(st.Mean)
			m[name+".median_return"] = httpapi.Num(st.Median)
		}
		out = append(out, httpapi.Evaluation{ID: "tokens/" + t.Window, Subject: "token_signals", From: sp.From, To: sp.To, Metrics: m})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

func timeOfMonth(year, month int) time.Time {
	return time.Date(year, time.Month(month), 1, 0, 0, 0, 0, time.UTC)
}
