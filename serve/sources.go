// Package serve connects the engine to the HTTP API: it implements the
// httpapi sources (gauge, signals, index, evaluations) and the backtest
// job runner on top of a store, computing each result once per store
// content (keyed by the store's content hash) and again when it changes.
package serve

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"sort"
	"sync"
	"time"

	"github.com/regime-engine/regime"
	"github.com/regime-engine/regime/detect"
	"github.com/regime-engine/regime/engine"
	"github.com/regime-engine/regime/httpapi"
	"github.com/regime-engine/regime/index"
)

// DefaultSplit is the first out-of-sample day of the index's performance
// analytics and of the evaluation: the defaults were chosen on data
// before it.
var DefaultSplit = regime.MustDate("2021-01-01")

// Options configure Sources. Zero fields take the defaults of
// DefaultOptions.
type Options struct {
	// Gauge configures the walk-forward Market Gauge (and the gauge
	// strategy of the index).
	Gauge engine.GaugeOptions
	// Split divides performance and evaluation into in-sample (before it)
	// and out-of-sample (from it on); NoDate reports the whole run only.
	Split regime.Date
	// SignalTop is how many of the top investable assets get a token
	// signal each day (100).
	SignalTop int
	// MaxSignalDays bounds the days one signal query may span (92):
	// signals of past days are computed on demand.
	MaxSignalDays int
	// HashTTL is how long the store's content hash is trusted before the
	// store is asked again (30 s; 0 keeps the default, < 0 asks every
	// time).
	HashTTL time.Duration
	// Now is the clock (time.Now when nil).
	Now func() time.Time
	// Logger receives refresh failures (nil discards).
	Logger *slog.Logger
	// OnUpdate, when set, is called from the refreshing goroutine after
	// the results of a new store content are computed. prev is nil on the
	// first computation.
	OnUpdate func(u Update)
}

// DefaultOptions returns the documented defaults.
func DefaultOptions() Options {
	return Options{Gauge: engine.DefaultGaugeOptions(), Split: DefaultSplit, SignalTop: 100, MaxSignalDays: 92,
		HashTTL: 30 * time.Second}
}

// Update describes a recomputation after the store content changed.
type Update struct {
	Hash    string           // the new content hash
	Prev    *httpapi.Gauge   // the previous latest reading (nil on the first computation)
	Gauge   httpapi.Gauge    // the new latest reading
	Signals []httpapi.Signal // the token signals of the new latest day
}

// RegimeChanged reports whether the latest reading's level or regime
// differs from the previous one (false on the first computation).
func (u Update) RegimeChanged() bool {
	return u.Prev != nil && (u.Prev.Level != u.Gauge.Level || u.Prev.Regime != u.Gauge.Regime)
}

// Sources serves the computed resources of the HTTP API from a store. It
// implements httpapi.GaugeSource, SignalSource, IndexSource and
// EvaluationSource; BacktestJob is its "backtest" job runner. Every
// method is safe for concurrent use.
//
// Results are computed for one store content at a time: the gauge and the
// latest signals when the content is first seen (one computation at a
// time, shared by every waiting request), the index right after in the
// background, evaluations and past signals on first request. While a
// changed store is recomputed, requests are served the previous results.
type Sources struct {
	st  regime.Reader
	opt Options
	log *slog.Logger

	bg     context.Context // cancelled by Close
	cancel context.CancelFunc

	mu      sync.Mutex
	cur     *state
	checked time.Time // when cur's hash was last confirmed
	flight  *flight   // the running refresh, if any
}

// flight is one running refresh; done is closed when it ends.
type flight struct {
	done chan struct{}
	st   *state
	err  error
}

var (
	_ httpapi.GaugeSource      = (*Sources)(nil)
	_ httpapi.SignalSource     = (*Sources)(nil)
	_ httpapi.IndexSource      = (*Sources)(nil)
	_ httpapi.EvaluationSource = (*Sources)(nil)
	_ httpapi.JobRunner        = (*Sources)(nil).BacktestJob
)

// New returns the sources of st. Nothing is computed until the first
// request or Refresh. Call Close to stop background work.
func New(st regime.Reader, opt Options) *Sources {
	def := DefaultOptions()
	if opt.Gauge.Rules == nil && len(opt.Gauge.Gauge.Confluence.Families) == 0 {
		opt.Gauge = def.Gauge
	}
	if opt.SignalTop <= 0 {
		opt.SignalTop = def.SignalTop
	}
	if opt.MaxSignalDays <= 0 {
		opt.MaxSignalDays = def.MaxSignalDays
	}
	if opt.HashTTL == 0 {
		opt.HashTTL = def.HashTTL
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	log := opt.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	bg, cancel := context.WithCancel(context.Background())
	return &Sources{st: st, opt: opt, log: log, bg: bg, cancel: cancel}
}

// Close stops background computations; requests waiting for one get an
// error. It is safe to call more than once.
func (s *Sources) Close() error {
	s.cancel()
	return nil
}

// Refresh checks the store's content hash now and, when it changed (or
// nothing was computed yet), recomputes the gauge and the latest signals,
// waiting for the result. It returns whether the content changed.
func (s *Sources) Refresh(ctx context.Context) (bool, error) {
	s.mu.Lock()
	old := s.cur
	f := s.startLocked()
	s.mu.Unlock()
	select {
	case <-f.done:
	case <-ctx.Done():
		return false, ctx.Err()
	}
	if f.err != nil {
		return false, f.err
	}
	return old == nil || f.st.hash != old.hash, nil
}

// Hash returns the content hash the current results were computed for
// ("" before the first computation).
func (s *Sources) Hash() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cur == nil {
		return ""
	}
	return s.cur.hash
}

// startLocked returns the running refresh or starts one. s.mu is held.
func (s *Sources) startLocked() *flight {
	if s.flight != nil {
		return s.flight
	}
	f := &flight{done: make(chan struct{})}
	s.flight = f
	prev := s.cur
	go func() {
		st, changed, err := s.refresh(prev)
		s.mu.Lock()
		f.st, f.err = st, err
		if err == nil {
			s.cur, s.checked = st, s.opt.Now()
		}
		s.flight = nil
		s.mu.Unlock()
		close(f.done)
		if err != nil {
			s.log.Warn("recompute failed", "error", err.Error())
			return
		}
		if changed {
			go st.index.get(s.bg, func() (*indexState, error) { return s.computeIndex(s.bg, st) })
			if s.opt.OnUpdate != nil {
				u := Update{Hash: st.hash, Gauge: st.gauges[len(st.gauges)-1], Signals: st.latestSignals()}
				if prev != nil {
					g := prev.gauges[len(prev.gauges)-1]
					u.Prev = &g
				}
				s.opt.OnUpdate(u)
			}
		}
	}()
	return f
}

// current returns the results of the store's content: the cached ones
// while the hash is fresh, the previous ones while a changed content is
// recomputed, else it waits for the first computation.
func (s *Sources) current(ctx context.Context) (*state, error) {
	s.mu.Lock()
	cur := s.cur
	if cur != nil && s.opt.HashTTL > 0 && s.opt.Now().Sub(s.checked) < s.opt.HashTTL {
		s.mu.Unlock()
		return cur, nil
	}
	f := s.startLocked()
	s.mu.Unlock()
	if cur != nil {
		return cur, nil
	}
	select {
	case <-f.done:
		return f.st, f.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// refresh hashes the store and, when the hash differs from prev's,
// computes the new state.
func (s *Sources) refresh(prev *state) (*state, bool, error) {
	ctx := s.bg
	stats, err := s.st.Stats(ctx)
	if err != nil {
		return nil, false, fmt.Errorf("serve: store stats: %w", err)
	}
	if prev != nil && prev.hash == stats.Hash {
		return prev, false, nil
	}
	st, err := s.compute(ctx, stats.Hash)
	if err != nil {
		return nil, false, err
	}
	return st, true, nil
}

// state is everything computed for one store content.
type state struct {
	hash   string
	p      *engine.Panel
	run    *engine.GaugeRun
	gauges []httpapi.Gauge // one per panel day

	sigMu   sync.Mutex
	signals map[int][]httpapi.Signal // by panel day index

	index lazy[*indexState]
	eval  lazy[[]httpapi.Evaluation]
}

func (s *Sources) compute(ctx context.Context, hash string) (*state, error) {
	p, err := engine.LoadPanel(ctx, s.st, regime.DateRange{})
	if err != nil {
		return nil, err
	}
	run, err := engine.RunGauge(ctx, s.st, p, s.opt.Gauge)
	if err != nil {
		return nil, fmt.Errorf("serve: gauge: %w", err)
	}
	st := &state{hash: hash, p: p, run: run, signals: map[int][]httpapi.Signal{}}
	st.gauges = make([]httpapi.Gauge, len(p.Dates))
	for i := range p.Dates {
		st.gauges[i] = s.gaugeDay(run, i)
	}
	if _, err := s.signalDays(ctx, st, []int{len(p.Dates) - 1}); err != nil {
		return nil, err
	}
	return st, nil
}

// gaugeDay converts day i of a gauge run: family scores map from -1..1 to
// 0..100, model probabilities to 0..100; weights are each component's
// share of the score (families split FamilyWeight by their confluence
// weights, models the rest by their model weights).
func (s *Sources) gaugeDay(run *engine.GaugeRun, i int) httpapi.Gauge {
	gg := run.Gauge
	cfg := s.opt.Gauge.Gauge
	g := httpapi.Gauge{Date: run.Dates[i], Value: httpapi.Num(gg.Score[i]), Level: gg.Level[i].String(),
		Regime: gg.State[i].String(), Families: make([]httpapi.FamilyContribution, 0, len(gg.Components))}
	famIdx := map[string]int{}
	famSum := 0.0
	for f, name := range run.Families {
		famIdx[name] = f
		famSum += cfg.Confluence.Weight(name)
	}
	modSum := 0.0
	for _, w := range cfg.ModelWeights {
		modSum += w
	}
	for c, name := range gg.Components {
		fc := httpapi.FamilyContribution{Family: name, Score: httpapi.Num(math.NaN()), Weight: httpapi.Num(math.NaN()),
			Contribution: httpapi.Num(gg.Contrib[c][i])}
		if f, ok := famIdx[name]; ok {
			fc.Score = httpapi.Num(50 * (run.Scores[f][i] + 1))
			if famSum > 0 {
				fc.Weight = httpapi.Num(cfg.FamilyWeight * cfg.Confluence.Weight(name) / famSum)
			}
		} else if run.Models != nil {
			if pr, ok := run.Models.Prob[name]; ok {
				fc.Score = httpapi.Num(100 * pr[i])
			}
			if modSum > 0 {
				fc.Weight = httpapi.Num((1 - cfg.FamilyWeight) * cfg.ModelWeights[name] / modSum)
			}
		}
		g.Families = append(g.Families, fc)
	}
	return g
}

// Latest returns the gauge of the store's last day.
func (s *Sources) Latest(ctx context.Context) (httpapi.Gauge, error) {
	st, err := s.current(ctx)
	if err != nil {
		return httpapi.Gauge{}, err
	}
	return st.gauges[len(st.gauges)-1], nil
}

// History returns the gauge of every day in r, by date.
func (s *Sources) History(ctx context.Context, r regime.DateRange) ([]httpapi.Gauge, error) {
	st, err := s.current(ctx)
	if err != nil {
		return nil, err
	}
	lo, hi := dayBounds(st.p.Dates, r)
	return append([]httpapi.Gauge(nil), st.gauges[lo:hi]...), nil
}

// dayBounds returns the half-open index range of dates inside r.
func dayBounds(dates []regime.Date, r regime.DateRange) (lo, hi int) {
	lo, hi = 0, len(dates)
	if r.From != regime.NoDate {
		lo = sort.Search(len(dates), func(i int) bool { return dates[i] >= r.From })
	}
	if r.To != regime.NoDate {
		hi = sort.Search(len(dates), func(i int) bool { return dates[i] > r.To })
	}
	if hi < lo {
		hi = lo
	}
	return lo, hi
}

// Signals returns the token signals of the top SignalTop investable assets
// (bullish, bearish and neutral) on the days of q.Range, or on the last
// day when the range is open on both sides. A range may span at most
// MaxSignalDays store days (EINVALID beyond).
func (s *Sources) Signals(ctx context.Context, q httpapi.SignalQuery) ([]httpapi.Signal, error) {
	st, err := s.current(ctx)
	if err != nil {
		return nil, err
	}
	var days []int
	if q.Range.From == regime.NoDate && q.Range.To == regime.NoDate {
		days = []int{len(st.p.Dates) - 1}
	} else {
		lo, hi := dayBounds(st.p.Dates, q.Range)
		if hi-lo > s.opt.MaxSignalDays {
			return nil, regime.Errorf(regime.EINVALID, "signals: the range %s..%s spans %d days; ask for at most %d days at a time",
				st.p.Dates[lo], st.p.Dates[hi-1], hi-lo, s.opt.MaxSignalDays)
		}
		for i := lo; i < hi; i++ {
			days = append(days, i)
		}
	}
	rows, err := s.signalDays(ctx, st, days)
	if err != nil {
		return nil, err
	}
	out := []httpapi.Signal{}
	for _, r := range rows {
		if q.AssetID == "" || r.AssetID == q.AssetID {
			out = append(out, r)
		}
	}
	return out, nil
}

// signalDays returns the signals of the given day indices (ascending),
// computing the days not cached yet in one TokenSignals call.
func (s *Sources) signalDays(ctx context.Context, st *state, days []int) ([]httpapi.Signal, error) {
	st.sigMu.Lock()
	defer st.sigMu.Unlock()
	var missing []int
	for _, d := range days {
		if _, ok := st.signals[d]; !ok {
			missing = append(missing, d)
		}
	}
	if len(missing) > 0 {
		rows, err := engine.TokenSignals(ctx, s.st, st.p, missing, s.opt.SignalTop, detect.DefaultTokenConfluence())
		if err != nil {
			return nil, fmt.Errorf("serve: token signals: %w", err)
		}
		byDay := map[regime.Date][]httpapi.Signal{}
		for _, r := range rows {
			reason := ""
			if len(r.Families) > 0 {
				reason = "agreeing families: " + joinComma(r.Families)
			}
			byDay[r.Date] = append(byDay[r.Date], httpapi.Signal{AssetID: r.Asset, Date: r.Date, State: r.State.String(),
				Score: httpapi.Num(r.Conviction), Reason: reason})
		}
		for _, d := range missing {
			sig := byDay[st.p.Dates[d]]
			sort.Slice(sig, func(a, b int) bool { return sig[a].AssetID < sig[b].AssetID })
			if sig == nil {
				sig = []httpapi.Signal{}
			}
			st.signals[d] = sig
		}
	}
	var out []httpapi.Signal
	for _, d := range days {
		out = append(out, st.signals[d]...)
	}
	return out, nil
}

// latestSignals returns the cached signals of the last day.
func (st *state) latestSignals() []httpapi.Signal {
	st.sigMu.Lock()
	defer st.sigMu.Unlock()
	return st.signals[len(st.p.Dates)-1]
}

func joinComma(s []string) string {
	out := ""
	for i, v := range s {
		if i > 0 {
			out += ","
		}
		out += v
	}
	return out
}

// lazy computes a value once, in its own goroutine, so a cancelled
// request never cancels the computation other requests wait for.
type lazy[T any] struct {
	once sync.Once
	done chan struct{}
	v    T
	err  error
}

func (l *lazy[T]) get(ctx context.Context, fn func() (T, error)) (T, error) {
	l.once.Do(func() {
		l.done = make(chan struct{})
		go func() {
			defer close(l.done)
			l.v, l.err = fn()
		}()
	})
	select {
	case <-l.done:
		return l.v, l.err
	case <-ctx.Done():
		var zero T
		return zero, ctx.Err()
	}
}

// levelsOf returns a GaugeLevelsFunc that reuses st's gauge run when the
// backtest's panel has the same calendar (the run is a function of the
// store content and the calendar), and computes the gauge otherwise.
func (s *Sources) levelsOf(st *state) engine.GaugeLevelsFunc {
	compute := engine.GaugeLevels(s.opt.Gauge)
	return func(ctx context.Context, r regime.Reader, p *engine.Panel) ([]index.Level, error) {
		d := st.p.Dates
		if len(p.Dates) == len(d) && len(d) > 0 && p.Dates[0] == d[0] && p.Dates[len(d)-1] == d[len(d)-1] {
			return st.run.IndexLevels(), nil
		}
		return compute(ctx, r, p)
	}
}
