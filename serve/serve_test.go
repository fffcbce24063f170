package serve_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/regime-engine/regime"
	"github.com/regime-engine/regime/detect"
	"github.com/regime-engine/regime/engine"
	"github.com/regime-engine/regime/httpapi"
	"github.com/regime-engine/regime/report"
	"github.com/regime-engine/regime/serve"
	"github.com/regime-engine/regime/sqlite"
	"github.com/regime-engine/regime/synth"
)

// synthConfig is the small synthetic market of the tests: 20 tokens over
// 1100 days from 2015-01-01 (to 2018-01-04).
func synthConfig(days int) synth.Config {
	return synth.Config{Seed: 3, Tokens: 20, Days: days}
}

// newStore builds the synthetic market in a new store.
func newStore(t *testing.T, days int) *sqlite.Store {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "regime.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := engine.SynthToStore(ctx, st, synthConfig(days)); err != nil {
		t.Fatal(err)
	}
	return st
}

// testOptions split the synthetic run inside it.
func testOptions() serve.Options {
	opt := serve.DefaultOptions()
	opt.Split = regime.MustDate("2017-01-01")
	return opt
}

// api is an httptest server of the API on the sources.
type api struct {
	srv   *httpapi.Server
	ts    *httptest.Server
	src   *serve.Sources
	token string
}

func newAPI(t *testing.T, st *sqlite.Store, opt serve.Options, cfg httpapi.Config) *api {
	t.Helper()
	ctx := context.Background()
	k, token, err := regime.NewAPIKey(rand.Reader, "test", []regime.Scope{regime.ScopeRead, regime.ScopeJobs}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := st.CreateKey(ctx, k); err != nil {
		t.Fatal(err)
	}
	a := &api{token: token}
	user := opt.OnUpdate
	opt.OnUpdate = func(u serve.Update) {
		if a.srv != nil {
			a.srv.Publish(httpapi.TopicSignals, u.Signals)
		}
		if user != nil {
			user(u)
		}
	}
	a.src = serve.New(st, opt)
	srv, err := httpapi.New(cfg, httpapi.Deps{Store: st, Keys: st, Gauge: a.src, Signals: a.src, Index: a.src,
		Evaluations: a.src, Jobs: map[string]httpapi.JobRunner{"backtest": a.src.BacktestJob}})
	if err != nil {
		t.Fatal(err)
	}
	a.srv = srv
	a.ts = httptest.NewServer(srv.Handler())
	t.Cleanup(func() {
		a.ts.Close()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(sctx)
		a.src.Close()
	})
	return a
}

func quietConfig() httpapi.Config {
	cfg := httpapi.DefaultConfig()
	cfg.RateLimit = 0
	cfg.GaugePoll = 0
	cfg.AccessLog = false
	return cfg
}

// do sends a request and returns the status and body.
func (a *api) do(t *testing.T, method, path string, body string) (int, []byte) {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, a.ts.URL+path, r)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+a.token)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := a.ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, b
}

// get decodes a 200 answer into v.
func (a *api) get(t *testing.T, path string, v any) {
	t.Helper()
	code, b := a.do(t, "GET", path, "")
	if code != http.StatusOK {
		t.Fatalf("GET %s: status %d: %s", path, code, b)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("GET %s: %v: %s", path, err, b)
	}
}

func TestRoutes(t *testing.T) {
	st := newStore(t, 1100)
	a := newAPI(t, st, testOptions(), quietConfig())
	ctx := context.Background()

	// The reference: the gauge computed as `regime gauge` computes it.
	p, err := engine.LoadPanel(ctx, st, regime.DateRange{})
	if err != nil {
		t.Fatal(err)
	}
	run, err := engine.RunGauge(ctx, st, p, engine.DefaultGaugeOptions())
	if err != nil {
		t.Fatal(err)
	}
	last := len(p.Dates) - 1
	lastDay := p.Dates[last]

	t.Run("gauge", func(t *testing.T) {
		var g httpapi.Gauge
		a.get(t, "/v1/gauge", &g)
		if g.Date != lastDay || g.Level != run.Gauge.Level[last].String() || g.Regime != run.Gauge.State[last].String() ||
			float64(g.Value) != run.Gauge.Score[last] {
			t.Errorf("gauge %s %v %s %s, want %s %v %s %s", g.Date, g.Value, g.Level, g.Regime, lastDay, run.Gauge.Score[last],
				run.Gauge.Level[last], run.Gauge.State[last])
		}
		sum := 50.0
		for _, f := range g.Families {
			sum += float64(f.Contribution)
		}
		if len(g.Families) != len(run.Gauge.Components) || math.Abs(sum-float64(g.Value)) > 1e-6 {
			t.Errorf("%d families summing to %v, want %d summing to the value %v", len(g.Families), sum,
				len(run.Gauge.Components), g.Value)
		}
	})
	t.Run("gauge history", func(t *testing.T) {
		var pg httpapi.Page[httpapi.Gauge]
		a.get(t, "/v1/gauge/history?from=2017-01-01&to=2017-01-10&limit=4", &pg)
		var all []httpapi.Gauge
		all = append(all, pg.Items...)
		for pg.NextCursor != "" {
			cur := pg.NextCursor
			pg = httpapi.Page[httpapi.Gauge]{}
			a.get(t, "/v1/gauge/history?from=2017-01-01&to=2017-01-10&limit=4&cursor="+cur, &pg)
			all = append(all, pg.Items...)
		}
		if len(all) != 10 || all[0].Date != regime.MustDate("2017-01-01") || all[9].Date != regime.MustDate("2017-01-10") {
			t.Fatalf("history: %d readings", len(all))
		}
		i, _ := p.DayIndex(all[4].Date)
		if all[4].Level != run.Gauge.Level[i].String() {
			t.Errorf("%s: level %s, want %s", all[4].Date, all[4].Level, run.Gauge.Level[i])
		}
	})
	t.Run("signals latest", func(t *testing.T) {
		var pg httpapi.Page[httpapi.Signal]
		a.get(t, "/v1/signals?limit=1000", &pg)
		want, err := engine.TokenSignals(ctx, st, p, []int{last}, 100, detect.DefaultTokenConfluence())
		if err != nil {
			t.Fatal(err)
		}
		if len(pg.Items) == 0 || len(pg.Items) != len(want) {
			t.Fatalf("%d signals, want %d", len(pg.Items), len(want))
		}
		byID := map[string]string{}
		for _, w := range want {
			byID[w.Asset] = w.State.String()
		}
		for k, s := range pg.Items {
			if s.Date != lastDay || byID[s.AssetID] != s.State || !(s.Score >= 0 && s.Score <= 1) {
				t.Errorf("signal %+v; CLI state %q", s, byID[s.AssetID])
			}
			if k > 0 && pg.Items[k-1].AssetID >= s.AssetID {
				t.Errorf("signals not sorted by asset: %s then %s", pg.Items[k-1].AssetID, s.AssetID)
			}
		}
	})
	t.Run("signals range", func(t *testing.T) {
		var pg httpapi.Page[httpapi.Signal]
		a.get(t, "/v1/signals?from=2017-06-01&to=2017-06-03&limit=1000", &pg)
		days := map[regime.Date]int{}
		for _, s := range pg.Items {
			days[s.Date]++
		}
		if len(days) != 3 {
			t.Errorf("signals on %d days, want 3: %v", len(days), days)
		}
		code, b := a.do(t, "GET", "/v1/signals?from=2015-01-01&to=2017-12-31", "")
		if code != http.StatusBadRequest || !bytes.Contains(b, []byte("at most 92 days")) {
			t.Errorf("too wide a range: %d %s", code, b)
		}
	})
	t.Run("index composition", func(t *testing.T) {
		var c httpapi.Composition
		a.get(t, "/v1/index", &c)
		sum := 0.0
		for _, w := range c.Weights {
			sum += float64(w.Weight)
			if w.Weight <= 0 || w.Symbol == "" {
				t.Errorf("weight %+v", w)
			}
		}
		if len(c.Weights) == 0 || sum > 1+1e-9 || c.Date > lastDay || c.Date < lastDay.AddDays(-7) || c.Exposure < 0 || c.Exposure > 1 {
			t.Errorf("composition %+v (weights sum %v)", c, sum)
		}
		var old httpapi.Composition
		a.get(t, "/v1/index?date=2017-01-01", &old)
		if old.Date > regime.MustDate("2017-01-01") || old.Date < regime.MustDate("2016-12-25") {
			t.Errorf("composition as of 2017-01-01 dated %s", old.Date)
		}
	})
	t.Run("index nav and trades", func(t *testing.T) {
		var nav httpapi.Page[httpapi.NAVPoint]
		a.get(t, "/v1/index/nav?limit=1000", &nav)
		if len(nav.Items) < 300 || nav.Items[0].NAV != 1e6 || nav.Items[len(nav.Items)-1].Date != lastDay {
			t.Errorf("nav: %d points, first %+v", len(nav.Items), nav.Items[0])
		}
		var tr httpapi.Page[httpapi.Trade]
		a.get(t, "/v1/index/trades?from=2017-01-01&to=2017-03-31&limit=1000", &tr)
		if len(tr.Items) == 0 {
			t.Fatal("no trades in 2017 Q1")
		}
		reasons := map[string]int{}
		for _, x := range tr.Items {
			if x.Date < regime.MustDate("2017-01-01") || x.Date > regime.MustDate("2017-03-31") || (x.Side != "buy" && x.Side != "sell") ||
				!(x.Quantity > 0) || !(x.Cost >= 0) {
				t.Errorf("trade %+v", x)
			}
			if math.Abs(float64(x.Value-x.Quantity*x.Price)) > 1e-6*float64(x.Value) || x.Cost != x.Fee+x.Slippage ||
				!slices.Contains(httpapi.TradeReasons, x.Reason) {
				t.Errorf("trade fields %+v", x)
			}
			reasons[x.Reason]++
		}
		if len(reasons) == 0 {
			t.Error("no trade reasons")
		}
		for r, n := range reasons {
			var only httpapi.Page[httpapi.Trade]
			a.get(t, "/v1/index/trades?from=2017-01-01&to=2017-03-31&limit=1000&reason="+r, &only)
			if len(only.Items) != n {
				t.Errorf("reason=%s: %d trades, want %d", r, len(only.Items), n)
			}
		}
		// Benchmarks start from the same NAV; exposure is a share; the
		// level is the gauge's once it has a score.
		first := nav.Items[0]
		if first.Benchmarks.BuyAndHold != 1e6 || first.Benchmarks.BTCHold != 1e6 || first.Benchmarks.SMA200 != 1e6 {
			t.Errorf("benchmarks on day one %+v", first.Benchmarks)
		}
		leveled := 0
		for _, p := range nav.Items {
			if !(p.Exposure >= 0 && p.Exposure <= 1+1e-9) || !(p.Benchmarks.BuyAndHold > 0) {
				t.Errorf("nav point %+v", p)
				break
			}
			if p.Level != nil {
				leveled++
			}
		}
		var g httpapi.Gauge
		a.get(t, "/v1/gauge", &g)
		last := nav.Items[len(nav.Items)-1]
		if leveled == 0 || last.Level == nil || *last.Level != g.Level {
			t.Errorf("levels: %d days with a level, last %v, gauge %q", leveled, last.Level, g.Level)
		}
	})
	t.Run("index allocation", func(t *testing.T) {
		var al httpapi.Page[httpapi.AllocationPoint]
		a.get(t, "/v1/index/allocation?limit=1000", &al)
		if len(al.Items) < 20 || al.Items[len(al.Items)-1].Date != lastDay {
			t.Fatalf("allocation: %d points", len(al.Items))
		}
		var nav httpapi.Page[httpapi.NAVPoint]
		a.get(t, "/v1/index/nav?limit=1000", &nav)
		exposure := map[regime.Date]float64{}
		for _, p := range nav.Items {
			exposure[p.Date] = float64(p.Exposure)
		}
		for _, p := range al.Items {
			risky := float64(p.Other)
			for _, h := range p.Top {
				risky += float64(h.Weight)
			}
			// The holdings rebuilt from the log give the simulation's exposure.
			if e, ok := exposure[p.Date]; !ok || math.Abs(risky-e) > 1e-6 {
				t.Errorf("%s: risky share %v, NAV exposure %v", p.Date, risky, e)
			}
			sum := float64(p.Stable + p.Cash + p.Other)
			for k, h := range p.Top {
				sum += float64(h.Weight)
				if h.Symbol == "" || !(h.Weight > 0) || (k > 0 && h.Weight > p.Top[k-1].Weight) {
					t.Errorf("%s: holding %+v", p.Date, h)
				}
			}
			if len(p.Top) > serve.AllocationTop || math.Abs(sum-1) > 1e-6 || p.Stable < 0 || p.Other < 0 {
				t.Errorf("%s: %d top holdings, shares sum to %v: %+v", p.Date, len(p.Top), sum, p)
			}
		}
		var part httpapi.Page[httpapi.AllocationPoint]
		a.get(t, "/v1/index/allocation?from=2017-01-01&to=2017-01-31", &part)
		for _, p := range part.Items {
			if p.Date < regime.MustDate("2017-01-01") || p.Date > regime.MustDate("2017-01-31") {
				t.Errorf("out of range %s", p.Date)
			}
		}
		if len(part.Items) == 0 {
			t.Error("no allocation in January 2017")
		}
	})
	t.Run("index performance", func(t *testing.T) {
		var perf httpapi.Performance
		a.get(t, "/v1/index/performance", &perf)
		for _, k := range []string{"cagr", "sharpe", "max_drawdown", "in_sample.cagr", "out_of_sample.cagr", "buy_and_hold.cagr",
			"btc_hold.sharpe", "sma200.max_drawdown", "monthly.2017-06"} {
			if _, ok := perf.Metrics[k]; !ok {
				t.Errorf("performance lacks %s", k)
			}
		}
		var part httpapi.Performance
		a.get(t, "/v1/index/performance?from=2017-02-01&to=2017-04-30", &part)
		if part.From != regime.MustDate("2017-02-01") || part.To != regime.MustDate("2017-04-30") || part.Metrics["days"] != 89 {
			t.Errorf("performance over Feb-Apr 2017: %s..%s, %v days", part.From, part.To, part.Metrics["days"])
		}
		if _, ok := part.Metrics["monthly.2017-03"]; !ok || len(keysWith(part.Metrics, "monthly.")) != 3 {
			t.Errorf("monthly returns over Feb-Apr 2017: %v", keysWith(part.Metrics, "monthly."))
		}
	})
	t.Run("evaluations", func(t *testing.T) {
		var pg httpapi.Page[httpapi.Evaluation]
		a.get(t, "/v1/evaluations?limit=1000", &pg)
		if len(pg.Items) == 0 {
			t.Fatal("no evaluations")
		}
		found := false
		for _, e := range pg.Items {
			found = found || strings.HasSuffix(e.ID, "/gauge")
			if _, ok := e.Metrics["balanced_accuracy"]; !ok && e.Subject != "token_signals" {
				t.Errorf("evaluation %s lacks balanced_accuracy", e.ID)
			}
		}
		if !found {
			t.Errorf("no evaluation of the gauge among %d", len(pg.Items))
		}
	})
}

func keysWith(m map[string]httpapi.Num, prefix string) []string {
	var out []string
	for k := range m {
		if strings.HasPrefix(k, prefix) {
			out = append(out, k)
		}
	}
	return out
}

// waitJob polls a job until it ends.
func (a *api) waitJob(t *testing.T, id string) httpapi.Job {
	t.Helper()
	deadline := time.Now().Add(50 * time.Second)
	for {
		var j httpapi.Job
		a.get(t, "/v1/jobs/"+id, &j)
		if j.State != httpapi.JobQueued && j.State != httpapi.JobRunning {
			return j
		}
		if time.Now().After(deadline) {
			t.Fatalf("job %s still %s", id, j.State)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestBacktestJob(t *testing.T) {
	st := newStore(t, 1100)
	a := newAPI(t, st, testOptions(), quietConfig())
	ctx := context.Background()
	params := `{"from":"2016-03-01","split":"2017-01-01","n":10,"scheme":"sqrt_cap","rebalance":14,"exposure":"0,0.25,0.5,1,1","fee":0.002}`
	code, b := a.do(t, "POST", "/v1/backtests", params)
	if code != http.StatusAccepted {
		t.Fatalf("submit: %d %s", code, b)
	}
	var j httpapi.Job
	if err := json.Unmarshal(b, &j); err != nil {
		t.Fatal(err)
	}
	if j = a.waitJob(t, j.ID); j.State != httpapi.JobSucceeded || j.Total == 0 {
		t.Fatalf("job %+v", j)
	}
	code, got := a.do(t, "GET", "/v1/jobs/"+j.ID+"/result", "")
	if code != http.StatusOK {
		t.Fatalf("result: %d %s", code, got)
	}
	// The same backtest computed from scratch (the gauge recomputed, not
	// the cached run).
	p, err := serve.ParseBacktestParams(json.RawMessage(params))
	if err != nil {
		t.Fatal(err)
	}
	opt, err := p.Options(engine.DefaultGaugeOptions())
	if err != nil {
		t.Fatal(err)
	}
	rep, err := engine.Backtest(ctx, st, opt)
	if err != nil {
		t.Fatal(err)
	}
	want, err := json.Marshal(report.NewBacktest(rep, nil))
	if err != nil {
		t.Fatal(err)
	}
	var cg, cw bytes.Buffer
	if err := json.Compact(&cg, got); err != nil {
		t.Fatal(err)
	}
	if err := json.Compact(&cw, want); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(cg.Bytes(), cw.Bytes()) {
		t.Errorf("job result differs from the engine's report:\n got %.400s\nwant %.400s", cg.Bytes(), cw.Bytes())
	}

	t.Run("invalid params fail naming the field", func(t *testing.T) {
		code, b := a.do(t, "POST", "/v1/backtests", `{"scheme":"weird"}`)
		if code != http.StatusAccepted {
			t.Fatalf("submit: %d %s", code, b)
		}
		json.Unmarshal(b, &j)
		if j = a.waitJob(t, j.ID); j.State != httpapi.JobFailed || !strings.Contains(j.Error, "params.scheme") {
			t.Errorf("job %+v", j)
		}
	})
}

func TestParseBacktestParams(t *testing.T) {
	tests := []struct {
		name, params, err string
	}{
		{"empty", `{}`, ""},
		{"all", `{"strategy":"sma200","from":"2016-01-01","to":"2017-12-31","split":"none","exposure":"0,0,0.5,1,1","n":30,"scheme":"equal","rebalance":30,"fee":0,"initial":5000,"no_stable_fill":true}`, ""},
		{"strategy", `{"strategy":"moon"}`, "params.strategy"},
		{"from", `{"from":"2016-13-01"}`, "params.from"},
		{"to before from", `{"from":"2017-01-01","to":"2016-01-01"}`, "params.to"},
		{"split", `{"split":"soon"}`, "params.split"},
		{"exposure", `{"exposure":"1,2"}`, "params.exposure"},
		{"n", `{"n":-1}`, "params.n"},
		{"scheme", `{"scheme":"weird"}`, "params.scheme"},
		{"rebalance", `{"rebalance":-7}`, "params.rebalance"},
		{"initial", `{"initial":-1}`, "params.initial"},
		{"type", `{"n":"ten"}`, "params.n"},
		{"unknown", `{"size":10}`, `unknown field "size"`},
		{"not an object", `[1]`, "params"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := serve.ParseBacktestParams(json.RawMessage(tc.params))
			switch {
			case tc.err == "" && err != nil:
				t.Errorf("error %v", err)
			case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err) || regime.ErrorCode(err) != regime.EINVALID):
				t.Errorf("error %v, want EINVALID naming %s", err, tc.err)
			}
		})
	}
}

// countingReader counts the store hashes (one per refresh).
type countingReader struct {
	regime.Reader
	stats atomic.Int64
}

func (c *countingReader) Stats(ctx context.Context) (regime.Stats, error) {
	c.stats.Add(1)
	return c.Reader.Stats(ctx)
}

func TestComputeOnce(t *testing.T) {
	st := newStore(t, 1100)
	cr := &countingReader{Reader: st}
	var updates atomic.Int64
	opt := testOptions()
	opt.HashTTL = time.Hour
	opt.OnUpdate = func(serve.Update) { updates.Add(1) }
	src := serve.New(cr, opt)
	defer src.Close()
	ctx := context.Background()
	var wg sync.WaitGroup
	values := make([]httpapi.Gauge, 8)
	for i := range values {
		wg.Add(1)
		go func() {
			defer wg.Done()
			g, err := src.Latest(ctx)
			if err != nil {
				t.Error(err)
			}
			values[i] = g
		}()
	}
	wg.Wait()
	if n := cr.stats.Load(); n != 1 {
		t.Errorf("8 concurrent first requests hashed the store %d times, want 1", n)
	}
	for _, g := range values[1:] {
		if g.Date != values[0].Date || g.Value != values[0].Value {
			t.Errorf("readings differ: %+v %+v", g, values[0])
		}
	}
	changed, err := src.Refresh(ctx)
	if err != nil || changed {
		t.Errorf("refresh of an unchanged store: changed %v, %v", changed, err)
	}
	if err := engine.SynthToStore(ctx, st, synthConfig(1110)); err != nil {
		t.Fatal(err)
	}
	if changed, err := src.Refresh(ctx); err != nil || !changed {
		t.Errorf("refresh of a changed store: changed %v, %v", changed, err)
	}
	g, err := src.Latest(ctx)
	if err != nil || g.Date != regime.MustDate("2015-01-01").AddDays(1109) {
		t.Errorf("latest after the change: %s, %v", g.Date, err)
	}
	waitFor(t, func() bool { return updates.Load() == 2 }, "two updates (first computation and change)")
}

func waitFor(t *testing.T, cond func() bool, what string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// sseEvent is one received event.
type sseEvent struct {
	topic string
	data  []byte
}

func TestLiveUpdates(t *testing.T) {
	st := newStore(t, 1100)
	opt := testOptions()
	opt.HashTTL = -1 // check the store on every request
	cfg := quietConfig()
	cfg.GaugePoll = 20 * time.Millisecond
	cfg.GaugeCacheTTL = time.Millisecond
	a := newAPI(t, st, opt, cfg)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", a.ts.URL+"/v1/events?topics=gauge,signals", nil)
	req.Header.Set("Authorization", "Bearer "+a.token)
	resp, err := a.ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("events: %d", resp.StatusCode)
	}
	events := make(chan sseEvent, 64)
	go func() {
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 1<<20), 1<<22)
		var ev sseEvent
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "event: "):
				ev.topic = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: "):
				ev.data = []byte(strings.TrimPrefix(line, "data: "))
			case line == "" && ev.topic != "":
				events <- ev
				ev = sseEvent{}
			}
		}
		close(events)
	}()
	next := func(want string, ok func(sseEvent) bool) sseEvent {
		t.Helper()
		timeout := time.After(40 * time.Second)
		for {
			select {
			case ev, open := <-events:
				if !open {
					t.Fatalf("stream ended waiting for %s", want)
				}
				if ok(ev) {
					return ev
				}
			case <-timeout:
				t.Fatalf("timed out waiting for %s", want)
			}
		}
	}
	first := regime.MustDate("2015-01-01").AddDays(1099)
	gaugeOn := func(d regime.Date) func(sseEvent) bool {
		return func(ev sseEvent) bool {
			var g httpapi.Gauge
			return ev.topic == httpapi.TopicGauge && json.Unmarshal(ev.data, &g) == nil && g.Date == d
		}
	}
	next("the first gauge reading", gaugeOn(first))

	// New days arrive in the store: the gauge and the signals are
	// recomputed and published.
	if err := engine.SynthToStore(context.Background(), st, synthConfig(1105)); err != nil {
		t.Fatal(err)
	}
	newDay := first.AddDays(5)
	var sawSignals bool
	var sawGauge bool
	for !sawSignals || !sawGauge {
		ev := next("the new gauge and signals", func(ev sseEvent) bool {
			return gaugeOn(newDay)(ev) || ev.topic == httpapi.TopicSignals
		})
		if ev.topic == httpapi.TopicSignals {
			var sig []httpapi.Signal
			if err := json.Unmarshal(ev.data, &sig); err != nil {
				t.Fatal(err)
			}
			if len(sig) > 0 && sig[0].Date == newDay {
				sawSignals = true
			}
			continue
		}
		sawGauge = true
	}
	var g httpapi.Gauge
	a.get(t, "/v1/gauge", &g)
	if g.Date != newDay {
		t.Errorf("/v1/gauge after the update: %s, want %s", g.Date, newDay)
	}
}

func TestEmptyStore(t *testing.T) {
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "empty.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	a := newAPI(t, st, testOptions(), quietConfig())
	for _, path := range []string{"/v1/gauge", "/v1/gauge/history", "/v1/signals", "/v1/index", "/v1/index/nav",
		"/v1/index/performance", "/v1/evaluations"} {
		code, b := a.do(t, "GET", path, "")
		if code != http.StatusNotFound {
			t.Errorf("GET %s on an empty store: %d %s", path, code, b)
		}
	}
}

func TestStoreTooShortForTheIndex(t *testing.T) {
	a := newAPI(t, newStore(t, 60), testOptions(), quietConfig())
	if code, b := a.do(t, "GET", "/v1/gauge", ""); code != http.StatusOK {
		t.Errorf("gauge: %d %s", code, b)
	}
	for _, path := range []string{"/v1/index", "/v1/index/nav", "/v1/index/trades", "/v1/index/performance"} {
		code, b := a.do(t, "GET", path, "")
		if code != http.StatusNotFound || !bytes.Contains(b, []byte("no regime index yet")) {
			t.Errorf("GET %s on 60 days: %d %s", path, code, b)
		}
	}
}
