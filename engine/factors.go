package engine

import (
	"context"
	"fmt"
	"math"
	"strings"

	"github.com/regime-engine/regime"
	"github.com/regime-engine/regime/feature"
)

// marketObs are the observation series the market factors read.
var marketObs = []string{feature.ObsFearGreed, feature.ObsTrends, feature.ObsFedFunds, feature.ObsDGS10, feature.ObsDGS2,
	feature.ObsDollar, feature.ObsSP500, feature.ObsVIX, feature.ObsHYSpread, feature.ObsM2}

// BreadthN is the size of the universe the breadth factors look at.
const BreadthN = 100

// TokenSeries returns asset k's factor inputs: its bars from its first to
// its last day, and its on-chain series ("onchain:<id>:<metric>") aligned
// as of publication (KnownAt), NaN where unknown.
func TokenSeries(ctx context.Context, st regime.Reader, p *Panel, k int) (*feature.Series, error) {
	if k < 0 || k >= len(p.Assets) {
		return nil, regime.Errorf(regime.EINVALID, "asset index %d out of range", k)
	}
	lo, n := p.Start[k], len(p.Close[k])
	s := &feature.Series{Dates: p.Dates[lo : lo+n], Open: p.Open[k], High: p.High[k], Low: p.Low[k], Close: p.Close[k],
		Volume: p.Volume[k], MarketCap: p.Cap[k]}
	if n == 0 {
		return s, nil
	}
	series, err := p.seriesList(ctx, st)
	if err != nil {
		return nil, err
	}
	prefix := "onchain:" + p.Assets[k].ID + ":"
	for _, si := range series {
		metric, ok := strings.CutPrefix(si.Series, prefix)
		if !ok || strings.Contains(metric, "@") {
			continue // "@chain" slices are one chain of a multi-chain asset, not the asset
		}
		obs, err := st.Observations(ctx, si.Series, regime.DateRange{})
		if err != nil {
			return nil, fmt.Errorf("factors: %s: %w", si.Series, err)
		}
		v, _ := feature.AlignAsOf(s.Dates, obs)
		if s.OnChain == nil {
			s.OnChain = map[string][]float64{}
		}
		s.OnChain[metric] = v
	}
	return s, nil
}

// MarketInputs returns the market-wide factor inputs on the panel's
// calendar: sentiment and macro series aligned as of publication with
// their staleness, BTC / stablecoin / total market caps (sums of the caps
// known each day), and for breadth the closes of every asset that was in
// the investable top BreadthN on some day, with its membership as known
// each day.
func MarketInputs(ctx context.Context, st regime.Reader, p *Panel) (*feature.Market, error) {
	m := &feature.Market{Dates: p.Dates, Obs: map[string][]float64{}, Staleness: map[string][]float64{}}
	for _, name := range marketObs {
		obs, err := st.Observations(ctx, name, regime.DateRange{})
		if regime.ErrorCode(err) == regime.ENOTFOUND {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("factors: %s: %w", name, err)
		}
		m.Obs[name], m.Staleness[name] = feature.AlignAsOf(p.Dates, obs)
	}
	n := len(p.Dates)
	m.BTCCap, m.StableCap, m.TotalCap = nanSlice(n), nanSlice(n), nanSlice(n)
	ref := p.ReferenceAsset()
	for i := 0; i < n; i++ {
		var total, stable float64
		var nTotal, nStable int
		for k, a := range p.Assets {
			c := p.At(p.Cap, k, i)
			if !(c > 0) {
				continue
			}
			total += c
			nTotal++
			if a.Kind == regime.KindStablecoin {
				stable += c
				nStable++
			}
		}
		if nTotal > 0 {
			m.TotalCap[i] = total
		}
		if nStable > 0 {
			m.StableCap[i] = stable
		}
		if ref >= 0 {
			m.BTCCap[i] = p.At(p.Cap, ref, i)
		}
	}
	member := map[int][]bool{}
	var order []int
	for i := 0; i < n; i++ {
		top, _ := p.TopAt(i, BreadthN, true)
		for _, k := range top {
			if member[k] == nil {
				member[k] = make([]bool, n)
				order = append(order, k)
			}
			member[k][i] = true
		}
	}
	for _, k := range order {
		c := nanSlice(n)
		copy(c[p.Start[k]:], p.Close[k])
		m.Closes = append(m.Closes, c)
		m.Member = append(m.Member, member[k])
	}
	return m, nil
}

func nanSlice(n int) []float64 {
	s := make([]float64, n)
	for i := range s {
		s[i] = math.NaN()
	}
	return s
}

// seriesList returns the store's series list, read once per panel
// (listing scans every observation, too slow to repeat per token).
func (p *Panel) seriesList(ctx context.Context, st regime.Reader) ([]regime.SeriesInfo, error) {
	p.seriesOnce.Do(func() {
		p.series, p.seriesErr = st.Series(ctx)
		if p.seriesErr != nil {
			p.seriesErr = fmt.Errorf("factors: series: %w", p.seriesErr)
		}
	})
	return p.series, p.seriesErr
}
