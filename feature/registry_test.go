package feature_test

import (
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/regime-engine/regime"
	"github.com/regime-engine/regime/feature"
)

func TestRegistryShape(t *testing.T) {
	reg := feature.Registry()
	tokens := feature.ByLevel(feature.LevelToken)
	if len(tokens) < 80 {
		t.Errorf("token-level factors = %d, want >= 80", len(tokens))
	}
	if len(feature.ByLevel(feature.LevelMarket)) == 0 {
		t.Error("no market-level factors")
	}
	for _, f := range tokens {
		if f.Block == nil {
			t.Errorf("token factor %s has no block form: the build calls it once per day", f.Name)
		}
	}
	seen := map[string]bool{}
	fams := map[string]int{}
	for i, f := range reg {
		if seen[f.Name] {
			t.Errorf("duplicate factor %s", f.Name)
		}
		seen[f.Name] = true
		fams[f.Family]++
		if f.Formula == "" || f.Family == "" || len(f.Inputs) == 0 || f.New == nil || f.Warmup < 0 {
			t.Errorf("factor %s is incomplete: %+v", f.Name, f)
		}
		if i > 0 {
			p := reg[i-1]
			if p.Family > f.Family || (p.Family == f.Family && p.Name >= f.Name) {
				t.Errorf("registry not sorted by family then name at %s after %s", f.Name, p.Name)
			}
		}
	}
	for _, fam := range []string{"momentum", "trend", "oscillator", "volatility", "volume", "support_resistance", "drawdown",
		"onchain", "flows", "sentiment", "liquidity", "macro", "structure", "breadth"} {
		if fams[fam] == 0 {
			t.Errorf("family %s has no factors", fam)
		}
	}
	if got := feature.Names(); !slices.Equal(got, func() []string {
		var n []string
		for _, f := range reg {
			n = append(n, f.Name)
		}
		return n
	}()) {
		t.Error("Names() disagrees with Registry()")
	}
	for _, name := range []string{"ret_1d", "ret_365d", "rsi_14", "macd_hist", "adx_14", "oc_mvrv_z", "breadth_above_200", "macro_m2_yoy"} {
		if _, ok := feature.Lookup(name); !ok {
			t.Errorf("Lookup(%s) failed", name)
		}
	}
}

// eventual lists factors whose first value depends on events in the data
// (a cross, a pivot), so they may start after their declared warm-up.
var eventual = map[string]bool{
	"cross_50_200_days": true, "sr_dist_support": true, "sr_dist_resistance": true,
	"sr_support_touches": true, "sr_resistance_touches": true, "oc_mvrv_z": false,
}

// TestWarmup checks each factor's declared warm-up on clean data: NaN
// before it, a value at it (unless event-dependent).
func TestWarmup(t *testing.T) {
	s := synthSeries(1, 900, false)
	m := synthMarket(2, 900, 20)
	tm, err := feature.Build(s, feature.ByLevel(feature.LevelToken))
	if err != nil {
		t.Fatal(err)
	}
	mm, err := feature.BuildMarket(m, feature.ByLevel(feature.LevelMarket))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range feature.Registry() {
		mx := tm
		if f.Level == feature.LevelMarket {
			mx = mm
		}
		col := mx.Column(f.Name)
		first := slices.IndexFunc(col, func(v float32) bool { return !math.IsNaN(float64(v)) })
		switch {
		case first < 0:
			t.Errorf("%s: no value at all on clean data", f.Name)
		case first < f.Warmup:
			t.Errorf("%s: first value at day %d, before declared warm-up %d", f.Name, first, f.Warmup)
		case first > f.Warmup && !eventual[f.Name] && f.Level == feature.LevelToken:
			t.Errorf("%s: first value at day %d, declared warm-up %d", f.Name, first, f.Warmup)
		}
	}
}

func TestMissingInputsAreNaNWithReason(t *testing.T) {
	s := synthSeries(3, 400, false)
	s.OnChain = nil
	s.MarketCap = nil
	m, err := feature.Build(s, feature.ByLevel(feature.LevelToken))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ name, reason string }{
		{"oc_mvrv", "missing input onchain:CapMVRVCur"},
		{"turnover", "missing input market_cap"},
		{"flow_net_7", "missing input onchain:FlowInExNtv"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for i, v := range m.Column(tc.name) {
				if !math.IsNaN(float64(v)) {
					t.Fatalf("day %d = %v, want NaN", i, v)
				}
			}
			if got := m.Why(tc.name, 300); got != tc.reason {
				t.Errorf("Why = %q, want %q", got, tc.reason)
			}
		})
	}
	if got := m.Why("rsi_14", 3); !strings.HasPrefix(got, "warm-up") {
		t.Errorf("Why(rsi_14, 3) = %q, want warm-up", got)
	}
	if got := m.Why("rsi_14", 300); got != "" {
		t.Errorf("Why(rsi_14, 300) = %q, want \"\"", got)
	}
}

// TestNaNDoesNotPoisonForever: after an unknown close, every price factor
// recovers once the hole leaves its window.
func TestNaNDoesNotPoisonForever(t *testing.T) {
	s := synthSeries(4, 1500, false)
	s.Close[400] = math.NaN()
	s.High[401] = math.Inf(1)
	s.Volume[402] = math.NaN()
	m, err := feature.Build(s, feature.ByLevel(feature.LevelToken))
	if err != nil {
		t.Fatal(err)
	}
	for j, name := range m.Names {
		if eventual[name] {
			continue
		}
		f, _ := feature.Lookup(name)
		end := 403 + f.Warmup + 2
		if end >= m.Rows() {
			continue
		}
		if v := m.Col(j)[m.Rows()-1]; math.IsNaN(float64(v)) {
			t.Errorf("%s: still NaN at the end after a hole at day 400", name)
		}
		if v := m.Col(j)[end]; math.IsNaN(float64(v)) {
			t.Errorf("%s: NaN at day %d, hole at 400-402 and warm-up %d", name, end, f.Warmup)
		}
	}
}

// TestAppendMatchesBuild: streaming the last days one at a time gives
// exactly the values of a full build.
func TestAppendMatchesBuild(t *testing.T) {
	const n, tail = 700, 60
	s := synthSeries(5, n, true)
	fs := feature.ByLevel(feature.LevelToken)
	full, err := feature.Build(s, fs)
	if err != nil {
		t.Fatal(err)
	}
	st, _, err := feature.NewStream(fs, s.Truncate(n-tail))
	if err != nil {
		t.Fatal(err)
	}
	row := make([]float32, len(fs))
	for i := n - tail; i < n; i++ {
		d := feature.Day{Date: s.Dates[i], Open: s.Open[i], High: s.High[i], Low: s.Low[i], Close: s.Close[i],
			Volume: s.Volume[i], MarketCap: s.MarketCap[i], OnChain: map[string]float64{}}
		for k, v := range s.OnChain {
			d.OnChain[k] = v[i]
		}
		if err := st.Append(d, row); err != nil {
			t.Fatal(err)
		}
		for j, v := range row {
			if w := full.Col(j)[i]; !same32(v, w) {
				t.Fatalf("%s day %d: append %v, build %v", full.Names[j], i, v, w)
			}
		}
	}
	if err := st.Append(feature.Day{Date: s.Dates[n-1] + 5}, row); regime.ErrorCode(err) != regime.EINVALID {
		t.Errorf("append with a gap: err = %v, want EINVALID", err)
	}
}

func TestAppendMarketMatchesBuild(t *testing.T) {
	const n, tail = 500, 40
	m := synthMarket(6, n, 12)
	fs := feature.ByLevel(feature.LevelMarket)
	full, err := feature.BuildMarket(m, fs)
	if err != nil {
		t.Fatal(err)
	}
	st, _, err := feature.NewMarketStream(fs, m.Truncate(n-tail))
	if err != nil {
		t.Fatal(err)
	}
	row := make([]float32, len(fs))
	for i := n - tail; i < n; i++ {
		d := feature.MarketDay{Date: m.Dates[i], Obs: map[string]float64{}, Staleness: map[string]float64{},
			BTCCap: m.BTCCap[i], StableCap: m.StableCap[i], TotalCap: m.TotalCap[i]}
		for k, v := range m.Obs {
			d.Obs[k] = v[i]
			d.Staleness[k] = m.Staleness[k][i]
		}
		for k := range m.Closes {
			d.Closes = append(d.Closes, m.Closes[k][i])
			d.Member = append(d.Member, m.Member[k][i])
		}
		if err := st.AppendMarket(d, row); err != nil {
			t.Fatal(err)
		}
		for j, v := range row {
			if w := full.Col(j)[i]; !same32(v, w) {
				t.Fatalf("%s day %d: append %v, build %v", full.Names[j], i, v, w)
			}
		}
	}
}

// same32 reports equal values, every NaN equal to every NaN.
func same32(a, b float32) bool { return a == b || (math.IsNaN(float64(a)) && math.IsNaN(float64(b))) }

// synthPanel returns n synthetic series of different lengths from length
// days up, seeds from seed up, every other one with unknown values.
func synthPanel(n int, seed uint64, length int) []*feature.Series {
	ss := make([]*feature.Series, n)
	for k := range ss {
		ss[k] = synthSeries(seed+uint64(k), length+k*10, k%2 == 0)
	}
	return ss
}

// TestBuildPanelIntoReusesSlab builds into a slab left dirty by earlier
// use and expects exactly BuildPanel's values, in the slab's memory.
func TestBuildPanelIntoReusesSlab(t *testing.T) {
	ss := synthPanel(4, 30, 250)
	fs := feature.ByLevel(feature.LevelToken)
	want, err := feature.BuildPanel(ss, fs, 2)
	if err != nil {
		t.Fatal(err)
	}
	n := feature.PanelLen(ss, fs)
	if got := len(ss[0].Dates) + len(ss[1].Dates) + len(ss[2].Dates) + len(ss[3].Dates); n != got*len(fs) {
		t.Fatalf("PanelLen = %d, want %d", n, got*len(fs))
	}
	slab := make([]float32, n+5)
	for i := range slab {
		slab[i] = float32(i%7) - 3 // stale values, including zeros
	}
	got, err := feature.BuildPanelInto(slab, ss, fs, 2)
	if err != nil {
		t.Fatal(err)
	}
	if &got[0].Data[0] != &slab[0] {
		t.Error("matrices do not live in the given slab")
	}
	for k := range ss {
		if !slices.EqualFunc(want[k].Data, got[k].Data, same32) {
			t.Errorf("token %d: build into a dirty slab differs from BuildPanel", k)
		}
	}
	if _, err := feature.BuildPanelInto(slab[:n-1], ss, fs, 2); regime.ErrorCode(err) != regime.EINVALID {
		t.Errorf("short slab: err = %v, want EINVALID", err)
	}
}

func TestPanelMatchesBuild(t *testing.T) {
	ss := synthPanel(6, 10, 300)
	fs := feature.ByLevel(feature.LevelToken)
	mats, err := feature.BuildPanel(ss, fs, 3)
	if err != nil {
		t.Fatal(err)
	}
	for k, s := range ss {
		one, err := feature.Build(s, fs)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.EqualFunc(one.Data, mats[k].Data, same32) {
			t.Errorf("token %d: panel build differs from single build", k)
		}
	}
	bad := synthSeries(1, 50, false)
	bad.Close = bad.Close[:10]
	if _, err := feature.BuildPanel(append(ss, bad), fs, 2); regime.ErrorCode(err) != regime.EINVALID {
		t.Errorf("misaligned series: err = %v, want EINVALID", err)
	}
	if _, err := feature.BuildPanel(append(ss, nil), fs, 2); regime.ErrorCode(err) != regime.EINVALID {
		t.Errorf("nil series: err = %v, want EINVALID", err)
	}
	if _, err := feature.Build(ss[0], feature.ByLevel(feature.LevelMarket)); regime.ErrorCode(err) != regime.EINVALID {
		t.Errorf("market factor in a token build: err = %v, want EINVALID", err)
	}
}

func TestValidate(t *testing.T) {
	ok := synthSeries(1, 20, false)
	tests := []struct {
		name string
		mod  func(s *feature.Series)
		want string
	}{
		{"valid", func(*feature.Series) {}, ""},
		{"short close", func(s *feature.Series) { s.Close = s.Close[:5] }, "series close has 5 values for 20 dates"},
		{"gap", func(s *feature.Series) { s.Dates[7] += 1 }, "dates must be consecutive days"},
		{"short on-chain", func(s *feature.Series) { s.OnChain["TxCnt"] = []float64{1} }, "on-chain series TxCnt has 1 values"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := ok.Clone()
			tc.mod(s)
			err := s.Validate()
			if tc.want == "" {
				if err != nil {
					t.Fatalf("err = %v", err)
				}
				return
			}
			if err == nil || regime.ErrorCode(err) != regime.EINVALID || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want EINVALID containing %q", err, tc.want)
			}
		})
	}
}

func TestAlignAsOf(t *testing.T) {
	d := regime.MustDate
	dates := []regime.Date{d("2024-01-01"), d("2024-01-02"), d("2024-01-03"), d("2024-01-04"), d("2024-01-05")}
	obs := []regime.Observation{
		{Date: d("2024-01-03"), Value: 3, KnownAt: d("2024-01-04")},
		{Date: d("2023-12-31"), Value: 1, KnownAt: d("2024-01-02")},
		{Date: d("2024-01-02"), Value: math.NaN(), KnownAt: d("2024-01-03")},
		{Date: d("2023-12-31"), Value: 1.5, KnownAt: d("2024-01-05")}, // revision of an older print
	}
	vals, stale := feature.AlignAsOf(dates, obs)
	want := []float64{math.NaN(), 1, 1, 3, 3}
	wantStale := []float64{math.NaN(), 2, 3, 1, 2}
	for i := range dates {
		if !(vals[i] == want[i] || math.IsNaN(vals[i]) && math.IsNaN(want[i])) {
			t.Errorf("value[%s] = %v, want %v", dates[i], vals[i], want[i])
		}
		if !(stale[i] == wantStale[i] || math.IsNaN(stale[i]) && math.IsNaN(wantStale[i])) {
			t.Errorf("staleness[%s] = %v, want %v", dates[i], stale[i], wantStale[i])
		}
	}
}

func TestCrossRank(t *testing.T) {
	mk := func(start regime.Date, vals ...float32) *feature.Matrix {
		m := &feature.Matrix{Names: []string{"x"}, Data: vals, Missing: []string{""}}
		for i := range vals {
			m.Dates = append(m.Dates, start+regime.Date(i))
		}
		return m
	}
	nan := float32(math.NaN())
	a := mk(100, 1, 5, 3)
	b := mk(101, 2, 3)
	c := mk(100, nan, 9, 3)
	out, err := feature.CrossRank([]*feature.Matrix{a, b, c}, []string{"x"})
	if err != nil {
		t.Fatal(err)
	}
	want := [][]float32{{0.5, 0.5, 0.5}, {0, 0.5}, {nan, 1, 0.5}}
	for k, w := range want {
		got := out[k].Column("xrank_x")
		for i := range w {
			if !(got[i] == w[i] || math.IsNaN(float64(got[i])) && math.IsNaN(float64(w[i]))) {
				t.Errorf("token %d day %d: rank %v, want %v", k, i, got[i], w[i])
			}
		}
	}
	if _, err := feature.CrossRank([]*feature.Matrix{a}, []string{"nope"}); regime.ErrorCode(err) != regime.EINVALID {
		t.Errorf("unknown factor: err = %v", err)
	}
}
