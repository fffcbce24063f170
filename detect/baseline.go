package detect

import "math"

// SignalFunc computes a causal daily state from closes: the state at day t
// depends only on price[0..t]. NaN closes are skipped by the indicators and
// the state of a NaN day repeats the previous day's state.
type SignalFunc func(price []float64) []State

// Baseline is a named legacy signal.
type Baseline struct {
	Name   string
	Signal SignalFunc
}

// Baselines returns the legacy signals the engine is compared with, in
// report order: buy-and-hold, price > SMA200, SMA50 > SMA200, MACD > 0,
// RSI14 > 50 and the 20% rule.
func Baselines() []Baseline {
	return []Baseline{
		{"buy-and-hold", BuyAndHold},
		{"price>SMA200", SMA200},
		{"SMA50>SMA200", Cross50200},
		{"MACD>0", MACDPositive},
		{"RSI14>50", RSI50},
		{"20% rule", TwentyPercentRule},
	}
}

// BuyAndHold is Bull from the first valid close on (Neutral before).
func BuyAndHold(price []float64) []State {
	out := make([]State, len(price))
	on := false
	for i, v := range price {
		on = on || !math.IsNaN(v)
		if on {
			out[i] = Bull
		}
	}
	return out
}

// SMA200 is AboveSMA(price, 200).
func SMA200(price []float64) []State { return AboveSMA(price, 200) }

// AboveSMA is Bull when the close is strictly above its n-day simple
// moving average (over the last n valid closes, today included) and Bear
// otherwise; Neutral during the n−1 day warm-up.
func AboveSMA(price []float64, n int) []State {
	return compare(price, func(v []float64) ([]float64, []float64) { return v, sma(v, n) })
}

// Cross50200 is Cross(price, 50, 200), the golden/death cross.
func Cross50200(price []float64) []State { return Cross(price, 50, 200) }

// Cross is Bull when the fast simple moving average is strictly above the
// slow one and Bear otherwise; Neutral during the warm-up of the slow one.
func Cross(price []float64, fast, slow int) []State {
	return compare(price, func(v []float64) ([]float64, []float64) { return sma(v, fast), sma(v, slow) })
}

// MACDPositive is Bull when the MACD line, EMA12 − EMA26 of the close, is
// strictly positive and Bear otherwise. Each EMA is seeded with the simple
// average of its first n closes, so the line starts at the 26th close.
func MACDPositive(price []float64) []State {
	return compare(price, func(v []float64) ([]float64, []float64) {
		f, s := ema(v, 12), ema(v, 26)
		line := make([]float64, len(v))
		zero := make([]float64, len(v))
		for i := range v {
			line[i] = f[i] - s[i]
		}
		return line, zero
	})
}

// RSI50 is RSIAbove(price, 14, 50).
func RSI50(price []float64) []State { return RSIAbove(price, 14, 50) }

// RSIAbove is Bull when Wilder's n-day RSI is strictly above level and
// Bear otherwise; Neutral for the first n closes.
func RSIAbove(price []float64, n int, level float64) []State {
	return compare(price, func(v []float64) ([]float64, []float64) {
		lv := make([]float64, len(v))
		for i := range lv {
			lv[i] = level
		}
		return rsi(v, n), lv
	})
}

// TwentyPercentRule is ThresholdRule(price, 0.20, 0.20).
func TwentyPercentRule(price []float64) []State { return ThresholdRule(price, 0.20, 0.20) }

// ThresholdRule is the causal threshold rule: in a bull market it turns
// Bear on the first close at or below (1 − fall) × the highest close since
// the bull market was called; in a bear market it turns Bull on the first
// close at or above (1 + rise) × the lowest close since the bear market was
// called. Before the first call it is Neutral and watches both the highest
// and the lowest close since the start. Unlike DateCycles it never
// back-dates: the state changes on the day the threshold is crossed.
func ThresholdRule(price []float64, fall, rise float64) []State {
	out := make([]State, len(price))
	s := Neutral
	hi, lo := math.NaN(), math.NaN()
	for i, v := range price {
		if !math.IsNaN(v) {
			if math.IsNaN(hi) {
				hi, lo = v, v
			}
			hi, lo = math.Max(hi, v), math.Min(lo, v)
			switch {
			case s != Bear && v <= hi*(1-fall):
				s, lo = Bear, v
			case s != Bull && v >= lo*(1+rise):
				s, hi = Bull, v
			}
		}
		out[i] = s
	}
	return out
}

// compare runs f over the valid closes and maps a > b to Bull, a <= b to
// Bear and a NaN operand to Neutral, then expands back to the input days,
// repeating the last state over NaN days.
func compare(price []float64, f func(v []float64) (a, b []float64)) []State {
	var v []float64
	for _, x := range price {
		if !math.IsNaN(x) {
			v = append(v, x)
		}
	}
	a, b := f(v)
	out := make([]State, len(price))
	s, k := Neutral, 0
	for i, x := range price {
		if !math.IsNaN(x) {
			switch {
			case math.IsNaN(a[k]) || math.IsNaN(b[k]):
				s = Neutral
			case a[k] > b[k]:
				s = Bull
			default:
				s = Bear
			}
			k++
		}
		out[i] = s
	}
	return out
}

// sma is the n-value simple moving average, NaN for the first n−1 values.
// The running sum is recomputed every n values to bound rounding drift.
func sma(v []float64, n int) []float64 {
	out := make([]float64, len(v))
	sum := 0.0
	for i := range v {
		sum += v[i]
		if i >= n {
			sum -= v[i-n]
		}
		if i >= n-1 && (i-n+1)%n == 0 {
			sum = 0
			for _, x := range v[i-n+1 : i+1] {
				sum += x
			}
		}
		out[i] = math.NaN()
		if i >= n-1 {
			out[i] = sum / float64(n)
		}
	}
	return out
}

// ema is the n-value exponential moving average with alpha 2/(n+1),
// seeded with the simple average of the first n values (NaN before).
func ema(v []float64, n int) []float64 {
	out := make([]float64, len(v))
	alpha := 2 / float64(n+1)
	var e float64
	for i := range v {
		switch {
		case i < n-1:
			out[i] = math.NaN()
			e += v[i]
			continue
		case i == n-1:
			e = (e + v[i]) / float64(n)
		default:
			e += alpha * (v[i] - e)
		}
		out[i] = e
	}
	return out
}

// rsi is Wilder's n-value relative strength index: average gain and loss
// seeded with the simple mean of the first n changes, then smoothed with
// alpha 1/n. NaN for the first n values; 100 when there are no losses
// (50 when there is no change at all).
func rsi(v []float64, n int) []float64 {
	out := make([]float64, len(v))
	var gain, loss float64
	for i := range v {
		out[i] = math.NaN()
		if i == 0 {
			continue
		}
		d := v[i] - v[i-1]
		g, l := math.Max(d, 0), math.Max(-d, 0)
		switch {
		case i < n:
			gain += g
			loss += l
			continue
		case i == n:
			gain, loss = (gain+g)/float64(n), (loss+l)/float64(n)
		default:
			gain = (gain*float64(n-1) + g) / float64(n)
			loss = (loss*float64(n-1) + l) / float64(n)
		}
		switch {
		case gain+loss == 0:
			out[i] = 50
		default:
			out[i] = 100 * gain / (gain + loss)
		}
	}
	return out
}
