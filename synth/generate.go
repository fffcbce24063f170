package synth

import (
	"cmp"
	"math"
	"math/rand/v2"
	"slices"
	"sort"

	"github.com/regime-engine/regime"
)

// Day is everything generated for one day. Its slices are reused for the
// next day: a Sink must copy what it keeps after Day returns.
type Day struct {
	Date         regime.Date
	Regime       Regime // the hidden truth
	Bars         []regime.Bar
	Observations []regime.Observation
	Constituents []regime.Constituent // non-empty on the first day of each month
}

// Sink receives a generated market. Generate calls Begin once, Day once
// per day in date order, and End once after the last day (not after an
// error).
type Sink interface {
	Begin(assets []regime.Asset) error
	Day(d *Day) error
	End() error
}

// Market factor parameters per regime (index regime+1: bear, neutral,
// bull), documented in the package comment.
var (
	marketDrift = [3]float64{-0.0040, 0, 0.0035}
	marketVol   = [3]float64{0.045, 0.027, 0.032}
)

// Daily death hazard of a non-major token per unit fragility, and listing
// weights, per regime (bear, neutral, bull).
var (
	deathHazard   = [3]float64{0.00025, 0.00008, 0.00003}
	listingWeight = [3]float64{0.7, 1.5, 3}
	volumeRegime  = [3]float64{0.8, 1.0, 1.3}
)

// Lags (days) of the observation families behind the regime, and the
// half-lives (days) of their smoothing.
const (
	lagSentiment, hlSentiment = 7, 10
	lagOnchain, hlOnchain     = 14, 30
	lagFlows, hlFlows         = 5, 15
	lagMacro, hlMacro         = 45, 60
)

// Generate produces the market described by cfg into sink, one day at a
// time. It returns cfg.Validate's error for a bad Config and the sink's
// errors as they are.
func Generate(cfg Config, sink Sink) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	c := cfg.WithDefaults()
	g := newGenerator(c)
	if err := sink.Begin(g.assets); err != nil {
		return err
	}
	var day Day
	for t := 0; t < c.Days; t++ {
		g.step(t, &day)
		if err := sink.Day(&day); err != nil {
			return err
		}
		if t%30 == 29 || t == c.Days-1 {
			c.Progress.Report(regime.Progress{Stage: "synth", Done: int64(t + 1), Total: int64(c.Days), Unit: "days", Final: t == c.Days-1})
		}
	}
	return sink.End()
}

// RegimePath returns the hidden regime of each of the cfg.Days days, as
// Generate would produce it (Generate also emits it day by day).
func RegimePath(cfg Config) ([]Regime, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return regimePath(cfg.WithDefaults()), nil
}

func regimePath(c Config) []Regime {
	r := newRand(c.Seed, streamRegime, 0)
	mean := map[Regime]float64{Bull: c.BullDays, Neutral: c.NeutralDays, Bear: c.BearDays}
	path := make([]Regime, c.Days)
	s := Neutral
	switch u := r.Float64(); {
	case u < 0.4:
		s = Bull
	case u >= 0.7:
		s = Bear
	}
	for t := 0; t < c.Days; {
		m := mean[s]
		minSpell := math.Floor(math.Min(30, m/4))
		n := int(math.Max(1, math.Round(minSpell+r.ExpFloat64()*(m-minSpell))))
		for k := 0; k < n && t < c.Days; k++ {
			path[t] = s
			t++
		}
		u := r.Float64()
		switch s {
		case Bull:
			s = pick(u < 0.75, Neutral, Bear)
		case Neutral:
			s = pick(u < 0.5, Bull, Bear)
		default:
			s = pick(u < 0.7, Neutral, Bull)
		}
	}
	return path
}

func pick(cond bool, a, b Regime) Regime {
	if cond {
		return a
	}
	return b
}

// token is the state of one risky token.
type token struct {
	id         string
	rng        *rand.Rand
	major      bool
	list       int // listing day
	beta       float64
	sigma      float64 // idiosyncratic daily vol
	alpha      float64
	cap0       float64 // market cap at listing, in start-of-period dollars
	supply     float64 // current circulating supply (unrounded)
	growth     float64 // daily supply growth factor
	turnover   float64 // base daily volume / market cap
	fragility  float64 // death hazard multiplier
	close      float64 // last close (8 significant digits)
	live, dead bool
	collapse   int // days of collapse left (0: not collapsing)
	crashDrift float64
	// on-chain state for the leading tokens
	adrBase, txRatio, adrNoise float64
}

// stable is the state of one stablecoin.
type stable struct {
	id         string
	rng        *rand.Rand
	list       int
	dev        float64 // deviation from $1
	supply     float64
	close      float64
	live, dead bool
	depegDay   int // day the depeg starts, -1 if never
}

type generator struct {
	c       Config
	path    []Regime
	assets  []regime.Asset
	tokens  []token
	stables []stable
	mrng    *rand.Rand // market factor
	frng    *rand.Rand // factors
	level   float64    // cumulative market log return
	// factor state
	emaRet                         float64
	pSent, pOnchain, pFlows, pMacr float64
	fgNoise                        float64
	dgs10, dollar, sp500, vixNoise float64
	order                          []int // scratch for snapshots
}

func newGenerator(c Config) *generator {
	g := &generator{c: c, path: regimePath(c)}
	g.mrng = newRand(c.Seed, streamMarket, 0)
	g.frng = newRand(c.Seed, streamFactor, 0)
	names := newNamer(newRand(c.Seed, streamNames, 0))

	// Listing days for non-major tokens: 15% on day 0, the rest weighted
	// by regime within the first 90% of the period.
	cum := make([]float64, max(1, c.Days*9/10))
	var total float64
	for t := range cum {
		total += listingWeight[g.path[t]+1]
		cum[t] = total
	}
	majors := min(c.Tokens, max(10, c.OnchainTokens))
	g.tokens = make([]token, c.Tokens)
	for i := range g.tokens {
		tk := &g.tokens[i]
		r := newRand(c.Seed, streamToken, i)
		tk.rng = r
		var a regime.Asset
		switch {
		case i == 0:
			a = names.fixed("Synthcoin", "SYN")
			tk.beta, tk.sigma, tk.cap0 = 1, 0.006, 5e9
			tk.supply, tk.growth = 1.4e7, 0.04
		case i < majors:
			a = names.token()
			tk.beta = 0.9 + 0.4*r.Float64()
			tk.sigma = 0.015 + 0.015*r.Float64()
			tk.cap0 = 1.5e9 * math.Pow(0.6, float64(i-1)) * (0.8 + 0.4*r.Float64())
			tk.supply = math.Pow(10, 7+2.5*r.Float64())
			tk.growth = 0.02 + 0.08*r.Float64()
		default:
			a = names.token()
			tk.beta = 0.8 + 0.9*r.Float64()
			tk.sigma = math.Min(0.12, math.Max(0.025, 0.05*math.Exp(0.3*r.NormFloat64())))
			tk.cap0 = math.Min(3e9, 2e6*math.Pow(1-r.Float64(), -1/1.1))
			tk.supply = math.Pow(10, 6+4.5*r.Float64())
			tk.growth = 0.3 * r.Float64()
			if r.Float64() >= 0.15 && c.Days > 1 {
				tk.list = sort.SearchFloat64s(cum, r.Float64()*total)
			}
		}
		if i == 2 {
			a.Kind = regime.KindExchangeToken
		}
		tk.id, tk.major = a.ID, i < majors
		tk.alpha = -tk.sigma * tk.sigma / 2
		tk.growth = math.Exp(tk.growth / 365)
		tk.turnover = 0.04 * math.Exp(0.5*r.NormFloat64())
		tk.fragility = math.Min(3, math.Max(0.3, math.Pow(1e8/tk.cap0, 0.3)))
		if i < c.OnchainTokens {
			tk.adrBase = 5e5 * math.Pow(0.5, float64(i)) * (0.8 + 0.4*r.Float64())
			tk.txRatio = 1.2 + 1.3*r.Float64()
		}
		g.assets = append(g.assets, a)
	}
	g.stables = make([]stable, c.Stablecoins)
	for k := range g.stables {
		s := &g.stables[k]
		a := names.stable()
		s.id, s.rng = a.ID, newRand(c.Seed, streamStable, k)
		s.list = int(float64(k) / float64(c.Stablecoins) * 0.5 * float64(c.Days)) // spread over the first half
		s.supply = 5e8 * math.Pow(0.4, float64(k))
		s.depegDay = -1
		g.assets = append(g.assets, a)
	}
	if n := len(g.stables); n > 0 && !c.NoDepeg {
		s := &g.stables[n-1]
		for t := 1; t < c.Days; t++ {
			if g.path[t] != Bear || g.path[t-1] == Bear || t < s.list+60 {
				continue
			}
			spell := 0
			for t+spell < c.Days && g.path[t+spell] == Bear {
				spell++
			}
			if spell >= 40 {
				s.depegDay = t + 15
				break
			}
		}
	}
	g.dgs10, g.dollar, g.sp500 = 2.2, 0, math.Log(2000)
	g.fgNoise = 0
	return g
}

// ema advances an exponential moving average with half-life hl.
func ema(prev, x, hl float64) float64 {
	a := 1 - math.Exp2(-1/hl)
	return prev + a*(x-prev)
}

func (g *generator) lagged(t, lag int) float64 {
	return float64(g.path[max(0, t-lag)])
}

// step generates day t into d.
func (g *generator) step(t int, d *Day) {
	c := g.c
	date := c.Start.AddDays(t)
	reg := g.path[t]
	ri := int(reg) + 1
	d.Date, d.Regime = date, reg
	d.Bars, d.Observations, d.Constituents = d.Bars[:0], d.Observations[:0], d.Constituents[:0]

	rm := marketDrift[ri] + marketVol[ri]*studentT4(g.mrng)
	if t == 0 {
		rm = 0
	}
	g.level += rm

	for i := range g.tokens {
		tk := &g.tokens[i]
		if tk.dead || t < tk.list {
			continue
		}
		d.Bars = append(d.Bars, g.tokenBar(tk, t, date, ri, rm))
	}
	for k := range g.stables {
		s := &g.stables[k]
		if s.dead || t < s.list {
			continue
		}
		d.Bars = append(d.Bars, g.stableBar(s, t, date, ri))
	}
	g.factors(t, date, rm, d)
	if date.Time().Day() == 1 {
		g.snapshot(date, d)
	}
}

func (g *generator) tokenBar(tk *token, t int, date regime.Date, ri int, rm float64) regime.Bar {
	r := tk.rng
	mvol := marketVol[ri]
	tot := math.Sqrt(tk.beta*tk.beta*mvol*mvol + tk.sigma*tk.sigma)
	var open, close, ret float64
	if !tk.live {
		tk.live = true
		price := tk.cap0 * math.Exp(g.level) / tk.supply
		if tk.major && t == 0 {
			price = tk.cap0 / tk.supply
		}
		close = sig8(price)
		open = sig8(close * math.Exp(0.5*tot*r.NormFloat64()))
		ret = math.Log(close / open)
	} else {
		if !tk.major && tk.collapse == 0 && r.Float64() < deathHazard[ri]*tk.fragility {
			tk.collapse = 20 + r.IntN(41)
			target := 0.01 + 0.05*r.Float64()
			tk.crashDrift = math.Log(target) / float64(tk.collapse)
		}
		e := studentT3(r)
		if tk.collapse > 0 {
			ret = tk.crashDrift + 0.5*tk.sigma*e
		} else {
			ret = tk.beta*rm + tk.alpha + tk.sigma*e
		}
		open = tk.close
		close = sig8(math.Max(1e-12, open*math.Exp(ret)))
	}
	tk.close = close
	high := sig8(math.Max(open, close) * math.Exp(0.5*tot*math.Abs(r.NormFloat64())))
	low := sig8(math.Min(open, close) * math.Exp(-0.5*tot*math.Abs(r.NormFloat64())))
	low = math.Min(low, math.Min(open, close))
	high = math.Max(high, math.Max(open, close))
	if t > tk.list {
		tk.supply *= tk.growth
	}
	supply := math.Round(tk.supply)
	mcap := sig8(close * supply)
	vol := sig8(mcap * tk.turnover * volumeRegime[ri] *
		math.Exp(0.35*math.Min(math.Abs(ret)/tot, 6)+0.4*r.NormFloat64()-0.3))
	if tk.collapse > 0 {
		if tk.collapse--; tk.collapse == 0 {
			tk.dead = true
		}
	}
	return regime.Bar{AssetID: tk.id, Date: date, Source: regime.SourceSynth, Open: open, High: high,
		Low: low, Close: close, VolumeUSD: vol, MarketCapUSD: mcap, Supply: supply, KnownAt: date}
}

func (g *generator) stableBar(s *stable, t int, date regime.Date, ri int) regime.Bar {
	r := s.rng
	open := s.close
	if !s.live {
		s.live = true
		open = 1
	}
	var close float64
	if s.depegDay >= 0 && t >= s.depegDay {
		j := float64(t - s.depegDay + 1)
		close = sig8(math.Max(0.005, math.Exp(-0.35*j+0.05*r.NormFloat64())))
		if t-s.depegDay >= 30 {
			s.dead = true
		}
	} else {
		s.dev = 0.9*s.dev + 0.0015*r.NormFloat64()
		s.dev = math.Max(-0.02, math.Min(0.02, s.dev))
		close = sig8(1 + s.dev)
	}
	s.close = close
	spread := 0.001 + math.Abs(close-open)
	high := sig8(math.Max(open, close) + spread*math.Abs(r.NormFloat64()))
	low := sig8(math.Max(1e-6, math.Min(open, close)-spread*math.Abs(r.NormFloat64())))
	low = math.Min(low, math.Min(open, close))
	high = math.Max(high, math.Max(open, close))
	grow := [3]float64{-0.001, 0.001, 0.004}[ri]
	s.supply *= math.Exp(grow + 0.003*r.NormFloat64())
	supply := math.Round(s.supply)
	mcap := sig8(close * supply)
	vol := sig8(mcap * 0.5 * math.Exp(0.4*r.NormFloat64()))
	return regime.Bar{AssetID: s.id, Date: date, Source: regime.SourceSynth, Open: open, High: high,
		Low: low, Close: close, VolumeUSD: vol, MarketCapUSD: mcap, Supply: supply, KnownAt: date}
}

// factors appends the day's observations.
func (g *generator) factors(t int, date regime.Date, rm float64, d *Day) {
	r := g.frng
	g.emaRet = ema(g.emaRet, rm, 5)
	g.pSent = ema(g.pSent, g.lagged(t, lagSentiment), hlSentiment)
	g.pOnchain = ema(g.pOnchain, g.lagged(t, lagOnchain), hlOnchain)
	g.pFlows = ema(g.pFlows, g.lagged(t, lagFlows), hlFlows)
	g.pMacr = ema(g.pMacr, g.lagged(t, lagMacro), hlMacro)
	obs := func(series string, v float64, known regime.Date) {
		d.Observations = append(d.Observations, regime.Observation{Series: series, Date: date, Value: v,
			Source: regime.SourceSynth, KnownAt: known})
	}
	next := date.AddDays(1)

	g.fgNoise = 0.95*g.fgNoise + 5*r.NormFloat64()
	fg := 50 + 15*g.pSent + 900*g.emaRet + g.fgNoise
	obs("feargreed:value", math.Round(math.Max(1, math.Min(99, fg))), date)

	weekend := date.Time().Weekday()%6 == 0
	years := float64(t) / 365
	for i := 0; i < g.c.OnchainTokens; i++ {
		tk := &g.tokens[i]
		tk.adrNoise = 0.95*tk.adrNoise + 0.03*r.NormFloat64()
		season := 0.0
		if weekend {
			season = -0.08
		}
		adr := math.Round(tk.adrBase * math.Exp(0.15*years+0.35*g.pOnchain+tk.adrNoise+season))
		tx := math.Round(adr * tk.txRatio * math.Exp(0.05*r.NormFloat64()))
		flow := math.Round(tk.supply*(0.0004*g.pFlows*-1+0.0006*r.NormFloat64())*100) / 100
		if t < tk.list || tk.dead {
			continue
		}
		obs("onchain:"+tk.id+":AdrActCnt", adr, next)
		obs("onchain:"+tk.id+":TxCnt", tx, next)
		obs("flows:"+tk.id+":netflow", flow, next)
	}

	// Macro: weekday prints, known the next day.
	g.dgs10 += -0.004*g.pMacr + 0.002*(2.5-g.dgs10) + 0.05*r.NormFloat64()
	g.dgs10 = math.Max(0.1, math.Min(8, g.dgs10))
	g.dollar += -0.0002*g.pMacr - 0.002*g.dollar + 0.003*r.NormFloat64()
	g.sp500 += 0.0001 + 0.15*rm + 0.01*r.NormFloat64()
	g.vixNoise = 0.93*g.vixNoise + 0.06*r.NormFloat64() + 2*math.Max(0, -rm-0.05)
	vix := 17 * math.Exp(-0.25*g.pMacr+g.vixNoise)
	if !weekend {
		obs("fred:DGS10", math.Round(g.dgs10*100)/100, next)
		obs("fred:DTWEXBGS", math.Round(115*math.Exp(g.dollar)*1e4)/1e4, next)
		obs("fred:SP500", math.Round(math.Exp(g.sp500)*100)/100, next)
		obs("fred:VIXCLS", math.Round(vix*100)/100, next)
	}
	slices.SortFunc(d.Observations, func(a, b regime.Observation) int { return cmp.Compare(a.Series, b.Series) })
}

// snapshot appends the top TopN assets by market cap of the day's bars.
func (g *generator) snapshot(date regime.Date, d *Day) {
	g.order = g.order[:0]
	for i := range d.Bars {
		if d.Bars[i].MarketCapUSD > 0 {
			g.order = append(g.order, i)
		}
	}
	bars := d.Bars
	slices.SortFunc(g.order, func(a, b int) int {
		if c := cmp.Compare(bars[b].MarketCapUSD, bars[a].MarketCapUSD); c != 0 {
			return c
		}
		return cmp.Compare(bars[a].AssetID, bars[b].AssetID)
	})
	for k, i := range g.order[:min(len(g.order), g.c.TopN)] {
		b := &bars[i]
		d.Constituents = append(d.Constituents, regime.Constituent{Date: date, Source: regime.SourceSynth,
			Rank: k + 1, AssetID: b.AssetID, MarketCapUSD: b.MarketCapUSD, PriceUSD: b.Close,
			Supply: b.Supply, VolumeUSD: b.VolumeUSD})
	}
}
