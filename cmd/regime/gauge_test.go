package main

import (
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/regime-engine/regime/model/gbt"
)

// gaugeDB builds a small synthetic store once per test.
func gaugeDB(t *testing.T) string {
	t.Helper()
	db := filepath.Join(t.TempDir(), "gauge.db")
	mustRun(t, "synth", "--store", "--db", db, "--tokens", "15", "--days", "900", "--seed", "5")
	return db
}

func TestGaugeCommands(t *testing.T) {
	db := gaugeDB(t)
	t.Run("gauge text", func(t *testing.T) {
		out := mustRun(t, "gauge", "--db", db)
		if !strings.Contains(out, "Market Gauge on") || !strings.Contains(out, "trend") {
			t.Errorf("output:\n%s", out)
		}
	})
	t.Run("gauge json", func(t *testing.T) {
		var day struct {
			Date          string             `json:"date"`
			Score         float64            `json:"score"`
			Level         string             `json:"level"`
			Contributions map[string]float64 `json:"contributions"`
		}
		out := mustRun(t, "gauge", "--db", db, "--date", "2016-06-01", "--json")
		if err := json.Unmarshal([]byte(out), &day); err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		if day.Date != "2016-06-01" || day.Score < 0 || day.Score > 100 || day.Level == "" || len(day.Contributions) < 13 {
			t.Errorf("gauge day %+v", day)
		}
	})
	t.Run("gauge csv", func(t *testing.T) {
		out := mustRun(t, "gauge", "--db", db, "--from", "2016-01-01", "--to", "2016-01-31", "--csv")
		rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 32 || strings.Join(rows[0][:4], ",") != "date,score,level,trend" || rows[1][0] != "2016-01-01" {
			t.Errorf("%d rows, header %v", len(rows), rows[0])
		}
	})
	t.Run("gauge saves its models", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "models")
		mustRun(t, "gauge", "--db", db, "--models", dir)
		files, err := filepath.Glob(filepath.Join(dir, "*-gbt.json"))
		if err != nil || len(files) == 0 {
			t.Fatalf("no saved trees in %s (%v)", dir, err)
		}
		f, err := os.Open(files[0])
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		m, err := gbt.Load(f)
		if err != nil {
			t.Fatal(err)
		}
		if meta := m.Meta(); meta.Hash == "" || len(meta.Features) == 0 || meta.To == 0 {
			t.Errorf("saved model meta %+v", meta)
		}
	})
	t.Run("confluence flags", func(t *testing.T) {
		var day struct {
			Confluence struct {
				K float64 `json:"k"`
			} `json:"confluence"`
			Votes []struct{} `json:"votes"`
		}
		out := mustRun(t, "gauge", "--db", db, "--no-models", "--k", "2", "--families", "trend,momentum,drawdown", "--weight", "trend=2", "--json")
		if err := json.Unmarshal([]byte(out), &day); err != nil {
			t.Fatal(err)
		}
		if day.Confluence.K != 2 || len(day.Votes) != 3 {
			t.Errorf("K %v, %d votes; want 2 and 3", day.Confluence.K, len(day.Votes))
		}
	})
	t.Run("signals", func(t *testing.T) {
		out := mustRun(t, "signals", "--db", db, "--top", "10", "--all", "--json")
		var rows []map[string]any
		if err := json.Unmarshal([]byte(out), &rows); err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		if len(rows) != 10 {
			t.Errorf("%d signals, want 10", len(rows))
		}
	})
	t.Run("date", func(t *testing.T) {
		out := mustRun(t, "date", "--db", db)
		if !strings.Contains(out, "dated with a 35% threshold") {
			t.Errorf("output:\n%s", out)
		}
	})
	t.Run("evaluate", func(t *testing.T) {
		out := mustRun(t, "evaluate", "--db", db, "--cut", "2016-06-01", "--no-tokens")
		for _, want := range []string{"in-sample", "out-of-sample", "gauge", "price>SMA200", "basket"} {
			if !strings.Contains(out, want) {
				t.Errorf("evaluate output lacks %q:\n%s", want, out)
			}
		}
	})
}

func TestGaugeCommandErrors(t *testing.T) {
	db := gaugeDB(t)
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"date outside the store", []string{"gauge", "--db", db, "--date", "2030-01-01"}, "no data on 2030-01-01"},
		{"bad date", []string{"signals", "--db", db, "--date", "yesterday"}, "--date"},
		{"no store", []string{"gauge", "--db", filepath.Join(t.TempDir(), "none.db")}, "no store at"},
		{"bad cut", []string{"evaluate", "--db", db, "--cut", "2016-13-01"}, "--cut"},
		{"unknown family", []string{"gauge", "--db", db, "--families", "trend,astrology"}, "unknown family"},
		{"K too large", []string{"gauge", "--db", db, "--k", "99"}, "exceeds the total family weight"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, _, errs := runCLI(t, tc.args...)
			if code == 0 || !strings.Contains(errs, tc.want) || strings.Count(strings.TrimSpace(errs), "\n") > 0 {
				t.Errorf("exit %d, stderr %q; want a one-line error with %q", code, errs, tc.want)
			}
		})
	}
}
