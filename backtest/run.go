package backtest

import (
	"math"
	"slices"

	"github.com/regime-engine/regime"
	"github.com/regime-engine/regime/index"
)

// Side is the direction of a trade.
type Side string

// Trade sides. A write-off of a delisted asset is a Sell at the recovery
// price with no fee and no slippage.
const (
	Buy  Side = "buy"
	Sell Side = "sell"
)

// Reason says why a trade happened.
type Reason string

// Trade reasons.
const (
	ReasonScheduled   Reason = "scheduled_rebalance" // the weekly (RebalanceDays) rebalance
	ReasonRegime      Reason = "regime_change"       // the exposure of the signal's level changed
	ReasonConstituent Reason = "constituent_change"  // the asset enters or leaves the index
	ReasonDepeg       Reason = "depeg"               // a held stablecoin lost its peg
	ReasonDelisted    Reason = "delisted"            // no close for DelistDays days: written off
)

// Trade is one line of the transaction log. Value = Quantity * Price.
// A buy costs Value + Fee + Slippage in cash; a sell brings Value - Fee -
// Slippage.
type Trade struct {
	Date     regime.Date // execution day (the close the trade is priced at)
	Asset    string
	Side     Side
	Quantity float64 // units, > 0
	Price    float64 // the close of Date (recovery price for a write-off)
	Value    float64 // Quantity * Price in USD
	Fee      float64 // USD
	Slippage float64 // USD
	Reason   Reason
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
}

// Result is the outcome of Run. Daily series are aligned with Dates.
type Result struct {
	Dates     []regime.Date
	NAV       []float64     // net asset value at the close, after that day's trades
	Exposure  []float64     // risky holdings / NAV at the close
	Levels    []index.Level // the signal level in effect at each close (NoLevel before the first)
	Trades    []Trade
	Decisions []Decision
	Metrics   Metrics
	Monthly   []Month
}

type order struct {
	asset  int
	weight float64 // target weight of NAV at execution
	reason Reason
}

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
	member []bool // risky constituent of the current target
	first  []int  // first day row with a close, len(Dates) if none
	trades []Trade
	buf    []float64
	cands  []index.Candidate
	orders []order
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
	if err := m.Validate(); err != nil {
		return nil, err
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
				p := cfg.DelistRecovery * s.last[a]
				q := s.qty[a]
				v := q * p
				s.trades = append(s.trades, Trade{Date: m.Dates[t], Asset: m.Assets[a], Side: Sell, Quantity: q, Price: p, Value: v, Reason: ReasonDelisted})
				s.cash += v - 0 - 0
				s.qty[a] = 0
				writeoff = true
			}
		}
		if writeoff {
			s.rebuildHeld(nil)
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
		d := Decision{Date: m.Dates[t], Trigger: trig, Level: level, Exposure: exp, MissingPriceShare: math.NaN()}
		if trig == ReasonDepeg {
			pending = s.decideStable(t, nav)
			d.Exposure = curExp
		} else {
			pending = s.decide(t, exp, trig, &d)
			curExp = exp
		}
		for a := range s.member {
			if s.member[a] {
				d.Members++
			}
		}
		r.Decisions = append(r.Decisions, d)
	}
	r.Trades = s.trades
	r.Metrics = computeMetrics(cfg, r)
	r.Monthly = monthly(r.Dates, r.NAV)
	return r, nil
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

func (s *sim) rebuildHeld(extra []int) {
	h := s.held[:0]
	for _, a := range s.held {
		if s.qty[a] > 0 {
			h = append(h, a)
		}
	}
	for _, a := range extra {
		if s.qty[a] > 0 && !slices.Contains(h, a) {
			h = append(h, a)
		}
	}
	slices.Sort(h)
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
		for _, id := range cfg.Fixed {
			if a := m.Asset(id); a >= 0 && !math.IsNaN(m.Close[t*s.nA+a]) {
				members = append(members, a)
				caps = append(caps, s.capAt(t, a, nil))
			}
		}
	} else if k := m.snapshotAt(m.Dates[t]); k >= 0 {
		snap = m.Snapshots[k].Constituents
		s.cands = s.cands[:0]
		for i := range snap {
			c := &snap[i]
			a := m.Asset(c.AssetID)
			cd := index.Candidate{AssetID: c.AssetID, Kind: m.Kinds[c.AssetID], MarketCapUSD: s.capAt(t, a, c), VolumeUSD: c.VolumeUSD}
			if math.IsNaN(cd.VolumeUSD) {
				cd.VolumeUSD = s.volumeAt(t, a)
			}
			if a >= 0 {
				cd.Priced = !math.IsNaN(m.Close[t*s.nA+a])
				if s.first[a] <= t {
					cd.HistoryDays = t - s.first[a] + 1
				}
			}
			s.cands = append(s.cands, cd)
		}
		var inc []string
		for a, ok := range s.member {
			if ok {
				inc = append(inc, m.Assets[a])
			}
		}
		sel := index.Select(cfg.Universe, s.cands, inc)
		d.MissingPriceShare = sel.MissingPriceShare
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
	target := make(map[int]float64, len(members)+len(s.stable))
	newMember := make([]bool, s.nA)
	for i, a := range members {
		newMember[a] = true
		target[a] += exp * w[i]
	}
	pegged := make([]bool, len(s.stable))
	for j := range s.stable {
		pegged[j] = s.pegged(t, j)
	}
	sw := index.StableWeights(pegged)
	for j, a := range s.stable {
		if sw[j] > 0 {
			target[a] += (1 - exp) * sw[j]
		}
	}
	s.orders = s.orders[:0]
	for a := 0; a < s.nA; a++ {
		w, in := target[a]
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
		s.orders = append(s.orders, order{asset: a, weight: w, reason: reason})
	}
	copy(s.member, newMember)
	return slices.Clone(s.orders)
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
	var out []order
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
	date := s.m.Dates[t]
	nav, _ := s.nav()
	var carry []order
	s.buys = s.buys[:0]
	var need float64
	var bought []int
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
			s.trades = append(s.trades, Trade{Date: date, Asset: s.m.Assets[a], Side: Sell, Quantity: q, Price: p, Value: v, Fee: fee, Slippage: slip, Reason: o.reason})
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
		s.trades = append(s.trades, Trade{Date: date, Asset: s.m.Assets[a], Side: Buy, Quantity: q, Price: p, Value: v, Fee: fee, Slippage: slip, Reason: b.reason})
		s.cash -= v + fee + slip
		s.qty[a] += q
		s.last[a], s.miss[a] = p, 0
		bought = append(bought, a)
	}
	s.rebuildHeld(bought)
	return carry
}
