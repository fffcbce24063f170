package detect_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/markcheno/go-talib"
	"github.com/regime-engine/regime/detect"
)

// walk returns a seeded geometric random walk of n closes with a few NaN
// gaps, drifting through bull and bear stretches.
func walk(seed uint64, n int, gaps bool) []float64 {
	r := rand.New(rand.NewPCG(seed, 1))
	p := make([]float64, n)
	v := 100.0
	for i := range p {
		drift := 0.003 * math.Sin(float64(i)/90)
		v *= math.Exp(drift + 0.04*r.NormFloat64())
		p[i] = v
		if gaps && r.IntN(40) == 0 {
			p[i] = math.NaN()
		}
	}
	return p
}

func TestBaselinesAreCausal(t *testing.T) {
	price := walk(7, 900, true)
	r := rand.New(rand.NewPCG(99, 2))
	for _, b := range detect.Baselines() {
		t.Run(b.Name, func(t *testing.T) {
			full := b.Signal(price)
			if len(full) != len(price) {
				t.Fatalf("%d states for %d prices", len(full), len(price))
			}
			for cut := 0; cut < len(price); cut += 13 {
				// Prefix truncation: computing on data up to cut gives the same states.
				if diff := cmp.Diff(full[:cut+1], b.Signal(price[:cut+1])); diff != "" {
					t.Fatalf("cut %d: prefix signal differs (-full +prefix):\n%s", cut, diff)
				}
				// Future poisoning: wild values after cut change nothing up to cut.
				poisoned := append([]float64(nil), price...)
				for i := cut + 1; i < len(poisoned); i++ {
					switch r.IntN(3) {
					case 0:
						poisoned[i] = math.NaN()
					case 1:
						poisoned[i] *= 1000
					default:
						poisoned[i] = 1e-6
					}
				}
				if diff := cmp.Diff(full[:cut+1], b.Signal(poisoned)[:cut+1]); diff != "" {
					t.Fatalf("cut %d: future values leak into the past (-clean +poisoned):\n%s", cut, diff)
				}
			}
		})
	}
}

func TestBaselineHandCases(t *testing.T) {
	B, R, N := detect.Bull, detect.Bear, detect.Neutral
	nan := math.NaN()
	tests := []struct {
		name  string
		sig   detect.SignalFunc
		price []float64
		want  []detect.State
	}{
		{"buy and hold waits for the first price", detect.BuyAndHold, []float64{nan, 1, nan}, []detect.State{N, B, B}},
		// SMA3 over valid closes: 2, 3, 2.67, (NaN day), 3.33.
		{"price above SMA3", func(p []float64) []detect.State { return detect.AboveSMA(p, 3) },
			[]float64{1, 2, 3, 4, 1, nan, 5}, []detect.State{N, N, B, B, R, R, B}},
		{"equal to the SMA is bear", func(p []float64) []detect.State { return detect.AboveSMA(p, 3) },
			[]float64{5, 5, 5, 5}, []detect.State{N, N, R, R}},
		// SMA2: -, 1.5, 2.5, 2.5, 1.5; SMA3: -, -, 2, 2.33, 2.
		{"SMA2 above SMA3", func(p []float64) []detect.State { return detect.Cross(p, 2, 3) },
			[]float64{1, 2, 3, 2, 1}, []detect.State{N, N, B, B, R}},
		// 110 high; 85 <= 88 bear (low 85, then 80); 96 >= 96 bull (high 96..120); 95 <= 96 bear.
		{"20% rule", detect.TwentyPercentRule,
			[]float64{100, 110, 85, 80, 96, 97, 120, 95, 94}, []detect.State{N, N, R, R, B, B, B, R, R}},
		{"20% rule holds through gaps", detect.TwentyPercentRule,
			[]float64{100, nan, 79, nan, 95, nan}, []detect.State{N, N, R, R, B, B}},
		{"RSI2 above 50", func(p []float64) []detect.State { return detect.RSIAbove(p, 2, 50) },
			// changes +1, +1 -> RSI 100; -3 -> gain 0.5, loss 1.5 -> 25; +4 -> gain 2.25, loss 0.75 -> 75.
			[]float64{10, 11, 12, 9, 13}, []detect.State{N, N, B, R, B}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, tt.sig(tt.price)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestMACDPositiveTrends(t *testing.T) {
	up := make([]float64, 60)
	down := make([]float64, 60)
	for i := range up {
		up[i] = 100 + float64(i)
		down[i] = 200 - float64(i)
	}
	for _, tc := range []struct {
		name  string
		price []float64
		want  detect.State
	}{{"rising", up, detect.Bull}, {"falling", down, detect.Bear}} {
		got := detect.MACDPositive(tc.price)
		for i, s := range got {
			want := tc.want
			if i < 25 {
				want = detect.Neutral // EMA26 needs 26 closes
			}
			if s != want {
				t.Fatalf("%s: day %d state %s, want %s", tc.name, i, s, want)
			}
		}
	}
}

// TestIndicatorsMatchTALib checks the local SMA and Wilder RSI against
// TA-Lib through the signals they drive, and MACD once TA-Lib's different
// EMA seeding has washed out.
func TestIndicatorsMatchTALib(t *testing.T) {
	price := walk(3, 1200, false)
	sma := talib.Sma(price, 200)
	rsi := talib.Rsi(price, 14)
	macd, _, _ := talib.Macd(price, 12, 26, 9)
	above, rsi50, macd0 := detect.SMA200(price), detect.RSI50(price), detect.MACDPositive(price)
	state := func(ok bool) detect.State {
		if ok {
			return detect.Bull
		}
		return detect.Bear
	}
	for i := range price {
		if i >= 199 && math.Abs(price[i]-sma[i]) > 1e-9*price[i] && above[i] != state(price[i] > sma[i]) {
			t.Errorf("day %d: price>SMA200 %s, TA-Lib SMA %v price %v", i, above[i], sma[i], price[i])
		}
		if i >= 14 && math.Abs(rsi[i]-50) > 1e-9 && rsi50[i] != state(rsi[i] > 50) {
			t.Errorf("day %d: RSI14>50 %s, TA-Lib RSI %v", i, rsi50[i], rsi[i])
		}
		if i >= 300 && math.Abs(macd[i]) > 1e-6*price[i] && macd0[i] != state(macd[i] > 0) {
			t.Errorf("day %d: MACD>0 %s, TA-Lib MACD %v", i, macd0[i], macd[i])
		}
	}
}

func TestBaselinesNames(t *testing.T) {
	var got []string
	for _, b := range detect.Baselines() {
		got = append(got, b.Name)
	}
	want := []string{"buy-and-hold", "price>SMA200", "SMA50>SMA200", "MACD>0", "RSI14>50", "20% rule"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
