package engine

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strings"
	"sync"

	"github.com/regime-engine/regime"
)

// Panel holds every asset's reconciled daily bars on one consecutive
// calendar, plus the universe snapshots, in memory: the input of factor
// builds, the point-in-time universe, the market index and backtests.
//
// Asset k's slices start at Dates[Start[k]] and run to its last bar; a
// day without a bar is NaN. A value at index i is known at the close of
// that day: bars whose KnownAt is later than their Date are placed on
// their KnownAt day (never earlier than they were known).
type Panel struct {
	Dates  []regime.Date
	Assets []regime.Asset // sorted by ID
	Start  []int          // first day index of each asset
	Open   [][]float64
	High   [][]float64
	Low    [][]float64
	Close  [][]float64
	Volume [][]float64 // USD
	Cap    [][]float64 // USD; reported, else estimated
	// Snapshots are the stored universe snapshots of one source (the one
	// with the most), sorted by date.
	Snapshots []Snapshot

	index map[string]int

	seriesOnce sync.Once
	series     []regime.SeriesInfo
	seriesErr  error
}

// Snapshot is one universe snapshot: asset indices into Panel.Assets by rank.
type Snapshot struct {
	Date   regime.Date
	Source string
	Assets []int
	Caps   []float64
}

// LoadPanel reads every asset's bars (within r, if given) and the
// universe snapshots from st.
func LoadPanel(ctx context.Context, st regime.Reader, r regime.DateRange) (*Panel, error) {
	assets, err := st.FindAssets(ctx, regime.AssetFilter{})
	if err != nil {
		return nil, fmt.Errorf("panel: assets: %w", err)
	}
	return loadPanel(ctx, st, r, assets)
}

// LoadAssetPanel is LoadPanel restricted to the given assets (the
// universe snapshots then list only those).
func LoadAssetPanel(ctx context.Context, st regime.Reader, r regime.DateRange, assets ...regime.Asset) (*Panel, error) {
	return loadPanel(ctx, st, r, assets)
}

func loadPanel(ctx context.Context, st regime.Reader, r regime.DateRange, assets []regime.Asset) (*Panel, error) {
	if err := r.Validate(); err != nil {
		return nil, err
	}
	p := &Panel{Assets: assets, index: make(map[string]int, len(assets))}
	all := make([][]regime.Bar, len(assets))
	first, last := regime.Date(math.MaxInt32), regime.Date(math.MinInt32)
	for k, a := range assets {
		p.index[a.ID] = k
		bars, err := st.Bars(ctx, a.ID, r)
		if err != nil {
			return nil, fmt.Errorf("panel: bars %s: %w", a.ID, err)
		}
		all[k] = bars
		for _, b := range bars {
			d := max(b.Date, b.KnownAt)
			first, last = min(first, d), max(last, d)
		}
	}
	if first > last {
		return nil, regime.Errorf(regime.ENOTFOUND, "no daily bars in the store%s", rangeText(r))
	}
	n := int(last-first) + 1
	p.Dates = make([]regime.Date, n)
	for i := range p.Dates {
		p.Dates[i] = first + regime.Date(i)
	}
	nk := len(assets)
	p.Start = make([]int, nk)
	p.Open, p.High, p.Low, p.Close = make([][]float64, nk), make([][]float64, nk), make([][]float64, nk), make([][]float64, nk)
	p.Volume, p.Cap = make([][]float64, nk), make([][]float64, nk)
	for k, bars := range all {
		if len(bars) == 0 {
			p.Start[k] = n
			continue
		}
		lo, hi := n, -1
		for _, b := range bars {
			i := int(max(b.Date, b.KnownAt) - first)
			lo, hi = min(lo, i), max(hi, i)
		}
		m := hi - lo + 1
		p.Start[k] = lo
		cols := []*[]float64{&p.Open[k], &p.High[k], &p.Low[k], &p.Close[k], &p.Volume[k], &p.Cap[k]}
		for _, c := range cols {
			*c = make([]float64, m)
			for i := range *c {
				(*c)[i] = math.NaN()
			}
		}
		for _, b := range bars {
			i := int(max(b.Date, b.KnownAt)-first) - lo
			p.Open[k][i], p.High[k][i], p.Low[k][i], p.Close[k][i] = b.Open, b.High, b.Low, b.Close
			p.Volume[k][i], p.Cap[k][i] = b.VolumeUSD, b.MarketCapUSD
		}
	}
	if err := p.loadSnapshots(ctx, st); err != nil {
		return nil, err
	}
	return p, nil
}

func rangeText(r regime.DateRange) string {
	if r == (regime.DateRange{}) {
		return ""
	}
	return " in " + r.String()
}

// loadSnapshots keeps the snapshots of the source with the most of them.
func (p *Panel) loadSnapshots(ctx context.Context, st regime.Reader) error {
	best, bestDates := "", []regime.Date(nil)
	for _, src := range []string{regime.SourceCMC, regime.SourceSynth, regime.SourceCSV} {
		dates, err := st.SnapshotDates(ctx, src)
		if err != nil && regime.ErrorCode(err) != regime.ENOTFOUND {
			return fmt.Errorf("panel: snapshots: %w", err)
		}
		if len(dates) > len(bestDates) {
			best, bestDates = src, dates
		}
	}
	for _, d := range bestDates {
		if d < p.Dates[0] || d > p.Dates[len(p.Dates)-1] {
			continue
		}
		cs, err := st.Constituents(ctx, best, d)
		if err != nil {
			return fmt.Errorf("panel: snapshot %s: %w", d, err)
		}
		s := Snapshot{Date: d, Source: best}
		for _, c := range cs {
			if k, ok := p.index[c.AssetID]; ok {
				s.Assets = append(s.Assets, k)
				s.Caps = append(s.Caps, c.MarketCapUSD)
			}
		}
		p.Snapshots = append(p.Snapshots, s)
	}
	return nil
}

// Index returns the position of an asset id in Assets, or -1.
func (p *Panel) Index(id string) int {
	if k, ok := p.index[id]; ok {
		return k
	}
	return -1
}

// At returns asset k's value of col on day index i (NaN outside its span).
func (p *Panel) At(col [][]float64, k, i int) float64 {
	j := i - p.Start[k]
	if j < 0 || j >= len(col[k]) {
		return math.NaN()
	}
	return col[k][j]
}

// DayIndex returns the index of d in Dates and whether it is inside.
func (p *Panel) DayIndex(d regime.Date) (int, bool) {
	i := int(d - p.Dates[0])
	return i, i >= 0 && i < len(p.Dates)
}

// SnapshotMaxAge is how old a universe snapshot may be to define the
// universe of a day; past it (or before the first snapshot) the universe
// is ranked from the daily market caps known that day.
const SnapshotMaxAge = 45

// UniverseMethod says how a day's universe was chosen.
type UniverseMethod string

// Universe methods.
const (
	FromSnapshot  UniverseMethod = "snapshot"   // the latest snapshot taken on or before the day
	FromDailyCaps UniverseMethod = "daily_caps" // ranked by the market caps known that day
)

// TopAt returns the top n assets (indices into Assets) by market cap as
// known on day index i, best first. Investable restricts to kinds the
// index may hold. The universe is the latest snapshot taken on or before
// the day when one is at most SnapshotMaxAge days old (so coins that later
// died are in it), else the assets ranked by their market cap on that day
// (reported or estimated). It never uses a value known after the day.
func (p *Panel) TopAt(i, n int, investable bool) ([]int, UniverseMethod) {
	d := p.Dates[i]
	j := sort.Search(len(p.Snapshots), func(j int) bool { return p.Snapshots[j].Date > d }) - 1
	if j >= 0 && int(d-p.Snapshots[j].Date) <= SnapshotMaxAge {
		var out []int
		for _, k := range p.Snapshots[j].Assets {
			if len(out) == n {
				break
			}
			if !investable || p.Assets[k].Kind.Investable() {
				out = append(out, k)
			}
		}
		return out, FromSnapshot
	}
	type kc struct {
		k   int
		cap float64
	}
	var c []kc
	for k := range p.Assets {
		if investable && !p.Assets[k].Kind.Investable() {
			continue
		}
		if v := p.At(p.Cap, k, i); v > 0 {
			c = append(c, kc{k, v})
		}
	}
	sort.Slice(c, func(a, b int) bool {
		if c[a].cap != c[b].cap {
			return c[a].cap > c[b].cap
		}
		return p.Assets[c[a].k].ID < p.Assets[c[b].k].ID
	})
	out := make([]int, 0, min(n, len(c)))
	for _, x := range c[:min(n, len(c))] {
		out = append(out, x.k)
	}
	return out, FromDailyCaps
}

// MarketIndex returns the level of a cap-weighted index of the top n
// investable assets, rebalanced daily: the return from day i-1 to day i is
// the average of the members' returns weighted by their market caps on day
// i-1, members chosen as known on day i-1. Days with no member with two
// known closes carry the level forward. The first day is 1.
func (p *Panel) MarketIndex(n int) []float64 {
	level := make([]float64, len(p.Dates))
	if len(level) == 0 {
		return level
	}
	level[0] = 1
	for i := 1; i < len(p.Dates); i++ {
		top, _ := p.TopAt(i-1, n, true)
		var wsum, rsum float64
		for _, k := range top {
			c0, c1, w := p.At(p.Close, k, i-1), p.At(p.Close, k, i), p.At(p.Cap, k, i-1)
			if !(c0 > 0) || !(c1 > 0) || !(w > 0) {
				continue
			}
			wsum += w
			rsum += w * (c1/c0 - 1)
		}
		level[i] = level[i-1]
		if wsum > 0 {
			level[i] = level[i-1] * (1 + rsum/wsum)
		}
	}
	return level
}

// ReferenceAsset returns the index of the asset that stands for "the
// market's leader": bitcoin if present, else the investable asset with the
// largest market cap on the last day.
func (p *Panel) ReferenceAsset() int {
	if k := p.Index("bitcoin"); k >= 0 {
		return k
	}
	for _, a := range []string{"BTC"} {
		for k := range p.Assets {
			if strings.EqualFold(p.Assets[k].Symbol, a) {
				return k
			}
		}
	}
	top, _ := p.TopAt(len(p.Dates)-1, 1, true)
	if len(top) == 0 {
		return -1
	}
	return top[0]
}
