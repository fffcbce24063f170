package feature_test

import (
	"encoding/csv"
	"errors"
	"io/fs"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	talib "github.com/markcheno/go-talib"

	"github.com/regime-engine/regime/feature"
)

// dataDir is the shared real dataset, read in place (never copied).
var dataDir = filepath.Join("..", "..", "shared", "data")

// btcOHLCV reads the BTC rows of the Yahoo daily file, or skips.
func btcOHLCV(t testing.TB) (o, h, l, c, v []float64) {
	t.Helper()
	f, err := os.Open(filepath.Join(dataDir, "prices", "yahoo_daily_ohlcv_26coins.csv"))
	if errors.Is(err, fs.ErrNotExist) {
		t.Skip("real data not present:", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	num := func(s string) float64 {
		x, err := strconv.ParseFloat(s, 64)
		if err != nil {
			t.Fatalf("bad number %q: %v", s, err)
		}
		return x
	}
	for _, r := range rows[1:] { // date,symbol,open,high,low,close,volume_usd
		if r[1] != "BTC" {
			continue
		}
		o, h, l, c, v = append(o, num(r[2])), append(h, num(r[3])), append(l, num(r[4])), append(c, num(r[5])), append(v, num(r[6]))
	}
	if len(c) < 3000 {
		t.Fatalf("only %d BTC rows", len(c))
	}
	return o, h, l, c, v
}

// near compares from index from on, relative tolerance tol; TA-Lib's
// warm-up zeros are not compared.
func near(t *testing.T, what string, got, want []float64, from int, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: len %d, want %d", what, len(got), len(want))
	}
	checked := 0
	for i := from; i < len(got); i++ {
		g, w := got[i], want[i]
		if math.IsNaN(g) || math.Abs(g-w) > tol*math.Max(1, math.Abs(w)) {
			t.Fatalf("%s[%d] = %v, TA-Lib %v", what, i, g, w)
		}
		checked++
	}
	if checked == 0 {
		t.Fatalf("%s: nothing compared", what)
	}
}

func nanBefore(t *testing.T, what string, got []float64, first int) {
	t.Helper()
	for i := 0; i < first; i++ {
		if !math.IsNaN(got[i]) {
			t.Fatalf("%s[%d] = %v during warm-up (first value at %d)", what, i, got[i], first)
		}
	}
	if math.IsNaN(got[first]) {
		t.Fatalf("%s[%d] is NaN, want the first value", what, first)
	}
}

// TestKernelsAgainstTALib checks every batch kernel against go-talib on
// real BTC data.
func TestKernelsAgainstTALib(t *testing.T) {
	_, h, l, c, v := btcOHLCV(t)
	n := len(c)
	a, b, d := make([]float64, n), make([]float64, n), make([]float64, n)
	const tol = 1e-9
	const burn = 400 // recursive kernels seeded differently converge long before
	tests := []struct {
		name string
		run  func(t *testing.T)
	}{
		{"SMA200", func(t *testing.T) {
			feature.SMA(a, c, 200)
			nanBefore(t, "SMA", a, 199)
			near(t, "SMA", a, talib.Sma(c, 200), 199, tol)
		}},
		{"EMA20", func(t *testing.T) {
			feature.EMA(a, c, 20)
			nanBefore(t, "EMA", a, 19)
			near(t, "EMA", a, talib.Ema(c, 20), 19, tol)
		}},
		{"RSI14", func(t *testing.T) {
			feature.RSI(a, c, 14)
			nanBefore(t, "RSI", a, 14)
			near(t, "RSI", a, talib.Rsi(c, 14), 14, tol)
		}},
		{"MACD", func(t *testing.T) {
			feature.MACD(a, b, d, c, 12, 26, 9)
			nanBefore(t, "MACD line", a, 25)
			nanBefore(t, "MACD signal", b, 33)
			wl, ws, wh := talib.Macd(c, 12, 26, 9)
			near(t, "MACD line", a, wl, burn, 1e-7)
			near(t, "MACD signal", b, ws, burn, 1e-7)
			near(t, "MACD hist", d, wh, burn, 1e-7)
		}},
		{"Bollinger20", func(t *testing.T) {
			feature.Bollinger(a, b, d, c, 20, 2)
			nanBefore(t, "BB", b, 19)
			wu, wm, wl := talib.BBands(c, 20, 2, 2, talib.SMA)
			near(t, "BB upper", a, wu, 19, 1e-7)
			near(t, "BB middle", b, wm, 19, tol)
			near(t, "BB lower", d, wl, 19, 1e-7)
		}},
		{"StdDev30", func(t *testing.T) {
			feature.RollingStd(a, c, 30, 0)
			near(t, "std", a, talib.StdDev(c, 30, 1), 29, 1e-6)
		}},
		{"ATR14", func(t *testing.T) {
			feature.ATR(a, h, l, c, 14)
			nanBefore(t, "ATR", a, 14)
			near(t, "ATR", a, talib.Atr(h, l, c, 14), 14, tol)
		}},
		{"ADX14", func(t *testing.T) {
			feature.ADX(a, b, d, h, l, c, 14)
			nanBefore(t, "ADX", a, 27)
			nanBefore(t, "+DI", b, 14)
			near(t, "ADX", a, talib.Adx(h, l, c, 14), 27, 1e-8)
			near(t, "+DI", b, talib.PlusDI(h, l, c, 14), 14, 1e-8)
			near(t, "-DI", d, talib.MinusDI(h, l, c, 14), 14, 1e-8)
		}},
		{"Stoch14_3_3", func(t *testing.T) {
			feature.Stoch(a, b, h, l, c, 14, 3, 3, nil)
			nanBefore(t, "slow K", a, 15)
			nanBefore(t, "slow D", b, 17)
			wk, wd := talib.Stoch(h, l, c, 14, 3, talib.SMA, 3, talib.SMA)
			near(t, "slow K", a, wk, 17, 1e-8)
			near(t, "slow D", b, wd, 17, 1e-8)
		}},
		{"WilliamsR14", func(t *testing.T) {
			feature.WilliamsR(a, h, l, c, 14, nil)
			nanBefore(t, "%R", a, 13)
			near(t, "%R", a, talib.WillR(h, l, c, 14), 13, tol)
		}},
		{"ROC10", func(t *testing.T) {
			feature.ROC(a, c, 10)
			nanBefore(t, "ROC", a, 10)
			near(t, "ROC", a, talib.Roc(c, 10), 10, tol)
		}},
		{"OBV", func(t *testing.T) {
			feature.OBV(a, c, v)
			near(t, "OBV", a, talib.Obv(c, v), 0, tol)
		}},
		{"Max55/Min55", func(t *testing.T) {
			feature.RollingMax(a, h, 55, make([]float64, 55))
			feature.RollingMin(b, l, 55, nil)
			nanBefore(t, "max", a, 54)
			near(t, "max", a, talib.Max(h, 55), 54, 0)
			near(t, "min", b, talib.Min(l, 55), 54, 0)
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, tc.run)
	}
}

// TestWorkedExamples checks kernels against published worked examples.
func TestWorkedExamples(t *testing.T) {
	// StockCharts "RSI" ChartSchool spreadsheet (Wilder, 14 days).
	rsiIn := []float64{44.3389, 44.0902, 44.1497, 43.6124, 44.3278, 44.8264, 45.0955, 45.4245, 45.8433, 46.0826, 45.8931,
		46.0328, 45.6140, 46.2820, 46.2820, 46.0028, 46.0328, 46.4116, 46.2222, 45.6439, 46.2122, 46.2521, 45.7137, 46.4515,
		45.7835, 45.3548, 44.0288, 44.1783, 44.2181, 44.5672, 43.4205, 42.6628, 43.1314}
	rsiWant := []float64{70.53, 66.32, 66.55, 69.41, 66.36, 57.97, 62.93, 63.26, 56.06, 62.38, 54.71, 50.42, 39.99, 41.46,
		41.87, 45.46, 37.30, 33.08, 37.77}
	// StockCharts "Moving Averages" spreadsheet (10-day SMA seed, then EMA).
	emaIn := []float64{22.27, 22.19, 22.08, 22.17, 22.18, 22.13, 22.23, 22.43, 22.24, 22.29, 22.15, 22.39, 22.38, 22.61,
		23.36, 24.05, 23.75, 23.83, 23.95, 23.63, 23.82, 23.87, 23.65, 23.19, 23.10, 23.33, 22.68, 23.10, 22.40, 22.17}
	emaWant := []float64{22.22, 22.21, 22.24, 22.27, 22.33, 22.52, 22.80, 22.97, 23.13, 23.28, 23.34, 23.43, 23.51, 23.54,
		23.47, 23.40, 23.39, 23.26, 23.23, 23.08, 22.92}
	tests := []struct {
		name     string
		kernel   func(dst, src []float64)
		in, want []float64
		first    int
		tol      float64
	}{
		{"RSI14", func(d, s []float64) { feature.RSI(d, s, 14) }, rsiIn, rsiWant, 14, 0.011},
		{"EMA10", func(d, s []float64) { feature.EMA(d, s, 10) }, emaIn, emaWant, 9, 0.011},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := make([]float64, len(tc.in))
			tc.kernel(got, tc.in)
			for i := 0; i < tc.first; i++ {
				if !math.IsNaN(got[i]) {
					t.Errorf("[%d] = %v during warm-up", i, got[i])
				}
			}
			for k, w := range tc.want {
				if g := got[tc.first+k]; math.Abs(g-w) > tc.tol {
					t.Errorf("[%d] = %.4f, published %.2f", tc.first+k, g, w)
				}
			}
		})
	}
}

// TestKernelNaNPolicy: window kernels recover once the hole leaves the
// window; recursive kernels skip the hole.
func TestKernelNaNPolicy(t *testing.T) {
	src := []float64{1, 2, 3, math.NaN(), 5, 6, 7, 8}
	nan := math.NaN()
	tests := []struct {
		name   string
		kernel func(dst, src []float64)
		want   []float64
	}{
		{"SMA3", func(d, s []float64) { feature.SMA(d, s, 3) }, []float64{nan, nan, 2, nan, nan, nan, 6, 7}},
		{"EMA3", func(d, s []float64) { feature.EMA(d, s, 3) }, []float64{nan, nan, 2, nan, 3.5, 4.75, 5.875, 6.9375}},
		{"Max3", func(d, s []float64) { feature.RollingMax(d, s, 3, nil) }, []float64{nan, nan, 3, nan, nan, nan, 7, 8}},
		{"ROC1", func(d, s []float64) { feature.ROC(d, s, 1) }, []float64{nan, 100, 50, nan, nan, 20, 100.0 / 6, 100.0 / 7}},
		{"Std3", func(d, s []float64) { feature.RollingStd(d, s, 3, 1) }, []float64{nan, nan, 1, nan, nan, nan, 1, 1}},
		{"Std3pop", func(d, s []float64) { feature.RollingStd(d, s, 3, 0) }, []float64{nan, nan, math.Sqrt(2.0 / 3), nan, nan, nan, math.Sqrt(2.0 / 3), math.Sqrt(2.0 / 3)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := make([]float64, len(src))
			tc.kernel(got, src)
			for i, w := range tc.want {
				if g := got[i]; !(math.Abs(g-w) < 1e-12 || math.IsNaN(g) && math.IsNaN(w)) {
					t.Errorf("[%d] = %v, want %v", i, g, w)
				}
			}
		})
	}
}

// TestFactorsMatchKernels ties the streaming factors to the batch kernels
// that TA-Lib validates, on real BTC data.
func TestFactorsMatchKernels(t *testing.T) {
	o, h, l, c, v := btcOHLCV(t)
	n := len(c)
	s := synthSeries(1, n, false)
	s.Open, s.High, s.Low, s.Close, s.Volume = o, h, l, c, v
	m, err := feature.Build(s, feature.ByLevel(feature.LevelToken))
	if err != nil {
		t.Fatal(err)
	}
	a, b, d := make([]float64, n), make([]float64, n), make([]float64, n)
	ratio := func(x, y []float64) []float64 {
		out := make([]float64, n)
		for i := range out {
			out[i] = x[i]/y[i] - 1
		}
		return out
	}
	tests := []struct {
		factor string
		want   func() []float64
	}{
		{"rsi_14", func() []float64 { feature.RSI(a, c, 14); return a }},
		{"px_sma_200", func() []float64 { feature.SMA(a, c, 200); return ratio(c, a) }},
		{"px_ema_50", func() []float64 { feature.EMA(a, c, 50); return ratio(c, a) }},
		{"adx_14", func() []float64 { feature.ADX(a, b, d, h, l, c, 14); return a }},
		{"minus_di_14", func() []float64 { feature.ADX(a, b, d, h, l, c, 14); return d }},
		{"willr_14", func() []float64 { feature.WilliamsR(a, h, l, c, 14, nil); return a }},
		{"stoch_k_14", func() []float64 { feature.Stoch(a, b, h, l, c, 14, 3, 3, nil); return a }},
		{"stoch_d_14", func() []float64 { feature.Stoch(a, b, h, l, c, 14, 3, 3, nil); return b }},
		{"roc_10", func() []float64 { feature.ROC(a, c, 10); return a }},
		{"macd_line", func() []float64 {
			feature.MACD(a, b, d, c, 12, 26, 9)
			for i := range a {
				a[i] /= c[i]
			}
			return a
		}},
		{"atr_14_pct", func() []float64 {
			feature.ATR(a, h, l, c, 14)
			for i := range a {
				a[i] /= c[i]
			}
			return a
		}},
		{"bb_width_20", func() []float64 {
			feature.Bollinger(a, b, d, c, 20, 2)
			for i := range a {
				a[i] = (a[i] - d[i]) / b[i]
			}
			return a
		}},
	}
	for _, tc := range tests {
		t.Run(tc.factor, func(t *testing.T) {
			got := m.Column(tc.factor)
			want := tc.want()
			for i := range want {
				g, w := float64(got[i]), want[i]
				if math.IsNaN(g) != math.IsNaN(w) || math.Abs(g-w) > 1e-5*math.Max(1, math.Abs(w)) {
					t.Fatalf("day %d: factor %v, kernel %v", i, g, w)
				}
			}
		})
	}
}

// TestRollingExtremesAgainstNaive compares RollingMax/RollingMin and
// WilliamsR with a direct scan on data with unknown values.
func TestRollingExtremesAgainstNaive(t *testing.T) {
	s := synthSeries(9, 700, true)
	for _, n := range []int{1, 2, 3, 7, 14, 55} {
		t.Run(strconv.Itoa(n), func(t *testing.T) {
			mx, mn, wr := make([]float64, 700), make([]float64, 700), make([]float64, 700)
			feature.RollingMax(mx, s.High, n, nil)
			feature.RollingMin(mn, s.Low, n, make([]float64, n))
			feature.WilliamsR(wr, s.High, s.Low, s.Close, n, nil)
			for i := range mx {
				hi, lo, bad := math.Inf(-1), math.Inf(1), i < n-1
				for j := max(0, i-n+1); j <= i; j++ {
					if math.IsNaN(s.High[j]) || math.IsNaN(s.Low[j]) || math.IsNaN(s.Close[j]) {
						bad = true
					}
					hi, lo = math.Max(hi, s.High[j]), math.Min(lo, s.Low[j])
				}
				wantR := -100 * (hi - s.Close[i]) / (hi - lo)
				if bad {
					wantR = math.NaN()
				}
				if bad != math.IsNaN(wr[i]) || (!bad && math.Abs(wr[i]-wantR) > 1e-9) {
					t.Fatalf("WilliamsR[%d] = %v, want %v", i, wr[i], wantR)
				}
				if badH := math.IsNaN(mx[i]); badH && !math.IsNaN(hi) && !bad {
					t.Fatalf("max[%d] NaN, want %v", i, hi)
				}
				if !math.IsNaN(mx[i]) && mx[i] != hi {
					t.Fatalf("max[%d] = %v, want %v", i, mx[i], hi)
				}
				if !math.IsNaN(mn[i]) && mn[i] != lo {
					t.Fatalf("min[%d] = %v, want %v", i, mn[i], lo)
				}
			}
		})
	}
}

// TestZScoreAndPivotsAgainstNaive checks ZScore and Pivots against direct
// computations on data with unknown values.
func TestZScoreAndPivotsAgainstNaive(t *testing.T) {
	s := synthSeries(12, 600, true)
	n := len(s.Close)
	z := make([]float64, n)
	feature.ZScore(z, s.Close, 20)
	for i := range z {
		bad := i < 19
		var sum, sq float64
		for j := max(0, i-19); j <= i; j++ {
			if math.IsNaN(s.Close[j]) {
				bad = true
			}
			sum += s.Close[j]
		}
		if bad != math.IsNaN(z[i]) {
			t.Fatalf("ZScore[%d] = %v, want NaN=%v", i, z[i], bad)
		}
		if bad {
			continue
		}
		mu := sum / 20
		for j := i - 19; j <= i; j++ {
			sq += (s.Close[j] - mu) * (s.Close[j] - mu)
		}
		if want := (s.Close[i] - mu) / math.Sqrt(sq/19); math.Abs(z[i]-want) > 1e-6 {
			t.Fatalf("ZScore[%d] = %v, want %v", i, z[i], want)
		}
	}
	const k = 5
	ph, pl := make([]float64, n), make([]float64, n)
	feature.Pivots(ph, pl, s.High, s.Low, k)
	found := 0
	for i := range ph {
		wantH, wantL := math.NaN(), math.NaN()
		if i >= 2*k {
			j := i - k
			isH, isL := !math.IsNaN(s.High[j]), !math.IsNaN(s.Low[j])
			for u := i - 2*k; u <= i; u++ {
				if u == j {
					continue
				}
				if math.IsNaN(s.High[u]) || (u < j && s.High[u] >= s.High[j]) || (u > j && s.High[u] > s.High[j]) {
					isH = false
				}
				if math.IsNaN(s.Low[u]) || (u < j && s.Low[u] <= s.Low[j]) || (u > j && s.Low[u] < s.Low[j]) {
					isL = false
				}
			}
			if isH {
				wantH = s.High[j]
				found++
			}
			if isL {
				wantL = s.Low[j]
			}
		}
		if !(ph[i] == wantH || math.IsNaN(ph[i]) && math.IsNaN(wantH)) || !(pl[i] == wantL || math.IsNaN(pl[i]) && math.IsNaN(wantL)) {
			t.Fatalf("Pivots[%d] = (%v, %v), want (%v, %v)", i, ph[i], pl[i], wantH, wantL)
		}
	}
	if found < 10 {
		t.Fatalf("only %d swing highs in 600 days", found)
	}
}

// TestRollingExtremesExact holds RollingMax and RollingMin to a direct
// scan, value for value and NaN for NaN, on both of their paths (series
// with and without negative values), with unknown and infinite values,
// lengths around the block boundaries and dirty scratch buffers.
func TestRollingExtremesExact(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 5))
	for _, signed := range []bool{false, true} {
		for _, n := range []int{1, 2, 3, 5, 14, 55} {
			for _, length := range []int{1, n - 1, n, n + 1, 2 * n, 2*n + 1, 3*n - 1, 7*n + 3, 400} {
				if length < 1 {
					continue
				}
				src := make([]float64, length)
				for i := range src {
					src[i] = r.Float64() * 100
					if signed {
						src[i] -= 50
					}
					switch u := r.Float64(); {
					case u < 0.01:
						src[i] = math.NaN()
					case u < 0.015:
						src[i] = math.Inf(1)
					case u < 0.02 && signed:
						src[i] = math.Inf(-1)
					case u < 0.1 && i > 0:
						src[i] = src[i-1] // ties
					}
				}
				buf := make([]float64, 2*n)
				for i := range buf {
					buf[i] = r.NormFloat64() * 1e6 // dirty scratch
				}
				mx, mn := make([]float64, length), make([]float64, length)
				feature.RollingMax(mx, src, n, buf)
				feature.RollingMin(mn, src, n, buf)
				for i := range src {
					hi, lo, bad := math.Inf(-1), math.Inf(1), i < n-1
					for j := max(0, i-n+1); j <= i; j++ {
						if math.IsNaN(src[j]) || math.IsInf(src[j], 0) {
							bad = true
						}
						hi, lo = math.Max(hi, src[j]), math.Min(lo, src[j])
					}
					for _, c := range []struct {
						name      string
						got, want float64
					}{{"max", mx[i], hi}, {"min", mn[i], lo}} {
						if bad != math.IsNaN(c.got) || (!bad && c.got != c.want) {
							t.Fatalf("signed=%v n=%d len=%d: %s[%d] = %v, want %v (window bad: %v)", signed, n, length, c.name, i, c.got, c.want, bad)
						}
					}
				}
			}
		}
	}
}

// TestEMAUnrolledMatchesSequential holds the unrolled EMA (two bars per
// step) to the plain one-bar recurrence, with unknown values that force
// single steps at odd and even positions: within 1e-12 relative, NaN for
// NaN.
func TestEMAUnrolledMatchesSequential(t *testing.T) {
	r := rand.New(rand.NewPCG(8, 9))
	for _, n := range []int{1, 2, 3, 20, 50} {
		src := make([]float64, 3000)
		x := 100.0
		for i := range src {
			x *= math.Exp(0.03 * r.NormFloat64())
			src[i] = x
			if r.Float64() < 0.03 {
				src[i] = math.NaN()
			}
		}
		got := make([]float64, len(src))
		feature.EMA(got, src, n)
		k := 2 / float64(n+1)
		var v, sum float64
		cnt := 0
		for i, x := range src {
			want := math.NaN()
			switch {
			case math.IsNaN(x):
			case cnt < n:
				sum += x
				if cnt++; cnt == n {
					v = sum / float64(n)
					want = v
				}
			default:
				v = v*(1-k) + x*k
				want = v
			}
			if math.IsNaN(want) != math.IsNaN(got[i]) || (!math.IsNaN(want) && math.Abs(got[i]-want) > 1e-12*math.Abs(want)) {
				t.Fatalf("n=%d day %d: EMA %v, sequential %v", n, i, got[i], want)
			}
		}
	}
}

// TestSMAUnrolledMatchesNaive holds the SMA (two bars per step where it
// can) to the mean of each window, NaN where the window holds an unknown
// value, on data with gaps at odd and even positions.
func TestSMAUnrolledMatchesNaive(t *testing.T) {
	r := rand.New(rand.NewPCG(10, 11))
	for _, n := range []int{1, 2, 3, 20, 200} {
		src := make([]float64, 3000)
		for i := range src {
			src[i] = 50 + 10*r.NormFloat64()
			if r.Float64() < 0.01 {
				src[i] = math.NaN()
			}
		}
		got := make([]float64, len(src))
		feature.SMA(got, src, n)
		for i := range src {
			want := math.NaN()
			if i >= n-1 {
				s := 0.0
				for _, v := range src[i-n+1 : i+1] {
					s += v
				}
				want = s / float64(n)
			}
			if math.IsNaN(want) != math.IsNaN(got[i]) || (!math.IsNaN(want) && math.Abs(got[i]-want) > 1e-9*math.Abs(want)) {
				t.Fatalf("n=%d day %d: SMA %v, want %v", n, i, got[i], want)
			}
		}
	}
}

// TestBollingerMatchesNaive holds the Bollinger bands to the mean and
// population standard deviation of each window, NaN where the window holds
// an unknown value, on data with gaps.
func TestBollingerMatchesNaive(t *testing.T) {
	r := rand.New(rand.NewPCG(12, 13))
	for _, n := range []int{2, 3, 20, 60} {
		src := make([]float64, 2000)
		for i := range src {
			src[i] = 50 + 10*r.NormFloat64()
			if r.Float64() < 0.01 {
				src[i] = math.NaN()
			}
		}
		up, mid, lo := make([]float64, len(src)), make([]float64, len(src)), make([]float64, len(src))
		feature.Bollinger(up, mid, lo, src, n, 2)
		for i := range src {
			wantMid, wantSD := math.NaN(), math.NaN()
			if i >= n-1 {
				s, q := 0.0, 0.0
				for _, v := range src[i-n+1 : i+1] {
					s += v
				}
				wantMid = s / float64(n)
				for _, v := range src[i-n+1 : i+1] {
					q += (v - wantMid) * (v - wantMid)
				}
				wantSD = math.Sqrt(q / float64(n))
			}
			if math.IsNaN(wantMid) != math.IsNaN(mid[i]) || math.IsNaN(wantMid) != math.IsNaN(up[i]) {
				t.Fatalf("n=%d day %d: bands %v %v, want NaN %v", n, i, mid[i], up[i], math.IsNaN(wantMid))
			}
			if math.IsNaN(wantMid) {
				continue
			}
			if math.Abs(mid[i]-wantMid) > 1e-9*math.Abs(wantMid) || math.Abs((up[i]-lo[i])/4-wantSD) > 1e-7*wantMid {
				t.Fatalf("n=%d day %d: mid %v sd %v, want %v %v", n, i, mid[i], (up[i]-lo[i])/4, wantMid, wantSD)
			}
		}
	}
}
