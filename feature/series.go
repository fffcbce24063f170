package feature

import (
	"math"
	"sort"

	"github.com/regime-engine/regime"
)

// Series is one token's daily inputs as parallel slices aligned to Dates
// (see the package documentation for the alignment contract). A nil slice
// means the input is absent; factors that need it are NaN with a reason.
type Series struct {
	Dates     []regime.Date
	Open      []float64
	High      []float64
	Low       []float64
	Close     []float64
	Volume    []float64 // traded volume in USD
	MarketCap []float64 // market capitalisation in USD
	// OnChain holds per-asset on-chain metrics keyed by Coin Metrics
	// metric id (AdrActCnt, TxCnt, TxTfrValAdjUSD, CapMVRVCur, HashRate,
	// IssTotUSD, SplyCur, FlowInExNtv, FlowOutExNtv, SplyExNtv,
	// SplyAdrBalNtv1K), aligned to Dates, NaN when unknown.
	OnChain map[string][]float64
}

// Market holds market-wide inputs aligned to consecutive daily Dates.
type Market struct {
	Dates []regime.Date
	// Obs holds observation series aligned as of publication (see
	// AlignAsOf), keyed by series name: "feargreed:value",
	// "trends:bitcoin", "fred:DFF", "fred:DGS10", "fred:DGS2",
	// "fred:DTWEXBGS", "fred:SP500", "fred:VIXCLS", "fred:BAMLH0A0HYM2",
	// "fred:M2SL".
	Obs map[string][]float64
	// Staleness holds, for each key of Obs, the age in days of the value
	// used at each day (day minus observation date), NaN when unknown.
	Staleness map[string][]float64
	BTCCap    []float64 // bitcoin market cap, USD
	StableCap []float64 // total stablecoin market cap, USD
	TotalCap  []float64 // total crypto market cap, USD
	// Closes holds the close history of each token that can be in the
	// breadth universe (e.g. the top 100), aligned to Dates.
	Closes [][]float64
	// Member reports, per token of Closes, whether it belonged to the
	// universe on each day as known that day. Nil means a token is a
	// member whenever its close is known.
	Member [][]bool
}

// Day is one new day of a token's inputs, for Stream.Append.
type Day struct {
	Date                                      regime.Date
	Open, High, Low, Close, Volume, MarketCap float64
	OnChain                                   map[string]float64
}

// Input names used in Factor.Inputs.
const (
	InOpen      = "open"
	InHigh      = "high"
	InLow       = "low"
	InClose     = "close"
	InVolume    = "volume"
	InMarketCap = "market_cap"
	InBTCCap    = "market:btc_cap"
	InStableCap = "market:stable_cap"
	InTotalCap  = "market:total_cap"
	InCloses    = "market:closes"
)

// Len returns the number of days.
func (s *Series) Len() int { return len(s.Dates) }

// Validate checks the alignment contract and returns an EINVALID
// *regime.Error naming the offending slice or day.
func (s *Series) Validate() error {
	if err := checkDates(s.Dates); err != nil {
		return err
	}
	n := len(s.Dates)
	for _, c := range []struct {
		name string
		v    []float64
	}{{InOpen, s.Open}, {InHigh, s.High}, {InLow, s.Low}, {InClose, s.Close}, {InVolume, s.Volume}, {InMarketCap, s.MarketCap}} {
		if c.v != nil && len(c.v) != n {
			return regime.Errorf(regime.EINVALID, "feature: series %s has %d values for %d dates", c.name, len(c.v), n)
		}
	}
	for _, k := range sortedKeys(s.OnChain) {
		if v := s.OnChain[k]; v != nil && len(v) != n {
			return regime.Errorf(regime.EINVALID, "feature: on-chain series %s has %d values for %d dates", k, len(v), n)
		}
	}
	return nil
}

// Validate checks the alignment contract of a Market.
func (m *Market) Validate() error {
	if err := checkDates(m.Dates); err != nil {
		return err
	}
	n := len(m.Dates)
	chk := func(name string, v []float64) error {
		if v != nil && len(v) != n {
			return regime.Errorf(regime.EINVALID, "feature: market series %s has %d values for %d dates", name, len(v), n)
		}
		return nil
	}
	for _, k := range sortedKeys(m.Obs) {
		if err := chk(k, m.Obs[k]); err != nil {
			return err
		}
	}
	for _, k := range sortedKeys(m.Staleness) {
		if err := chk("staleness of "+k, m.Staleness[k]); err != nil {
			return err
		}
	}
	for _, c := range []struct {
		name string
		v    []float64
	}{{InBTCCap, m.BTCCap}, {InStableCap, m.StableCap}, {InTotalCap, m.TotalCap}} {
		if err := chk(c.name, c.v); err != nil {
			return err
		}
	}
	for k, c := range m.Closes {
		if len(c) != n {
			return regime.Errorf(regime.EINVALID, "feature: market closes of token %d have %d values for %d dates", k, len(c), n)
		}
	}
	if m.Member != nil && len(m.Member) != len(m.Closes) {
		return regime.Errorf(regime.EINVALID, "feature: market membership has %d tokens, closes %d", len(m.Member), len(m.Closes))
	}
	for k, c := range m.Member {
		if len(c) != n {
			return regime.Errorf(regime.EINVALID, "feature: market membership of token %d has %d values for %d dates", k, len(c), n)
		}
	}
	return nil
}

func checkDates(d []regime.Date) error {
	for i := 1; i < len(d); i++ {
		if d[i] != d[i-1]+1 {
			return regime.Errorf(regime.EINVALID, "feature: dates must be consecutive days: %s follows %s", d[i], d[i-1])
		}
	}
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

func cut(v []float64, n int) []float64 {
	if v == nil {
		return nil
	}
	return v[:n:n]
}

// Truncate returns a view of the first n days of s (sharing storage).
func (s *Series) Truncate(n int) *Series {
	t := &Series{Dates: s.Dates[:n:n], Open: cut(s.Open, n), High: cut(s.High, n), Low: cut(s.Low, n),
		Close: cut(s.Close, n), Volume: cut(s.Volume, n), MarketCap: cut(s.MarketCap, n)}
	if s.OnChain != nil {
		t.OnChain = make(map[string][]float64, len(s.OnChain))
		for k, v := range s.OnChain {
			t.OnChain[k] = cut(v, n)
		}
	}
	return t
}

// Clone returns a deep copy of s.
func (s *Series) Clone() *Series {
	cp := func(v []float64) []float64 {
		if v == nil {
			return nil
		}
		return append([]float64(nil), v...)
	}
	t := &Series{Dates: append([]regime.Date(nil), s.Dates...), Open: cp(s.Open), High: cp(s.High), Low: cp(s.Low),
		Close: cp(s.Close), Volume: cp(s.Volume), MarketCap: cp(s.MarketCap)}
	if s.OnChain != nil {
		t.OnChain = make(map[string][]float64, len(s.OnChain))
		for k, v := range s.OnChain {
			t.OnChain[k] = cp(v)
		}
	}
	return t
}

// Columns calls fn for every present numeric slice of s in a fixed order
// (price fields, then on-chain metrics by sorted key).
func (s *Series) Columns(fn func(name string, v []float64)) {
	for _, c := range []struct {
		name string
		v    []float64
	}{{InOpen, s.Open}, {InHigh, s.High}, {InLow, s.Low}, {InClose, s.Close}, {InVolume, s.Volume}, {InMarketCap, s.MarketCap}} {
		if c.v != nil {
			fn(c.name, c.v)
		}
	}
	for _, k := range sortedKeys(s.OnChain) {
		if v := s.OnChain[k]; v != nil {
			fn("onchain:"+k, v)
		}
	}
}

// Len returns the number of days.
func (m *Market) Len() int { return len(m.Dates) }

// Truncate returns a view of the first n days of m (sharing storage).
func (m *Market) Truncate(n int) *Market {
	t := &Market{Dates: m.Dates[:n:n], BTCCap: cut(m.BTCCap, n), StableCap: cut(m.StableCap, n), TotalCap: cut(m.TotalCap, n)}
	if m.Obs != nil {
		t.Obs = make(map[string][]float64, len(m.Obs))
		for k, v := range m.Obs {
			t.Obs[k] = cut(v, n)
		}
	}
	if m.Staleness != nil {
		t.Staleness = make(map[string][]float64, len(m.Staleness))
		for k, v := range m.Staleness {
			t.Staleness[k] = cut(v, n)
		}
	}
	for _, c := range m.Closes {
		t.Closes = append(t.Closes, cut(c, n))
	}
	for _, b := range m.Member {
		t.Member = append(t.Member, b[:n:n])
	}
	return t
}

// Clone returns a deep copy of m.
func (m *Market) Clone() *Market {
	cp := func(v []float64) []float64 {
		if v == nil {
			return nil
		}
		return append([]float64(nil), v...)
	}
	t := &Market{Dates: append([]regime.Date(nil), m.Dates...), BTCCap: cp(m.BTCCap), StableCap: cp(m.StableCap), TotalCap: cp(m.TotalCap)}
	if m.Obs != nil {
		t.Obs = map[string][]float64{}
		for k, v := range m.Obs {
			t.Obs[k] = cp(v)
		}
	}
	if m.Staleness != nil {
		t.Staleness = map[string][]float64{}
		for k, v := range m.Staleness {
			t.Staleness[k] = cp(v)
		}
	}
	for _, c := range m.Closes {
		t.Closes = append(t.Closes, cp(c))
	}
	for _, b := range m.Member {
		t.Member = append(t.Member, append([]bool(nil), b...))
	}
	return t
}

// Columns calls fn for every present numeric slice of m in a fixed order.
func (m *Market) Columns(fn func(name string, v []float64)) {
	for _, k := range sortedKeys(m.Obs) {
		fn(k, m.Obs[k])
	}
	for _, k := range sortedKeys(m.Staleness) {
		fn("stale:"+k, m.Staleness[k])
	}
	for _, c := range []struct {
		name string
		v    []float64
	}{{InBTCCap, m.BTCCap}, {InStableCap, m.StableCap}, {InTotalCap, m.TotalCap}} {
		if c.v != nil {
			fn(c.name, c.v)
		}
	}
	for _, c := range m.Closes {
		fn(InCloses, c)
	}
}

// AlignAsOf aligns observations of one series to dates as they were known:
// values[i] is the value of the latest observation (greatest Date, then
// greatest KnownAt) among those with KnownAt <= dates[i] and a known
// value, and staleness[i] is its age in days (dates[i] minus its Date).
// Both are NaN before anything is known. obs may be in any order; dates
// must be increasing.
func AlignAsOf(dates []regime.Date, obs []regime.Observation) (values, staleness []float64) {
	values = make([]float64, len(dates))
	staleness = make([]float64, len(dates))
	ord := make([]int, 0, len(obs))
	for i, o := range obs {
		if !math.IsNaN(o.Value) && !math.IsInf(o.Value, 0) {
			ord = append(ord, i)
		}
	}
	known := func(o regime.Observation) regime.Date {
		if o.KnownAt < o.Date {
			return o.Date
		}
		return o.KnownAt
	}
	sort.SliceStable(ord, func(a, b int) bool { return known(obs[ord[a]]) < known(obs[ord[b]]) })
	best, j := -1, 0
	for i, d := range dates {
		for j < len(ord) && known(obs[ord[j]]) <= d {
			o := obs[ord[j]]
			if best < 0 || o.Date > obs[best].Date || (o.Date == obs[best].Date && known(o) >= known(obs[best])) {
				best = ord[j]
			}
			j++
		}
		if best < 0 {
			values[i], staleness[i] = math.NaN(), math.NaN()
			continue
		}
		values[i] = obs[best].Value
		staleness[i] = float64(d - obs[best].Date)
	}
	return values, staleness
}
