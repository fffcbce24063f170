package model_test

import (
	"math/rand/v2"
	"testing"

	"github.com/regime-engine/regime"
	"github.com/regime-engine/regime/model"
)

// days returns n increasing dates from 2018-01-01 with occasional gaps.
func days(r *rand.Rand, n int) []regime.Date {
	d := regime.MustDate("2018-01-01")
	out := make([]regime.Date, n)
	for i := range out {
		out[i] = d
		d += 1
		if r != nil && r.IntN(20) == 0 {
			d += regime.Date(1 + r.IntN(5))
		}
	}
	return out
}

func TestWalkForwardNoOverlapProperty(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for trial := 0; trial < 500; trial++ {
		n := 1 + r.IntN(400)
		dates := days(r, n)
		h := r.IntN(30)
		cfg := model.Schedule{
			RetrainEvery: 1 + r.IntN(60),
			MinTrain:     1 + r.IntN(100),
			Embargo:      r.IntN(10),
			Purge:        r.IntN(5),
		}
		if r.IntN(2) == 0 {
			cfg.Window, cfg.Length = model.Rolling, 1+r.IntN(200)
		}
		folds, err := model.WalkForward(dates, h, cfg)
		if err != nil {
			t.Fatalf("trial %d %+v: %v", trial, cfg, err)
		}
		next := -1
		for k, f := range folds {
			if len(f.Train) < cfg.MinTrain || len(f.Test) == 0 {
				t.Fatalf("trial %d fold %d: %d train, %d test rows (min %d)", trial, k, len(f.Train), len(f.Test), cfg.MinTrain)
			}
			first := dates[f.Test[0]]
			if next >= 0 && f.Test[0] != next {
				t.Fatalf("trial %d fold %d: test starts at %d, previous ended before %d", trial, k, f.Test[0], next)
			}
			if k > 0 && first < dates[folds[k-1].Test[0]]+regime.Date(cfg.RetrainEvery) {
				t.Fatalf("trial %d fold %d: retrained after less than %d days", trial, k, cfg.RetrainEvery)
			}
			for j, i := range f.Test {
				if j > 0 && i != f.Test[j-1]+1 {
					t.Fatalf("trial %d fold %d: test block not contiguous", trial, k)
				}
			}
			next = f.Test[len(f.Test)-1] + 1
			for _, i := range f.Train {
				end := dates[i] + regime.Date(h+cfg.Purge)
				if !(end < first-regime.Date(cfg.Embargo)) {
					t.Fatalf("trial %d fold %d: training row %s label ends %s, test starts %s, embargo %d", trial, k, dates[i], end, first, cfg.Embargo)
				}
				if cfg.Window == model.Rolling && dates[i] < first-regime.Date(cfg.Length) {
					t.Fatalf("trial %d fold %d: row %s older than rolling window %d before %s", trial, k, dates[i], cfg.Length, first)
				}
			}
		}
		if len(folds) > 0 && next != n {
			t.Fatalf("trial %d: test blocks end at %d of %d rows", trial, next, n)
		}
	}
}

func TestWalkForwardExample(t *testing.T) {
	dates := days(nil, 20)
	folds, err := model.WalkForward(dates, 2, model.Schedule{RetrainEvery: 5, MinTrain: 5, Embargo: 1})
	if err != nil {
		t.Fatal(err)
	}
	// row i is eligible for a test block starting at row s when i+2+1 < s.
	want := []struct{ train, testFrom, testTo int }{
		{5, 8, 12}, {10, 13, 17}, {15, 18, 19},
	}
	if len(folds) != len(want) {
		t.Fatalf("%d folds, want %d: %+v", len(folds), len(want), folds)
	}
	for k, w := range want {
		f := folds[k]
		if len(f.Train) != w.train || f.Train[0] != 0 || f.Test[0] != w.testFrom || f.Test[len(f.Test)-1] != w.testTo {
			t.Errorf("fold %d: train %v test %v, want %d train rows, test %d..%d", k, f.Train, f.Test, w.train, w.testFrom, w.testTo)
		}
	}
	if got := folds[0].TrainWindow(dates); got.To != dates[4] {
		t.Errorf("train window %s", got)
	}
	if got := folds[2].TestWindow(dates); got.From != dates[18] || got.To != dates[19] {
		t.Errorf("test window %s", got)
	}
}

func TestWalkForwardErrors(t *testing.T) {
	ok := model.Schedule{RetrainEvery: 1, MinTrain: 1}
	tests := []struct {
		name  string
		dates []regime.Date
		h     int
		cfg   model.Schedule
	}{
		{"negative horizon", days(nil, 5), -1, ok},
		{"zero retrain", days(nil, 5), 1, model.Schedule{MinTrain: 1}},
		{"zero min train", days(nil, 5), 1, model.Schedule{RetrainEvery: 1}},
		{"negative embargo", days(nil, 5), 1, model.Schedule{RetrainEvery: 1, MinTrain: 1, Embargo: -1}},
		{"negative purge", days(nil, 5), 1, model.Schedule{RetrainEvery: 1, MinTrain: 1, Purge: -1}},
		{"unknown window", days(nil, 5), 1, model.Schedule{RetrainEvery: 1, MinTrain: 1, Window: "sliding"}},
		{"rolling without length", days(nil, 5), 1, model.Schedule{RetrainEvery: 1, MinTrain: 1, Window: model.Rolling}},
		{"unsorted dates", []regime.Date{3, 2}, 1, ok},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := model.WalkForward(tt.dates, tt.h, tt.cfg)
			if regime.ErrorCode(err) != regime.EINVALID {
				t.Fatalf("err = %v, want EINVALID", err)
			}
		})
	}
	folds, err := model.WalkForward(days(nil, 3), 5, ok)
	if err != nil || folds != nil {
		t.Fatalf("short data: %v, %v", folds, err)
	}
}
