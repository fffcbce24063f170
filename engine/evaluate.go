package engine

import (
	"context"
	"math"
	"strconv"

	"github.com/regime-engine/regime"
	"github.com/regime-engine/regime/detect"
)

// EvalOptions configure Evaluate.
type EvalOptions struct {
	// Range is the evaluated period (zero bounds = the whole panel).
	Range regime.DateRange
	// Cut splits Range into "in-sample" (before Cut) and
	// "out-of-sample" (from Cut on); NoDate reports one "all" window.
	Cut   regime.Date
	Gauge GaugeOptions
	Score detect.ScoreOptions
	// Dating dates the truth: the whole loaded history, ex post.
	Dating detect.DatingParams
	// ModelBand is the hysteresis half-width around 0.5 that turns a
	// model's probability alone into a state.
	ModelBand float64
	// BasketN is the size of the cap-weighted basket (100).
	BasketN int
	// Tokens: per-token signals are scored every TokenEvery days on the
	// top TokenN investable assets, by the return over TokenHorizon days.
	TokenN, TokenEvery, TokenHorizon int
	NoTokens                         bool
}

// DefaultEvalOptions returns the defaults of `regime evaluate`.
func DefaultEvalOptions() EvalOptions {
	return EvalOptions{
		Cut:          regime.MustDate("2021-01-01"),
		Gauge:        DefaultGaugeOptions(),
		Score:        detect.DefaultScoreOptions(),
		Dating:       detect.DefaultDatingParams(),
		ModelBand:    0.1,
		BasketN:      100,
		TokenN:       100,
		TokenEvery:   7,
		TokenHorizon: 30,
	}
}

// Evaluation is the report of Evaluate.
type Evaluation struct {
	Range      regime.DateRange `json:"range"`
	Cut        regime.Date      `json:"cut"`
	Dating     detect.DatingParams
	ModelsHash string             `json:"models_hash"`
	Folds      []detect.ModelFold `json:"folds"`
	Markets    []MarketEval       `json:"markets"`
	Tokens     []TokenEval        `json:"tokens,omitempty"`
}

// MarketEval scores every signal on one traded market (BTC, the basket).
type MarketEval struct {
	Market  string                `json:"market"`
	Turns   []detect.TurningPoint `json:"turns"`
	Windows []WindowEval          `json:"windows"`
}

// WindowEval holds each signal's metrics over one window.
type WindowEval struct {
	Window  string       `json:"window"`
	From    regime.Date  `json:"from"`
	To      regime.Date  `json:"to"`
	Signals []SignalEval `json:"signals"`
}

// SignalEval is one signal's score.
type SignalEval struct {
	Signal           string `json:"signal"`
	BalancedAccuracy Num    `json:"balanced_accuracy"`
	FlipsPerYear     Num    `json:"flips_per_year"`
	MedianLag        Num    `json:"median_lag_days"`
	Lags             []int  `json:"lags_days"` // per dated turn in the window; −1 = missed
	CAGR             Num    `json:"cagr"`
	MaxDrawdown      Num    `json:"max_drawdown"`
	Sharpe           Num    `json:"sharpe"`
	Calmar           Num    `json:"calmar"`
	Exposure         Num    `json:"exposure"`
	// Brier is the mean squared error of a model's bull probability
	// against the dated state on scored days (models only, else 0).
	Brier Num `json:"brier,omitempty"`
}

// TokenEval scores the per-token signals over one window.
type TokenEval struct {
	Window string `json:"window"`
	// Observations are (token, day) pairs with a known forward return.
	Observations int         `json:"observations"`
	BaseUp       Num         `json:"base_up_rate"`     // share with a positive forward return
	BaseMean     Num         `json:"base_mean_return"` // mean forward return
	Bull         SignalStats `json:"bullish"`
	Bear         SignalStats `json:"bearish"`
	Neutral      SignalStats `json:"neutral"`
}

// SignalStats summarises the forward returns after one kind of signal.
type SignalStats struct {
	Count   int `json:"count"`
	HitRate Num `json:"hit_rate"` // share whose forward return has the signal's sign (up for neutral)
	Mean    Num `json:"mean_return"`
	Median  Num `json:"median_return"`
}

// Evaluate runs the gauge walk-forward over the panel and scores it, each
// model alone and the confluence alone against the ex-post dating of BTC
// (and of the top-BasketN basket), next to the legacy baselines computed
// in the same run, in each window. Signals are computed on the full loaded
// history (so warm-ups precede the window); each window's backtest starts
// in cash.
func Evaluate(ctx context.Context, st regime.Reader, p *Panel, opt EvalOptions) (*Evaluation, error) {
	run, err := RunGauge(ctx, st, p, opt.Gauge)
	if err != nil {
		return nil, err
	}
	return EvaluateRun(ctx, st, p, run, opt)
}

// EvaluateRun is Evaluate on an existing gauge run.
func EvaluateRun(ctx context.Context, st regime.Reader, p *Panel, run *GaugeRun, opt EvalOptions) (*Evaluation, error) {
	if err := opt.Dating.Validate(); err != nil {
		return nil, err
	}
	from, to := opt.Range.From, opt.Range.To
	if from == regime.NoDate || from < p.Dates[0] {
		from = p.Dates[0]
	}
	if to == regime.NoDate || to > p.Dates[len(p.Dates)-1] {
		to = p.Dates[len(p.Dates)-1]
	}
	if from > to {
		return nil, regime.Errorf(regime.EINVALID, "evaluate: no data in %s..%s", from, to)
	}
	ev := &Evaluation{Range: regime.DateRange{From: from, To: to}, Cut: opt.Cut, Dating: opt.Dating}
	if run.Models != nil {
		ev.ModelsHash = run.Models.Hash()
		ev.Folds = run.Models.Folds
	}
	windows := []detect.Window{{Name: "all", Range: ev.Range}}
	if opt.Cut != regime.NoDate && opt.Cut > from && opt.Cut <= to {
		windows = detect.SplitAt(from, opt.Cut, to)
	}
	signals := []evalSignal{
		{name: "gauge", state: run.Gauge.State},
		{name: "confluence", state: run.Gauge.Confluence.State},
	}
	if run.Models != nil {
		for _, m := range detect.ModelNames() {
			if p, ok := run.Models.Prob[m]; ok {
				signals = append(signals, evalSignal{name: "model:" + m, state: detect.ProbState(p, 0.5-opt.ModelBand, 0.5+opt.ModelBand), prob: p})
			}
		}
	}
	basket := p.MarketIndex(opt.BasketN)
	markets := []struct {
		name  string
		price []float64
	}{{run.Asset.Symbol, run.Price}, {"top-" + itoa(opt.BasketN) + " basket", basket}}
	for _, mk := range markets {
		me, err := scoreMarket(run.Dates, mk.price, signals, windows, opt)
		if err != nil {
			return nil, err
		}
		me.Market = mk.name
		ev.Markets = append(ev.Markets, *me)
	}
	if !opt.NoTokens {
		te, err := evalTokens(ctx, st, p, windows, opt)
		if err != nil {
			return nil, err
		}
		ev.Tokens = te
	}
	return ev, nil
}

// evalSignal is one scored signal: its daily state on the panel calendar
// and, for a model, its bull probability.
type evalSignal struct {
	name  string
	state []detect.State
	prob  []float64
}

func scoreMarket(dates []regime.Date, price []float64, signals []evalSignal, windows []detect.Window, opt EvalOptions) (*MarketEval, error) {
	// Score from the first valid price on.
	lo := 0
	for lo < len(price) && !(price[lo] > 0) {
		lo++
	}
	if lo == len(price) {
		return nil, regime.Errorf(regime.ENOTFOUND, "evaluate: no prices")
	}
	dates, price = dates[lo:], price[lo:]
	d, err := detect.DateCycles(dates, price, opt.Dating)
	if err != nil {
		return nil, err
	}
	truth := d.Confirmed()
	me := &MarketEval{Turns: d.Turns}
	all := append([]evalSignal{}, signals...)
	for _, b := range detect.Baselines() {
		all = append(all, evalSignal{name: b.Name, state: b.Signal(price)})
	}
	for _, w := range windows {
		we := WindowEval{Window: w.Name, From: w.Range.From, To: w.Range.To}
		for _, s := range all {
			st := s.state
			if len(st) != len(price) {
				st = st[lo:]
			}
			ms, err := detect.ScoreWindows(st, truth, dates, price, opt.Score, []detect.Window{w})
			if err != nil {
				return nil, err
			}
			m := ms[0]
			se := SignalEval{Signal: s.name, BalancedAccuracy: Num(m.BalancedAccuracy), FlipsPerYear: Num(m.FlipsPerYear),
				MedianLag: Num(m.MedianLag), CAGR: Num(m.CAGR), MaxDrawdown: Num(m.MaxDrawdown), Sharpe: Num(m.Sharpe),
				Calmar: Num(m.Calmar), Exposure: Num(m.Exposure)}
			if s.prob != nil {
				se.Brier = Num(brier(s.prob[len(s.prob)-len(price):], truth, dates, w))
			}
			for _, l := range m.Lags {
				if l.Missed {
					se.Lags = append(se.Lags, -1)
				} else {
					se.Lags = append(se.Lags, l.Days)
				}
			}
			we.Signals = append(we.Signals, se)
		}
		me.Windows = append(me.Windows, we)
	}
	return me, nil
}

func evalTokens(ctx context.Context, st regime.Reader, p *Panel, windows []detect.Window, opt EvalOptions) ([]TokenEval, error) {
	cfg := detect.DefaultTokenConfluence()
	var days []int
	win := map[int]int{}
	for wi, w := range windows {
		lo, hi := w.Bounds(p.Dates)
		for i := lo; i < hi; i += max(opt.TokenEvery, 1) {
			days = append(days, i)
			win[i] = wi
		}
	}
	out := make([]TokenEval, len(windows))
	for wi, w := range windows {
		out[wi].Window = w.Name
	}
	if len(days) == 0 {
		return out, nil
	}
	rows, err := TokenSignals(ctx, st, p, days, opt.TokenN, cfg)
	if err != nil {
		return nil, err
	}
	all := make([][]float64, len(windows))
	by := make([]map[detect.State][]float64, len(windows))
	for wi := range by {
		by[wi] = map[detect.State][]float64{}
	}
	for _, r := range rows {
		k := p.Index(r.Asset)
		i, _ := p.DayIndex(r.Date)
		j := i + opt.TokenHorizon
		if j >= len(p.Dates) {
			continue
		}
		c0, c1 := p.At(p.Close, k, i), p.At(p.Close, k, j)
		if !(c0 > 0) {
			continue
		}
		if !(c1 > 0) {
			// A token that stopped trading within the horizon is counted
			// at its last known close.
			c1 = math.NaN()
			for x := j; x > i; x-- {
				if v := p.At(p.Close, k, x); v > 0 {
					c1 = v
					break
				}
			}
			if math.IsNaN(c1) {
				continue
			}
		}
		f := c1/c0 - 1
		wi := win[i]
		all[wi] = append(all[wi], f)
		by[wi][r.State] = append(by[wi][r.State], f)
	}
	for wi := range out {
		te := &out[wi]
		te.Observations = len(all[wi])
		te.BaseUp, te.BaseMean = Num(upRate(all[wi], +1)), Num(mean(all[wi]))
		te.Bull = stats(by[wi][detect.Bull], +1)
		te.Bear = stats(by[wi][detect.Bear], -1)
		te.Neutral = stats(by[wi][detect.Neutral], +1)
	}
	return out, nil
}

// brier is the mean squared error of p against the bull (1) / bear (0)
// truth on the window's scored days with a known p.
func brier(p []float64, truth []detect.State, dates []regime.Date, w detect.Window) float64 {
	lo, hi := w.Bounds(dates)
	var s float64
	n := 0
	for i := lo; i < hi; i++ {
		if truth[i] == detect.Neutral || math.IsNaN(p[i]) {
			continue
		}
		y := 0.0
		if truth[i] == detect.Bull {
			y = 1
		}
		s += (p[i] - y) * (p[i] - y)
		n++
	}
	if n == 0 {
		return math.NaN()
	}
	return s / float64(n)
}

func stats(v []float64, sign float64) SignalStats {
	return SignalStats{Count: len(v), HitRate: Num(upRate(v, sign)), Mean: Num(mean(v)), Median: Num(detect.Median(v))}
}

func upRate(v []float64, sign float64) float64 {
	if len(v) == 0 {
		return math.NaN()
	}
	k := 0
	for _, x := range v {
		if x*sign > 0 {
			k++
		}
	}
	return float64(k) / float64(len(v))
}

func mean(v []float64) float64 {
	if len(v) == 0 {
		return math.NaN()
	}
	var s float64
	for _, x := range v {
		s += x
	}
	return s / float64(len(v))
}

// Num is a float64 that encodes NaN (unknown) as JSON null.
type Num float64

// MarshalJSON implements json.Marshaler.
func (n Num) MarshalJSON() ([]byte, error) {
	f := float64(n)
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return []byte("null"), nil
	}
	return strconv.AppendFloat(nil, f, 'g', 6, 64), nil
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for n > 0 {
		b = append([]byte{byte('0' + n%10)}, b...)
		n /= 10
	}
	return string(b)
}
