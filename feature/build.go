package feature

import (
	"fmt"
	"math"
	"runtime"
	"sort"
	"sync"
	"sync/atomic"

	"github.com/regime-engine/regime"
)

// Matrix holds factor values for consecutive days, float32, column-major:
// column j (factor Names[j]) is Data[j*Rows():(j+1)*Rows()].
type Matrix struct {
	Dates []regime.Date
	Names []string
	Data  []float32
	// Missing[j] says why column j is entirely NaN because an input is
	// absent ("missing input onchain:HashRate"), or is "".
	Missing []string
	warmup  []int
}

// Rows returns the number of days.
func (m *Matrix) Rows() int { return len(m.Dates) }

// Col returns column j.
func (m *Matrix) Col(j int) []float32 { n := m.Rows(); return m.Data[j*n : (j+1)*n] }

// Index returns the column of the named factor, or -1.
func (m *Matrix) Index(name string) int {
	for j, n := range m.Names {
		if n == name {
			return j
		}
	}
	return -1
}

// Column returns the named factor's column, or nil.
func (m *Matrix) Column(name string) []float32 {
	if j := m.Index(name); j >= 0 {
		return m.Col(j)
	}
	return nil
}

// Why explains a value: "" when factor name has a value on day i, else the
// reason it is NaN (missing input, warm-up, or an unknown input in the
// factor's window on or before that day).
func (m *Matrix) Why(name string, i int) string {
	j := m.Index(name)
	switch {
	case j < 0:
		return fmt.Sprintf("unknown factor %q", name)
	case i < 0 || i >= m.Rows():
		return fmt.Sprintf("day index %d out of range", i)
	case !math.IsNaN(float64(m.Col(j)[i])):
		return ""
	case m.Missing[j] != "":
		return m.Missing[j]
	case i < m.warmup[j]:
		return fmt.Sprintf("warm-up: needs %d days of history, has %d", m.warmup[j], i)
	}
	return "an input is unknown on this day or within the factor's window, or the value is undefined (e.g. a flat window)"
}

func newMatrix(dates []regime.Date, fs []Factor, missing []string, data []float32) *Matrix {
	if data == nil {
		data = make([]float32, len(dates)*len(fs))
	}
	m := &Matrix{Dates: dates, Names: make([]string, len(fs)), Data: data,
		Missing: missing, warmup: make([]int, len(fs))}
	for j, f := range fs {
		m.Names[j], m.warmup[j] = f.Name, f.Warmup
	}
	return m
}

// Stream computes factors day by day and keeps each factor's state, so a
// new day costs O(1) per factor. Building a history and appending days run
// the same code, so Append gives exactly what Build gives on the longer
// history.
type Stream struct {
	factors []Factor
	in      *Input
	blocks  []BlockFunc // nil when an input is missing
	missing []string
	n       int        // days computed
	chain   []chainCol // on-chain inputs, by metric id
	mkt     bool
}

// chainCol is an on-chain input column of a stream and its metric id.
type chainCol struct {
	id  string
	col *[]float64
}

func newStream(fs []Factor, in *Input, lvl Level) (*Stream, error) {
	st := &Stream{factors: fs, in: in, blocks: make([]BlockFunc, len(fs)), missing: make([]string, len(fs)), mkt: lvl == LevelMarket}
	for j, f := range fs {
		if f.Level != lvl {
			return nil, regime.Errorf(regime.EINVALID, "feature: factor %s is %s-level, want %s", f.Name, f.Level, lvl)
		}
		for _, name := range f.Inputs {
			if !in.has(name) {
				st.missing[j] = "missing input " + name
				break
			}
		}
		if st.missing[j] == "" {
			st.blocks[j] = blockOf(f, in)
		}
	}
	for name, col := range in.cols {
		if len(name) > 8 && name[:8] == "onchain:" {
			st.chain = append(st.chain, chainCol{name[8:], col})
		}
	}
	sort.Slice(st.chain, func(a, b int) bool { return st.chain[a].id < st.chain[b].id })
	return st, nil
}

// NewStream starts a token-level stream over the history in s and returns
// it with the factor matrix of that history. s is read, never written.
func NewStream(fs []Factor, s *Series) (*Stream, *Matrix, error) {
	return newTokenStream(fs, s, nil)
}

// newTokenStream is NewStream writing the matrix into data (len(s.Dates)
// * len(fs) values) or, when data is nil, into a new slice.
func newTokenStream(fs []Factor, s *Series, data []float32) (*Stream, *Matrix, error) {
	if s == nil {
		return nil, nil, regime.Errorf(regime.EINVALID, "feature: nil series")
	}
	if err := s.Validate(); err != nil {
		return nil, nil, err
	}
	st, err := newStream(fs, NewTokenInput(s), LevelToken)
	if err != nil {
		return nil, nil, err
	}
	return st, st.history(data), nil
}

// NewMarketStream is NewStream for market-level factors.
func NewMarketStream(fs []Factor, m *Market) (*Stream, *Matrix, error) {
	if m == nil {
		return nil, nil, regime.Errorf(regime.EINVALID, "feature: nil market")
	}
	if err := m.Validate(); err != nil {
		return nil, nil, err
	}
	st, err := newStream(fs, NewMarketInput(m), LevelMarket)
	if err != nil {
		return nil, nil, err
	}
	return st, st.history(nil), nil
}

// history runs the factors over all days of the input in blocks of ringN
// days: within a block, each factor's BlockFunc runs over every day
// before the next factor starts (its code and state stay hot in cache, and
// a factor with a Block form pays one call per block, not per day); shared
// states remember the block's days, so every factor sees them computed
// once.
func (st *Stream) history(data []float32) *Matrix {
	n := st.in.Len()
	m := newMatrix(st.in.dates, st.factors, st.missing, data)
	nan32 := float32(math.NaN())
	type active struct {
		col []float32
		blk BlockFunc
	}
	var act []active
	for j, blk := range st.blocks {
		col := m.Data[j*n : (j+1)*n]
		if blk == nil {
			for i := range col {
				col[i] = nan32
			}
			continue
		}
		act = append(act, active{col, blk})
	}
	for i0 := 0; i0 < n; i0 += ringN {
		i1 := min(i0+ringN, n)
		st.in.end = i1
		for _, a := range act {
			a.blk(i0, i1, a.col[i0:i1])
		}
	}
	st.in.end = 0
	st.n = n
	return m
}

// Names returns the stream's factor names.
func (st *Stream) Names() []string {
	out := make([]string, len(st.factors))
	for j, f := range st.factors {
		out[j] = f.Name
	}
	return out
}

func (st *Stream) grow(name string, x float64) {
	if p := st.in.cols[name]; p != nil {
		*p = append(*p, x)
	}
}

// Append adds the next day to a token stream and writes that day's factor
// values (in factor order) into row, which must have one slot per factor.
// d.Date must follow the last day. On-chain metrics absent from d are NaN
// that day; metrics that were absent from the history stay absent.
func (st *Stream) Append(d Day, row []float32) error {
	if st.mkt {
		return regime.Errorf(regime.EINVALID, "feature: Append on a market stream; use AppendMarket")
	}
	if err := st.nextDate(d.Date); err != nil {
		return err
	}
	st.grow(InOpen, d.Open)
	st.grow(InHigh, d.High)
	st.grow(InLow, d.Low)
	st.grow(InClose, d.Close)
	st.grow(InVolume, d.Volume)
	st.grow(InMarketCap, d.MarketCap)
	for _, c := range st.chain {
		v, ok := d.OnChain[c.id]
		if !ok {
			v = math.NaN()
		}
		*c.col = append(*c.col, v)
	}
	st.step(row)
	return nil
}

// MarketDay is one new day of market inputs, for AppendMarket.
type MarketDay struct {
	Date                        regime.Date
	Obs, Staleness              map[string]float64
	BTCCap, StableCap, TotalCap float64
	Closes                      []float64 // one per token of Market.Closes
	Member                      []bool    // one per token when Market.Member was given
}

// AppendMarket adds the next day to a market stream (see Append).
func (st *Stream) AppendMarket(d MarketDay, row []float32) error {
	if !st.mkt {
		return regime.Errorf(regime.EINVALID, "feature: AppendMarket on a token stream; use Append")
	}
	if st.in.closes != nil && len(d.Closes) != len(*st.in.closes) {
		return regime.Errorf(regime.EINVALID, "feature: market day has %d closes, want %d", len(d.Closes), len(*st.in.closes))
	}
	if st.in.member != nil && len(d.Member) != len(*st.in.member) {
		return regime.Errorf(regime.EINVALID, "feature: market day has %d memberships, want %d", len(d.Member), len(*st.in.member))
	}
	if err := st.nextDate(d.Date); err != nil {
		return err
	}
	for name, p := range st.in.cols {
		var v float64
		var ok bool
		switch {
		case name == InBTCCap:
			v, ok = d.BTCCap, true
		case name == InStableCap:
			v, ok = d.StableCap, true
		case name == InTotalCap:
			v, ok = d.TotalCap, true
		case len(name) > 6 && name[:6] == "stale:":
			v, ok = d.Staleness[name[6:]]
		default:
			v, ok = d.Obs[name]
		}
		if !ok {
			v = math.NaN()
		}
		*p = append(*p, v)
	}
	if st.in.closes != nil {
		for k := range *st.in.closes {
			(*st.in.closes)[k] = append((*st.in.closes)[k], d.Closes[k])
		}
	}
	if st.in.member != nil {
		for k := range *st.in.member {
			(*st.in.member)[k] = append((*st.in.member)[k], d.Member[k])
		}
	}
	st.step(row)
	return nil
}

func (st *Stream) nextDate(d regime.Date) error {
	if len(st.in.dates) > 0 && d != st.in.dates[len(st.in.dates)-1]+1 {
		return regime.Errorf(regime.EINVALID, "feature: appended day %s does not follow %s", d, st.in.dates[len(st.in.dates)-1])
	}
	st.in.dates = append(st.in.dates, d)
	return nil
}

func (st *Stream) step(row []float32) {
	i := st.n
	st.in.end = i + 1
	for j, blk := range st.blocks {
		if blk == nil {
			row[j] = float32(math.NaN())
			continue
		}
		blk(i, i+1, row[j:j+1])
	}
	st.in.end = 0
	st.n++
}

// Build computes token-level factors fs over s. Factors whose inputs are
// absent are NaN with the reason in Matrix.Missing. It returns an
// EINVALID *regime.Error when s breaks the alignment contract or a factor
// is not token-level.
func Build(s *Series, fs []Factor) (*Matrix, error) {
	_, m, err := NewStream(fs, s)
	return m, err
}

// BuildMarket computes market-level factors fs over m.
func BuildMarket(m *Market, fs []Factor) (*Matrix, error) {
	_, mx, err := NewMarketStream(fs, m)
	return mx, err
}

// parallel runs fn(k) for k in [0, n) on workers goroutines (GOMAXPROCS
// when workers <= 0) and returns the first error by index.
func parallel(n, workers int, fn func(k int) error) error {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	if workers > n {
		workers = n
	}
	errs := make([]error, n)
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				k := int(next.Add(1) - 1)
				if k >= n {
					return
				}
				errs[k] = fn(k)
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// BuildPanel builds token-level factors for many tokens in parallel on a
// pool of workers (GOMAXPROCS when workers <= 0). mats[k] belongs to
// series[k]. The matrices' Data share one allocation (each capped to its
// own length), so the memory is released when every matrix is dropped.
func BuildPanel(series []*Series, fs []Factor, workers int) ([]*Matrix, error) {
	return BuildPanelInto(NewSlab(PanelLen(series, fs)), series, fs, workers)
}

// PanelLen returns how many values the matrices of a panel build of
// series and fs hold: the slab length BuildPanelInto needs.
func PanelLen(series []*Series, fs []Factor) int {
	n := 0
	for _, s := range series {
		if s != nil {
			n += len(s.Dates) * len(fs)
		}
	}
	return n
}

// BuildPanelInto is BuildPanel writing the matrices into slab, which must
// hold at least PanelLen(series, fs) values; every one of those values is
// overwritten, and the matrices share slab's memory. A process that
// rebuilds its panel (a daily job) can hand the previous build's slab back
// once it has dropped those matrices: its pages are already mapped, where a
// fresh allocation pays a first-touch page fault per page.
func BuildPanelInto(slab []float32, series []*Series, fs []Factor, workers int) ([]*Matrix, error) {
	offs := make([]int, len(series)+1) // token k's matrix is slab[offs[k]:offs[k+1]]
	for k, s := range series {
		offs[k+1] = offs[k]
		if s != nil {
			offs[k+1] += len(s.Dates) * len(fs)
		}
	}
	if need := offs[len(series)]; len(slab) < need {
		return nil, regime.Errorf(regime.EINVALID, "feature: panel slab holds %d values, the build needs %d", len(slab), need)
	}
	mats := make([]*Matrix, len(series))
	err := parallel(len(series), workers, func(k int) error {
		_, m, err := newTokenStream(fs, series[k], slab[offs[k]:offs[k+1]:offs[k+1]])
		if err != nil {
			return fmt.Errorf("token %d: %w", k, err)
		}
		mats[k] = m
		return nil
	})
	if err != nil {
		return nil, err
	}
	return mats, nil
}

// NewSlab returns n zeros in one allocation, as BuildPanel allocates the
// matrices of a panel: per-token allocations cost garbage collections and
// page faults on top of the first touch of every page.
//
// The slab is deliberately not advised for transparent huge pages
// (MADV_HUGEPAGE): on the 2-core VMs Regime is measured on, huge pages made
// the first touch of fresh memory slower, cold and warm alike
// (BenchmarkFirstTouch: 1.46 s/GB against 0.27 s/GB with 4 KB pages when
// the VM had taken the memory back, 0.57 against 0.21 when it had not).
func NewSlab(n int) []float32 {
	return make([]float32, n)
}

// Panel is a set of token streams advanced together.
type Panel struct {
	Streams []*Stream
	workers int
}

// NewPanel starts a stream per token in parallel and returns the panel
// with each token's history matrix.
func NewPanel(series []*Series, fs []Factor, workers int) (*Panel, []*Matrix, error) {
	p := &Panel{Streams: make([]*Stream, len(series)), workers: workers}
	mats := make([]*Matrix, len(series))
	err := parallel(len(series), workers, func(k int) error {
		st, m, err := NewStream(fs, series[k])
		if err != nil {
			return fmt.Errorf("token %d: %w", k, err)
		}
		p.Streams[k], mats[k] = st, m
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	return p, mats, nil
}

// Append adds one day to every token: days[k] and rows[k] belong to token
// k; each row needs one slot per factor.
func (p *Panel) Append(days []Day, rows [][]float32) error {
	if len(days) != len(p.Streams) || len(rows) != len(p.Streams) {
		return regime.Errorf(regime.EINVALID, "feature: panel append got %d days and %d rows for %d tokens", len(days), len(rows), len(p.Streams))
	}
	// Chunks of tokens per task keep scheduling overhead low.
	const chunk = 64
	tasks := (len(days) + chunk - 1) / chunk
	return parallel(tasks, p.workers, func(t int) error {
		hi := min((t+1)*chunk, len(days))
		for k := t * chunk; k < hi; k++ {
			if err := p.Streams[k].Append(days[k], rows[k]); err != nil {
				return fmt.Errorf("token %d: %w", k, err)
			}
		}
		return nil
	})
}

// CrossRank computes, for each named factor, every token's cross-sectional
// percentile rank on each day among the tokens that have a value that day
// (0 = lowest, 1 = highest, ties share their mean rank, 0.5 when alone).
// Matrices are aligned by date; out[k] has one column "xrank_<name>" per
// name and the dates of mats[k]. A rank on day t uses values of day t only.
func CrossRank(mats []*Matrix, names []string) ([]*Matrix, error) {
	if len(mats) == 0 {
		return nil, nil
	}
	lo, hi := regime.Date(math.MaxInt32), regime.Date(math.MinInt32)
	cols := make([][]int, len(mats))
	for k, m := range mats {
		if m.Rows() == 0 {
			continue
		}
		lo, hi = min(lo, m.Dates[0]), max(hi, m.Dates[m.Rows()-1])
		cols[k] = make([]int, len(names))
		for c, n := range names {
			if cols[k][c] = m.Index(n); cols[k][c] < 0 {
				return nil, regime.Errorf(regime.EINVALID, "feature: cross rank: token %d has no factor %q", k, n)
			}
		}
	}
	out := make([]*Matrix, len(mats))
	xs := make([]string, len(names))
	for c, n := range names {
		xs[c] = "xrank_" + n
	}
	for k, m := range mats {
		out[k] = &Matrix{Dates: m.Dates, Names: xs, Data: make([]float32, m.Rows()*len(names)),
			Missing: make([]string, len(names)), warmup: make([]int, len(names))}
		for j := range out[k].Data {
			out[k].Data[j] = float32(math.NaN())
		}
	}
	type kv struct {
		v float32
		k int
	}
	var buf []kv
	for d := lo; d <= hi; d++ {
		for c := range names {
			buf = buf[:0]
			for k, m := range mats {
				if m.Rows() == 0 || d < m.Dates[0] || d > m.Dates[m.Rows()-1] {
					continue
				}
				i := int(d - m.Dates[0])
				if v := m.Col(cols[k][c])[i]; !math.IsNaN(float64(v)) {
					buf = append(buf, kv{v, k})
				}
			}
			sort.Slice(buf, func(a, b int) bool {
				if buf[a].v != buf[b].v {
					return buf[a].v < buf[b].v
				}
				return buf[a].k < buf[b].k
			})
			for a := 0; a < len(buf); {
				b := a
				for b < len(buf) && buf[b].v == buf[a].v {
					b++
				}
				r := 0.5
				if len(buf) > 1 {
					r = (float64(a+b-1) / 2) / float64(len(buf)-1)
				}
				for t := a; t < b; t++ {
					k := buf[t].k
					out[k].Col(c)[int(d-mats[k].Dates[0])] = float32(r)
				}
				a = b
			}
		}
	}
	return out, nil
}
