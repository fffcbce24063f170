package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/regime-engine/regime"
	"github.com/regime-engine/regime/httpapi"
	"github.com/regime-engine/regime/serve"
	"github.com/regime-engine/regime/sqlite"
)

// TestServeMatchesCLI checks that the API served by `regime serve` gives
// the CLI's answers on the same store: the gauge of `regime gauge --json`,
// the signals of `regime signals --all --json`, and, byte for byte up to
// whitespace, the backtest of `regime backtest --json` as the result of a
// backtest job with the same parameters.
func TestServeMatchesCLI(t *testing.T) {
	db := filepath.Join(t.TempDir(), "serve.db")
	mustRun(t, "synth", "--store", "--db", db, "--seed", "3", "--tokens", "20", "--days", "1100")
	ctx := context.Background()
	st, err := sqlite.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	k, token, err := regime.NewAPIKey(rand.Reader, "test", []regime.Scope{regime.ScopeRead, regime.ScopeJobs}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := st.CreateKey(ctx, k); err != nil {
		t.Fatal(err)
	}
	src := serve.New(st, serve.DefaultOptions())
	defer src.Close()
	cfg := httpapi.DefaultConfig()
	cfg.GaugePoll, cfg.RateLimit, cfg.AccessLog = 0, 0, false
	srv, err := httpapi.New(cfg, withSources(httpapi.Deps{Store: st, Keys: st}, src))
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()
	defer srv.Shutdown(ctx)
	do := func(method, path, body string) []byte {
		t.Helper()
		req, _ := http.NewRequest(method, ts.URL+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := ts.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusAccepted {
			t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, b)
		}
		return b
	}

	t.Run("gauge", func(t *testing.T) {
		var cli struct {
			Date  regime.Date `json:"date"`
			Score float64     `json:"score"`
			Level string      `json:"level"`
			State string      `json:"state"`
		}
		if err := json.Unmarshal([]byte(mustRun(t, "gauge", "--db", db, "--json")), &cli); err != nil {
			t.Fatal(err)
		}
		var g httpapi.Gauge
		if err := json.Unmarshal(do("GET", "/v1/gauge", ""), &g); err != nil {
			t.Fatal(err)
		}
		if g.Date != cli.Date || float64(g.Value) != cli.Score || g.Level != cli.Level || g.Regime != cli.State {
			t.Errorf("API gauge %s %v %s %s, CLI %s %v %s %s", g.Date, g.Value, g.Level, g.Regime, cli.Date, cli.Score, cli.Level, cli.State)
		}
	})
	t.Run("signals", func(t *testing.T) {
		var cli []struct {
			Date       regime.Date `json:"date"`
			Asset      string      `json:"asset"`
			State      string      `json:"state"`
			Conviction float64     `json:"conviction"`
		}
		if err := json.Unmarshal([]byte(mustRun(t, "signals", "--db", db, "--all", "--json")), &cli); err != nil {
			t.Fatal(err)
		}
		var pg httpapi.Page[httpapi.Signal]
		if err := json.Unmarshal(do("GET", "/v1/signals?limit=1000", ""), &pg); err != nil {
			t.Fatal(err)
		}
		api := map[string]httpapi.Signal{}
		for _, s := range pg.Items {
			api[s.AssetID] = s
		}
		if len(cli) == 0 || len(api) != len(cli) {
			t.Fatalf("API %d signals, CLI %d", len(api), len(cli))
		}
		for _, c := range cli {
			if a := api[c.Asset]; a.Date != c.Date || a.State != c.State || float64(a.Score) != c.Conviction {
				t.Errorf("%s: API %+v, CLI %+v", c.Asset, a, c)
			}
		}
	})
	t.Run("backtest job equals regime backtest --json", func(t *testing.T) {
		tests := []struct {
			name   string
			params string
			flags  []string
		}{
			{"defaults", `{}`, nil},
			{"rules", `{"from":"2016-03-01","split":"2017-01-01","n":10,"scheme":"sqrt_cap","rebalance":14,"exposure":"0,0,0.5,1,1","fee":0.002,"initial":50000}`,
				[]string{"--from", "2016-03-01", "--split", "2017-01-01", "--n", "10", "--scheme", "sqrt_cap", "--rebalance", "14",
					"--exposure", "0,0,0.5,1,1", "--fee", "0.002", "--initial", "50000"}},
			{"sma200", `{"strategy":"sma200","to":"2017-10-31","split":"none","no_stable_fill":true}`,
				[]string{"--strategy", "sma200", "--to", "2017-10-31", "--split", "none", "--no-stable-fill"}},
			{"nav", `{"nav":true,"from":"2016-03-01","n":10}`, []string{"--nav-json", "--from", "2016-03-01", "--n", "10"}},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				cli := mustRun(t, append([]string{"backtest", "--db", db, "--json"}, tc.flags...)...)
				var j httpapi.Job
				if err := json.Unmarshal(do("POST", "/v1/backtests", tc.params), &j); err != nil {
					t.Fatal(err)
				}
				deadline := time.Now().Add(50 * time.Second)
				for j.State == httpapi.JobQueued || j.State == httpapi.JobRunning {
					if time.Now().After(deadline) {
						t.Fatalf("job %s still %s", j.ID, j.State)
					}
					time.Sleep(20 * time.Millisecond)
					if err := json.Unmarshal(do("GET", "/v1/jobs/"+j.ID, ""), &j); err != nil {
						t.Fatal(err)
					}
				}
				if j.State != httpapi.JobSucceeded {
					t.Fatalf("job %+v", j)
				}
				got := do("GET", "/v1/jobs/"+j.ID+"/result", "")
				var a, b bytes.Buffer
				if err := json.Compact(&a, got); err != nil {
					t.Fatal(err)
				}
				if err := json.Compact(&b, []byte(cli)); err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(a.Bytes(), b.Bytes()) {
					t.Errorf("job result differs from the CLI:\n api %.300s\n cli %.300s", a.Bytes(), b.Bytes())
				}
				if hasNAV := bytes.Contains(a.Bytes(), []byte(`"nav":{"dates":[`)); hasNAV != strings.Contains(tc.params, `"nav":true`) {
					t.Errorf("nav field present: %v", hasNAV)
				}
			})
		}
	})
}
