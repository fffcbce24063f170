package index

import (
	"cmp"
	"math"
	"slices"
	"strings"

	"github.com/regime-engine/regime"
)

// Candidate is one asset of a point-in-time universe snapshot, with what
// is known about it at the decision date.
type Candidate struct {
	AssetID      string
	MarketCapUSD float64          // market cap as known at the decision date (NaN if unknown)
	VolumeUSD    float64          // 24-hour traded volume in USD (NaN if unknown)
	Kind         regime.AssetKind // "" (unknown) is not investable
	HistoryDays  int              // days from the asset's first daily close to the decision date, inclusive (0: none)
	Priced       bool             // the asset has a daily close on the decision date
	Incumbent    bool             // the asset is a constituent before this selection
}

// UniverseRules are the constituent selection rules.
type UniverseRules struct {
	N              int     // number of constituents (default 100)
	Buffer         float64 // an incumbent stays while its eligible rank <= N + ceil(Buffer*N)
	MinVolumeUSD   float64 // minimum 24-hour volume; 0 disables the filter
	MinHistoryDays int     // minimum days of daily closes, decision day included
}

// DefaultUniverse returns the published universe rules: top 100, a 20%
// rank buffer (incumbents stay down to rank 120), at least $1M of daily
// volume and 30 days of price history.
func DefaultUniverse() UniverseRules {
	return UniverseRules{N: 100, Buffer: 0.2, MinVolumeUSD: 1e6, MinHistoryDays: 30}
}

// Validate returns an EINVALID error for impossible rules.
func (r UniverseRules) Validate() error {
	switch {
	case r.N < 1:
		return regime.Errorf(regime.EINVALID, "invalid universe size %d: want at least 1", r.N)
	case !(r.Buffer >= 0):
		return regime.Errorf(regime.EINVALID, "invalid rank buffer %v: want >= 0", r.Buffer)
	case !(r.MinVolumeUSD >= 0):
		return regime.Errorf(regime.EINVALID, "invalid minimum volume %v: want >= 0", r.MinVolumeUSD)
	case r.MinHistoryDays < 0:
		return regime.Errorf(regime.EINVALID, "invalid minimum history %d days: want >= 0", r.MinHistoryDays)
	}
	return nil
}

// Selection is the result of Select.
type Selection struct {
	// Members are the constituents, largest market cap first.
	Members []Candidate
	// MissingPriceShare is the share of market cap, among the top N
	// investable candidates before any price, volume or history filter,
	// held by candidates without a daily close on the decision date. Those
	// are skipped and their slots go to the next eligible candidates.
	MissingPriceShare float64
	// MissingPriceCount is the number of those top-N candidates without
	// a daily close.
	MissingPriceCount int
	// Reference are those top-N investable candidates (priced or not),
	// largest first: the index as it would be with a price for every coin.
	Reference []Candidate
	// Counts of candidates removed by each filter, in filter order.
	NotInvestable, NoPrice, Illiquid, ShortHistory int
}

// Select chooses the constituents from a snapshot. Candidates are ordered
// by market cap (largest first, ties by AssetID; NaN caps last), so the
// snapshot's own rank is not trusted. A candidate is eligible when its
// Kind is investable, it has a close on the decision date, a positive
// market cap, at least MinVolumeUSD of volume (unknown volume fails when
// the filter is on) and at least MinHistoryDays of history. Incumbents
// (candidates marked Incumbent: the previous members) keep their place
// while their rank among eligible candidates is at most
// N + ceil(Buffer*N); the remaining places go to the best-ranked eligible
// candidates; if more than N incumbents qualify the best-ranked N stay.
// AssetIDs must be distinct (the caller removes duplicate snapshot rows).
// Select does not modify cands.
func Select(r UniverseRules, cands []Candidate) Selection {
	order := make([]int32, len(cands))
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortFunc(order, func(i, j int32) int {
		a, b := cands[i].MarketCapUSD, cands[j].MarketCapUSD
		an, bn := math.IsNaN(a), math.IsNaN(b)
		switch {
		case an != bn:
			if an {
				return 1
			}
			return -1
		case !an && a > b:
			return -1
		case !an && a < b:
			return 1
		}
		return cmp.Or(strings.Compare(cands[i].AssetID, cands[j].AssetID), cmp.Compare(i, j))
	})
	var s Selection
	s.Reference = make([]Candidate, 0, min(r.N, len(cands)))
	var refCap, refMissing float64
	refN := 0
	eligible := order[:0] // filtered in place: eligible[k] <= order position
	for _, i := range order {
		c := &cands[i]
		if !c.Kind.Investable() {
			s.NotInvestable++
			continue
		}
		if refN < r.N && c.MarketCapUSD > 0 {
			refN++
			s.Reference = append(s.Reference, *c)
			refCap += c.MarketCapUSD
			if !c.Priced {
				refMissing += c.MarketCapUSD
				s.MissingPriceCount++
			}
		}
		switch {
		case !c.Priced:
			s.NoPrice++
		case !(c.MarketCapUSD > 0):
			s.NoPrice++ // no usable market cap: cannot be weighted
		case r.MinVolumeUSD > 0 && !(c.VolumeUSD >= r.MinVolumeUSD):
			s.Illiquid++
		case c.HistoryDays < r.MinHistoryDays:
			s.ShortHistory++
		default:
			eligible = append(eligible, i)
		}
	}
	if refCap > 0 {
		s.MissingPriceShare = refMissing / refCap
	}
	keepTo := r.N + int(math.Ceil(r.Buffer*float64(r.N)))
	chosen := make([]bool, len(eligible))
	n := 0
	for k, i := range eligible {
		if n < r.N && k < keepTo && cands[i].Incumbent {
			chosen[k] = true
			n++
		}
	}
	for k := range eligible {
		if n >= r.N {
			break
		}
		if !chosen[k] {
			chosen[k] = true
			n++
		}
	}
	s.Members = make([]Candidate, 0, n)
	for k, i := range eligible {
		if chosen[k] {
			s.Members = append(s.Members, cands[i])
		}
	}
	return s
}
