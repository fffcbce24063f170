package serve

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/regime-engine/regime"
	"github.com/regime-engine/regime/backtest"
	"github.com/regime-engine/regime/engine"
	"github.com/regime-engine/regime/index"
	"github.com/regime-engine/regime/report"
)

// BacktestParams are the parameters of a "backtest" job (POST
// /v1/backtests), the JSON twins of `regime backtest`'s flags. Every field
// is optional; zero values take the CLI's defaults.
type BacktestParams struct {
	Strategy     string   `json:"strategy,omitempty"`       // gauge (default), sma200 or buyhold
	From         string   `json:"from,omitempty"`           // first simulated day, YYYY-MM-DD
	To           string   `json:"to,omitempty"`             // last simulated day, YYYY-MM-DD
	Split        string   `json:"split,omitempty"`          // first out-of-sample day (default 2021-01-01); "none" disables
	Exposure     string   `json:"exposure,omitempty"`       // five exposures, strong bearish first, e.g. "0,0.25,0.5,1,1"
	N            int      `json:"n,omitempty"`              // index constituents (100)
	Scheme       string   `json:"scheme,omitempty"`         // cap, sqrt_cap or equal (cap)
	Rebalance    int      `json:"rebalance,omitempty"`      // scheduled rebalance period in days (7)
	Fee          *float64 `json:"fee,omitempty"`            // fee as a fraction of traded value (0.001)
	Initial      float64  `json:"initial,omitempty"`        // starting NAV in USD (1000000)
	NoStableFill bool     `json:"no_stable_fill,omitempty"` // leave stablecoin days without a close unpriced
	NAV          bool     `json:"nav,omitempty"`            // add the daily NAV series ("nav", like --nav-json)
}

// ParseBacktestParams decodes and validates job parameters. Errors are
// EINVALID and name the field ("params.<field>: ...").
func ParseBacktestParams(raw json.RawMessage) (BacktestParams, error) {
	var p BacktestParams
	if len(bytes.TrimSpace(raw)) == 0 {
		return p, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &te):
			return p, regime.Errorf(regime.EINVALID, "params.%s: want a %s, not a JSON %s", te.Field, te.Type, te.Value)
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			return p, regime.Errorf(regime.EINVALID, "params: unknown field %s (known: strategy, from, to, split, exposure, n, scheme, rebalance, fee, initial, no_stable_fill, nav)",
				strings.TrimPrefix(err.Error(), "json: unknown field "))
		}
		return p, regime.Errorf(regime.EINVALID, "params: not a JSON object of backtest parameters: %v", err)
	}
	if err := dec.Decode(new(json.RawMessage)); err != io.EOF {
		return p, regime.Errorf(regime.EINVALID, "params: trailing data after the JSON object")
	}
	_, err := p.Options(engine.DefaultGaugeOptions())
	return p, err
}

// Options returns the engine options of p, built like `regime backtest`
// builds them from its flags, so a job and the CLI run the same backtest.
// Errors are EINVALID and name the field.
func (p BacktestParams) Options(gauge engine.GaugeOptions) (engine.BacktestOptions, error) {
	var opt engine.BacktestOptions
	bad := func(field, format string, a ...any) error {
		return regime.Errorf(regime.EINVALID, "params.%s: %s", field, fmt.Sprintf(format, a...))
	}
	opt.Strategy = p.Strategy
	if opt.Strategy == "" {
		opt.Strategy = engine.StrategyGauge
	}
	known := false
	for _, s := range engine.Strategies {
		known = known || s == opt.Strategy
	}
	if !known {
		return opt, bad("strategy", "unknown strategy %q: want gauge, sma200 or buyhold", p.Strategy)
	}
	var err error
	if p.From != "" {
		if opt.From, err = regime.ParseDate(p.From); err != nil {
			return opt, bad("from", "%q is not a date (YYYY-MM-DD)", p.From)
		}
	}
	if p.To != "" {
		if opt.To, err = regime.ParseDate(p.To); err != nil {
			return opt, bad("to", "%q is not a date (YYYY-MM-DD)", p.To)
		}
	}
	if opt.From != regime.NoDate && opt.To != regime.NoDate && opt.From > opt.To {
		return opt, bad("to", "%s is before from %s", opt.To, opt.From)
	}
	opt.NoStableFill = p.NoStableFill
	opt.GaugeLevels = engine.GaugeLevels(gauge)
	split := p.Split
	if split == "" {
		split = DefaultSplit.String()
	}
	if split != "none" {
		if opt.Split, err = regime.ParseDate(split); err != nil {
			return opt, bad("split", "%q is not a date (YYYY-MM-DD) or none", p.Split)
		}
	}
	cfg := backtest.DefaultConfig()
	if p.Exposure != "" {
		if cfg.Exposure, err = index.ParseExposure(p.Exposure); err != nil {
			return opt, bad("exposure", "%s", regime.ErrorMessage(err))
		}
	}
	if p.N < 0 {
		return opt, bad("n", "%d: want a positive number of constituents", p.N)
	}
	if p.N != 0 {
		cfg.Universe.N = p.N
	}
	if p.Scheme != "" {
		if !index.Scheme(p.Scheme).Valid() {
			return opt, bad("scheme", "unknown scheme %q: want cap, sqrt_cap or equal", p.Scheme)
		}
		cfg.Weights.Scheme = index.Scheme(p.Scheme)
	}
	if p.Rebalance < 0 {
		return opt, bad("rebalance", "%d: want a positive period in days", p.Rebalance)
	}
	if p.Rebalance != 0 {
		cfg.RebalanceDays = p.Rebalance
	}
	if p.Fee != nil {
		cfg.FeeRate = *p.Fee
	}
	if p.Initial < 0 {
		return opt, bad("initial", "%g: want a positive NAV in USD", p.Initial)
	}
	if p.Initial != 0 {
		cfg.InitialNAV = p.Initial
	}
	if err := cfg.Validate(); err != nil {
		return opt, regime.Errorf(regime.EINVALID, "params: %s", regime.ErrorMessage(err))
	}
	opt.Config = &cfg
	return opt, nil
}

// BacktestJob is the "backtest" httpapi.JobRunner: it runs the backtest
// of params (BacktestParams) and returns report.Backtest, the value
// `regime backtest --json` prints for the same parameters (with "nav":
// true, the value of --nav-json, which adds the daily NAV series). Progress is
// forwarded per stage (done and total of the running stage). The gauge
// strategy reuses the cached gauge run when the backtest covers the
// store's whole calendar.
func (s *Sources) BacktestJob(ctx context.Context, params json.RawMessage, progress func(done, total int64)) (any, error) {
	p, err := ParseBacktestParams(params)
	if err != nil {
		return nil, err
	}
	opt, err := p.Options(s.opt.Gauge)
	if err != nil {
		return nil, err
	}
	if opt.Strategy == engine.StrategyGauge {
		if _, err := s.Refresh(ctx); err == nil {
			s.mu.Lock()
			st := s.cur
			s.mu.Unlock()
			opt.GaugeLevels = s.levelsOf(st)
		}
	}
	if progress != nil {
		opt.Progress = func(ev regime.Progress) { progress(ev.Done, ev.Total) }
	}
	in, err := engine.PrepareBacktest(ctx, s.st, opt)
	if err != nil {
		return nil, err
	}
	rep, err := in.Compare(ctx, opt.Progress)
	if err != nil {
		return nil, err
	}
	out := report.NewBacktest(rep, nil)
	if p.NAV {
		out = out.WithNAV(rep)
	}
	return out, nil
}
