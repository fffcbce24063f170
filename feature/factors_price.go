package feature

import (
	"fmt"
	"math"
)

const annual = 365 // crypto trades every day

// tok is a token-level factor written in block form; its New runs the
// block one day at a time.
func tok(name, family, formula string, warmup int, inputs []string, nb func(in *Input) BlockFunc) Factor {
	return Factor{Name: name, Family: family, Formula: formula, Warmup: warmup, Inputs: inputs, Level: LevelToken,
		New: stepOf(nb), Block: nb}
}

var (
	inC    = []string{InClose}
	inHLC  = []string{InHigh, InLow, InClose}
	inCV   = []string{InClose, InVolume}
	inHL   = []string{InHigh, InLow}
	inVMC  = []string{InVolume, InMarketCap}
	inHLCV = []string{InHigh, InLow, InClose, InVolume}
)

// logRet returns ln(c[i]/c[i-1]), NaN at i == 0 or when unknown.
func logRet(c []float64, i int) float64 {
	if i == 0 {
		return nan
	}
	r := math.Log(div(c[i], c[i-1]))
	if fin(r) {
		return r
	}
	return nan
}

// logRets is the shared daily log-return series of the close.
func logRets(in *Input) *memo {
	return memoOf(in, "logret", func() func(i0, i1 int, dst []float64) {
		p := in.Col(InClose)
		return func(i0, i1 int, dst []float64) {
			days(i0, i1, dst, func(i int) float64 { return logRet(*p, i) })
		}
	})
}

// closes is the shared close series (as a memo, to feed shared windows).
func closes(in *Input) *memo {
	return memoOf(in, "close", func() func(i0, i1 int, dst []float64) {
		p := in.Col(InClose)
		return func(i0, i1 int, dst []float64) {
			days(i0, i1, dst, func(i int) float64 { return (*p)[i] })
		}
	})
}

// winStat is one day's statistics of a shared rolling window.
type winStat struct {
	mean, total, std float64
}

// statShared is a rolling window over a shared series whose per-day
// statistics (std with a fixed ddof) several factors read.
type statShared struct {
	src  *memo
	w    *win
	ddof int
	hi   int
	out  [ringN]winStat
}

// statsOf returns the shared n-day window statistics of the series src
// (named name), with the standard deviation using ddof.
func statsOf(in *Input, name string, src *memo, n, ddof int) *statShared {
	return sharedState(in, fmt.Sprintf("stats:%s:%d:%d", name, n, ddof), func() *statShared {
		return &statShared{src: src, w: newWin(n), ddof: ddof}
	})
}

func (s *statShared) at(i int) *winStat {
	if i >= s.hi {
		s.advance(i)
	}
	return &s.out[i&(ringN-1)]
}

func (s *statShared) advance(i int) {
	for ; s.hi <= i; s.hi++ {
		s.w.push(s.src.at(s.hi))
		o := &s.out[s.hi&(ringN-1)]
		o.mean, o.total, o.std = s.w.mean(), s.w.total(), s.w.std(s.ddof)
	}
}

// logRetStats is the shared n-day window of daily log returns.
func logRetStats(in *Input, n int) *statShared { return statsOf(in, "logret", logRets(in), n, 1) }

// logHL is the shared ln(high/low) series.
func logHL(in *Input) *memo {
	return memoOf(in, "loghl", func() func(i0, i1 int, dst []float64) {
		h, l := in.Col(InHigh), in.Col(InLow)
		return func(i0, i1 int, dst []float64) {
			days(i0, i1, dst, func(i int) float64 {
				if r := math.Log(div((*h)[i], (*l)[i])); fin(r) {
					return r
				}
				return nan
			})
		}
	})
}

// smaOf is the shared SMA(close, n) series.
func smaOf(in *Input, n int) *memo {
	return memoOf(in, fmt.Sprintf("sma:%d", n), func() func(i0, i1 int, dst []float64) {
		p := in.Col(InClose)
		w := newWin(n)
		return func(i0, i1 int, dst []float64) {
			days(i0, i1, dst, func(i int) float64 {
				w.push((*p)[i])
				return w.mean()
			})
		}
	})
}

// emaOf is the shared EMA(close, n) series.
func emaOf(in *Input, n int) *memo {
	return memoOf(in, fmt.Sprintf("ema:%d", n), func() func(i0, i1 int, dst []float64) {
		p := in.Col(InClose)
		e := newEMA(n)
		return func(i0, i1 int, dst []float64) {
			days(i0, i1, dst, func(i int) float64 { return e.push((*p)[i]) })
		}
	})
}

// dmShared is the shared ADX/DMI(14) state.
type dmShared struct {
	h, l, c *[]float64
	d       dmState
	hi      int
	out     [ringN]dmOut
}

type dmOut struct{ adx, pdi, mdi float64 }

func dmOf(in *Input) *dmShared {
	return sharedState(in, "dm14", func() *dmShared {
		return &dmShared{h: in.Col(InHigh), l: in.Col(InLow), c: in.Col(InClose), d: dmState{n: 14}}
	})
}

func (s *dmShared) at(i int) *dmOut {
	if i >= s.hi {
		s.advance(i)
	}
	return &s.out[i&(ringN-1)]
}

func (s *dmShared) advance(i int) {
	for ; s.hi <= i; s.hi++ {
		o := &s.out[s.hi&(ringN-1)]
		o.adx, o.pdi, o.mdi = s.d.push((*s.h)[s.hi], (*s.l)[s.hi], (*s.c)[s.hi])
	}
}

// macdShared is the shared MACD(12,26,9) state.
type macdShared struct {
	p       *[]float64
	f, s, g *ema
	hi      int
	out     [ringN]macdOut
}

type macdOut struct{ line, sig float64 }

func macdOf(in *Input) *macdShared {
	return sharedState(in, "macd", func() *macdShared {
		return &macdShared{p: in.Col(InClose), f: newEMA(12), s: newEMA(26), g: newEMA(9)}
	})
}

func (m *macdShared) at(i int) *macdOut {
	if i >= m.hi {
		m.advance(i)
	}
	return &m.out[i&(ringN-1)]
}

func (m *macdShared) advance(i int) {
	for ; m.hi <= i; m.hi++ {
		o := &m.out[m.hi&(ringN-1)]
		x := (*m.p)[m.hi]
		o.line = m.f.push(x) - m.s.push(x)
		o.sig = nan
		if fin(o.line) {
			o.sig = m.g.push(o.line)
		}
	}
}

// stochShared is the shared 14-day high/low channel with slow %K and %D.
type stochShared struct {
	h, l, c *[]float64
	hh, ll  *ext
	sk, sd  *win
	hi      int
	out     [ringN]stochOut
}

type stochOut struct{ hi, lo, k, d float64 }

func stochOf(in *Input) *stochShared {
	return sharedState(in, "stoch14", func() *stochShared {
		return &stochShared{h: in.Col(InHigh), l: in.Col(InLow), c: in.Col(InClose), hh: newExt(14, true), ll: newExt(14, false),
			sk: newWin(3), sd: newWin(3)}
	})
}

func (s *stochShared) at(i int) *stochOut {
	if i >= s.hi {
		s.advance(i)
	}
	return &s.out[i&(ringN-1)]
}

func (s *stochShared) advance(i int) {
	for ; s.hi <= i; s.hi++ {
		j := s.hi
		o := &s.out[j&(ringN-1)]
		s.hh.push((*s.h)[j])
		s.ll.push((*s.l)[j])
		o.hi, o.lo = s.hh.value(), s.ll.value()
		s.sk.push(100 * div((*s.c)[j]-o.lo, o.hi-o.lo))
		o.k = s.sk.mean()
		s.sd.push(o.k)
		o.d = s.sd.mean()
	}
}

// lagChange is the block form of scale·(x[t]/x[t-k] − 1) on the column p,
// NaN for t < k: returns (scale 1), rate of change (100) and the on-chain
// changes. Multiplying by a scale of 1 changes no value.
func lagChange(p *[]float64, k int, scale float64) BlockFunc {
	return func(i0, i1 int, dst []float32) {
		c := (*p)[:i1]
		for i := i0; i < i1; i++ {
			v := nan
			if i >= k {
				v = scale * (div(c[i], c[i-k]) - 1)
			}
			dst[i-i0] = float32(v)
		}
	}
}

func priceFactors() []Factor {
	var fs []Factor
	// momentum
	for _, k := range []int{1, 3, 7, 14, 30, 60, 90, 180, 365} {
		fs = append(fs, tok(fmt.Sprintf("ret_%dd", k), "momentum", fmt.Sprintf("close[t]/close[t-%d] − 1", k), k, inC,
			func(in *Input) BlockFunc { return lagChange(in.Col(InClose), k, 1) }))
	}
	for _, k := range []int{30, 90, 180} {
		fs = append(fs, tok(fmt.Sprintf("mom_radj_%dd", k), "momentum",
			fmt.Sprintf("Σ of the last %d daily log returns / (σ·√%d), σ = their sample std (mean return / std · √%d)", k, k, k), k, inC,
			func(in *Input) BlockFunc {
				w := logRetStats(in, k)
				sq := math.Sqrt(float64(k))
				return func(i0, i1 int, dst []float32) {
					days(i0, i1, dst, func(i int) float64 {
						o := w.at(i)
						return div(o.total, o.std*sq)
					})
				}
			}))
	}
	// trend: price vs moving averages
	for _, n := range []int{20, 50, 100, 200} {
		fs = append(fs, tok(fmt.Sprintf("px_sma_%d", n), "trend", fmt.Sprintf("close/SMA(close,%d) − 1", n), n-1, inC,
			func(in *Input) BlockFunc {
				p := in.Col(InClose)
				m := smaOf(in, n)
				return func(i0, i1 int, dst []float32) {
					days(i0, i1, dst, func(i int) float64 { return div((*p)[i], m.at(i)) - 1 })
				}
			}))
		fs = append(fs, tok(fmt.Sprintf("px_ema_%d", n), "trend", fmt.Sprintf("close/EMA(close,%d) − 1 (EMA seeded with the first %d-day mean)", n, n), n-1, inC,
			func(in *Input) BlockFunc {
				p := in.Col(InClose)
				e := emaOf(in, n)
				return func(i0, i1 int, dst []float32) {
					days(i0, i1, dst, func(i int) float64 { return div((*p)[i], e.at(i)) - 1 })
				}
			}))
	}
	for _, s := range []struct{ n, k int }{{50, 10}, {200, 20}} {
		fs = append(fs, tok(fmt.Sprintf("sma_%d_slope", s.n), "trend", fmt.Sprintf("SMA(close,%d)[t]/SMA(close,%d)[t-%d] − 1", s.n, s.n, s.k), s.n-1+s.k, inC,
			func(in *Input) BlockFunc {
				w := smaOf(in, s.n)
				l := newLag(s.k)
				return func(i0, i1 int, dst []float32) {
					days(i0, i1, dst, func(i int) float64 {
						m := w.at(i)
						l.push(m)
						return div(m, l.ago(s.k)) - 1
					})
				}
			}))
	}
	fs = append(fs, tok("ema_20_slope", "trend", "EMA(close,20)[t]/EMA(close,20)[t-5] − 1", 24, inC,
		func(in *Input) BlockFunc {
			e := emaOf(in, 20)
			l := newLag(5)
			return func(i0, i1 int, dst []float32) {
				days(i0, i1, dst, func(i int) float64 {
					v := e.at(i)
					l.push(v)
					return div(v, l.ago(5)) - 1
				})
			}
		}))
	macd := func(name, formula string, warm, out int) Factor {
		return tok(name, "trend", formula, warm, inC, func(in *Input) BlockFunc {
			p := in.Col(InClose)
			m := macdOf(in)
			return func(i0, i1 int, dst []float32) {
				days(i0, i1, dst, func(i int) float64 {
					o := m.at(i)
					x, line, sig := (*p)[i], o.line, o.sig
					switch out {
					case 0:
						return div(line, x)
					case 1:
						return div(sig, x)
					}
					return div(line-sig, x)
				})
			}
		})
	}
	fs = append(fs,
		macd("macd_line", "(EMA(close,12) − EMA(close,26)) / close", 25, 0),
		macd("macd_signal", "EMA(MACD line,9) / close", 33, 1),
		macd("macd_hist", "(MACD line − signal) / close", 33, 2))
	fs = append(fs, tok("cross_50_200", "trend", "+1 when SMA(close,50) > SMA(close,200), −1 when below, 0 when equal", 199, inC,
		func(in *Input) BlockFunc {
			a, b := smaOf(in, 50), smaOf(in, 200)
			return func(i0, i1 int, dst []float32) {
				days(i0, i1, dst, func(i int) float64 {
					d := a.at(i) - b.at(i)
					if !fin(d) {
						return nan
					}
					return sign(d)
				})
			}
		}))
	fs = append(fs, tok("cross_50_200_days", "trend", "days since the 50/200-day SMA cross state last changed (NaN until a change is seen)", 200, inC,
		func(in *Input) BlockFunc {
			a, b := smaOf(in, 50), smaOf(in, 200)
			state, last := 0.0, -1
			return func(i0, i1 int, dst []float32) {
				days(i0, i1, dst, func(i int) float64 {
					d := a.at(i) - b.at(i)
					if !fin(d) {
						return nan
					}
					s := sign(d)
					if state != 0 && s != state {
						last = i
					}
					state = s
					if last < 0 {
						return nan
					}
					return float64(i - last)
				})
			}
		}))
	dmi := func(name, formula string, warm, out int) Factor {
		return tok(name, "trend", formula, warm, inHLC, func(in *Input) BlockFunc {
			d := dmOf(in)
			return func(i0, i1 int, dst []float32) {
				days(i0, i1, dst, func(i int) float64 {
					o := d.at(i)
					adx, p, m := o.adx, o.pdi, o.mdi
					switch out {
					case 0:
						return adx
					case 1:
						return p
					case 2:
						return m
					}
					return p - m
				})
			}
		})
	}
	fs = append(fs,
		dmi("adx_14", "Wilder ADX(14) (TA-Lib)", 27, 0),
		dmi("plus_di_14", "Wilder +DI(14) (TA-Lib)", 14, 1),
		dmi("minus_di_14", "Wilder −DI(14) (TA-Lib)", 14, 2),
		dmi("dmi_diff_14", "+DI(14) − −DI(14)", 14, 3))
	// oscillators
	for _, n := range []int{7, 14, 28} {
		fs = append(fs, tok(fmt.Sprintf("rsi_%d", n), "oscillator", fmt.Sprintf("Wilder RSI(%d), 0–100 (TA-Lib)", n), n, inC,
			func(in *Input) BlockFunc {
				p := in.Col(InClose)
				r := &rsiState{n: n}
				return func(i0, i1 int, dst []float32) {
					days(i0, i1, dst, func(i int) float64 { return r.push((*p)[i]) })
				}
			}))
	}
	stoch := func(name, formula string, warm int, d bool) Factor {
		return tok(name, "oscillator", formula, warm, inHLC, func(in *Input) BlockFunc {
			st := stochOf(in)
			return func(i0, i1 int, dst []float32) {
				days(i0, i1, dst, func(i int) float64 {
					o := st.at(i)
					if d {
						return o.d
					}
					return o.k
				})
			}
		})
	}
	fs = append(fs,
		stoch("stoch_k_14", "slow %K: SMA3 of 100·(close − LL14)/(HH14 − LL14)", 15, false),
		stoch("stoch_d_14", "%D: SMA3 of slow %K(14,3)", 17, true))
	fs = append(fs, tok("willr_14", "oscillator", "Williams %R: −100·(HH14 − close)/(HH14 − LL14)", 13, inHLC,
		func(in *Input) BlockFunc {
			c := in.Col(InClose)
			st := stochOf(in)
			return func(i0, i1 int, dst []float32) {
				days(i0, i1, dst, func(i int) float64 {
					o := st.at(i)
					return -100 * div(o.hi-(*c)[i], o.hi-o.lo)
				})
			}
		}))
	for _, n := range []int{10, 20} {
		fs = append(fs, tok(fmt.Sprintf("roc_%d", n), "oscillator", fmt.Sprintf("100·(close[t]/close[t-%d] − 1)", n), n, inC,
			func(in *Input) BlockFunc { return lagChange(in.Col(InClose), n, 100) }))
	}
	// volatility
	for _, n := range []int{7, 30, 90} {
		fs = append(fs, tok(fmt.Sprintf("rv_%d", n), "volatility", fmt.Sprintf("sample std of the last %d daily log returns · √365", n), n, inC,
			func(in *Input) BlockFunc {
				w := logRetStats(in, n)
				return func(i0, i1 int, dst []float32) {
					days(i0, i1, dst, func(i int) float64 { return w.at(i).std * math.Sqrt(annual) })
				}
			}))
	}
	fs = append(fs, tok("rv_ratio_7_90", "volatility", "rv_7 / rv_90", 90, inC,
		func(in *Input) BlockFunc {
			a, b := logRetStats(in, 7), logRetStats(in, 90)
			return func(i0, i1 int, dst []float32) {
				days(i0, i1, dst, func(i int) float64 { return div(a.at(i).std, b.at(i).std) })
			}
		}))
	fs = append(fs, tok("downside_vol_30", "volatility", "√(mean over 30 days of min(r,0)²) · √365, r = daily log return", 30, inC,
		func(in *Input) BlockFunc {
			lr := logRets(in)
			w := newWin(30)
			return func(i0, i1 int, dst []float32) {
				days(i0, i1, dst, func(i int) float64 {
					r := lr.at(i)
					if r > 0 {
						r = 0
					}
					w.push(r * r)
					return math.Sqrt(w.mean() * annual)
				})
			}
		}))
	fs = append(fs, tok("volofvol_90", "volatility", "std/mean over 90 days of rv_7 (coefficient of variation of short-term volatility)", 96, inC,
		func(in *Input) BlockFunc {
			a, b := logRetStats(in, 7), newWin(90)
			return func(i0, i1 int, dst []float32) {
				days(i0, i1, dst, func(i int) float64 {
					b.push(a.at(i).std)
					return div(b.std(1), b.mean())
				})
			}
		}))
	fs = append(fs, tok("atr_14_pct", "volatility", "Wilder ATR(14) / close", 14, inHLC,
		func(in *Input) BlockFunc {
			h, l, c := in.Col(InHigh), in.Col(InLow), in.Col(InClose)
			var w wilder
			w.n = 14
			pc, started := 0.0, false
			return func(i0, i1 int, dst []float32) {
				days(i0, i1, dst, func(i int) float64 {
					hi, lo, x := (*h)[i], (*l)[i], (*c)[i]
					if !fin(hi) || !fin(lo) || !fin(x) {
						return nan
					}
					if !started {
						started, pc = true, x
						return nan
					}
					tr := trueRange(hi, lo, pc)
					pc = x
					return div(w.push(tr), x)
				})
			}
		}))
	boll := func(name, formula string, pctb bool) Factor {
		return tok(name, "volatility", formula, 19, inC, func(in *Input) BlockFunc {
			p := in.Col(InClose)
			w := statsOf(in, "close", closes(in), 20, 0)
			return func(i0, i1 int, dst []float32) {
				days(i0, i1, dst, func(i int) float64 {
					x := (*p)[i]
					o := w.at(i)
					m, s := o.mean, o.std
					if pctb {
						return div(x-(m-2*s), 4*s)
					}
					return div(4*s, m)
				})
			}
		})
	}
	fs = append(fs,
		boll("bb_width_20", "(upper − lower)/middle of Bollinger(20, 2σ population)", false),
		boll("bb_pctb_20", "%B: (close − lower)/(upper − lower), Bollinger(20, 2σ)", true))
	fs = append(fs, tok("parkinson_30", "volatility", "Parkinson range volatility: √(mean over 30 days of ln(H/L)² / (4 ln 2)) · √365", 29, inHL,
		func(in *Input) BlockFunc {
			lhl := logHL(in)
			w := newWin(30)
			k := 1 / (4 * math.Ln2)
			return func(i0, i1 int, dst []float32) {
				days(i0, i1, dst, func(i int) float64 {
					r := lhl.at(i)
					w.push(r * r * k)
					return math.Sqrt(w.mean() * annual)
				})
			}
		}))
	// drawdown
	fs = append(fs, tok("dd_ath", "drawdown", "close / max(close so far) − 1", 0, inC,
		func(in *Input) BlockFunc {
			p := in.Col(InClose)
			ath := nan
			return func(i0, i1 int, dst []float32) {
				days(i0, i1, dst, func(i int) float64 {
					x := (*p)[i]
					if fin(x) && !(x <= ath) {
						ath = x
					}
					return div(x, ath) - 1
				})
			}
		}))
	fs = append(fs, tok("days_since_ath", "drawdown", "days since the close was at its all-time high so far", 0, inC,
		func(in *Input) BlockFunc {
			p := in.Col(InClose)
			ath, at := nan, -1
			return func(i0, i1 int, dst []float32) {
				days(i0, i1, dst, func(i int) float64 {
					x := (*p)[i]
					if fin(x) && !(x < ath) {
						ath, at = x, i
					}
					if at < 0 || !fin(x) {
						return nan
					}
					return float64(i - at)
				})
			}
		}))
	fs = append(fs, tok("dd_365", "drawdown", "close / max(close over 365 days) − 1", 364, inC,
		func(in *Input) BlockFunc {
			p := in.Col(InClose)
			m := newExt(365, true)
			return func(i0, i1 int, dst []float32) {
				days(i0, i1, dst, func(i int) float64 {
					x := (*p)[i]
					m.push(x)
					return div(x, m.value()) - 1
				})
			}
		}))
	fs = append(fs, tok("days_since_365h", "drawdown", "days since the 365-day closing high", 364, inC,
		func(in *Input) BlockFunc {
			p := in.Col(InClose)
			m := newMono(365, true)
			return func(i0, i1 int, dst []float32) {
				days(i0, i1, dst, func(i int) float64 {
					m.push((*p)[i])
					return m.age()
				})
			}
		}))
	return fs
}

func sign(x float64) float64 {
	switch {
	case x > 0:
		return 1
	case x < 0:
		return -1
	}
	return 0
}
