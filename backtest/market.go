package backtest

import (
	"math"
	"sort"

	"github.com/regime-engine/regime"
)

// Market is the dense input of a backtest: daily closes and volumes of a
// set of assets on a common calendar, the asset kinds, and the
// point-in-time universe snapshots. Matrices are flat and row-major
// (day i, asset j at i*len(Assets)+j); a missing value is NaN.
type Market struct {
	Dates  []regime.Date // strictly increasing (normally consecutive days)
	Assets []string      // asset ids, the column order
	// Kinds classifies every asset id in Assets and in the snapshots. An
	// id without a kind is not investable.
	Kinds  map[string]regime.AssetKind
	Close  []float64 // USD close per day and asset; NaN = no price that day
	Volume []float64 // USD volume per day and asset; nil or NaN = unknown
	Cap    []float64 // USD market cap per day and asset; nil or NaN = unknown
	// Snapshots are the universe snapshots sorted by Date; the snapshot
	// used on day t is the latest one dated on or before t. Constituents
	// may name assets absent from Assets (they have no daily price).
	Snapshots []Snapshot
	// Listed, when not nil, marks per day and asset (row-major like
	// Close) that the asset is known to be still listed that day although
	// it may lack a close (e.g. it is in the universe snapshot in force):
	// a held asset that runs out of closes while listed is sold at
	// Config.ListedRecovery x its last close instead of written off.
	Listed []bool

	index     map[string]int
	snaps     []snapInfo // per snapshot, built by Validate
	validated bool
}

// snapInfo is what Run needs of a snapshot, computed once: the rows kept
// (the first of each asset id) and, per kept row, the asset column (-1
// when the asset has no daily prices) and kind.
type snapInfo struct {
	rows  []int
	cols  []int
	kinds []regime.AssetKind
}

// Snapshot is a point-in-time universe: the ranked constituents of one
// date as known on that date.
type Snapshot struct {
	Date         regime.Date
	Constituents []regime.Constituent
}

// NewMarket returns a Market for the given days and assets with every
// close, volume and cap missing (NaN) and an empty Kinds map.
func NewMarket(dates []regime.Date, assets []string) *Market {
	n := len(dates) * len(assets)
	m := &Market{Dates: dates, Assets: assets, Kinds: map[string]regime.AssetKind{},
		Close: nanSlice(n), Volume: nanSlice(n), Cap: nanSlice(n)}
	return m
}

func nanSlice(n int) []float64 {
	s := make([]float64, n)
	for i := range s {
		s[i] = math.NaN()
	}
	return s
}

// Days returns consecutive dates from from to to inclusive.
func Days(from, to regime.Date) []regime.Date {
	var d []regime.Date
	for x := from; x <= to; x++ {
		d = append(d, x)
	}
	return d
}

// Asset returns the column of asset id, or -1.
func (m *Market) Asset(id string) int {
	if m.index == nil {
		for i, a := range m.Assets {
			if a == id {
				return i
			}
		}
		return -1
	}
	if i, ok := m.index[id]; ok {
		return i
	}
	return -1
}

// Day returns the row of date d, or -1.
func (m *Market) Day(d regime.Date) int {
	i := sort.Search(len(m.Dates), func(i int) bool { return m.Dates[i] >= d })
	if i < len(m.Dates) && m.Dates[i] == d {
		return i
	}
	return -1
}

// At returns the close of asset column a on day row t (NaN if missing).
func (m *Market) At(t, a int) float64 { return m.Close[t*len(m.Assets)+a] }

// Set stores the close and volume of asset column a on day row t.
func (m *Market) Set(t, a int, close, volume float64) {
	m.Close[t*len(m.Assets)+a] = close
	if m.Volume != nil {
		m.Volume[t*len(m.Assets)+a] = volume
	}
}

// Column returns a copy of asset column a's closes.
func (m *Market) Column(a int) []float64 {
	out := make([]float64, len(m.Dates))
	for t := range out {
		out[t] = m.Close[t*len(m.Assets)+a]
	}
	return out
}

// Validate checks the shapes, orderings and prices and builds the asset
// index. Run calls it unless it already succeeded; call it once before
// sharing a Market between goroutines, and again after changing the
// Market.
func (m *Market) Validate() error {
	m.validated = false
	nA := len(m.Assets)
	n := len(m.Dates) * nA
	if len(m.Dates) == 0 || nA == 0 {
		return regime.Errorf(regime.EINVALID, "market: no dates or no assets")
	}
	if len(m.Close) != n {
		return regime.Errorf(regime.EINVALID, "market: %d closes for %d days x %d assets", len(m.Close), len(m.Dates), nA)
	}
	if m.Volume != nil && len(m.Volume) != n {
		return regime.Errorf(regime.EINVALID, "market: %d volumes for %d days x %d assets", len(m.Volume), len(m.Dates), nA)
	}
	if m.Cap != nil && len(m.Cap) != n {
		return regime.Errorf(regime.EINVALID, "market: %d market caps for %d days x %d assets", len(m.Cap), len(m.Dates), nA)
	}
	if m.Listed != nil && len(m.Listed) != n {
		return regime.Errorf(regime.EINVALID, "market: %d listed flags for %d days x %d assets", len(m.Listed), len(m.Dates), nA)
	}
	for i := 1; i < len(m.Dates); i++ {
		if m.Dates[i] <= m.Dates[i-1] {
			return regime.Errorf(regime.EINVALID, "market: dates not increasing at %s", m.Dates[i])
		}
	}
	for i := 1; i < len(m.Snapshots); i++ {
		if m.Snapshots[i].Date <= m.Snapshots[i-1].Date {
			return regime.Errorf(regime.EINVALID, "market: snapshots not sorted by date at %s", m.Snapshots[i].Date)
		}
	}
	if m.index == nil || len(m.index) != nA {
		idx := make(map[string]int, nA)
		for i, a := range m.Assets {
			if _, dup := idx[a]; dup || a == "" {
				return regime.Errorf(regime.EINVALID, "market: empty or repeated asset id %q", a)
			}
			idx[a] = i
		}
		m.index = idx
	}
	for _, c := range m.Close {
		if c <= 0 || math.IsInf(c, 0) {
			return regime.Errorf(regime.EINVALID, "market: a close is %v: want a positive price or NaN", c)
		}
	}
	m.snaps = make([]snapInfo, len(m.Snapshots))
	for k, sn := range m.Snapshots {
		info := &m.snaps[k]
		seen := make(map[string]bool, len(sn.Constituents))
		for i, c := range sn.Constituents {
			if c.AssetID == "" || seen[c.AssetID] {
				continue
			}
			seen[c.AssetID] = true
			info.rows = append(info.rows, i)
			info.cols = append(info.cols, m.index[c.AssetID])
			if _, ok := m.index[c.AssetID]; !ok {
				info.cols[len(info.cols)-1] = -1
			}
			info.kinds = append(info.kinds, m.Kinds[c.AssetID])
		}
	}
	m.validated = true
	return nil
}

// snapshotAt returns the index of the latest snapshot dated on or before
// d, or -1.
func (m *Market) snapshotAt(d regime.Date) int {
	i := sort.Search(len(m.Snapshots), func(i int) bool { return m.Snapshots[i].Date > d })
	return i - 1
}
