package model_test

import (
	"bytes"
	"encoding/json"
	"math"
	"testing"

	"github.com/regime-engine/regime/model"
	"github.com/regime-engine/regime/model/gbt"
	"github.com/regime-engine/regime/model/hmm"
	"github.com/regime-engine/regime/model/logistic"
)

// savedModels returns one small saved model of each kind as fuzz seeds.
func savedModels(f *testing.F) [][]byte {
	X := [][]float64{{1, math.NaN()}, {2, 1}, {3, 0}, {4, 2}, {5, 1}, {6, math.NaN()}, {7, 3}, {8, 1}}
	y := []int{0, 0, 1, 0, 1, 1, 1, 0}
	var out [][]byte
	l := logistic.New(logistic.Config{})
	g := gbt.New(gbt.Config{Trees: 3, MinLeaf: 1})
	h := hmm.New(hmm.Config{Restarts: 1})
	if err := l.Fit(X, y, nil); err != nil {
		f.Fatal(err)
	}
	if err := g.Fit(X, y, nil); err != nil {
		f.Fatal(err)
	}
	if err := h.Fit(X); err != nil {
		f.Fatal(err)
	}
	var b1, b2, b3 bytes.Buffer
	if l.Save(&b1) != nil || g.Save(&b2) != nil || h.Save(&b3) != nil {
		f.Fatal("save failed")
	}
	return append(out, b1.Bytes(), b2.Bytes(), b3.Bytes())
}

// FuzzLoad feeds arbitrary bytes to every loader: none may panic, and a
// model that loads must predict without panicking and save to a file that
// loads to the same hash.
func FuzzLoad(f *testing.F) {
	for _, s := range savedModels(f) {
		f.Add(s)
	}
	f.Add([]byte(`{"meta":{"kind":"gbt","version":1},"params":{}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		row := []float64{1, math.NaN()}
		if m, err := logistic.Load(bytes.NewReader(b)); err == nil {
			m.PredictProba(row)
			var out bytes.Buffer
			if err := m.Save(&out); err != nil {
				t.Fatal(err)
			}
			if l, err := logistic.Load(&out); err != nil || l.Meta().Hash != m.Meta().Hash {
				t.Fatalf("logistic reload: %v", err)
			}
		}
		if m, err := gbt.Load(bytes.NewReader(b)); err == nil {
			m.PredictProba(row)
			var out bytes.Buffer
			if err := m.Save(&out); err != nil {
				t.Fatal(err)
			}
			if l, err := gbt.Load(&out); err != nil || l.Meta().Hash != m.Meta().Hash {
				t.Fatalf("gbt reload: %v", err)
			}
		}
		if m, err := hmm.Load(bytes.NewReader(b)); err == nil {
			m.Filter([][]float64{row, row})
		}
		var p struct {
			V model.Vec `json:"v"`
		}
		_, _ = model.Decode(bytes.NewReader(b), "x", &p)
	})
}

// FuzzLoadParams re-signs arbitrary parameter JSON with a valid hash, so
// that the loaders' consistency checks (not just the hash) are exercised:
// a model that loads must predict and filter without panicking.
func FuzzLoadParams(f *testing.F) {
	for i, s := range savedModels(f) {
		var env struct {
			Params json.RawMessage `json:"params"`
		}
		if err := json.Unmarshal(s, &env); err != nil {
			f.Fatal(err)
		}
		f.Add(uint8(i), []byte(env.Params))
	}
	kinds := []string{logistic.Kind, gbt.Kind, hmm.Kind}
	f.Fuzz(func(t *testing.T, k uint8, params []byte) {
		if !json.Valid(params) {
			return
		}
		kind := kinds[int(k)%len(kinds)]
		var buf bytes.Buffer
		if err := model.Encode(&buf, model.Meta{Kind: kind, Hyper: json.RawMessage(`{}`)}, json.RawMessage(params)); err != nil {
			return
		}
		row := []float64{1, math.NaN()}
		switch kind {
		case logistic.Kind:
			if m, err := logistic.Load(&buf); err == nil {
				m.PredictProba(row)
			}
		case gbt.Kind:
			if m, err := gbt.Load(&buf); err == nil {
				m.PredictProba(row)
			}
		case hmm.Kind:
			if m, err := hmm.Load(&buf); err == nil {
				m.Filter([][]float64{row, {math.NaN(), 2}})
			}
		}
	})
}
