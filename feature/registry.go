package feature

import (
	"sort"

	"github.com/regime-engine/regime"
)

// Level says what a factor describes: one token, or the whole market.
type Level int

// Factor levels.
const (
	LevelToken  Level = iota // computed per token from a Series
	LevelMarket              // computed once from a Market
)

// String returns "token" or "market".
func (l Level) String() string {
	if l == LevelMarket {
		return "market"
	}
	return "token"
}

// StepFunc returns a factor's value for day i. It is called for i = 0, 1,
// 2, ... in order, exactly once per day, and keeps whatever state it
// needs between calls; it must read inputs at indices <= i only.
type StepFunc func(i int) float64

// BlockFunc writes a factor's values for days i0 <= i < i1 into
// dst[:i1-i0]. It is called over consecutive ranges in day order (each i0
// is the previous i1), ranges of at most 128 days, and keeps whatever
// state it needs between calls; it must read inputs at indices < i1 only,
// and the value of a day must not depend on how the days were split into
// ranges.
type BlockFunc func(i0, i1 int, dst []float32)

// Factor is one registered factor.
type Factor struct {
	Name    string // unique, snake_case
	Family  string // momentum, trend, oscillator, volatility, volume, support_resistance, drawdown, liquidity, onchain, flows, sentiment, macro, structure, breadth
	Formula string // human-readable definition
	// Warmup is the number of days of clean input needed before the first
	// value: with every input known from day 0, the value at day i is NaN
	// for i < Warmup. Event-dependent factors may start later.
	Warmup int
	Inputs []string // input names (InClose, "onchain:HashRate", "fred:DFF", ...)
	Level  Level
	// New returns a fresh streaming state bound to in. It is called only
	// when every input in Inputs is present.
	New func(in *Input) StepFunc
	// Block, when set, returns the same factor as a BlockFunc: a tight
	// loop over a range of days instead of a call per day. It computes
	// exactly New's values (New then runs it one day at a time, so its
	// values carry the matrices' float32 precision); builds use it when
	// present.
	Block func(in *Input) BlockFunc
}

// blockOf returns f's block form: f.Block, or f.New called day by day.
func blockOf(f Factor, in *Input) BlockFunc {
	if f.Block != nil {
		return f.Block(in)
	}
	step := f.New(in)
	return func(i0, i1 int, dst []float32) { days(i0, i1, dst, step) }
}

// stepOf is New for a factor defined by its block form: one day per call.
func stepOf(nb func(in *Input) BlockFunc) func(in *Input) StepFunc {
	return func(in *Input) StepFunc {
		b := nb(in)
		var one [1]float32
		return func(i int) float64 {
			b(i, i+1, one[:])
			return float64(one[0])
		}
	}
}

// Input is the view of a Series or Market that factor states read. Its
// columns grow when a Stream appends a day, so StepFuncs keep pointers
// (*[]float64) and index them on every call.
type Input struct {
	dates  []regime.Date
	cols   map[string]*[]float64
	closes *[][]float64
	member *[][]bool
	shared map[string]any // intermediate states shared by factors, see sharedState
	// end is one past the last day of the block a stream is computing (0
	// outside a stream): shared series may compute up to it at once.
	end int
}

// sharedState returns the intermediate state registered under key in in,
// creating it with mk on first use. Factors built on one Input share it.
// A shared state advances itself day by day on demand and remembers its
// outputs for the last ringN days (see memo), so consumers may run in any
// interleaving as long as none asks for a day more than ringN days behind
// the furthest day asked for.
func sharedState[T any](in *Input, key string, mk func() T) T {
	if v, ok := in.shared[key]; ok {
		return v.(T)
	}
	if in.shared == nil {
		in.shared = map[string]any{}
	}
	v := mk()
	in.shared[key] = v
	return v
}

// ringN is how many recent days a shared state remembers. Streams run
// each factor over blocks of at most ringN days, so every consumer of a
// shared state asks for days the state still remembers.
const ringN = 128

// memo is a shared derived daily series: f computes each day exactly
// once, in day order, over ranges of days, and the last ringN values are
// kept.
type memo struct {
	hi  int // next day to compute
	buf [ringN]float64
	f   func(i0, i1 int, dst []float64)
	end *int // the Input's end: days before it may be computed early
}

func (m *memo) at(i int) float64 {
	if i >= m.hi {
		m.advance(i)
	}
	return m.buf[i&(ringN-1)]
}

// advance is kept out of at, so at is inlined where it is called.
//
//go:noinline
func (m *memo) advance(i int) {
	// Compute through the stream's current block in one call per ring
	// segment: every day of it is asked for anyway.
	last := max(i, *m.end-1)
	for m.hi <= last {
		lo := m.hi & (ringN - 1)
		n := min(last+1-m.hi, ringN-lo)
		m.f(m.hi, m.hi+n, m.buf[lo:lo+n])
		m.hi += n
	}
}

// memoOf returns the shared derived series under key; mk builds its
// function over a range of days (see days).
func memoOf(in *Input, key string, mk func() func(i0, i1 int, dst []float64)) *memo {
	return sharedState(in, key, func() *memo { return &memo{f: mk(), end: &in.end} })
}

// Col returns the column named name, or nil if absent.
func (in *Input) Col(name string) *[]float64 { return in.cols[name] }

// Closes returns the per-token market closes (breadth universe).
func (in *Input) Closes() *[][]float64 { return in.closes }

// Member returns the universe membership, or nil when not given.
func (in *Input) Member() *[][]bool { return in.member }

// Len returns the number of days.
func (in *Input) Len() int { return len(in.dates) }

func (in *Input) has(name string) bool {
	if name == InCloses {
		return in.closes != nil && len(*in.closes) > 0
	}
	return in.cols[name] != nil
}

func clip(v []float64) []float64 {
	if v == nil {
		return nil
	}
	return v[:len(v):len(v)]
}

// NewTokenInput returns the input view of a token series. The series'
// slices are shared, never written.
func NewTokenInput(s *Series) *Input {
	in := &Input{dates: s.Dates[:len(s.Dates):len(s.Dates)], cols: map[string]*[]float64{}}
	s.Columns(func(name string, v []float64) {
		c := clip(v)
		in.cols[name] = &c
	})
	return in
}

// NewMarketInput returns the input view of market data.
func NewMarketInput(m *Market) *Input {
	in := &Input{dates: m.Dates[:len(m.Dates):len(m.Dates)], cols: map[string]*[]float64{}}
	for _, k := range sortedKeys(m.Obs) {
		c := clip(m.Obs[k])
		in.cols[k] = &c
	}
	for _, k := range sortedKeys(m.Staleness) {
		c := clip(m.Staleness[k])
		in.cols["stale:"+k] = &c
	}
	for _, c := range []struct {
		name string
		v    []float64
	}{{InBTCCap, m.BTCCap}, {InStableCap, m.StableCap}, {InTotalCap, m.TotalCap}} {
		if c.v != nil {
			v := clip(c.v)
			in.cols[c.name] = &v
		}
	}
	if m.Closes != nil {
		cl := make([][]float64, len(m.Closes))
		for k, c := range m.Closes {
			cl[k] = clip(c)
		}
		in.closes = &cl
	}
	if m.Member != nil {
		mb := make([][]bool, len(m.Member))
		for k, b := range m.Member {
			mb[k] = b[:len(b):len(b)]
		}
		in.member = &mb
	}
	return in
}

// Registry returns every production factor, token and market level,
// sorted by family then name. Each call returns a fresh slice.
func Registry() []Factor {
	var all []Factor
	all = append(all, priceFactors()...)
	all = append(all, volumeFactors()...)
	all = append(all, chainFactors()...)
	all = append(all, marketFactors()...)
	sort.SliceStable(all, func(i, j int) bool {
		if all[i].Family != all[j].Family {
			return all[i].Family < all[j].Family
		}
		return all[i].Name < all[j].Name
	})
	return all
}

// Names returns the names of Registry() in its order.
func Names() []string {
	r := Registry()
	out := make([]string, len(r))
	for i, f := range r {
		out[i] = f.Name
	}
	return out
}

// ByLevel returns the factors of Registry() at level l, in registry order.
func ByLevel(l Level) []Factor {
	var out []Factor
	for _, f := range Registry() {
		if f.Level == l {
			out = append(out, f)
		}
	}
	return out
}

// Lookup returns the registered factor with the given name.
func Lookup(name string) (Factor, bool) {
	for _, f := range Registry() {
		if f.Name == name {
			return f, true
		}
	}
	return Factor{}, false
}

// days runs a per-day function over a block: the body of most block
// factors (dst float32) and shared series (dst float64, a memo's ring). It
// and f are inlined into the block's loop, so a day costs no call.
func days[T float32 | float64](i0, i1 int, dst []T, f func(i int) float64) {
	for i := i0; i < i1; i++ {
		dst[i-i0] = T(f(i))
	}
}
