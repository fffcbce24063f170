package feature_test

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/regime-engine/regime/feature"
)

var update = flag.Bool("update", false, "rewrite golden files (testdata/*.golden and docs/factors.md)")

// golden compares got with the file at path, or rewrites it with -update.
func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./feature -run %s -update)", err, t.Name())
	}
	if !bytes.Equal(got, want) {
		gl, wl := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
		for i := range min(len(gl), len(wl)) {
			if gl[i] != wl[i] {
				t.Fatalf("%s differs at line %d:\n got: %s\nwant: %s\n(run with -update if the change is intended)", path, i+1, gl[i], wl[i])
			}
		}
		t.Fatalf("%s differs in length: got %d lines, want %d (run with -update if intended)", path, len(gl), len(wl))
	}
}

// TestGoldenFixture pins every factor's values on a small seeded fixture
// (with unknown values inside) at sampled days.
func TestGoldenFixture(t *testing.T) {
	const n = 420
	tm, err := feature.Build(synthSeries(42, n, true), feature.ByLevel(feature.LevelToken))
	if err != nil {
		t.Fatal(err)
	}
	mm, err := feature.BuildMarket(synthMarket(43, n, 10), feature.ByLevel(feature.LevelMarket))
	if err != nil {
		t.Fatal(err)
	}
	var days []int
	for i := 0; i < n; i += 30 {
		days = append(days, i)
	}
	days = append(days, n-1)
	var b bytes.Buffer
	b.WriteString("# factor values on the seeded fixture (synthSeries(42), synthMarket(43)), one line per factor\nfactor")
	for _, i := range days {
		fmt.Fprintf(&b, ",%s", tm.Dates[i])
	}
	b.WriteString("\n")
	for _, m := range []*feature.Matrix{tm, mm} {
		for j, name := range m.Names {
			b.WriteString(name)
			for _, i := range days {
				fmt.Fprintf(&b, ",%.6g", m.Col(j)[i])
			}
			b.WriteString("\n")
		}
	}
	golden(t, filepath.Join("testdata", "fixture_factors.golden"), b.Bytes())
}

// TestDocsFactors keeps docs/factors.md generated from the registry.
func TestDocsFactors(t *testing.T) {
	var b bytes.Buffer
	reg := feature.Registry()
	nt := len(feature.ByLevel(feature.LevelToken))
	fmt.Fprintf(&b, "# Factors\n\n")
	fmt.Fprintf(&b, "Generated from `feature.Registry()` by `go test ./feature -run TestDocsFactors -update`; do not edit by hand.\n\n")
	fmt.Fprintf(&b, "%d factors: %d per token, %d market-level. Warm-up is the number of days of clean input before the first value.\n", len(reg), nt, len(reg)-nt)
	fmt.Fprintf(&b, "Every factor is causal (value at day t uses inputs known at t), proved by the prefix-truncation and future-poisoning tests in `feature/lookahead_test.go`.\n")
	fmt.Fprintf(&b, "Missing inputs give NaN with the reason in `Matrix.Missing` / `Matrix.Why`, never zeros. ")
	fmt.Fprintf(&b, "Windowed factors use the known days of their window and are NaN while more than 10%% of it (any day, for windows under 10 days) is unknown; ")
	fmt.Fprintf(&b, "recursive ones (EMA, Wilder averages, OBV) skip unknown days.\n")
	fmt.Fprintf(&b, "Inputs are aligned so that the value at day t is known at t (macro and sentiment series as of publication, see `feature.AlignAsOf`); ")
	fmt.Fprintf(&b, "`stale:<series>` inputs are the age in days of the value used.\n")
	fmt.Fprintf(&b, "Cross-sectional ranks of any factor (e.g. `xrank_ret_30d`) come from `feature.CrossRank` over a built panel.\n\n")
	fmt.Fprintf(&b, "| name | family | level | warm-up | inputs | formula |\n|---|---|---|---:|---|---|\n")
	for _, f := range reg {
		fmt.Fprintf(&b, "| `%s` | %s | %s | %d | %s | %s |\n", f.Name, f.Family, f.Level, f.Warmup,
			strings.Join(f.Inputs, ", "), strings.ReplaceAll(f.Formula, "|", "\\|"))
	}
	golden(t, filepath.Join("..", "docs", "factors.md"), b.Bytes())
}
