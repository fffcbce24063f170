package engine

import (
	"context"
	"math"

	"github.com/regime-engine/regime"
	"github.com/regime-engine/regime/detect"
	"github.com/regime-engine/regime/feature"
	"github.com/regime-engine/regime/index"
)

// GaugeOptions configure RunGauge.
type GaugeOptions struct {
	Gauge  detect.GaugeConfig
	Models detect.ModelConfig
	// Rules are the family rules of the gauge (detect.MarketRules by
	// default); their order must match Gauge.Confluence.Families.
	Rules []detect.FamilyRule
	// ModelFactors are the raw factors the models see, besides the family
	// scores of ModelFamilies.
	ModelFactors  []string
	ModelFamilies []string
	// NoModels runs the gauge on the family scores only.
	NoModels bool
}

// DefaultGaugeOptions returns the documented defaults (docs/gauge.md).
func DefaultGaugeOptions() GaugeOptions {
	return GaugeOptions{
		Gauge:  detect.DefaultGauge(),
		Models: detect.DefaultModelConfig(),
		Rules:  detect.MarketRules(),
		// Price-derived factors of the reference asset only: they exist
		// over the whole history, so the models do not learn from which
		// data sources happen to be present.
		ModelFactors: []string{"px_sma_200", "dd_365", "dd_ath", "ret_30d", "ret_90d", "ret_180d", "rsi_28", "rv_30", "sma_50_slope"},
	}
}

// GaugeRun is the walk-forward Market Gauge over a panel's calendar.
type GaugeRun struct {
	Dates    []regime.Date
	Asset    regime.Asset // the reference asset (bitcoin)
	Price    []float64    // its close per day, NaN when unknown
	Families []string
	Scores   [][]float64 // family scores [family][day]
	Features []string    // model inputs
	X        [][]float64 // model rows, one per day
	Models   *detect.ModelRun
	Gauge    *detect.Gauge
}

// FactorColumns builds the reference asset's token factors and the market
// factors on the panel calendar and returns a lookup by factor name
// (token factors first). Columns are padded with NaN before the asset's
// first day.
func FactorColumns(ctx context.Context, st regime.Reader, p *Panel) (map[string][]float32, int, error) {
	ref := p.ReferenceAsset()
	if ref < 0 {
		return nil, -1, regime.Errorf(regime.ENOTFOUND, "no reference asset (bitcoin or a top coin) in the store")
	}
	n := len(p.Dates)
	cols := map[string][]float32{}
	in, err := MarketInputs(ctx, st, p)
	if err != nil {
		return nil, ref, err
	}
	mm, err := feature.BuildMarket(in, feature.ByLevel(feature.LevelMarket))
	if err != nil {
		return nil, ref, err
	}
	for j, name := range mm.Names {
		cols[name] = mm.Col(j)
	}
	s, err := TokenSeries(ctx, st, p, ref)
	if err != nil {
		return nil, ref, err
	}
	tm, err := feature.Build(s, feature.ByLevel(feature.LevelToken))
	if err != nil {
		return nil, ref, err
	}
	off := p.Start[ref]
	for j, name := range tm.Names {
		c := make([]float32, n)
		for i := range c {
			c[i] = float32(math.NaN())
		}
		copy(c[off:], tm.Col(j))
		cols[name] = c
	}
	return cols, ref, nil
}

// RunGauge computes the Market Gauge walk-forward over the whole panel:
// family scores from the reference asset's and the market's factors, the
// K-of-N confluence, the regime models retrained on the schedule (each day
// predicted by models trained strictly before it), and their combination.
// Every value on day t depends only on data known at t.
func RunGauge(ctx context.Context, st regime.Reader, p *Panel, opt GaugeOptions) (*GaugeRun, error) {
	cols, ref, err := FactorColumns(ctx, st, p)
	if err != nil {
		return nil, err
	}
	n := len(p.Dates)
	r := &GaugeRun{Dates: p.Dates, Asset: p.Assets[ref], Price: nanSlice(n)}
	copy(r.Price[p.Start[ref]:], p.Close[ref])
	lookup := func(name string) []float32 { return cols[name] }
	r.Scores = detect.FamilyScores(lookup, n, opt.Rules)
	for _, rule := range opt.Rules {
		r.Families = append(r.Families, rule.Family)
	}
	if len(r.Families) != len(opt.Gauge.Confluence.Families) {
		return nil, regime.Errorf(regime.EINVALID, "gauge: %d family rules for %d confluence families", len(r.Families), len(opt.Gauge.Confluence.Families))
	}
	for i, f := range r.Families {
		if opt.Gauge.Confluence.Families[i] != f {
			return nil, regime.Errorf(regime.EINVALID, "gauge: family %d is %s in the rules but %s in the confluence", i, f, opt.Gauge.Confluence.Families[i])
		}
	}
	r.Features, r.X = modelRows(cols, r.Families, r.Scores, opt, n)
	probs := map[string][]float64{}
	if !opt.NoModels {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		r.Models, err = detect.WalkForwardModels(p.Dates, r.Price, r.X, r.Features, opt.Models)
		if err != nil {
			return nil, err
		}
		probs = r.Models.Prob
	}
	r.Gauge, err = detect.ComputeGauge(r.Scores, probs, opt.Gauge)
	if err != nil {
		return nil, err
	}
	return r, nil
}

// modelRows assembles the model inputs: the raw factors, then the scores
// of the model families (named "family:<name>").
func modelRows(cols map[string][]float32, fams []string, scores [][]float64, opt GaugeOptions, n int) ([]string, [][]float64) {
	var names []string
	var src []func(i int) float64
	for _, f := range opt.ModelFactors {
		c := cols[f]
		if c == nil {
			continue
		}
		names = append(names, f)
		src = append(src, func(i int) float64 { return float64(c[i]) })
	}
	for _, mf := range opt.ModelFamilies {
		for k, f := range fams {
			if f == mf {
				s := scores[k]
				names = append(names, "family:"+f)
				src = append(src, func(i int) float64 { return s[i] })
			}
		}
	}
	X := make([][]float64, n)
	flat := make([]float64, n*len(src))
	for i := range X {
		X[i] = flat[i*len(src) : (i+1)*len(src) : (i+1)*len(src)]
		for j, f := range src {
			X[i][j] = f(i)
		}
	}
	return names, X
}

// TokenSignalRow is one token's signal on one day.
type TokenSignalRow struct {
	Date   regime.Date `json:"date"`
	Asset  string      `json:"asset"`
	Symbol string      `json:"symbol"`
	Rank   int         `json:"rank"`
	detect.TokenSignal
}

// TokenSignals returns the per-token signals of the top n investable
// assets on each day index in days (ascending), from each token's own
// factors as known that day. It builds the token factors once for every
// asset that is in one of those universes.
func TokenSignals(ctx context.Context, st regime.Reader, p *Panel, days []int, n int, cfg detect.ConfluenceConfig) ([]TokenSignalRow, error) {
	rules := detect.TokenRules()
	ruleOf := map[string]detect.FamilyRule{}
	for _, r := range rules {
		ruleOf[r.Family] = r
	}
	use := make([]detect.FamilyRule, len(cfg.Families))
	for f, fam := range cfg.Families {
		r, ok := ruleOf[fam]
		if !ok {
			return nil, regime.Errorf(regime.EINVALID, "signals: %s is not a token-level family", fam)
		}
		use[f] = r
	}
	tops := make([][]int, len(days))
	need := map[int]bool{}
	var order []int
	for d, i := range days {
		tops[d], _ = p.TopAt(i, n, true)
		for _, k := range tops[d] {
			if !need[k] {
				need[k] = true
				order = append(order, k)
			}
		}
	}
	series := make([]*feature.Series, len(order))
	for j, k := range order {
		s, err := TokenSeries(ctx, st, p, k)
		if err != nil {
			return nil, err
		}
		series[j] = s
	}
	fs := factorsOf(use)
	mats, err := feature.BuildPanel(series, fs, 0)
	if err != nil {
		return nil, err
	}
	scores := map[int][][]float64{}
	for j, k := range order {
		m := mats[j]
		scores[k] = detect.FamilyScores(m.Column, m.Rows(), use)
	}
	var out []TokenSignalRow
	row := make([]float64, len(use))
	for d, i := range days {
		for rank, k := range tops[d] {
			j := i - p.Start[k]
			for f := range use {
				row[f] = math.NaN()
				if sc := scores[k][f]; j >= 0 && j < len(sc) {
					row[f] = sc[j]
				}
			}
			out = append(out, TokenSignalRow{Date: p.Dates[i], Asset: p.Assets[k].ID, Symbol: p.Assets[k].Symbol, Rank: rank + 1,
				TokenSignal: detect.SignalOf(row, cfg)})
		}
	}
	return out, nil
}

// factorsOf returns the registered token factors the rules read.
func factorsOf(rules []detect.FamilyRule) []feature.Factor {
	seen := map[string]bool{}
	var fs []feature.Factor
	for _, r := range rules {
		for _, t := range r.Terms {
			if seen[t.Factor] {
				continue
			}
			seen[t.Factor] = true
			if f, ok := feature.Lookup(t.Factor); ok && f.Level == feature.LevelToken {
				fs = append(fs, f)
			}
		}
	}
	return fs
}

// GaugeLevels is the GaugeLevelsFunc of the Market Gauge with opt: it
// runs RunGauge walk-forward over p and maps each day onto the index's
// exposure levels (see GaugeRun.IndexLevels).
func GaugeLevels(opt GaugeOptions) GaugeLevelsFunc {
	return func(ctx context.Context, st regime.Reader, p *Panel) ([]index.Level, error) {
		run, err := RunGauge(ctx, st, p, opt)
		if err != nil {
			return nil, err
		}
		return run.IndexLevels(), nil
	}
}

// IndexLevels maps each day's gauge level onto the index's exposure
// levels. Days whose score is not yet known (warm-up, no model trained
// yet) are index.NoLevel, so the index takes no regime decision on them
// instead of treating them as neutral.
func (r *GaugeRun) IndexLevels() []index.Level {
	out := make([]index.Level, len(r.Gauge.Level))
	for i, l := range r.Gauge.Level {
		if math.IsNaN(r.Gauge.Score[i]) {
			out[i] = index.NoLevel
			continue
		}
		out[i] = indexLevel(l)
	}
	return out
}

// indexLevel maps a gauge level onto the index's level scale.
func indexLevel(l detect.Level) index.Level {
	switch l {
	case detect.StrongBearish:
		return index.StrongBearish
	case detect.Bearish:
		return index.Bearish
	case detect.Bullish:
		return index.Bullish
	case detect.StrongBullish:
		return index.StrongBullish
	}
	return index.Neutral
}
