package model_test

import (
	"math"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/regime-engine/regime"
	"github.com/regime-engine/regime/model"
)

func TestForwardLabels(t *testing.T) {
	nan := math.NaN()
	close := []float64{100, 110, 100, 90, nan, 95, 100}
	tests := []struct {
		name    string
		horizon int
		band    float64
		want    []int
	}{
		{"binary h=1", 1, 0, []int{1, 0, 0, -1, -1, 1, -1}},
		{"binary h=2", 2, 0, []int{0, 0, -1, 1, -1, -1, -1}},
		{"three states", 1, 0.05, []int{2, 0, 0, -1, -1, 2, -1}},
		{"wide band", 1, 0.06, []int{2, 0, 0, -1, -1, 1, -1}},
		{"zero horizon", 0, 0, []int{-1, -1, -1, -1, -1, -1, -1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, model.ForwardLabels(close, tt.horizon, tt.band)); diff != "" {
				t.Fatalf("labels (-want +got):\n%s", diff)
			}
		})
	}
}

func TestLabelledDropsUnknown(t *testing.T) {
	d := model.Dataset{Features: []string{"x"}, Dates: []regime.Date{1, 2, 3},
		X: [][]float64{{1}, {2}, {3}}, Y: []int{0, model.Unknown, 1}}
	l := d.Labelled()
	if l.Len() != 2 || l.Dates[1] != 3 || l.Y[1] != 1 || l.Validate() != nil {
		t.Fatalf("labelled %+v", l)
	}
}
