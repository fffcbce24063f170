package detect_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/regime-engine/regime/detect"
)

// TestDateCyclesProperties dates many seeded random walks with random
// parameters and checks what every dating must satisfy: alternating
// turns, consistent phases and labels, every interior phase at least
// MinPhaseDays long (or waived), every cycle at least MinCycleDays, and,
// without the censoring rules, every bear phase falling by the threshold
// and every bull phase rising by the rise threshold.
func TestDateCyclesProperties(t *testing.T) {
	runs := 300
	if testing.Short() {
		runs = 60
	}
	r := rand.New(rand.NewPCG(42, 42))
	for run := range runs {
		dates, _ := path(knot{0, 1}, knot{1500, 1})
		price := walk(uint64(run), len(dates), run%2 == 0)
		p := detect.DatingParams{
			Threshold:     []float64{0.15, 0.25, 0.35, 0.5}[r.IntN(4)],
			RiseThreshold: []float64{0, 0, 0.3, 0.8}[r.IntN(4)],
			MinPhaseDays:  []int{0, 0, 20, 60, 120}[r.IntN(5)],
			MinCycleDays:  []int{0, 0, 90, 180, 365}[r.IntN(5)],
			CensorDays:    []int{0, 30, 90}[r.IntN(3)],
			WaiveMove:     []float64{0, 0, 0.4}[r.IntN(3)],
		}
		d, err := detect.DateCycles(dates, price, p)
		if err != nil {
			t.Fatalf("run %d %+v: %v", run, p, err)
		}
		checkConsistent(t, d, price)
		rise := p.RiseThreshold
		if rise == 0 {
			rise = p.Threshold
		}
		last := len(price) - 1
		for math.IsNaN(price[last]) {
			last--
		}
		for k, tp := range d.Turns {
			if p.CensorDays > 0 && tp.Date > dates[last].AddDays(-p.CensorDays) {
				t.Errorf("run %d: turn %v inside the %d censored days", run, tp, p.CensorDays)
			}
			if k == 0 {
				continue
			}
			prev := d.Turns[k-1]
			days := int(tp.Date - prev.Date)
			move := tp.Price/prev.Price - 1
			if prev.Kind == detect.Peak {
				move = 1 - tp.Price/prev.Price
			}
			if days < p.MinPhaseDays && (p.WaiveMove == 0 || move < p.WaiveMove) {
				t.Errorf("run %d %+v: %d-day phase %v..%v survived", run, p, days, prev, tp)
			}
			if k >= 2 && int(tp.Date-d.Turns[k-2].Date) < p.MinCycleDays {
				t.Errorf("run %d %+v: short cycle %v..%v survived", run, p, d.Turns[k-2], tp)
			}
			if p.MinPhaseDays == 0 && p.MinCycleDays == 0 {
				want := p.Threshold
				if prev.Kind == detect.Trough {
					want = rise
				}
				if move < want-1e-12 {
					t.Errorf("run %d %+v: phase %v..%v moves %.3f, below its threshold %.3f", run, p, prev, tp, move, want)
				}
			}
		}
		conf := d.Confirmed()
		for i := range conf {
			if conf[i] != detect.Neutral && conf[i] != d.Labels[i] {
				t.Fatalf("run %d: confirmed[%d] = %s but label %s", run, i, conf[i], d.Labels[i])
			}
		}
	}
}

// FuzzDateCycles checks that arbitrary closes and parameters never panic
// and always give a consistent dating or an error.
func FuzzDateCycles(f *testing.F) {
	f.Add([]byte{10, 20, 30, 5, 7, 40, 0, 3}, 0.35, 2, 5, 1)
	f.Add([]byte{255, 1, 255, 1, 255, 1}, 0.5, 0, 0, 0)
	f.Fuzz(func(t *testing.T, raw []byte, th float64, minPhase, minCycle, censor int) {
		if len(raw) > 2000 {
			return
		}
		dates, _ := path(knot{0, 1}, knot{len(raw), 1})
		dates = dates[:len(raw)]
		price := make([]float64, len(raw))
		for i, b := range raw {
			price[i] = float64(b)
			if b == 0 {
				price[i] = math.NaN()
			}
		}
		p := detect.DatingParams{Threshold: th, MinPhaseDays: minPhase % 400, MinCycleDays: minCycle % 800, CensorDays: censor % 100}
		d, err := detect.DateCycles(dates, price, p)
		if err != nil {
			return
		}
		checkConsistent(t, d, price)
	})
}
