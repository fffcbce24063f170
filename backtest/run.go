package backtest

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/regime-engine/regime"
	"github.com/regime-engine/regime/index"
)

// Side is the direction of a trade.
type Side uint8

// Trade sides. A write-off of a delisted asset is a Sell at the recovery
// price with no fee and no slippage.
const (
	Buy  Side = 1
	Sell Side = 2
)

// String returns "buy" or "sell".
func (s Side) String() string {
	switch s {
	case Buy:
		return "buy"
	case Sell:
		return "sell"
	}
	return fmt.Sprintf("side(%d)", uint8(s))
}

// MarshalText implements encoding.TextMarshaler.
func (s Side) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler (see ParseSide).
func (s *Side) UnmarshalText(b []byte) error {
	v, err := ParseSide(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// ParseSide parses "buy" or "sell".
func ParseSide(v string) (Side, error) {
	switch v {
	case "buy":
		return Buy, nil
	case "sell":
		return Sell, nil
	}
	return 0, regime.Errorf(regime.EINVALID, "invalid trade side %q: want buy or sell", v)
}

// Reason says why a trade happened.
type Reason uint8

// Trade reasons.
const (
	ReasonScheduled   Reason = iota // "scheduled_rebalance": the weekly (RebalanceDays) rebalance
	ReasonRegime                    // "regime_change": the exposure of the signal's level changed
	ReasonConstituent               // "constituent_change": the asset enters or leaves the index
	ReasonDepeg                     // "depeg": a held stablecoin lost its peg
	ReasonDelisted                  // "delisted": no close for DelistDays days, written off
	ReasonNoPrice                   // "no_price": no close for DelistDays days but still listed (Market.Listed), sold at the last close
)

var reasonNames = [...]string{"scheduled_rebalance", "regime_change", "constituent_change", "depeg", "delisted", "no_price"}

// String returns the snake_case name of r, as in the transaction log.
func (r Reason) String() string {
	if int(r) < len(reasonNames) {
		return reasonNames[r]
	}
	return fmt.Sprintf("reason(%d)", uint8(r))
}

// MarshalText implements encoding.TextMarshaler.
func (r Reason) MarshalText() ([]byte, error) { return []byte(r.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler (see ParseReason).
func (r *Reason) UnmarshalText(b []byte) error {
	v, err := ParseReason(string(b))
	if err != nil {
		return err
	}
	*r = v
	return nil
}

// ParseReason parses a name written by String.
func ParseReason(s string) (Reason, error) {
	for i, n := range reasonNames {
		if n == s {
			return Reason(i), nil
		}
	}
	return 0, regime.Errorf(regime.EINVALID, "invalid trade reason %q: want one of %s", s, strings.Join(reasonNames[:], ", "))
}

// Trade is one line of the transaction log. Value = Quantity * Price.
// A buy costs Value + Fee + Slippage in cash; a sell brings Value - Fee -
// Slippage.
type Trade struct {
	Date     regime.Date // execution day (the close the trade is priced at)
	Side     Side
	Reason   Reason
	Asset    string
	Quantity float64 // units, > 0
	Price    float64 // the close of Date (recovery price for a write-off)
	Value    float64 // Quantity * Price in USD
	Fee      float64 // USD
	Slippage float64 // USD
}

// Decision records one rebalance decision.
type Decision struct {
	Date     regime.Date // the close the decision was taken on (trades execute at the next close)
	Trigger  Reason      // the strongest trigger: regime_change, scheduled_rebalance or depeg
	Level    index.Level // the signal's level in effect
	Exposure float64     // target risky exposure
	Members  int         // risky constituents chosen
	// MissingPriceShare is the market-cap share of the top-N investable
	// snapshot candidates that had no close on Date and were skipped
	// (NaN for depeg-only decisions and fixed universes).
	MissingPriceShare float64
	// MissingWeightShare is the index weight those skipped candidates
	// would have had: the weights of the top-N investable candidates
	// under the weighting rules (caps included, unsmoothed caps for
	// sqrt_cap), summed over the unpriced ones (NaN like
	// MissingPriceShare).
	MissingWeightShare float64
	// Unpriced counts those skipped candidates (0 for depeg-only decisions
	// and fixed universes).
	Unpriced int
	// Targets are the target weights of NAV with weight > 0, in asset
	// column order, and Cash the target share left in US dollars (the
	// stable sleeve when no stablecoin is pegged); for full decisions they
	// sum to 1. Nil for depeg-only decisions.
	Targets []Weight
	Cash    float64
}

// Weight is one asset's share of the index.
type Weight struct {
	Asset  string
	Weight float64
}

// Result is the outcome of Run. Daily series are aligned with Dates.
type Result struct {
	Dates     []regime.Date
	NAV       []float64     // net asset value at the close, after that day's trades
	Exposure  []float64     // risky holdings / NAV at the close
	Levels    []index.Level // the signal level in effect at each close (NoLevel before the first)
	Decisions []Decision
	Metrics   Metrics
	Monthly   []Month

	// The transaction log, kept compact (no pointers, so it costs the
	// garbage collector nothing) and expanded by Trades.
	log    [][]rec
	dates  []regime.Date // the market's dates and assets the log refers to
	assets []string
}

// rec is one trade of the compact log.
type rec struct {
	day, asset int32
	side       Side
	reason     Reason
	q, p       float64
	v, fee     float64
	slip       float64
}

// NumTrades returns the number of trades in the transaction log.
func (r *Result) NumTrades() int {
	n := 0
	for _, c := range r.log {
		n += len(c)
	}
	return n
}

// Trades returns the transaction log in execution order. Each call builds
// a new slice.
func (r *Result) Trades() []Trade {
	out := make([]Trade, 0, r.NumTrades())
	for _, c := range r.log {
		for _, x := range c {
			out = append(out, Trade{Date: r.dates[x.day], Side: x.side, Reason: x.reason, Asset: r.assets[x.asset],
				Quantity: x.q, Price: x.p, Value: x.v, Fee: x.fee, Slippage: x.slip})
		}
	}
	return out
}

// order is a target for one asset, decided on a close and executed at a
// later one.
type order struct {
	asset  int
	weight float64 // target weight of NAV at execution
	reason Reason
}

// sim is the state of one Run: holdings, cash, the log and scratch
// buffers reused from day to day.
type sim struct {
	cfg    Config
	m      *Market
	nA     int
	qty    []float64
	last   []float64 // last known close of held assets
	miss   []int     // consecutive days without a close, held assets
	held   []int     // assets with qty > 0, ascending
	cash   float64
	stable []int // column of each cfg.Stable asset, -1 if absent
	isStab []bool
	member []bool  // risky constituent of the current target
	first  []int   // first day row with a close, len(Dates) if none
	trades []rec   // the current chunk of the log
	chunks [][]rec // full chunks, in order
	target []float64
	inTgt  []bool
	newMem []bool
	next   []order // the orders being built (swapped with the pending list)
	fixed  []int   // columns of cfg.Fixed (-1 if absent)
	ref    []float64
	buf    []float64
	cands  []index.Candidate
	buys   []order
}

// Run simulates the index on m driven by signal, one Level per market
// day (nil means always StrongBullish, i.e. always at the bullish
// exposure). NoLevel days keep the latest valid level; before the first
// valid level the risky exposure is 0. See docs/rulebook.md for every
// rule. Run returns an EINVALID *regime.Error for a bad config, market or
// signal length.
func Run(cfg Config, m *Market, signal []index.Level) (*Result, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if !m.validated {
		if err := m.Validate(); err != nil {
			return nil, err
		}
	}
	if signal != nil && len(signal) != len(m.Dates) {
		return nil, regime.Errorf(regime.EINVALID, "signal has %d days, market has %d", len(signal), len(m.Dates))
	}
	s0 := 0
	if cfg.Start != regime.NoDate {
		s0 = len(m.Dates)
		for i, d := range m.Dates {
			if d >= cfg.Start {
				s0 = i
				break
			}
		}
		if s0 == len(m.Dates) {
			return nil, regime.Errorf(regime.EINVALID, "start %s is after the last market day %s", cfg.Start, m.Dates[len(m.Dates)-1])
		}
	}
	nA := len(m.Assets)
	s := &sim{cfg: cfg, m: m, nA: nA, qty: make([]float64, nA), last: make([]float64, nA), miss: make([]int, nA),
		cash: cfg.InitialNAV, isStab: make([]bool, nA), member: make([]bool, nA), first: make([]int, nA)}
	for i := range s.last {
		s.last[i] = math.NaN()
	}
	for _, id := range cfg.Stable.Assets {
		a := m.Asset(id)
		s.stable = append(s.stable, a)
		if a >= 0 {
			s.isStab[a] = true
		}
	}
	T := len(m.Dates)
	for a := range s.first {
		s.first[a] = T
	}
	left := nA
	for t := 0; t < T && left > 0; t++ {
		row := m.Close[t*nA : (t+1)*nA]
		for a, c := range row {
			if s.first[a] == T && !math.IsNaN(c) {
				s.first[a] = t
				left--
			}
		}
	}
	n := T - s0
	r := &Result{Dates: m.Dates[s0:], NAV: make([]float64, n), Exposure: make([]float64, n), Levels: make([]index.Level, n)}
	level := index.NoLevel
	curExp := math.NaN()
	var pending []order
	for t := s0; t < T; t++ {
		row := m.Close[t*nA : (t+1)*nA]
		for _, a := range s.held {
			if c := row[a]; !math.IsNaN(c) {
				s.last[a], s.miss[a] = c, 0
			} else {
				s.miss[a]++
			}
		}
		writeoff := false
		for _, a := range s.held {
			if s.miss[a] >= cfg.DelistDays {
				q := s.qty[a]
				if m.Listed != nil && m.Listed[t*nA+a] {
					// Still listed: the price source ended, not the coin.
					// Sold at the last close, paying the fee and the
					// slippage of an unknown volume.
					p := cfg.ListedRecovery * s.last[a]
					v := q * p
					fee, slip := cfg.FeeRate*v, cfg.SlippageMax*v
					s.log(t, a, Sell, ReasonNoPrice, q, p, v, fee, slip)
					s.cash += v - fee - slip
				} else {
					p := cfg.DelistRecovery * s.last[a]
					v := q * p
					s.log(t, a, Sell, ReasonDelisted, q, p, v, 0, 0)
					s.cash += v // a sell without fee or slippage: cash + (value - 0 - 0)
				}
				s.qty[a] = 0
				writeoff = true
			}
		}
		if writeoff {
			s.rebuildHeld()
		}
		if len(pending) > 0 {
			pending = s.execute(t, pending)
		}
		nav, risky := s.nav()
		r.NAV[t-s0] = nav
		r.Exposure[t-s0] = risky / nav
		if signal == nil {
			level = index.StrongBullish
		} else if signal[t].Valid() {
			level = signal[t]
		}
		r.Levels[t-s0] = level
		if t == T-1 {
			break
		}
		exp := 0.0
		if level.Valid() {
			exp = cfg.Exposure.Of(level)
		}
		sched := (t-s0)%cfg.RebalanceDays == 0
		regimeChg := !math.IsNaN(curExp) && exp != curExp
		depeg := false
		for j, a := range s.stable {
			if a >= 0 && s.qty[a] > 0 && !s.pegged(t, j) {
				depeg = true
			}
		}
		if !sched && !regimeChg && !depeg {
			continue
		}
		trig := ReasonDepeg
		if sched {
			trig = ReasonScheduled
		}
		if regimeChg {
			trig = ReasonRegime
		}
		d := Decision{Date: m.Dates[t], Trigger: trig, Level: level, Exposure: exp, MissingPriceShare: math.NaN(), MissingWeightShare: math.NaN()}
		old := pending
		if trig == ReasonDepeg {
			pending = s.decideStable(t, nav)
			for _, o := range old { // keep risky orders still waiting for a close
				if !s.isStab[o.asset] {
					pending = append(pending, o)
				}
			}
			slices.SortFunc(pending, func(x, y order) int { return x.asset - y.asset })
			d.Exposure = curExp
		} else {
			pending = s.decide(t, exp, trig, &d)
			curExp = exp
		}
		s.next = old[:0]
		for a := range s.member {
			if s.member[a] {
				d.Members++
			}
		}
		r.Decisions = append(r.Decisions, d)
	}
	r.log, r.dates, r.assets = s.chunks, m.Dates, m.Assets
	if len(s.trades) > 0 {
		r.log = append(r.log, s.trades)
	}
	r.Metrics = computeMetrics(cfg, r)
	r.Monthly = monthly(r.Dates, r.NAV)
	return r, nil
}

// firstChunk is the capacity of the first chunk of the trade log; each
// later chunk is twice the previous one, and chunks are never copied.
const firstChunk = 4096

// log appends a trade to the log.
func (s *sim) log(t, a int, side Side, reason Reason, q, p, v, fee, slip float64) {
	if len(s.trades) == cap(s.trades) {
		n := firstChunk
		if len(s.trades) > 0 {
			s.chunks = append(s.chunks, s.trades)
			n = 2 * len(s.trades)
		}
		s.trades = make([]rec, 0, n)
	}
	s.trades = append(s.trades, rec{day: int32(t), asset: int32(a), side: side, reason: reason, q: q, p: p, v: v, fee: fee, slip: slip})
}

// nav returns cash + sum of qty*last close over held assets in column
// order, and the risky part of the holdings.
func (s *sim) nav() (nav, risky float64) {
	nav = s.cash
	for _, a := range s.held {
		v := s.qty[a] * s.last[a]
		nav += v
		if !s.isStab[a] {
			risky += v
		}
	}
	return nav, risky
}

func (s *sim) rebuildHeld() {
	h := s.held[:0]
	for a, q := range s.qty {
		if q > 0 {
			h = append(h, a)
		}
	}
	s.held = h
}

// pegged applies the depeg rule to stablecoin j on day row t.
func (s *sim) pegged(t, j int) bool {
	a := s.stable[j]
	if a < 0 {
		return false
	}
	k := s.cfg.Stable.RepegDays
	from := t - k + 1
	if from < 0 {
		from = 0
	}
	s.buf = s.buf[:0]
	for u := from; u <= t; u++ {
		s.buf = append(s.buf, s.m.Close[u*s.nA+a])
	}
	return s.cfg.Stable.Pegged(s.buf)
}

// capAt estimates asset column a's market cap on day row u: the market's
// daily cap when known, else the snapshot supply x the close, else the
// snapshot cap scaled by the close / the snapshot price, else the
// snapshot cap.
func (s *sim) capAt(u, a int, c *regime.Constituent) float64 {
	if a >= 0 {
		if s.m.Cap != nil {
			if v := s.m.Cap[u*s.nA+a]; v > 0 {
				return v
			}
		}
		if p := s.m.Close[u*s.nA+a]; p > 0 && c != nil {
			if c.Supply > 0 {
				return c.Supply * p
			}
			if c.PriceUSD > 0 && c.MarketCapUSD > 0 {
				return c.MarketCapUSD * (p / c.PriceUSD)
			}
		}
	}
	if c != nil {
		return c.MarketCapUSD
	}
	return math.NaN()
}

func (s *sim) volumeAt(u, a int) float64 {
	if a < 0 || s.m.Volume == nil {
		return math.NaN()
	}
	return s.m.Volume[u*s.nA+a]
}

// decide computes the full target on day row t and returns the orders.
func (s *sim) decide(t int, exp float64, trig Reason, d *Decision) []order {
	m, cfg := s.m, s.cfg
	var members []int
	var caps []float64
	var snap []regime.Constituent
	if len(cfg.Fixed) > 0 {
		if s.fixed == nil {
			for _, id := range cfg.Fixed {
				s.fixed = append(s.fixed, m.Asset(id))
			}
		}
		for _, a := range s.fixed {
			if a >= 0 && !math.IsNaN(m.Close[t*s.nA+a]) {
				members = append(members, a)
				caps = append(caps, s.capAt(t, a, nil))
			}
		}
	} else if k := m.snapshotAt(m.Dates[t]); k >= 0 {
		snap = m.Snapshots[k].Constituents
		info := &m.snaps[k]
		s.cands = s.cands[:0]
		for j, i := range info.rows {
			c := &snap[i]
			a := info.cols[j]
			cd := index.Candidate{AssetID: c.AssetID, Kind: info.kinds[j], MarketCapUSD: s.capAt(t, a, c), VolumeUSD: c.VolumeUSD}
			if math.IsNaN(cd.VolumeUSD) {
				cd.VolumeUSD = s.volumeAt(t, a)
			}
			if a >= 0 {
				cd.Priced = !math.IsNaN(m.Close[t*s.nA+a])
				if s.first[a] <= t {
					cd.HistoryDays = t - s.first[a] + 1
				}
				cd.Incumbent = s.member[a]
			}
			s.cands = append(s.cands, cd)
		}
		sel := index.Select(cfg.Universe, s.cands)
		d.MissingPriceShare = sel.MissingPriceShare
		d.Unpriced = sel.MissingPriceCount
		d.MissingWeightShare = 0
		if sel.MissingPriceCount > 0 {
			s.ref = s.ref[:0]
			for _, c := range sel.Reference {
				s.ref = append(s.ref, c.MarketCapUSD)
			}
			for i, w := range index.Weights(cfg.Weights, s.ref) {
				if !sel.Reference[i].Priced {
					d.MissingWeightShare += w
				}
			}
		}
		for _, c := range sel.Members {
			members = append(members, m.Asset(c.AssetID))
			caps = append(caps, c.MarketCapUSD)
		}
		if cfg.Weights.Scheme == index.SqrtCap {
			byID := make(map[string]*regime.Constituent, len(snap))
			for i := range snap {
				if _, ok := byID[snap[i].AssetID]; !ok {
					byID[snap[i].AssetID] = &snap[i]
				}
			}
			for i, a := range members {
				caps[i] = s.smoothCap(t, a, byID[m.Assets[a]])
			}
		}
	}
	if cfg.Weights.Scheme == index.SqrtCap && len(cfg.Fixed) > 0 {
		for i, a := range members {
			caps[i] = s.smoothCap(t, a, nil)
		}
	}
	w := index.Weights(cfg.Weights, caps)
	if s.target == nil {
		s.target, s.inTgt, s.newMem = make([]float64, s.nA), make([]bool, s.nA), make([]bool, s.nA)
	}
	target, inTgt, newMember := s.target, s.inTgt, s.newMem
	clear(target)
	clear(inTgt)
	clear(newMember)
	for i, a := range members {
		newMember[a] = true
		inTgt[a] = true
		target[a] += exp * w[i]
	}
	pegged := make([]bool, len(s.stable))
	for j := range s.stable {
		pegged[j] = s.pegged(t, j)
	}
	sw := index.StableWeights(pegged)
	d.Cash = 1 - exp
	for j, a := range s.stable {
		if sw[j] > 0 {
			inTgt[a] = true
			target[a] += (1 - exp) * sw[j]
			d.Cash = 0
		}
	}
	if len(members) == 0 {
		d.Cash += exp // no eligible constituent: the risky share waits in cash
	}
	n := 0
	for a := range target {
		if target[a] > 0 {
			n++
		}
	}
	d.Targets = make([]Weight, 0, n)
	for a, w := range target {
		if w > 0 {
			d.Targets = append(d.Targets, Weight{Asset: m.Assets[a], Weight: w})
		}
	}
	out := s.next[:0]
	for a := 0; a < s.nA; a++ {
		w, in := target[a], inTgt[a]
		if !in && s.qty[a] == 0 {
			continue
		}
		reason := trig
		switch {
		case s.isStab[a] && !in && s.qty[a] > 0 && !pegged[slices.Index(s.stable, a)]:
			reason = ReasonDepeg
		case !s.isStab[a] && newMember[a] != s.member[a]:
			reason = ReasonConstituent
		case !s.isStab[a] && !in:
			reason = ReasonConstituent
		}
		out = append(out, order{asset: a, weight: w, reason: reason})
	}
	copy(s.member, newMember)
	return out
}

// smoothCap is the mean of the daily cap estimate over the SmoothDays
// days ending at row t (missing days skipped).
func (s *sim) smoothCap(t, a int, c *regime.Constituent) float64 {
	from := t - s.cfg.Weights.SmoothDays + 1
	if from < 0 {
		from = 0
	}
	var sum float64
	n := 0
	for u := from; u <= t; u++ {
		if a >= 0 && math.IsNaN(s.m.Close[u*s.nA+a]) && (s.m.Cap == nil || !(s.m.Cap[u*s.nA+a] > 0)) {
			continue
		}
		if v := s.capAt(u, a, c); v > 0 {
			sum += v
			n++
		}
	}
	if n == 0 {
		return math.NaN()
	}
	return sum / float64(n)
}

// decideStable re-splits the stable sleeve after a depeg without touching
// the risky holdings.
func (s *sim) decideStable(t int, nav float64) []order {
	var sleeve float64
	for _, a := range s.stable {
		if a >= 0 && s.qty[a] > 0 {
			sleeve += s.qty[a] * s.last[a]
		}
	}
	pegged := make([]bool, len(s.stable))
	for j := range s.stable {
		pegged[j] = s.pegged(t, j)
	}
	sw := index.StableWeights(pegged)
	out := s.next[:0]
	for j, a := range s.stable {
		if a < 0 || (sw[j] == 0 && s.qty[a] == 0) {
			continue
		}
		out = append(out, order{asset: a, weight: sleeve / nav * sw[j], reason: ReasonDepeg})
	}
	return out
}

// slipRate is the slippage fraction of a trade of value v in column a on
// day row t.
func (s *sim) slipRate(t, a int, v float64) float64 {
	c := s.cfg
	vol := s.volumeAt(t, a)
	if !(vol > 0) {
		return c.SlippageMax
	}
	r := c.SlippageBase + c.SlippageImpact*math.Sqrt(v/vol)
	if r > c.SlippageMax {
		r = c.SlippageMax
	}
	return r
}

// execute fills orders at the closes of day row t: sells first, then buys
// scaled down to the available cash. Orders for assets without a close
// are returned to be retried the next day.
func (s *sim) execute(t int, orders []order) []order {
	row := s.m.Close[t*s.nA : (t+1)*s.nA]
	nav, _ := s.nav()
	carry := orders[:0] // filtered in place: each order is read before its slot is reused
	s.buys = s.buys[:0]
	var need float64
	for _, o := range orders {
		a := o.asset
		p := row[a]
		if math.IsNaN(p) {
			carry = append(carry, o)
			continue
		}
		tv := o.weight * nav
		cv := s.qty[a] * p
		delta := tv - cv
		if o.weight > 0 && s.qty[a] > 0 && math.Abs(delta) <= s.cfg.DriftBand*tv {
			continue
		}
		if math.Abs(delta) <= 1e-9*nav && o.weight > 0 {
			continue
		}
		if delta < 0 {
			q := -delta / p
			if o.weight == 0 || q >= s.qty[a] {
				q = s.qty[a]
			}
			if q <= 0 {
				continue
			}
			v := q * p
			fee := v * s.cfg.FeeRate
			slip := v * s.slipRate(t, a, v)
			s.log(t, a, Sell, o.reason, q, p, v, fee, slip)
			s.cash += v - fee - slip
			s.qty[a] -= q
			s.last[a], s.miss[a] = p, 0
			continue
		}
		if delta > 0 {
			s.buys = append(s.buys, order{asset: a, weight: delta, reason: o.reason})
			need += delta * (1 + s.cfg.FeeRate + s.slipRate(t, a, delta))
		}
	}
	f := 1.0
	if need > s.cash {
		f = s.cash / need * (1 - 1e-12)
	}
	for _, b := range s.buys {
		if f <= 0 {
			break
		}
		a := b.asset
		p := row[a]
		q := b.weight * f / p
		v := q * p
		fee := v * s.cfg.FeeRate
		slip := v * s.slipRate(t, a, v)
		s.log(t, a, Buy, b.reason, q, p, v, fee, slip)
		s.cash -= v + fee + slip
		s.qty[a] += q
		s.last[a], s.miss[a] = p, 0
	}
	s.rebuildHeld()
	return carry
}
