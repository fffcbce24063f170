package feature

import (
	"fmt"
	"math"
)

// srState tracks support and resistance levels from swing pivots: a swing
// high (low) is a bar whose high (low) is the extreme of the pivotK bars
// on each side, known pivotK bars later. The last srLevels pivots younger
// than srMaxAge days are kept as levels; the nearest level above the close
// is resistance, the nearest below is support.
type srState struct {
	h, l, c *[]float64
	lv      [srLevels]float64 // ring of the latest pivot levels
	at      [srLevels]int     // day each was confirmed
	next    int
	sorted  [srLevels]float64 // active levels, ascending
	touch   [srLevels]int     // levels within ±srBand of sorted[k]
	ns      int
	oldest  int   // no later than the earliest confirmation day among active levels
	cur     srOut // at the latest computed day
	hi      int   // next day to compute
	out     [ringN]srOut
}

// srOut is the support/resistance picture of one day.
type srOut struct {
	sup, res         float64 // nearest levels below/above the close
	supN, resN       int     // touches of sup/res
	prevSup, prevRes float64 // the previous day's sup/res
}

const (
	pivotK   = 5
	srLevels = 20
	srMaxAge = 365
	srBand   = 0.02
)

// srOf returns the support/resistance state shared by the sr_* factors.
func srOf(in *Input) *srState {
	return sharedState(in, "sr", func() *srState {
		s := &srState{h: in.Col(InHigh), l: in.Col(InLow), c: in.Col(InClose), cur: srOut{sup: nan, res: nan}}
		for j := range s.at {
			s.at[j] = -1 << 30 // long before any day; fits a 32-bit int
		}
		return s
	})
}

// add makes v, confirmed on day i, a level: it replaces the oldest pivot
// of the ring and updates the sorted levels and touch counts in place
// (O(srLevels), where a full rebuild sorts). step purges expired levels
// before it adds, so the level replaced is active exactly when it is
// unexpired.
func (s *srState) add(v float64, i int) {
	j := s.next
	if s.at[j] >= i-srMaxAge {
		s.remove(s.lv[j])
	}
	s.lv[j], s.at[j] = v, i
	if s.next++; s.next == srLevels {
		s.next = 0
	}
	s.insert(v)
	if s.ns == 1 {
		s.oldest = i
	}
}

// inBand reports whether u lies within ±srBand of level v, the test
// rebuild's two pointers apply.
func inBand(u, v float64) bool {
	band := srBand * math.Abs(v)
	return u >= v-band && u <= v+band
}

// insert adds level v to the sorted levels and counts the touches it adds.
func (s *srState) insert(v float64) {
	n := 1 // v touches itself
	k := s.ns
	for t := 0; t < s.ns; t++ {
		u := s.sorted[t]
		if inBand(v, u) {
			s.touch[t]++
		}
		if inBand(u, v) {
			n++
		}
		if u > v && k == s.ns {
			k = t
		}
	}
	copy(s.sorted[k+1:s.ns+1], s.sorted[k:s.ns])
	copy(s.touch[k+1:s.ns+1], s.touch[k:s.ns])
	s.sorted[k], s.touch[k] = v, n
	s.ns++
}

// remove drops one level equal to v from the sorted levels and the
// touches it gave.
func (s *srState) remove(v float64) {
	k := 0
	for k < s.ns && s.sorted[k] != v {
		k++
	}
	if k == s.ns {
		return // not active: nothing to undo
	}
	copy(s.sorted[k:s.ns-1], s.sorted[k+1:s.ns])
	copy(s.touch[k:s.ns-1], s.touch[k+1:s.ns])
	s.ns--
	for t := 0; t < s.ns; t++ {
		if inBand(v, s.sorted[t]) {
			s.touch[t]--
		}
	}
}

// rebuild sorts the active levels and counts each one's touches. It runs
// when oldest passes the age limit: a level has expired, or the level
// oldest recorded was since replaced by add (oldest is a lower bound, so
// such a rebuild only redoes what add kept up to date in place).
func (s *srState) rebuild(i int) {
	young := i - srMaxAge
	s.ns, s.oldest = 0, i
	for j, v := range s.lv {
		if s.at[j] < young {
			continue
		}
		s.oldest = min(s.oldest, s.at[j])
		k := s.ns
		for k > 0 && s.sorted[k-1] > v {
			s.sorted[k] = s.sorted[k-1]
			k--
		}
		s.sorted[k] = v
		s.ns++
	}
	lo, hi := 0, 0
	for k := 0; k < s.ns; k++ {
		v := s.sorted[k]
		band := srBand * math.Abs(v)
		for lo < k && s.sorted[lo] < v-band {
			lo++
		}
		for hi < s.ns && s.sorted[hi] <= v+band {
			hi++
		}
		s.touch[k] = hi - lo
	}
}

// day returns day i's picture, computing the days up to i first.
func (s *srState) day(i int) *srOut {
	if i >= s.hi {
		s.advance(i)
	}
	return &s.out[i&(ringN-1)]
}

// advance is kept out of day, so day is inlined into the factors.
//
//go:noinline
func (s *srState) advance(i int) {
	for ; s.hi <= i; s.hi++ {
		s.step(s.hi)
		s.out[s.hi&(ringN-1)] = s.cur
	}
}

func (s *srState) step(i int) {
	c := &s.cur
	c.prevSup, c.prevRes = c.sup, c.res
	// Expired levels go first, so every active level is one of the ring's
	// unexpired ones when add replaces the oldest.
	if s.ns > 0 && s.oldest < i-srMaxAge {
		s.rebuild(i)
	}
	if i >= 2*pivotK {
		ph, pl := pivotAt(*s.h, *s.l, i, pivotK)
		if fin(ph) {
			s.add(ph, i)
		}
		if fin(pl) {
			s.add(pl, i)
		}
	}
	x := (*s.c)[i]
	c.sup, c.res, c.supN, c.resN = nan, nan, 0, 0
	if !fin(x) {
		return
	}
	// Resistance is the first level above x, support the last below it:
	// count the levels at or below x and those below x.
	le, lt := 0, 0
	for _, v := range s.sorted[:s.ns] {
		if v <= x {
			le++
		}
		if v < x {
			lt++
		}
	}
	if le < s.ns {
		c.res, c.resN = s.sorted[le], s.touch[le]
	}
	if lt > 0 {
		c.sup, c.supN = s.sorted[lt-1], s.touch[lt-1]
	}
}

// logVols is the shared ln(1+volume) series.
func logVols(in *Input) *memo {
	return memoOf(in, "lvol", func() func(i0, i1 int, dst []float64) {
		p := in.Col(InVolume)
		return func(i0, i1 int, dst []float64) {
			days(i0, i1, dst, func(i int) float64 { return math.Log1p((*p)[i]) })
		}
	})
}

func volumeFactors() []Factor {
	var fs []Factor
	// volume
	for _, n := range []int{30, 90} {
		fs = append(fs, tok(fmt.Sprintf("vol_z_%d", n), "volume", fmt.Sprintf("z-score of ln(1+volume) against its last %d days (incl. today, sample std)", n), n-1, []string{InVolume},
			func(in *Input) BlockFunc {
				lv := logVols(in)
				w := statsOf(in, "lvol", lv, n, 1)
				return func(i0, i1 int, dst []float32) {
					days(i0, i1, dst, func(i int) float64 {
						o := w.at(i)
						return div(lv.at(i)-o.mean, o.std)
					})
				}
			}))
	}
	fs = append(fs, tok("vol_anomaly", "volume", "+1 when vol_z_30 > 3 (spike), −1 when < −3 (drought), else 0", 29, []string{InVolume},
		func(in *Input) BlockFunc {
			lv := logVols(in)
			w := statsOf(in, "lvol", lv, 30, 1)
			return func(i0, i1 int, dst []float32) {
				days(i0, i1, dst, func(i int) float64 {
					o := w.at(i)
					z := div(lv.at(i)-o.mean, o.std)
					switch {
					case !fin(z):
						return nan
					case z > 3:
						return 1
					case z < -3:
						return -1
					}
					return 0
				})
			}
		}))
	fs = append(fs, tok("vol_ratio_7_30", "volume", "SMA(volume,7)/SMA(volume,30)", 29, []string{InVolume},
		func(in *Input) BlockFunc {
			p := in.Col(InVolume)
			a, b := newWin(7), newWin(30)
			return func(i0, i1 int, dst []float32) {
				days(i0, i1, dst, func(i int) float64 {
					x := (*p)[i]
					a.push(x)
					b.push(x)
					return div(a.mean(), b.mean())
				})
			}
		}))
	fs = append(fs, tok("turnover", "volume", "volume / market cap", 0, inVMC,
		func(in *Input) BlockFunc {
			v, m := in.Col(InVolume), in.Col(InMarketCap)
			return func(i0, i1 int, dst []float32) {
				days(i0, i1, dst, func(i int) float64 { return div((*v)[i], (*m)[i]) })
			}
		}))
	fs = append(fs, tok("obv_slope_20", "volume", "(OBV[t] − OBV[t-20]) / Σ volume over the last 20 days, in [−1, 1]", 20, inCV,
		func(in *Input) BlockFunc {
			c, v := in.Col(InClose), in.Col(InVolume)
			l := newLag(20)
			vs := newWin(20)
			var obv, pc float64
			started := false
			return func(i0, i1 int, dst []float32) {
				days(i0, i1, dst, func(i int) float64 {
					x, vol := (*c)[i], (*v)[i]
					vs.push(vol)
					o := nan
					if fin(x) && fin(vol) {
						switch {
						case !started:
							started, obv = true, vol
						case x > pc:
							obv += vol
						case x < pc:
							obv -= vol
						}
						pc = x
						o = obv
					}
					l.push(o)
					return div(o-l.ago(20), vs.total())
				})
			}
		}))
	fs = append(fs, tok("vp_corr_30", "volume", "30-day Pearson correlation of daily log return and daily change of ln(1+volume); negative = volume–price divergence", 30, inCV,
		func(in *Input) BlockFunc {
			lr, lv := logRets(in), logVols(in)
			wx, wy, wxy := newWin(30), newWin(30), newWin(30)
			prev := nan
			return func(i0, i1 int, dst []float32) {
				days(i0, i1, dst, func(i int) float64 {
					x := lr.at(i)
					cur := lv.at(i)
					y := cur - prev
					prev = cur
					wx.push(x)
					wy.push(y)
					wxy.push(x * y)
					n := 30.0
					sx, sy := wx.total(), wy.total()
					cov := wxy.total() - sx*sy/n
					vx := wx.sq - sx*sx/n
					vy := wy.sq - sy*sy/n
					return div(cov, math.Sqrt(vx*vy))
				})
			}
		}))
	// liquidity
	fs = append(fs, tok("amihud_30", "liquidity", "mean over 30 days of |daily return| / volume, per $1M traded", 30, inCV,
		func(in *Input) BlockFunc {
			c, v := in.Col(InClose), in.Col(InVolume)
			w := newWin(30)
			return func(i0, i1 int, dst []float32) {
				days(i0, i1, dst, func(i int) float64 {
					r := nan
					if i > 0 {
						r = div(math.Abs(div((*c)[i], (*c)[i-1])-1)*1e6, (*v)[i])
					}
					w.push(r)
					return w.mean()
				})
			}
		}))
	fs = append(fs, tok("turnover_30", "liquidity", "mean over 30 days of volume / market cap", 29, inVMC,
		func(in *Input) BlockFunc {
			v, m := in.Col(InVolume), in.Col(InMarketCap)
			w := newWin(30)
			return func(i0, i1 int, dst []float32) {
				days(i0, i1, dst, func(i int) float64 {
					w.push(div((*v)[i], (*m)[i]))
					return w.mean()
				})
			}
		}))
	fs = append(fs, tok("hl_spread_30", "liquidity", "Corwin–Schultz two-day high–low spread estimator (negatives set to 0 as in the paper), mean over 30 days", 30, inHL,
		func(in *Input) BlockFunc {
			h, l := in.Col(InHigh), in.Col(InLow)
			lhl := logHL(in)
			w := newWin(30)
			k := 3 - 2*math.Sqrt2
			// alpha = (√2·√β − √β)/k − √(γ/k) with γ = g²:
			// ca·√β − |g|·cb, one square root fewer.
			ca, cb := (math.Sqrt2-1)/k, 1/math.Sqrt(k)
			prev := nan
			return func(i0, i1 int, dst []float32) {
				days(i0, i1, dst, func(i int) float64 {
					a := lhl.at(i)
					b := prev
					prev = a
					s := nan
					if i > 0 && fin(a) && fin(b) {
						H, L, H1, L1 := (*h)[i], (*l)[i], (*h)[i-1], (*l)[i-1]
						beta := a*a + b*b
						g := math.Log(max(H, H1) / min(L, L1))
						alpha := ca*math.Sqrt(beta) - math.Abs(g)*cb
						if alpha <= 0 {
							// exp(alpha) <= 1 makes the spread <= 0, which is
							// set to 0: skip the exponential.
							s = 0
						} else {
							e := math.Exp(alpha)
							s = 2 * (e - 1) / (1 + e)
							if !fin(s) {
								s = nan
							}
						}
					}
					w.push(s)
					return w.mean()
				})
			}
		}))
	fs = append(fs, tok("range_14", "liquidity", "mean over 14 days of (high − low)/close", 13, inHLC,
		func(in *Input) BlockFunc {
			h, l, c := in.Col(InHigh), in.Col(InLow), in.Col(InClose)
			w := newWin(14)
			return func(i0, i1 int, dst []float32) {
				days(i0, i1, dst, func(i int) float64 {
					w.push(div((*h)[i]-(*l)[i], (*c)[i]))
					return w.mean()
				})
			}
		}))
	// support / resistance
	// sr outputs, in the order of the factors below.
	const (
		srDistSup = iota
		srDistRes
		srSupTouch
		srResTouch
		srBreakout
		srBreakdown
	)
	sr := func(name, formula string, warm, kind int) Factor {
		return tok(name, "support_resistance", formula, warm, inHLC, func(in *Input) BlockFunc {
			s := srOf(in)
			c := in.Col(InClose)
			return func(i0, i1 int, dst []float32) {
				days(i0, i1, dst, func(i int) float64 {
					o := s.day(i)
					x := (*c)[i]
					if !fin(x) {
						return nan
					}
					switch kind {
					case srDistSup:
						return div(x, o.sup) - 1
					case srDistRes:
						return div(o.res, x) - 1
					case srSupTouch:
						if o.supN == 0 {
							return nan
						}
						return float64(o.supN)
					case srResTouch:
						if o.resN == 0 {
							return nan
						}
						return float64(o.resN)
					}
					// Breakouts start once pivots can exist.
					if i < 2*pivotK+1 {
						return nan
					}
					if kind == srBreakout && x > o.prevRes || kind == srBreakdown && x < o.prevSup {
						return 1
					}
					return 0
				})
			}
		})
	}
	piv := fmt.Sprintf("levels = the last %d swing highs/lows (pivot: extreme of ±%d bars, known %d bars later) younger than %d days", srLevels, pivotK, pivotK, srMaxAge)
	fs = append(fs,
		sr("sr_dist_support", "close/support − 1, support = highest level below close; "+piv, 2*pivotK, srDistSup),
		sr("sr_dist_resistance", "resistance/close − 1, resistance = lowest level above close; "+piv, 2*pivotK, srDistRes),
		sr("sr_support_touches", "number of levels within ±2% of the nearest support (NaN when none); "+piv, 2*pivotK, srSupTouch),
		sr("sr_resistance_touches", "number of levels within ±2% of the nearest resistance (NaN when none); "+piv, 2*pivotK, srResTouch),
		sr("sr_breakout", "1 when close[t] > yesterday's nearest resistance, else 0; "+piv, 2*pivotK+1, srBreakout),
		sr("sr_breakdown", "1 when close[t] < yesterday's nearest support, else 0; "+piv, 2*pivotK+1, srBreakdown))
	for _, n := range []int{20, 55} {
		fs = append(fs, tok(fmt.Sprintf("donchian_pos_%d", n), "support_resistance", fmt.Sprintf("(close − LL%d)/(HH%d − LL%d) of the %d-day Donchian channel (highs/lows)", n, n, n, n), n-1, inHLC,
			func(in *Input) BlockFunc {
				h, l, c := in.Col(InHigh), in.Col(InLow), in.Col(InClose)
				hh, ll := newExt(n, true), newExt(n, false)
				return func(i0, i1 int, dst []float32) {
					days(i0, i1, dst, func(i int) float64 {
						hh.push((*h)[i])
						ll.push((*l)[i])
						lo := ll.value()
						return div((*c)[i]-lo, hh.value()-lo)
					})
				}
			}))
	}
	fs = append(fs, tok("dist_vwap_90", "support_resistance", "close / VWAP90 − 1, VWAP90 = Σ close·volume / Σ volume over 90 days (volume-weighted level)", 89, inCV,
		func(in *Input) BlockFunc {
			c, v := in.Col(InClose), in.Col(InVolume)
			pv, vv := newWin(90), newWin(90)
			return func(i0, i1 int, dst []float32) {
				days(i0, i1, dst, func(i int) float64 {
					x, vol := (*c)[i], (*v)[i]
					pv.push(x * vol)
					vv.push(vol)
					return div(x, div(pv.total(), vv.total())) - 1
				})
			}
		}))
	return fs
}
