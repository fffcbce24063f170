package feature

import (
	"fmt"
	"math"
)

// On-chain metric ids (Coin Metrics community names) used as
// "onchain:<id>" inputs.
const (
	ChainActiveAddresses = "AdrActCnt"
	ChainTxCount         = "TxCnt"
	ChainTransferValue   = "TxTfrValAdjUSD"
	ChainMVRV            = "CapMVRVCur"
	ChainHashRate        = "HashRate"
	ChainIssuanceUSD     = "IssTotUSD"
	ChainSupply          = "SplyCur"
	ChainFlowIn          = "FlowInExNtv"
	ChainFlowOut         = "FlowOutExNtv"
	ChainExchangeSupply  = "SplyExNtv"
	ChainWhaleSupply     = "SplyAdrBalNtv1K" // supply held by addresses with >= 1,000 native units
)

func oc(id string) string { return "onchain:" + id }

// growth7 is mean7(x)[t]/mean7(x)[t-k] − 1.
func growth7(name, family, what, id string, k int) Factor {
	return tok(name, family, fmt.Sprintf("mean of %s over 7 days / the same mean %d days earlier − 1", what, k), 6+k, []string{oc(id)},
		func(in *Input) BlockFunc {
			p := in.Col(oc(id))
			w := newWin(7)
			l := newLag(k)
			return func(i0, i1 int, dst []float32) {
				days(i0, i1, dst, func(i int) float64 {
					w.push((*p)[i])
					m := w.mean()
					l.push(m)
					return div(m, l.ago(k)) - 1
				})
			}
		})
}

// change is x[t]/x[t-k] − 1 of one input.
func change(name, family, formula, input string, k int) Factor {
	return tok(name, family, formula, k, []string{input}, func(in *Input) BlockFunc { return lagChange(in.Col(input), k, 1) })
}

func chainFactors() []Factor {
	fs := []Factor{
		growth7("oc_adr_growth_30", "onchain", "active addresses", ChainActiveAddresses, 30),
		growth7("oc_tx_growth_30", "onchain", "transaction count", ChainTxCount, 30),
		growth7("oc_xfer_growth_30", "onchain", "adjusted transfer value (USD)", ChainTransferValue, 30),
	}
	// nvt is the shared NVT-signal series of oc_nvt_90 and oc_nvt_z_365.
	nvt := func(in *Input) *memo {
		return memoOf(in, "nvt90", func() func(i0, i1 int, dst []float64) {
			m, x := in.Col(InMarketCap), in.Col(oc(ChainTransferValue))
			w := newWin(90)
			return func(i0, i1 int, dst []float64) {
				days(i0, i1, dst, func(i int) float64 {
					w.push((*x)[i])
					return div((*m)[i], w.mean())
				})
			}
		})
	}
	fs = append(fs, tok("oc_nvt_90", "onchain", "NVT signal: market cap / mean adjusted transfer value over 90 days", 89, []string{InMarketCap, oc(ChainTransferValue)},
		func(in *Input) BlockFunc {
			f := nvt(in)
			return func(i0, i1 int, dst []float32) {
				days(i0, i1, dst, f.at)
			}
		}))
	fs = append(fs, tok("oc_nvt_z_365", "onchain", "z-score of ln(oc_nvt_90) against its last 365 days (sample std)", 89+364, []string{InMarketCap, oc(ChainTransferValue)},
		func(in *Input) BlockFunc {
			f := nvt(in)
			w := newWin(365)
			return func(i0, i1 int, dst []float32) {
				days(i0, i1, dst, func(i int) float64 {
					x := math.Log(f.at(i))
					w.push(x)
					return div(x-w.mean(), w.std(1))
				})
			}
		}))
	fs = append(fs, tok("oc_mvrv", "onchain", "MVRV: market cap / realised cap (Coin Metrics CapMVRVCur)", 0, []string{oc(ChainMVRV)},
		func(in *Input) BlockFunc {
			p := in.Col(oc(ChainMVRV))
			return func(i0, i1 int, dst []float32) {
				days(i0, i1, dst, func(i int) float64 {
					if x := (*p)[i]; fin(x) {
						return x
					}
					return nan
				})
			}
		}))
	fs = append(fs, tok("oc_mvrv_z", "onchain", "MVRV z-score, causal: (MC − RC)/σ(MC), RC = MC/MVRV, σ = expanding sample std of MC over all days so far (≥ 365 known)", 364, []string{InMarketCap, oc(ChainMVRV)},
		func(in *Input) BlockFunc {
			m, r := in.Col(InMarketCap), in.Col(oc(ChainMVRV))
			var cnt int
			var mean, m2 float64 // Welford
			return func(i0, i1 int, dst []float32) {
				days(i0, i1, dst, func(i int) float64 {
					mc, mv := (*m)[i], (*r)[i]
					if fin(mc) {
						cnt++
						d := mc - mean
						mean += d / float64(cnt)
						m2 += d * (mc - mean)
					}
					if cnt < 365 || !fin(mc) {
						return nan
					}
					return div(mc-div(mc, mv), math.Sqrt(m2/float64(cnt-1)))
				})
			}
		}))
	fs = append(fs, tok("oc_hash_ribbon", "onchain", "SMA(hash rate,30)/SMA(hash rate,60) − 1 (hash ribbon)", 59, []string{oc(ChainHashRate)},
		func(in *Input) BlockFunc {
			p := in.Col(oc(ChainHashRate))
			a, b := newWin(30), newWin(60)
			return func(i0, i1 int, dst []float32) {
				days(i0, i1, dst, func(i int) float64 {
					x := (*p)[i]
					a.push(x)
					b.push(x)
					return div(a.mean(), b.mean()) - 1
				})
			}
		}))
	fs = append(fs, tok("oc_hash_growth_90", "onchain", "SMA(hash rate,30)[t]/SMA(hash rate,30)[t-90] − 1", 119, []string{oc(ChainHashRate)},
		func(in *Input) BlockFunc {
			p := in.Col(oc(ChainHashRate))
			a := newWin(30)
			l := newLag(90)
			return func(i0, i1 int, dst []float32) {
				days(i0, i1, dst, func(i int) float64 {
					a.push((*p)[i])
					m := a.mean()
					l.push(m)
					return div(m, l.ago(90)) - 1
				})
			}
		}))
	fs = append(fs, tok("oc_puell", "onchain", "Puell multiple: daily issuance (USD) / its 365-day mean", 364, []string{oc(ChainIssuanceUSD)},
		func(in *Input) BlockFunc {
			p := in.Col(oc(ChainIssuanceUSD))
			w := newWin(365)
			return func(i0, i1 int, dst []float32) {
				days(i0, i1, dst, func(i int) float64 {
					x := (*p)[i]
					w.push(x)
					return div(x, w.mean())
				})
			}
		}))
	// flows and whales
	for _, n := range []int{7, 30} {
		fs = append(fs, tok(fmt.Sprintf("flow_net_%d", n), "flows", fmt.Sprintf("Σ over %d days of (exchange inflow − outflow) / current supply (native units); positive = coins moving to exchanges", n), n-1,
			[]string{oc(ChainFlowIn), oc(ChainFlowOut), oc(ChainSupply)},
			func(in *Input) BlockFunc {
				a, b, s := in.Col(oc(ChainFlowIn)), in.Col(oc(ChainFlowOut)), in.Col(oc(ChainSupply))
				w := newWin(n)
				return func(i0, i1 int, dst []float32) {
					days(i0, i1, dst, func(i int) float64 {
						w.push((*a)[i] - (*b)[i])
						return div(w.total(), (*s)[i])
					})
				}
			}))
	}
	fs = append(fs,
		change("flow_exsupply_chg_30", "flows", "supply held on exchanges[t]/[t-30] − 1", oc(ChainExchangeSupply), 30),
		change("whale_supply_chg_30", "flows", "supply held by addresses with ≥ 1,000 native units[t]/[t-30] − 1 (where present)", oc(ChainWhaleSupply), 30))
	fs = append(fs, tok("flow_exsupply_share", "flows", "supply held on exchanges / current supply", 0, []string{oc(ChainExchangeSupply), oc(ChainSupply)},
		func(in *Input) BlockFunc {
			a, s := in.Col(oc(ChainExchangeSupply)), in.Col(oc(ChainSupply))
			return func(i0, i1 int, dst []float32) {
				days(i0, i1, dst, func(i int) float64 { return div((*a)[i], (*s)[i]) })
			}
		}))
	return fs
}
