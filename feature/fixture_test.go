package feature_test

import (
	"math"
	"math/rand/v2"

	"github.com/regime-engine/regime"
	"github.com/regime-engine/regime/feature"
)

var day0 = regime.MustDate("2018-01-01")

// synthSeries is a seeded random-walk token with every input present
// (OHLCV, market cap and every on-chain metric the registry reads). With
// holes, a few inputs are unknown on some days.
func synthSeries(seed uint64, n int, holes bool) *feature.Series {
	r := rand.New(rand.NewPCG(seed, 7))
	s := &feature.Series{Dates: make([]regime.Date, n)}
	mk := func() []float64 { return make([]float64, n) }
	s.Open, s.High, s.Low, s.Close, s.Volume, s.MarketCap = mk(), mk(), mk(), mk(), mk(), mk()
	ids := []string{feature.ChainActiveAddresses, feature.ChainTxCount, feature.ChainTransferValue, feature.ChainMVRV,
		feature.ChainHashRate, feature.ChainIssuanceUSD, feature.ChainSupply, feature.ChainFlowIn, feature.ChainFlowOut,
		feature.ChainExchangeSupply, feature.ChainWhaleSupply}
	s.OnChain = map[string][]float64{}
	for _, id := range ids {
		s.OnChain[id] = mk()
	}
	px, supply, drift := 100.0, 1e7, 0.0
	for i := 0; i < n; i++ {
		s.Dates[i] = day0 + regime.Date(i)
		if i%200 == 0 {
			drift = (r.Float64() - 0.5) * 0.006
		}
		prev := px
		px *= math.Exp(drift + 0.035*r.NormFloat64())
		s.Open[i] = prev
		s.Close[i] = px
		s.High[i] = math.Max(prev, px) * (1 + 0.02*r.Float64())
		s.Low[i] = math.Min(prev, px) * (1 - 0.02*r.Float64())
		s.Volume[i] = 1e8 * math.Exp(0.5*r.NormFloat64())
		supply += 100
		s.MarketCap[i] = px * supply
		oc := s.OnChain
		oc[feature.ChainActiveAddresses][i] = 1e5 * math.Exp(0.2*r.NormFloat64()+float64(i)/2000)
		oc[feature.ChainTxCount][i] = 3e5 * math.Exp(0.2*r.NormFloat64())
		oc[feature.ChainTransferValue][i] = 1e9 * math.Exp(0.4*r.NormFloat64())
		oc[feature.ChainMVRV][i] = 1 + 0.8*math.Sin(float64(i)/150) + 0.05*r.NormFloat64()
		oc[feature.ChainHashRate][i] = 1e8 * math.Exp(float64(i)/1500+0.05*r.NormFloat64())
		oc[feature.ChainIssuanceUSD][i] = 900 * px * (1 + 0.05*r.NormFloat64())
		oc[feature.ChainSupply][i] = supply
		oc[feature.ChainFlowIn][i] = 1e4 * (1 + 0.3*r.Float64())
		oc[feature.ChainFlowOut][i] = 1e4 * (1 + 0.3*r.Float64())
		oc[feature.ChainExchangeSupply][i] = 2e6 + 1e5*math.Sin(float64(i)/90)
		oc[feature.ChainWhaleSupply][i] = 4e6 + 1e5*math.Cos(float64(i)/70)
	}
	if holes {
		for _, i := range []int{n / 3, n/3 + 1, n / 2, 2 * n / 3} {
			s.Close[i] = math.NaN()
			s.Volume[i+5] = math.NaN()
			s.High[i+9] = math.NaN()
			s.OnChain[feature.ChainHashRate][i] = math.NaN()
		}
	}
	return s
}

// synthMarket is a seeded market with every input the registry reads,
// aligned as of publication with AlignAsOf.
func synthMarket(seed uint64, n, tokens int) *feature.Market {
	r := rand.New(rand.NewPCG(seed, 11))
	m := &feature.Market{Dates: make([]regime.Date, n), Obs: map[string][]float64{}, Staleness: map[string][]float64{}}
	for i := range m.Dates {
		m.Dates[i] = day0 + regime.Date(i)
	}
	type spec struct {
		key          string
		every, delay int
		base, vol    float64
	}
	for _, sp := range []spec{
		{feature.ObsFearGreed, 1, 1, 50, 3}, {feature.ObsTrends, 30, 5, 40, 5},
		{feature.ObsFedFunds, 1, 1, 2, 0.02}, {feature.ObsDGS10, 1, 1, 3, 0.05}, {feature.ObsDGS2, 1, 1, 2.5, 0.05},
		{feature.ObsDollar, 1, 1, 110, 0.4}, {feature.ObsSP500, 1, 1, 3000, 25}, {feature.ObsVIX, 1, 1, 18, 1},
		{feature.ObsHYSpread, 1, 1, 4, 0.05}, {feature.ObsM2, 30, 20, 15000, 40},
	} {
		var obs []regime.Observation
		v := sp.base
		for i := 0; i < n; i += sp.every {
			v += sp.vol * r.NormFloat64()
			if (i/sp.every)%7 == 6 && sp.every == 1 {
				continue // weekends and holidays: no print
			}
			d := day0 + regime.Date(i)
			obs = append(obs, regime.Observation{Series: sp.key, Date: d, Value: math.Abs(v), KnownAt: d + regime.Date(sp.delay)})
		}
		m.Obs[sp.key], m.Staleness[sp.key] = feature.AlignAsOf(m.Dates, obs)
	}
	m.BTCCap, m.StableCap, m.TotalCap = make([]float64, n), make([]float64, n), make([]float64, n)
	b, s, o := 1e11, 1e10, 1e11
	for i := 0; i < n; i++ {
		b *= math.Exp(0.03 * r.NormFloat64())
		s *= math.Exp(0.002 + 0.001*r.NormFloat64())
		o *= math.Exp(0.04 * r.NormFloat64())
		m.BTCCap[i], m.StableCap[i], m.TotalCap[i] = b, s, b+s+o
	}
	for k := 0; k < tokens; k++ {
		c := make([]float64, n)
		mb := make([]bool, n)
		px := 10.0
		start := k * 7
		for i := range c {
			px *= math.Exp(0.04 * r.NormFloat64())
			c[i] = math.NaN()
			if i >= start {
				c[i] = px
			}
			mb[i] = i >= start && (i/100+k)%5 != 0
		}
		m.Closes = append(m.Closes, c)
		m.Member = append(m.Member, mb)
	}
	return m
}
