package model_test

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/regime-engine/regime"
	"github.com/regime-engine/regime/model"
	"github.com/regime-engine/regime/model/logistic"
)

// spy is a classifier that remembers the last training day it saw (via
// the first feature, which holds the row's date).
type spy struct{ lastTrain float64 }

func (s *spy) Fit(X [][]float64, _ []int, _ []float64) error {
	for _, x := range X {
		s.lastTrain = math.Max(s.lastTrain, x[0])
	}
	return nil
}
func (s *spy) PredictProba(x []float64) []float64 { return []float64{s.lastTrain, x[0]} }
func (s *spy) Classes() int                       { return 2 }

func TestRunWalkForwardIsOutOfSample(t *testing.T) {
	dates := days(rand.New(rand.NewPCG(4, 4)), 300)
	d := model.Dataset{Features: []string{"date"}, Dates: dates, X: make([][]float64, len(dates)), Y: make([]int, len(dates))}
	for i, dt := range dates {
		d.X[i] = []float64{float64(dt)}
	}
	const h, embargo = 10, 3
	res, err := model.RunWalkForward(d, h, model.Schedule{RetrainEvery: 30, MinTrain: 60, Embargo: embargo},
		func(train model.Dataset) (model.Classifier, error) {
			s := &spy{}
			return s, s.Fit(train.X, train.Y, nil)
		})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Folds) < 5 {
		t.Fatalf("%d folds", len(res.Folds))
	}
	seen := 0
	for i, p := range res.Probs {
		if p == nil {
			if seen > 0 {
				t.Fatalf("row %d without prediction after the first fold", i)
			}
			continue
		}
		seen++
		if last, day := p[0], p[1]; !(last+h < day-embargo) {
			t.Fatalf("row %s predicted by a model whose training label ended %s", regime.Date(day), regime.Date(last+h))
		}
	}
	if seen == 0 {
		t.Fatal("no predictions")
	}
}

func TestRunWalkForwardRecordsModels(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 5))
	dates := days(nil, 400)
	d := model.Dataset{Features: []string{"a", "b"}, Dates: dates}
	for range dates {
		x := []float64{r.NormFloat64(), r.NormFloat64()}
		y := 0
		if x[0]+0.5*r.NormFloat64() > 0 {
			y = 1
		}
		d.X, d.Y = append(d.X, x), append(d.Y, y)
	}
	res, err := model.RunWalkForward(d, 5, model.Schedule{RetrainEvery: 90, MinTrain: 100, Window: model.Rolling, Length: 150},
		func(train model.Dataset) (model.Classifier, error) {
			m := logistic.New(logistic.Config{})
			return m, m.FitDataset(train)
		})
	if err != nil {
		t.Fatal(err)
	}
	for k, f := range res.Folds {
		if f.Meta.Kind != logistic.Kind || len(f.Meta.Hash) != 64 || f.Meta.From != f.Train.From || f.Meta.To != f.Train.To {
			t.Fatalf("fold %d: %+v", k, f)
		}
		if int(f.Train.To-f.Train.From) > 150 || !(f.Train.To+5 < f.Test.From) {
			t.Fatalf("fold %d: train %s test %s", k, f.Train, f.Test)
		}
	}
	boom := errors.New("boom")
	_, err = model.RunWalkForward(d, 5, model.Schedule{RetrainEvery: 90, MinTrain: 100},
		func(model.Dataset) (model.Classifier, error) { return nil, boom })
	if !errors.Is(err, boom) {
		t.Fatalf("fit error not returned: %v", err)
	}
	d.Y = nil
	if _, err := model.RunWalkForward(d, 5, model.Schedule{RetrainEvery: 1, MinTrain: 1}, nil); regime.ErrorCode(err) != regime.EINVALID {
		t.Fatalf("unlabelled dataset: %v", err)
	}
}
