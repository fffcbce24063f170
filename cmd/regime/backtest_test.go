package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// synthDB builds a small synthetic store for the backtest command.
func synthDB(t *testing.T) string {
	t.Helper()
	db := filepath.Join(t.TempDir(), "bt.db")
	mustRun(t, "synth", "--store", "--db", db, "--seed", "3", "--tokens", "30", "--days", "1100")
	return db
}

func TestBacktestCommand(t *testing.T) {
	db := synthDB(t)
	dir := t.TempDir()
	args := []string{"backtest", "--db", db, "--from", "2016-01-01", "--split", "2017-01-01"}
	t.Run("text", func(t *testing.T) {
		out := mustRun(t, append(args, "--monthly")...)
		for _, want := range []string{"buy_and_hold", "btc_hold", "sma200", "== in-sample", "== out-of-sample", "max drawdown", "monthly returns", "performance by regime"} {
			if !strings.Contains(out, want) {
				t.Errorf("output lacks %q:\n%s", want, out)
			}
		}
	})
	t.Run("byte-identical", func(t *testing.T) {
		for _, format := range [][]string{nil, {"--json"}, {"--csv"}} {
			a := mustRun(t, append(args, format...)...)
			b := mustRun(t, append(args, format...)...)
			if a != b {
				t.Errorf("two runs of %v differ", format)
			}
		}
		files := func(n string) ([]byte, []byte) {
			tr, nav := filepath.Join(dir, n+"t.csv"), filepath.Join(dir, n+"n.csv")
			mustRun(t, append(args, "--trades", tr, "--nav", nav)...)
			x, err := os.ReadFile(tr)
			if err != nil {
				t.Fatal(err)
			}
			y, err := os.ReadFile(nav)
			if err != nil {
				t.Fatal(err)
			}
			return x, y
		}
		t1, n1 := files("a")
		t2, n2 := files("b")
		if !bytes.Equal(t1, t2) || !bytes.Equal(n1, n2) {
			t.Error("trade or NAV files differ between runs")
		}
		if !bytes.HasPrefix(t1, []byte("date,asset,side,quantity,price,value,fee,slippage,reason\n")) || bytes.Count(t1, []byte("\n")) < 10 {
			t.Errorf("trade log:\n%.300s", t1)
		}
		if !bytes.HasPrefix(n1, []byte("date,nav_regime,nav_buy_and_hold,nav_btc_hold,nav_sma200,exposure,level\n")) {
			t.Errorf("NAV file:\n%.300s", n1)
		}
	})
	t.Run("json", func(t *testing.T) {
		var v struct {
			Strategy string `json:"strategy"`
			Runs     []struct {
				Name    string         `json:"name"`
				Metrics map[string]any `json:"metrics"`
			} `json:"runs"`
			Windows []struct {
				Name string `json:"name"`
			} `json:"windows"`
			Sweep *struct {
				Trials []any    `json:"trials"`
				PBO    *float64 `json:"pbo"`
			} `json:"sweep"`
		}
		out := mustRun(t, append(args, "--json", "--sweep", "--ns", "5,10", "--periods", "7", "--schemes", "cap", "--exposures", "0,0.25,0.5,1,1;0,0,0,1,1")...)
		if err := json.Unmarshal([]byte(out), &v); err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		if v.Strategy != "gauge" || len(v.Runs) != 4 || len(v.Windows) != 3 || v.Sweep == nil || len(v.Sweep.Trials) != 4 {
			t.Fatalf("unexpected JSON shape: %+v", v)
		}
		// btc_hold has no universe decisions: its unpriced share is null, not NaN.
		if got, ok := v.Runs[2].Metrics["unpriced_cap_share"]; !ok || got != nil {
			t.Errorf("btc_hold unpriced_cap_share = %v, want null", got)
		}
	})
	t.Run("errors", func(t *testing.T) {
		for _, tc := range []struct {
			args []string
			want string
		}{
			{[]string{"--strategy", "oracle"}, "--strategy"},
			{[]string{"--split", "2017-13-01"}, "--split"},
			{[]string{"--exposure", "1,0,0,0,0"}, "exposure"},
			{[]string{"--json", "--csv"}, "at most one"},
			{[]string{"--nav-json", "--csv"}, "at most one"},
			{[]string{"--sweep", "--ns", "ten"}, "--ns"},
			{[]string{"--from", "2030-01-01"}, "empty"},
		} {
			code, _, errs := runCLI(t, append(args, tc.args...)...)
			if code == 0 || !strings.Contains(errs, tc.want) || strings.Count(strings.TrimSpace(errs), "\n") > 0 {
				t.Errorf("%v: exit %d, stderr %q (want one line mentioning %q)", tc.args, code, errs, tc.want)
			}
		}
	})
}
