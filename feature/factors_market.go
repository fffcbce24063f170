package feature

import (
	"fmt"
	"math"
	"strings"
)

// Observation series read by market factors (Market.Obs keys).
const (
	ObsFearGreed = "feargreed:value"
	ObsTrends    = "trends:bitcoin"
	ObsFedFunds  = "fred:DFF"
	ObsDGS10     = "fred:DGS10"
	ObsDGS2      = "fred:DGS2"
	ObsDollar    = "fred:DTWEXBGS"
	ObsSP500     = "fred:SP500"
	ObsVIX       = "fred:VIXCLS"
	ObsHYSpread  = "fred:BAMLH0A0HYM2"
	ObsM2        = "fred:M2SL"
)

func mkt(name, family, formula string, warmup int, inputs []string, nw func(in *Input) StepFunc) Factor {
	return Factor{Name: name, Family: family, Formula: formula, Warmup: warmup, Inputs: inputs, Level: LevelMarket, New: nw}
}

// level passes an input through.
func level(name, family, formula, input string) Factor {
	return mkt(name, family, formula, 0, []string{input}, func(in *Input) StepFunc {
		p := in.Col(input)
		return func(i int) float64 {
			if x := (*p)[i]; fin(x) {
				return x
			}
			return nan
		}
	})
}

// diff is x[t] − x[t-k] (ratio=false) or x[t]/x[t-k] − 1 (ratio=true).
func diff(name, family, formula, input string, k int, ratio bool) Factor {
	return mkt(name, family, formula, k, []string{input}, func(in *Input) StepFunc {
		p := in.Col(input)
		return func(i int) float64 {
			if i < k {
				return nan
			}
			a, b := (*p)[i], (*p)[i-k]
			if ratio {
				return div(a, b) - 1
			}
			if d := a - b; fin(d) {
				return d
			}
			return nan
		}
	})
}

func short(series string) string {
	return strings.ToLower(series[strings.IndexByte(series, ':')+1:])
}

func marketFactors() []Factor {
	fs := []Factor{
		// sentiment
		level("fg_level", "sentiment", "Crypto Fear & Greed Index (0–100), as of publication", ObsFearGreed),
		diff("fg_chg_7", "sentiment", "fear & greed[t] − [t-7]", ObsFearGreed, 7, false),
		diff("fg_chg_30", "sentiment", "fear & greed[t] − [t-30]", ObsFearGreed, 30, false),
		mkt("fg_extreme", "sentiment", "+1 extreme greed (≥ 75), −1 extreme fear (≤ 25), else 0", 0, []string{ObsFearGreed},
			func(in *Input) StepFunc {
				p := in.Col(ObsFearGreed)
				return func(i int) float64 {
					x := (*p)[i]
					switch {
					case !fin(x):
						return nan
					case x >= 75:
						return 1
					case x <= 25:
						return -1
					}
					return 0
				}
			}),
		level("fg_stale", "sentiment", "age in days of the fear & greed value used", "stale:"+ObsFearGreed),
		level("trends_level", "sentiment", "Google search interest in “bitcoin” (0–100), as of publication", ObsTrends),
		diff("trends_chg_90", "sentiment", "search interest[t]/[t-90] − 1", ObsTrends, 90, true),
		level("trends_stale", "sentiment", "age in days of the search-interest value used", "stale:"+ObsTrends),
		// macro (all as of publication; see AlignAsOf)
		diff("macro_ff_chg_90", "macro", "effective fed funds rate[t] − [t-90], percentage points", ObsFedFunds, 90, false),
		diff("macro_dgs10_chg_30", "macro", "10-year Treasury yield[t] − [t-30], percentage points", ObsDGS10, 30, false),
		diff("macro_dgs2_chg_30", "macro", "2-year Treasury yield[t] − [t-30], percentage points", ObsDGS2, 30, false),
		mkt("macro_curve_10y2y", "macro", "10-year − 2-year Treasury yield, percentage points", 0, []string{ObsDGS10, ObsDGS2},
			func(in *Input) StepFunc {
				a, b := in.Col(ObsDGS10), in.Col(ObsDGS2)
				return func(i int) float64 {
					if d := (*a)[i] - (*b)[i]; fin(d) {
						return d
					}
					return nan
				}
			}),
		diff("macro_dollar_mom_30", "macro", "broad trade-weighted dollar index (DTWEXBGS)[t]/[t-30] − 1", ObsDollar, 30, true),
		diff("macro_spx_mom_30", "macro", "S&P 500[t]/[t-30] − 1", ObsSP500, 30, true),
		diff("macro_spx_mom_90", "macro", "S&P 500[t]/[t-90] − 1", ObsSP500, 90, true),
		level("macro_vix", "macro", "VIX close", ObsVIX),
		diff("macro_vix_chg_30", "macro", "VIX[t] − VIX[t-30]", ObsVIX, 30, false),
		level("macro_hy_spread", "macro", "ICE BofA US high-yield option-adjusted spread, percent", ObsHYSpread),
		diff("macro_hy_chg_30", "macro", "high-yield spread[t] − [t-30], percentage points", ObsHYSpread, 30, false),
		diff("macro_m2_yoy", "macro", "M2 money stock[t]/[t-365] − 1 (monthly, as of publication)", ObsM2, 365, true),
	}
	for _, s := range []string{ObsFedFunds, ObsDGS10, ObsDGS2, ObsDollar, ObsSP500, ObsVIX, ObsHYSpread, ObsM2} {
		fs = append(fs, level(fmt.Sprintf("macro_%s_stale", short(s)), "macro", fmt.Sprintf("age in days of the %s value used (staleness)", s), "stale:"+s))
	}
	// structure
	share := func(num, den string) func(in *Input) StepFunc {
		return func(in *Input) StepFunc {
			a, b := in.Col(num), in.Col(den)
			return func(i int) float64 { return div((*a)[i], (*b)[i]) }
		}
	}
	shareChg := func(num, den string, k int) func(in *Input) StepFunc {
		return func(in *Input) StepFunc {
			a, b := in.Col(num), in.Col(den)
			return func(i int) float64 {
				if i < k {
					return nan
				}
				return div((*a)[i], (*b)[i]) - div((*a)[i-k], (*b)[i-k])
			}
		}
	}
	fs = append(fs,
		mkt("mkt_btc_dominance", "structure", "BTC market cap / total crypto market cap", 0, []string{InBTCCap, InTotalCap}, share(InBTCCap, InTotalCap)),
		mkt("mkt_btc_dom_chg_30", "structure", "BTC dominance[t] − [t-30]", 30, []string{InBTCCap, InTotalCap}, shareChg(InBTCCap, InTotalCap, 30)),
		mkt("mkt_stable_dominance", "structure", "stablecoin market cap / total crypto market cap", 0, []string{InStableCap, InTotalCap}, share(InStableCap, InTotalCap)),
		mkt("mkt_stable_dom_chg_30", "structure", "stablecoin dominance[t] − [t-30]", 30, []string{InStableCap, InTotalCap}, shareChg(InStableCap, InTotalCap, 30)),
		mkt("mkt_alts_vs_btc_30", "structure", "ln((total − BTC cap)[t]/[t-30]) − ln(BTC cap[t]/[t-30]): alts vs BTC over 30 days", 30, []string{InBTCCap, InTotalCap},
			func(in *Input) StepFunc {
				b, t := in.Col(InBTCCap), in.Col(InTotalCap)
				return func(i int) float64 {
					if i < 30 {
						return nan
					}
					B, T := *b, *t
					r := math.Log(div(T[i]-B[i], T[i-30]-B[i-30])) - math.Log(div(B[i], B[i-30]))
					if fin(r) {
						return r
					}
					return nan
				}
			}),
		diff("mkt_total_mom_30", "structure", "total crypto market cap[t]/[t-30] − 1", InTotalCap, 30, true),
		mkt("mkt_total_dd_ath", "structure", "total crypto market cap / its maximum so far − 1", 0, []string{InTotalCap},
			func(in *Input) StepFunc {
				p := in.Col(InTotalCap)
				ath := nan
				return func(i int) float64 {
					x := (*p)[i]
					if fin(x) && !(x <= ath) {
						ath = x
					}
					return div(x, ath) - 1
				}
			}),
	)
	// breadth
	fs = append(fs,
		breadth("breadth_above_50", "share of universe members with close > their own SMA(close,50)", 49, func() tokenTest {
			w := newWin(50)
			return func(x float64) (float64, bool) {
				w.push(x)
				m := w.mean()
				return b2f(x > m), fin(m) && fin(x)
			}
		}),
		breadth("breadth_above_200", "share of universe members with close > their own SMA(close,200)", 199, func() tokenTest {
			w := newWin(200)
			return func(x float64) (float64, bool) {
				w.push(x)
				m := w.mean()
				return b2f(x > m), fin(m) && fin(x)
			}
		}),
		breadth("breadth_mom_30", "share of universe members with positive 30-day return", 30, func() tokenTest {
			l := newLag(30)
			return func(x float64) (float64, bool) {
				l.push(x)
				r := div(x, l.ago(30)) - 1
				return b2f(r > 0), fin(r)
			}
		}),
		breadth("breadth_highs_lows", "share of members at a 365-day closing high minus share at a 365-day low", 364, func() tokenTest {
			hi, lo := newMono(365, true), newMono(365, false)
			return func(x float64) (float64, bool) {
				hi.push(x)
				lo.push(x)
				h, l := hi.value(), lo.value()
				v := 0.0
				if x >= h {
					v++
				}
				if x <= l {
					v--
				}
				return v, fin(h) && fin(l) && fin(x)
			}
		}),
	)
	return fs
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// tokenTest is fed one token's close each day and returns its score and
// whether it is defined.
type tokenTest func(x float64) (float64, bool)

// breadth averages a per-token test over universe members each day. Every
// token's state is fed every day (members or not) so that its moving
// averages are complete when it joins.
func breadth(name, formula string, warmup int, newTest func() tokenTest) Factor {
	return mkt(name, "breadth", formula+"; NaN when no member qualifies", warmup, []string{InCloses}, func(in *Input) StepFunc {
		cl, mb := in.Closes(), in.Member()
		var tests []tokenTest
		return func(i int) float64 {
			closes := *cl
			for len(tests) < len(closes) {
				tests = append(tests, newTest())
			}
			var sum float64
			var n int
			for k, c := range closes {
				v, ok := tests[k](c[i])
				member := fin(c[i])
				if mb != nil {
					member = (*mb)[k][i]
				}
				if ok && member {
					sum += v
					n++
				}
			}
			if n == 0 {
				return nan
			}
			return sum / float64(n)
		}
	})
}
