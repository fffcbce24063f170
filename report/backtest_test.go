package report_test

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"path/filepath"
	"testing"

	"github.com/regime-engine/regime"
	"github.com/regime-engine/regime/engine"
	"github.com/regime-engine/regime/report"
	"github.com/regime-engine/regime/sqlite"
	"github.com/regime-engine/regime/synth"
)

func TestNum(t *testing.T) {
	tests := []struct {
		in   float64
		want string
	}{
		{math.NaN(), "null"}, {math.Inf(1), "null"}, {math.Inf(-1), "null"}, {0, "0"}, {0.1, "0.1"},
		{1e6, "1e+06"}, {-0.25, "-0.25"}, {1.0 / 3, "0.3333333333333333"},
	}
	for _, tc := range tests {
		b, err := json.Marshal(report.Num(tc.in))
		if err != nil || string(b) != tc.want {
			t.Errorf("Num(%v) = %s, %v; want %s", tc.in, b, err, tc.want)
		}
	}
}

// synthStore returns a store holding a small seeded synthetic market,
// closed when the test ends.
func synthStore(t *testing.T) *sqlite.Store {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "r.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := engine.SynthToStore(ctx, st, synth.Config{Seed: 5, Tokens: 8, Days: 800}); err != nil {
		t.Fatal(err)
	}
	return st
}

func TestNewBacktest(t *testing.T) {
	ctx := context.Background()
	st := synthStore(t)
	tests := []struct {
		name    string
		split   regime.Date
		windows []string
	}{
		{"no split", regime.NoDate, []string{"full"}},
		{"split", regime.MustDate("2016-06-01"), []string{"full", "in_sample", "out_of_sample"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rep, err := engine.Backtest(ctx, st, engine.BacktestOptions{Strategy: engine.StrategySMA200, Split: tc.split})
			if err != nil {
				t.Fatal(err)
			}
			b, err := json.Marshal(report.NewBacktest(rep, nil))
			if err != nil {
				t.Fatal(err)
			}
			if bytes.Contains(b, []byte("NaN")) || bytes.Contains(b, []byte(`"sweep"`)) {
				t.Errorf("report holds NaN or a sweep: %.300s", b)
			}
			var v struct {
				Strategy string  `json:"strategy"`
				Split    *string `json:"split"`
				Runs     []struct {
					Name    string           `json:"name"`
					Metrics map[string]any   `json:"metrics"`
					Monthly []map[string]any `json:"monthly"`
				} `json:"runs"`
				Windows []struct {
					Name string `json:"name"`
				} `json:"windows"`
			}
			if err := json.Unmarshal(b, &v); err != nil {
				t.Fatal(err)
			}
			if v.Strategy != engine.StrategySMA200 || (v.Split == nil) != (tc.split == regime.NoDate) {
				t.Errorf("strategy %q, split %v", v.Strategy, v.Split)
			}
			names := []string{"regime", "buy_and_hold", "btc_hold", "sma200"}
			if len(v.Runs) != len(names) {
				t.Fatalf("%d runs", len(v.Runs))
			}
			for i, r := range v.Runs {
				if r.Name != names[i] || r.Metrics["cagr"] == nil || len(r.Monthly) == 0 {
					t.Errorf("run %d: %s, cagr %v, %d months", i, r.Name, r.Metrics["cagr"], len(r.Monthly))
				}
			}
			if len(v.Windows) != len(tc.windows) {
				t.Fatalf("windows %v, want %v", v.Windows, tc.windows)
			}
			for i, w := range v.Windows {
				if w.Name != tc.windows[i] {
					t.Errorf("window %d: %s, want %s", i, w.Name, tc.windows[i])
				}
			}
		})
	}
}

func TestNAVSeries(t *testing.T) {
	ctx := context.Background()
	st := synthStore(t)
	rep, err := engine.Backtest(ctx, st, engine.BacktestOptions{Strategy: engine.StrategySMA200})
	if err != nil {
		t.Fatal(err)
	}
	plain, err := json.Marshal(report.NewBacktest(rep, nil))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(plain, []byte(`"nav"`)) {
		t.Error("a report without WithNAV has a nav field")
	}
	b := report.NewBacktest(rep, nil).WithNAV(rep)
	withNAV, err := json.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	// The nav field is added at the end; the rest is unchanged.
	if !bytes.HasPrefix(withNAV, plain[:len(plain)-1]) || bytes.Contains(withNAV, []byte("NaN")) {
		t.Errorf("report with nav does not extend the plain one: %.200s", withNAV[len(plain)-1:])
	}
	var v struct {
		NAV struct {
			Dates    []regime.Date         `json:"dates"`
			Series   map[string][]*float64 `json:"series"`
			Exposure []*float64            `json:"exposure"`
		} `json:"nav"`
	}
	if err := json.Unmarshal(withNAV, &v); err != nil {
		t.Fatal(err)
	}
	res := rep.Comparison.Results[0]
	n := len(res.Dates)
	if len(v.NAV.Dates) != n || len(v.NAV.Exposure) != n || n == 0 || v.NAV.Dates[0] != res.Dates[0] {
		t.Fatalf("nav has %d dates and %d exposures, want %d", len(v.NAV.Dates), len(v.NAV.Exposure), n)
	}
	for _, name := range []string{"regime", "buy_and_hold", "btc_hold", "sma200"} {
		s := v.NAV.Series[name]
		if len(s) != n || s[0] == nil || *s[0] != rep.Input.Config.InitialNAV {
			t.Errorf("series %s: %d values, first %v", name, len(s), s[0])
		}
	}
	for i, x := range v.NAV.Series["regime"] {
		if x == nil || *x != res.NAV[i] {
			t.Fatalf("regime NAV day %d = %v, want %v", i, x, res.NAV[i])
		}
	}
}
