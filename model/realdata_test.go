package model_test

import (
	"encoding/csv"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/regime-engine/regime"
	"github.com/regime-engine/regime/model"
	"github.com/regime-engine/regime/model/gbt"
	"github.com/regime-engine/regime/model/hmm"
	"github.com/regime-engine/regime/model/logistic"
)

// dataDir is the shared real dataset, read in place.
const dataDir = "../../shared/data"

// loadBTC reads the CoinGecko BTC closes (2013-04-28 on); a missing day
// is NaN.
func loadBTC(t *testing.T) ([]regime.Date, []float64) {
	t.Helper()
	path := filepath.Join(dataDir, "prices", "coingecko_daily_majors.csv")
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		t.Skipf("real data not present: %s", path)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.ReuseRecord = true
	if _, err := r.Read(); err != nil {
		t.Fatal(err)
	}
	var dates []regime.Date
	var price []float64
	for line := 2; ; line++ {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if rec[1] != "bitcoin" {
			continue
		}
		d, err := regime.ParseDate(rec[0])
		if err != nil {
			t.Fatalf("%s:%d: %v", path, line, err)
		}
		v, err := strconv.ParseFloat(rec[3], 64)
		if err != nil {
			t.Fatalf("%s:%d: %v", path, line, err)
		}
		for len(dates) > 0 && dates[len(dates)-1]+1 < d { // fill gaps with NaN
			dates = append(dates, dates[len(dates)-1]+1)
			price = append(price, math.NaN())
		}
		if len(dates) > 0 && d <= dates[len(dates)-1] {
			t.Fatalf("%s:%d: %s out of order", path, line, d)
		}
		dates = append(dates, d)
		price = append(price, v)
	}
	return dates, price
}

// btcDataset builds trailing (point-in-time) features and the label
// "the close 30 days later is higher" for every day with a full history
// and a known label.
func btcDataset(dates []regime.Date, price []float64, h int) model.Dataset {
	lr := func(i, k int) float64 { // log return over k days ending at i; NaN when unknown
		if i-k < 0 {
			return math.NaN()
		}
		return math.Log(price[i] / price[i-k])
	}
	vol := func(i, k int) float64 {
		var s, ss float64
		n := 0
		for j := i - k + 1; j <= i; j++ {
			if v := lr(j, 1); !math.IsNaN(v) {
				s += v
				ss += v * v
				n++
			}
		}
		if n < k/2 {
			return math.NaN()
		}
		m := s / float64(n)
		return math.Sqrt(ss/float64(n) - m*m)
	}
	d := model.Dataset{Features: []string{"ret30", "vol30", "ret7", "ret90", "ret365", "dd365"}}
	for i := 365; i+h < len(price); i++ {
		peak := math.Inf(-1)
		for j := i - 364; j <= i; j++ {
			if !math.IsNaN(price[j]) {
				peak = math.Max(peak, price[j])
			}
		}
		fwd := lr(i+h, h)
		if math.IsNaN(fwd) || math.IsNaN(price[i]) {
			continue
		}
		y := 0
		if fwd > 0 {
			y = 1
		}
		d.Dates = append(d.Dates, dates[i])
		d.X = append(d.X, []float64{lr(i, 30), vol(i, 30), lr(i, 7), lr(i, 90), lr(i, 365), math.Log(price[i] / peak)})
		d.Y = append(d.Y, y)
	}
	return d
}

func TestBTCWalkForward(t *testing.T) {
	dates, price := loadBTC(t)
	const h = 30
	d := btcDataset(dates, price, h)
	sched := model.Schedule{RetrainEvery: 90, MinTrain: 730, Embargo: 5}
	tests := []struct {
		name string
		fit  func(model.Dataset) (model.Classifier, error)
	}{
		{"logistic", func(tr model.Dataset) (model.Classifier, error) {
			m := logistic.New(logistic.Config{L2: 0.1})
			return m, m.FitDataset(tr)
		}},
		{"gbt", func(tr model.Dataset) (model.Classifier, error) {
			m := gbt.New(gbt.Config{Trees: 60, LearningRate: 0.05, MaxLeaves: 8, MinLeaf: 50, RowSample: 0.8, Seed: 1})
			return m, m.FitDataset(tr)
		}},
		{"logistic+platt", func(tr model.Dataset) (model.Classifier, error) {
			m := logistic.New(logistic.Config{L2: 0.1, Calibration: model.Calibration{Method: model.CalibPlatt, Holdout: 0.3, Gap: h}})
			return m, m.FitDataset(tr)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if testing.Short() && tt.name == "gbt" {
				t.Skip("gbt walk-forward skipped in -short")
			}
			res, err := model.RunWalkForward(d, h, sched, tt.fit)
			if err != nil {
				t.Fatal(err)
			}
			var p, base []float64
			var y []int
			fold := 0
			for i, pr := range res.Probs {
				if pr == nil {
					continue
				}
				if len(pr) != 2 || math.IsNaN(pr[1]) || pr[1] < 0 || pr[1] > 1 || math.Abs(pr[0]+pr[1]-1) > 1e-12 {
					t.Fatalf("%s: probabilities %v", d.Dates[i], pr)
				}
				for fold+1 < len(res.Folds) && d.Dates[i] >= res.Folds[fold+1].Test.From {
					fold++
				}
				// base rate of the fold's training labels: the naive forecast
				ups, n := 0.0, 0.0
				for j, dt := range d.Dates {
					if dt >= res.Folds[fold].Train.From && dt <= res.Folds[fold].Train.To {
						ups += float64(d.Y[j])
						n++
					}
				}
				p, base, y = append(p, pr[1]), append(base, ups/n), append(y, d.Y[i])
			}
			hit := 0
			for i := range p {
				if (p[i] > 0.5) == (y[i] == 1) {
					hit++
				}
			}
			_, ece := model.Reliability(p, y, 10)
			t.Logf("%s: %d folds, %d out-of-sample days %s..%s: accuracy %.3f, Brier %.4f (base rate %.4f), ECE %.3f",
				tt.name, len(res.Folds), len(p), res.Folds[0].Test.From, res.Folds[len(res.Folds)-1].Test.To,
				float64(hit)/float64(len(p)), model.Brier(p, y, nil), model.Brier(base, y, nil), ece)
			if len(res.Folds) < 30 {
				t.Fatalf("only %d folds", len(res.Folds))
			}
		})
	}
}

func TestBTCHMMStatesAreOrderedBearToBull(t *testing.T) {
	dates, price := loadBTC(t)
	d := btcDataset(dates, price, 30)
	d.Features = d.Features[:2] // ret30, vol30
	for i := range d.X {
		d.X[i] = d.X[i][:2]
	}
	m := hmm.New(hmm.Config{States: 3, Restarts: 4, Seed: 1})
	if err := m.FitDataset(d); err != nil {
		t.Fatal(err)
	}
	mu := m.Means()
	if !(mu[0][0] < 0 && mu[2][0] > 0) {
		t.Fatalf("state means of ret30 %v: want bear < 0 < bull", mu)
	}
	f := m.Filter(d.X)
	avg := func(year int) []float64 {
		out := make([]float64, 3)
		n := 0.0
		for i, dt := range d.Dates {
			if dt.Time().Year() == year {
				for s := range out {
					out[s] += f[i][s]
				}
				n++
			}
		}
		for s := range out {
			out[s] /= n
		}
		return out
	}
	y17, y18, y22 := avg(2017), avg(2018), avg(2022)
	t.Logf("means %v; mean filtered P(bear, mid, bull): 2017 %.2f, 2018 %.2f, 2022 %.2f", mu, y17, y18, y22)
	if !(y18[0] > y17[0] && y17[2] > y18[2] && y22[0] > y17[0]) {
		t.Fatalf("bear years do not lean bear: 2017 %v, 2018 %v, 2022 %v", y17, y18, y22)
	}
}
