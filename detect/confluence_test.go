package detect_test

import (
	"math"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/regime-engine/regime"
	"github.com/regime-engine/regime/detect"
)

const (
	B = detect.Bull
	R = detect.Bear
	N = detect.Neutral
)

// threeFamilies is a 2-of-3 confluence without confirmation delay.
func threeFamilies() detect.ConfluenceConfig {
	return detect.ConfluenceConfig{Families: []string{"a", "b", "c"}, VoteBand: 0.1, K: 2, ConfirmDays: 1}
}

func TestConfluence(t *testing.T) {
	nan := math.NaN()
	tests := []struct {
		name   string
		cfg    func(c *detect.ConfluenceConfig)
		scores [][]float64
		want   []detect.State
	}{
		{
			name: "two of three agree",
			scores: [][]float64{
				{0.5, 0.5, -0.5, -0.5},
				{0.5, 0.0, -0.5, -0.5},
				{0.0, 0.5, 0.0, -0.5},
			},
			want: []detect.State{B, B, R, R},
		},
		{
			name: "hysteresis: the call holds until the opposite confluence",
			scores: [][]float64{
				{0.5, 0.5, 0.0, -0.5, -0.5},
				{0.5, 0.0, 0.0, 0.0, -0.5},
				{0.0, -0.5, -0.5, 0.0, 0.0},
			},
			want: []detect.State{B, B, B, B, R},
		},
		{
			name: "inside the vote band is no vote",
			scores: [][]float64{
				{0.05, 0.5},
				{0.09, 0.5},
				{0.0, 0.0},
			},
			want: []detect.State{N, B},
		},
		{
			name: "unknown families abstain",
			scores: [][]float64{
				{nan, 0.5, 0.5},
				{0.5, nan, 0.5},
				{nan, nan, nan},
			},
			want: []detect.State{N, N, B},
		},
		{
			name: "confirmation days",
			cfg:  func(c *detect.ConfluenceConfig) { c.ConfirmDays = 3 },
			scores: [][]float64{
				{0.5, 0.5, 0.5, 0.5, -0.5, -0.5, 0.5},
				{0.5, 0.5, 0.5, 0.5, -0.5, -0.5, 0.5},
				{0, 0, 0, 0, 0, 0, 0},
			},
			want: []detect.State{N, N, B, B, B, B, B},
		},
		{
			name: "weights: one heavy family is two votes",
			cfg:  func(c *detect.ConfluenceConfig) { c.Weights = map[string]float64{"a": 2, "b": 0.5, "c": 0.5} },
			scores: [][]float64{
				{0.5, 0.0},
				{0.0, 0.5},
				{0.0, 0.5},
			},
			want: []detect.State{B, B},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := threeFamilies()
			if tc.cfg != nil {
				tc.cfg(&cfg)
			}
			r, err := detect.Confluence(tc.scores, cfg)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, r.State); diff != "" {
				t.Errorf("state (-want +got):\n%s", diff)
			}
		})
	}
}

func TestConfluenceErrors(t *testing.T) {
	tests := []struct {
		name   string
		cfg    func(c *detect.ConfluenceConfig)
		scores [][]float64
	}{
		{"no families", func(c *detect.ConfluenceConfig) { c.Families = nil }, nil},
		{"K above the total weight", func(c *detect.ConfluenceConfig) { c.K = 4 }, [][]float64{{0}, {0}, {0}}},
		{"zero K", func(c *detect.ConfluenceConfig) { c.K = 0 }, [][]float64{{0}, {0}, {0}}},
		{"negative weight", func(c *detect.ConfluenceConfig) { c.Weights = map[string]float64{"a": -1} }, [][]float64{{0}, {0}, {0}}},
		{"band of 1", func(c *detect.ConfluenceConfig) { c.VoteBand = 1 }, [][]float64{{0}, {0}, {0}}},
		{"no confirmation", func(c *detect.ConfluenceConfig) { c.ConfirmDays = 0 }, [][]float64{{0}, {0}, {0}}},
		{"missing family row", nil, [][]float64{{0}, {0}}},
		{"ragged rows", nil, [][]float64{{0}, {0, 1}, {0}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := threeFamilies()
			if tc.cfg != nil {
				tc.cfg(&cfg)
			}
			_, err := detect.Confluence(tc.scores, cfg)
			if regime.ErrorCode(err) != regime.EINVALID {
				t.Errorf("error %v, want EINVALID", err)
			}
		})
	}
}

func TestFamilyScores(t *testing.T) {
	nan := float32(math.NaN())
	cols := map[string][]float32{
		"up":   {0, 1, nan, 2},
		"down": {0, 1, 1, nan},
	}
	rules := []detect.FamilyRule{
		{Family: "mixed", Terms: []detect.Term{{Factor: "up", Center: 0, Scale: 1}, {Factor: "down", Center: 0, Scale: -1}}},
		{Family: "absent", Terms: []detect.Term{{Factor: "nothing", Center: 0, Scale: 1}}},
	}
	got := detect.FamilyScores(func(n string) []float32 { return cols[n] }, 4, rules)
	t1 := math.Tanh(1)
	want := [][]float64{{0, 0, -t1, math.Tanh(2)}, {math.NaN(), math.NaN(), math.NaN(), math.NaN()}}
	if diff := cmp.Diff(want, got, cmp.Comparer(func(a, b float64) bool {
		return math.Abs(a-b) < 1e-12 || (math.IsNaN(a) && math.IsNaN(b))
	})); diff != "" {
		t.Errorf("scores (-want +got):\n%s", diff)
	}
}

func TestSignalOf(t *testing.T) {
	cfg := detect.ConfluenceConfig{Families: []string{"a", "b", "c", "d"}, VoteBand: 0.1, K: 2, ConfirmDays: 1}
	tests := []struct {
		name       string
		scores     []float64
		state      detect.State
		families   []string
		conviction float64
	}{
		{"two bulls, two abstain", []float64{0.8, 0.4, 0, 0}, B, []string{"a", "b"}, 0.5 * 0.6},
		{"two bears beat one bull", []float64{-0.5, -0.5, 0.5, 0}, R, []string{"a", "b"}, 0.5 * 0.5},
		{"tie is neutral", []float64{-0.5, -0.5, 0.5, 0.5}, N, nil, 0},
		{"unknown families do not vote", []float64{0.5, 0.5, math.NaN(), math.NaN()}, B, []string{"a", "b"}, 0.5},
		{"below K", []float64{0.5, 0, 0, 0}, N, nil, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := detect.SignalOf(tc.scores, cfg)
			if s.State != tc.state || math.Abs(s.Conviction-tc.conviction) > 1e-12 || !cmp.Equal(s.Families, tc.families) {
				t.Errorf("got %s %v %v, want %s %v %v", s.State, s.Conviction, s.Families, tc.state, tc.conviction, tc.families)
			}
		})
	}
}

func TestLevelOf(t *testing.T) {
	tests := []struct {
		score float64
		want  detect.Level
	}{
		{0, detect.StrongBearish}, {19.9, detect.StrongBearish}, {20, detect.Bearish}, {39.9, detect.Bearish},
		{40, detect.NeutralLevel}, {60, detect.NeutralLevel}, {60.1, detect.Bullish}, {80, detect.Bullish},
		{80.1, detect.StrongBullish}, {100, detect.StrongBullish}, {math.NaN(), detect.NeutralLevel},
	}
	for _, tc := range tests {
		if got := detect.LevelOf(tc.score); got != tc.want {
			t.Errorf("LevelOf(%v) = %s, want %s", tc.score, got, tc.want)
		}
	}
}

func TestProbState(t *testing.T) {
	nan := math.NaN()
	got := detect.ProbState([]float64{nan, 0.55, 0.61, 0.5, 0.41, 0.39, 0.5, nan, 0.6}, 0.4, 0.6)
	want := []detect.State{N, N, B, B, B, R, R, R, B}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// gaugeInputs are three family score rows and one model over n days: a
// bull half then a bear half.
func gaugeInputs(n int) ([][]float64, map[string][]float64) {
	scores := make([][]float64, 3)
	for f := range scores {
		scores[f] = make([]float64, n)
		for t := range scores[f] {
			v := 0.6
			if t >= n/2 {
				v = -0.6
			}
			if f == 2 && t%7 == 0 {
				v = math.NaN()
			}
			scores[f][t] = v
		}
	}
	p := make([]float64, n)
	for t := range p {
		p[t] = 0.5 + 0.4*math.Cos(float64(t)/float64(n)*math.Pi)
	}
	return scores, map[string][]float64{detect.ModelLogistic: p}
}

func gaugeConfig() detect.GaugeConfig {
	g := detect.DefaultGauge()
	g.Confluence = threeFamilies()
	return g
}

func TestComputeGauge(t *testing.T) {
	scores, probs := gaugeInputs(60)
	g, err := detect.ComputeGauge(scores, probs, gaugeConfig())
	if err != nil {
		t.Fatal(err)
	}
	if got, want := g.Components, []string{"a", "b", "c", detect.ModelLogistic}; !cmp.Equal(got, want) {
		t.Fatalf("components %v, want %v", got, want)
	}
	if g.State[10] != B || g.State[59] != R {
		t.Errorf("state on day 10 %s, day 59 %s; want bull then bear", g.State[10], g.State[59])
	}
	if g.Level[10] < detect.Bullish || g.Level[59] > detect.Bearish {
		t.Errorf("levels %s and %s", g.Level[10], g.Level[59])
	}
	for i, s := range g.Score {
		sum := 50.0
		for c := range g.Components {
			sum += g.Contrib[c][i]
		}
		if math.Abs(sum-s) > 1e-9 {
			t.Fatalf("day %d: score %v, 50 + contributions %v", i, s, sum)
		}
	}
}

// TestGaugeNeedsFamilyCoverage: while fewer than MinFamilyCoverage of the
// families' weight is known, the gauge has no score (NaN), whatever the
// known families and models say; from the day enough are known it has one.
func TestGaugeNeedsFamilyCoverage(t *testing.T) {
	scores, probs := gaugeInputs(60)
	// Family a is known from day 0, b from day 20, c from day 40: one, two
	// then three of three equally weighted families.
	for t := range scores[2] {
		switch {
		case t < 40:
			scores[2][t] = math.NaN()
		case math.IsNaN(scores[2][t]):
			scores[2][t] = -0.6 // gaugeInputs leaves every 7th day of c unknown
		}
		if t < 20 {
			scores[1][t] = math.NaN()
		}
	}
	for _, tc := range []struct {
		cover     float64
		firstKnow int
	}{{0, 0}, {0.5, 20}, {0.67, 40}, {1, 40}} {
		cfg := gaugeConfig()
		cfg.MinFamilyCoverage = tc.cover
		g, err := detect.ComputeGauge(scores, probs, cfg)
		if err != nil {
			t.Fatal(err)
		}
		for i, s := range g.Score {
			if known := !math.IsNaN(s); known != (i >= tc.firstKnow) {
				t.Fatalf("coverage %g: day %d score %v, want the first score on day %d", tc.cover, i, s, tc.firstKnow)
			}
		}
	}
}

// TestComputeGaugePrefix: the gauge of a prefix of the inputs is the
// prefix of the gauge (no day depends on a later one).
func TestComputeGaugePrefix(t *testing.T) {
	scores, probs := gaugeInputs(80)
	full, err := detect.ComputeGauge(scores, probs, gaugeConfig())
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{1, 17, 40, 41, 79} {
		s := make([][]float64, len(scores))
		for f := range scores {
			s[f] = scores[f][:n]
		}
		g, err := detect.ComputeGauge(s, map[string][]float64{detect.ModelLogistic: probs[detect.ModelLogistic][:n]}, gaugeConfig())
		if err != nil {
			t.Fatal(err)
		}
		if !cmp.Equal(g.Score, full.Score[:n]) || !cmp.Equal(g.State, full.State[:n]) {
			t.Errorf("prefix %d differs", n)
		}
	}
}

func TestGaugeConfigErrors(t *testing.T) {
	tests := []struct {
		name string
		mod  func(g *detect.GaugeConfig)
	}{
		{"family weight above 1", func(g *detect.GaugeConfig) { g.FamilyWeight = 1.5 }},
		{"no smoothing span", func(g *detect.GaugeConfig) { g.Smooth = 0 }},
		{"inverted band", func(g *detect.GaugeConfig) { g.BullAbove, g.BearBelow = 40, 60 }},
		{"negative model weight", func(g *detect.GaugeConfig) { g.ModelWeights = map[string]float64{"gbt": -1} }},
		{"coverage above 1", func(g *detect.GaugeConfig) { g.MinFamilyCoverage = 1.5 }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g := gaugeConfig()
			tc.mod(&g)
			scores, probs := gaugeInputs(10)
			if _, err := detect.ComputeGauge(scores, probs, g); regime.ErrorCode(err) != regime.EINVALID {
				t.Errorf("error %v, want EINVALID", err)
			}
		})
	}
}

func BenchmarkComputeGauge(b *testing.B) {
	scores, probs := gaugeInputs(5000)
	cfg := gaugeConfig()
	b.ResetTimer()
	for range b.N {
		if _, err := detect.ComputeGauge(scores, probs, cfg); err != nil {
			b.Fatal(err)
		}
	}
}
