package model_test

import (
	"bytes"
	"encoding/json"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/regime-engine/regime"
	"github.com/regime-engine/regime/model"
)

type params struct {
	W    model.Vec   `json:"w"`
	B    model.Float `json:"b"`
	Name string      `json:"name"`
}

func TestEncodeDecodeRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	p := params{B: model.Float(math.Pi), Name: "x"}
	for range 200 {
		p.W = append(p.W, math.Float64frombits(r.Uint64()>>2)*r.NormFloat64())
	}
	p.W = append(p.W, math.NaN(), math.Inf(1), math.Inf(-1), 0.1, 1e-300, 5e-324, math.MaxFloat64, -0.0)
	meta := model.Meta{Kind: "test", Features: []string{"a", "b"}, From: regime.MustDate("2020-01-01"),
		To: regime.MustDate("2021-06-30"), Hyper: model.HyperJSON(map[string]any{"z": 1, "a": "q"}), Seed: 7}
	var buf bytes.Buffer
	if err := model.Encode(&buf, meta, p); err != nil {
		t.Fatal(err)
	}
	first := buf.String()
	var q params
	got, err := model.Decode(strings.NewReader(first), "test", &q)
	if err != nil {
		t.Fatal(err)
	}
	for i := range p.W {
		if math.Float64bits(p.W[i]) != math.Float64bits(q.W[i]) && !(math.IsNaN(p.W[i]) && math.IsNaN(q.W[i])) {
			t.Fatalf("value %d: %v became %v", i, p.W[i], q.W[i])
		}
	}
	if q.B != p.B || got.From != meta.From || got.To != meta.To || got.Seed != 7 || string(got.Hyper) != `{"a":"q","z":1}` {
		t.Fatalf("meta %+v params b %v", got, q.B)
	}
	want, _ := model.Hash(meta, p)
	if got.Hash != want || len(want) != 64 {
		t.Fatalf("hash %q, want %q", got.Hash, want)
	}
	var again bytes.Buffer
	if err := model.Encode(&again, got, q); err != nil {
		t.Fatal(err)
	}
	if again.String() != first {
		t.Fatalf("re-encoding differs:\n%s\n%s", first, again.String())
	}
}

func TestDecodeRejects(t *testing.T) {
	var buf bytes.Buffer
	if err := model.Encode(&buf, model.Meta{Kind: "test"}, params{W: model.Vec{1.5, 2}}); err != nil {
		t.Fatal(err)
	}
	good := buf.String()
	tests := []struct{ name, in, kind string }{
		{"garbage", "not json", "test"},
		{"wrong kind", good, "gbt"},
		{"tampered", strings.Replace(good, "1.5", "1.25", 1), "test"},
		{"bad version", strings.Replace(good, `"version": 1`, `"version": 9`, 1), "test"},
		{"bad float", strings.Replace(good, "1.5", `"x"`, 1), "test"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var p params
			_, err := model.Decode(strings.NewReader(tt.in), tt.kind, &p)
			if regime.ErrorCode(err) != regime.EINVALID {
				t.Fatalf("err = %v, want EINVALID", err)
			}
		})
	}
}

func TestHashChangesWithContent(t *testing.T) {
	base := model.Meta{Kind: "k", Seed: 1}
	h0, _ := model.Hash(base, params{W: model.Vec{1}})
	tests := []struct {
		name string
		meta model.Meta
		p    params
	}{
		{"param", base, params{W: model.Vec{math.Nextafter(1, 2)}}},
		{"seed", model.Meta{Kind: "k", Seed: 2}, params{W: model.Vec{1}}},
		{"window", model.Meta{Kind: "k", Seed: 1, To: 5}, params{W: model.Vec{1}}},
		{"features", model.Meta{Kind: "k", Seed: 1, Features: []string{"f"}}, params{W: model.Vec{1}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := model.Hash(tt.meta, tt.p)
			if err != nil || h == h0 {
				t.Fatalf("hash %s unchanged (err %v)", h, err)
			}
		})
	}
}

func TestVecJSON(t *testing.T) {
	b, err := json.Marshal(model.Vec{0.1, 1e21, math.NaN(), math.Inf(-1), 3})
	if err != nil {
		t.Fatal(err)
	}
	if want := `[0.1,1e+21,"NaN","-Inf",3]`; string(b) != want {
		t.Fatalf("got %s want %s", b, want)
	}
}

func TestImputer(t *testing.T) {
	nan := math.NaN()
	X := [][]float64{{1, nan, 5}, {3, 2, 5}, {2, 4, 5}, {10, nan, 5}}
	im := model.FitImputer(X)
	if got := im.Transform(nil, []float64{nan, nan, nan}); !equal(got, []float64{2.5, 3, 5, 1}) {
		t.Fatalf("all missing -> %v", got)
	}
	if got := im.Transform(nil, []float64{7, 8, 9}); !equal(got, []float64{7, 8, 9, 0}) {
		t.Fatalf("observed -> %v", got)
	}
	if im.Width() != 4 || len(im.Indicator) != 1 || im.Indicator[0] != 1 {
		t.Fatalf("imputer %+v", im)
	}
}

func equal(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestDatasetValidateAndSubset(t *testing.T) {
	d := model.Dataset{Features: []string{"a"}, Dates: []regime.Date{10, 11, 12},
		X: [][]float64{{1}, {2}, {3}}, Y: []int{0, 1, 0}, W: []float64{1, 2, 3}}
	if err := d.Validate(); err != nil {
		t.Fatal(err)
	}
	s := d.Subset([]int{2, 0})
	if s.Len() != 2 || s.Dates[0] != 12 || s.X[1][0] != 1 || s.Y[0] != 0 || s.W[0] != 3 {
		t.Fatalf("subset %+v", s)
	}
	if w := d.Window(); w.From != 10 || w.To != 12 {
		t.Fatalf("window %v", w)
	}
	bad := []model.Dataset{
		{Features: []string{"a"}, Dates: []regime.Date{1}, X: [][]float64{{1}, {2}}},
		{Features: []string{"a"}, Dates: []regime.Date{2, 1}, X: [][]float64{{1}, {2}}},
		{Features: []string{"a", "b"}, Dates: []regime.Date{1}, X: [][]float64{{1}}},
		{Features: []string{"a"}, Dates: []regime.Date{1}, X: [][]float64{{1}}, Y: []int{-1}},
		{Features: []string{"a"}, Dates: []regime.Date{1}, X: [][]float64{{1}}, W: []float64{math.NaN()}},
	}
	for i, b := range bad {
		if regime.ErrorCode(b.Validate()) != regime.EINVALID {
			t.Errorf("bad dataset %d accepted", i)
		}
	}
}
