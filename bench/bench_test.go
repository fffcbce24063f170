package bench_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/regime-engine/regime"
	"github.com/regime-engine/regime/bench"
)

// tiny sizes every scenario so the whole run takes a few seconds; no
// assertion looks at a time, only at the shape of the report and at the
// arithmetic done on the measured numbers.
func tiny(t *testing.T, sections ...string) bench.Options {
	return bench.Options{
		Sections:  sections,
		Quick:     true,
		BenchTime: time.Millisecond,
		Rounds:    1,
		Bars:      300,
		Tokens:    3, Days: 260,
		AppendTokens: 3, AppendHistory: 40,
		BacktestDays: 120, BacktestCoins: 8,
		SweepTrials: 2, SweepWorkers: 1,
		StoreRows: 50, ReadBars: 40,
		SynthTokens: 5, SynthDays: 40,
		LoadDuration: 30 * time.Millisecond, LoadClients: 2,
		TempDir: t.TempDir(),
	}
}

var (
	allOnce sync.Once
	allRep  *bench.Report
	allErr  error
)

// runAll runs every section once in tiny mode for the tests sharing it.
func runAll(t *testing.T) *bench.Report {
	t.Helper()
	allOnce.Do(func() {
		var events int
		o := tiny(t, "all")
		o.Progress = func(regime.Progress) { events++ }
		allRep, allErr = bench.Run(context.Background(), o)
		if allErr == nil && events != len(allRep.Rows) {
			allErr = fmt.Errorf("%d progress events for %d rows", events, len(allRep.Rows))
		}
	})
	if allErr != nil {
		t.Fatal(allErr)
	}
	return allRep
}

func TestRunAllSections(t *testing.T) {
	rep := runAll(t)
	seen := map[string]int{}
	for _, r := range rep.Rows {
		seen[r.Section]++
	}
	for _, s := range bench.Sections() {
		if seen[s] == 0 {
			t.Errorf("section %s has no rows", s)
		}
	}
	if rep.Machine.GoVersion == "" || rep.Machine.GOMAXPROCS < 1 || rep.Machine.CPU == "" || !rep.Quick {
		t.Errorf("machine header %+v quick %v", rep.Machine, rep.Quick)
	}
	// Quick mode at tiny scale projects the full-scale build, append and
	// sweep figures.
	proj := map[string]bool{}
	for _, r := range rep.Rows {
		if r.Projection {
			proj[r.Section] = true
		}
	}
	if !proj["feature"] || !proj["backtest"] {
		t.Errorf("projections in sections %v, want feature and backtest", proj)
	}
}

func TestRowsArithmetic(t *testing.T) {
	for _, r := range runAll(t).Rows {
		t.Run(r.Section+"/"+r.Name, func(t *testing.T) {
			if r.Name == "" || r.Unit == "" {
				t.Fatalf("row without name or unit: %+v", r)
			}
			if r.Status != bench.NA && (math.IsNaN(r.Value) || r.Value < 0) {
				t.Errorf("value %v", r.Value)
			}
			var want float64
			switch r.RatioOf {
			case "":
				if !math.IsNaN(r.Ratio) || r.RefName != "" {
					t.Errorf("ratio %v ref %q without a reference", r.Ratio, r.RefName)
				}
				want = math.NaN()
			case "value/ref":
				want = r.Value / r.Ref
			case "ref/value":
				want = r.Ref / r.Value
			default:
				t.Fatalf("ratio of %q", r.RatioOf)
			}
			if r.RatioOf != "" && (r.RefName == "" || !(r.Ratio == want || math.IsNaN(want) && math.IsNaN(r.Ratio))) {
				t.Errorf("ratio %v, want %v from value %v and %s %v", r.Ratio, want, r.Value, r.RefName, r.Ref)
			}
			x := r.Value
			if r.Target.On == "ratio" {
				x = r.Ratio
			}
			switch {
			case r.Target.Op == "":
				if r.Status != bench.NoTarget {
					t.Errorf("status %q without a target", r.Status)
				}
			case r.Status == bench.NA:
			case r.Target.Met(x) != (r.Status == bench.Pass) || (r.Status != bench.Pass && r.Status != bench.Miss):
				t.Errorf("status %q for %v %s", r.Status, x, r.Target)
			}
		})
	}
}

func TestWriteTable(t *testing.T) {
	rep := runAll(t)
	var buf bytes.Buffer
	if err := bench.WriteTable(&buf, rep); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimRight(buf.String(), "\n"), "\n")
	hdr := -1
	for i, l := range lines {
		if strings.HasPrefix(l, "SECTION ") {
			hdr = i
			break
		}
	}
	if hdr < 0 {
		t.Fatalf("no column header in\n%s", buf.String())
	}
	if got := strings.Fields(lines[hdr]); strings.Join(got, " ") != strings.Join(bench.Columns, " ") {
		t.Errorf("columns %v, want %v", got, bench.Columns)
	}
	body := lines[hdr+1:]
	if len(body) != len(rep.Rows) {
		t.Fatalf("%d table lines for %d rows", len(body), len(rep.Rows))
	}
	for i, r := range rep.Rows {
		if !strings.HasPrefix(body[i], r.Section+" ") || !strings.Contains(body[i], r.Name) || !strings.Contains(body[i], " "+r.Status+" ") {
			t.Errorf("line %q does not show row %s/%s %s", body[i], r.Section, r.Name, r.Status)
		}
		if r.Projection && !strings.Contains(body[i], "~") {
			t.Errorf("projection not marked: %q", body[i])
		}
	}
	for _, want := range []string{"GOMAXPROCS", rep.Machine.GoVersion, "cpu"} {
		if !strings.Contains(strings.Join(lines[:hdr], "\n"), want) {
			t.Errorf("header lacks %q", want)
		}
	}
}

func TestWriteJSON(t *testing.T) {
	rep := runAll(t)
	var buf bytes.Buffer
	if err := bench.WriteJSON(&buf, rep); err != nil {
		t.Fatal(err)
	}
	var got bench.Report
	if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Rows) != len(rep.Rows) || got.Machine != rep.Machine {
		t.Fatalf("round trip: %d rows, machine %+v", len(got.Rows), got.Machine)
	}
	same := func(a, b float64) bool { return a == b || math.IsNaN(a) && math.IsNaN(b) }
	for i, r := range rep.Rows {
		g := got.Rows[i]
		if g.Name != r.Name || !same(g.Value, r.Value) || !same(g.Ref, r.Ref) || !same(g.Ratio, r.Ratio) ||
			!same(g.CPU, r.CPU) || !same(g.Allocs, r.Allocs) || g.Status != r.Status || g.Target != r.Target {
			t.Errorf("row %d: got %+v, want %+v", i, g, r)
		}
	}
}

func TestRunSections(t *testing.T) {
	tests := []struct {
		name     string
		sections []string
		want     []string // sections in the report
		code     string   // error code, "" for success
	}{
		{"one", []string{"synth"}, []string{"synth"}, ""},
		{"two", []string{"store", "synth"}, []string{"store", "synth"}, ""},
		{"unknown", []string{"gpu"}, nil, regime.EINVALID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep, err := bench.Run(context.Background(), tiny(t, tt.sections...))
			if tt.code != "" {
				if regime.ErrorCode(err) != tt.code {
					t.Fatalf("error %v, want code %s", err, tt.code)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, r := range rep.Rows {
				if len(got) == 0 || got[len(got)-1] != r.Section {
					got = append(got, r.Section)
				}
			}
			if strings.Join(got, ",") != strings.Join(tt.want, ",") {
				t.Errorf("sections %v, want %v", got, tt.want)
			}
		})
	}
}

func TestRunCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := bench.Run(ctx, tiny(t, "all")); err == nil {
		t.Error("canceled run succeeded")
	}
}

func TestTarget(t *testing.T) {
	tests := []struct {
		t    bench.Target
		x    float64
		want bool
		str  string
	}{
		{bench.Target{On: "ratio", Op: "<=", Limit: 1.5}, 1.5, true, "ratio <= 1.5"},
		{bench.Target{On: "ratio", Op: "<=", Limit: 1.5}, 1.51, false, "ratio <= 1.5"},
		{bench.Target{On: "value", Op: "<", Limit: 60}, 60, false, "value < 60"},
		{bench.Target{On: "ratio", Op: ">=", Limit: 2}, 2, true, "ratio >= 2"},
		{bench.Target{On: "value", Op: ">=", Limit: 50000}, math.NaN(), false, "value >= 50000"},
		{bench.Target{}, 1, false, "-"},
	}
	for _, tt := range tests {
		if got := tt.t.Met(tt.x); got != tt.want {
			t.Errorf("%s met by %v = %v", tt.t, tt.x, got)
		}
		if got := tt.t.String(); got != tt.str {
			t.Errorf("String = %q, want %q", got, tt.str)
		}
	}
}
