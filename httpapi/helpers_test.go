package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/regime-engine/regime"
	"github.com/regime-engine/regime/engine"
	"github.com/regime-engine/regime/httpapi"
	"github.com/regime-engine/regime/sqlite"
	"github.com/regime-engine/regime/synth"
)

// fixedNow is the injected clock of the tests.
var fixedNow = time.Date(2017, 3, 1, 12, 0, 0, 0, time.UTC)

// storeDir holds the synthetic store built once for the whole package.
var (
	storeOnce sync.Once
	storePath string
	storeErr  error
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "httpapi-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	storePath = filepath.Join(dir, "regime.db")
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// sharedStore opens the synthetic market store (10 tokens, 800 days from
// 2015-01-01), built on first use.
func sharedStore(t testing.TB) *sqlite.Store {
	t.Helper()
	storeOnce.Do(func() {
		ctx := context.Background()
		st, err := sqlite.Open(ctx, storePath)
		if err != nil {
			storeErr = err
			return
		}
		defer st.Close()
		storeErr = engine.SynthToStore(ctx, st, synth.Config{Seed: 7, Tokens: 10, Days: 800, TopN: 10, OnchainTokens: 1})
	})
	if storeErr != nil {
		t.Fatalf("build store: %v", storeErr)
	}
	st, err := sqlite.Open(context.Background(), storePath)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// memKeys is an in-memory regime.KeyStore.
type memKeys struct {
	mu   sync.Mutex
	keys map[string]regime.APIKey // by hash
}

func newMemKeys() *memKeys { return &memKeys{keys: map[string]regime.APIKey{}} }

func (m *memKeys) CreateKey(_ context.Context, k regime.APIKey) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, o := range m.keys {
		if o.ID == k.ID || o.Hash == k.Hash {
			return regime.Errorf(regime.ECONFLICT, "api key %s already exists", k.ID)
		}
	}
	m.keys[k.Hash] = k
	return nil
}

func (m *memKeys) KeyByHash(_ context.Context, hash string) (regime.APIKey, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	k, ok := m.keys[hash]
	if !ok {
		return regime.APIKey{}, regime.Errorf(regime.ENOTFOUND, "api key not found")
	}
	return k, nil
}

func (m *memKeys) ListKeys(context.Context) ([]regime.APIKey, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []regime.APIKey
	for _, k := range m.keys {
		out = append(out, k)
	}
	regime.SortKeys(out)
	return out, nil
}

func (m *memKeys) RevokeKey(_ context.Context, id string, at time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for h, k := range m.keys {
		if k.ID == id {
			if !k.Revoked() {
				k.RevokedAt = at
				m.keys[h] = k
			}
			return nil
		}
	}
	return regime.Errorf(regime.ENOTFOUND, "api key %q not found", id)
}

// seqRand is a deterministic byte source for key generation.
type seqRand struct{ n byte }

func (r *seqRand) Read(p []byte) (int, error) {
	for i := range p {
		r.n++
		p[i] = r.n
	}
	return len(p), nil
}

// newKey creates a key with the given scopes and returns its token.
func newKey(t testing.TB, ks regime.KeyStore, rnd *seqRand, scopes ...regime.Scope) string {
	t.Helper()
	k, tok, err := regime.NewAPIKey(rnd, "test", scopes, fixedNow)
	if err != nil {
		t.Fatal(err)
	}
	if err := ks.CreateKey(context.Background(), k); err != nil {
		t.Fatal(err)
	}
	return tok
}

// fakeGauge is a GaugeSource with fixed readings.
type fakeGauge struct {
	mu      sync.Mutex
	history []httpapi.Gauge
	polled  chan struct{} // when not nil, receives (without blocking) after each Latest
}

func gaugeAt(d regime.Date, v float64, reg string) httpapi.Gauge {
	return httpapi.Gauge{Date: d, Value: httpapi.Num(v), Level: reg, Regime: reg, Families: []httpapi.FamilyContribution{
		{Family: "momentum", Score: 70, Weight: 0.5, Contribution: 35},
		{Family: "sentiment", Score: httpapi.Num(regime.NaN), Weight: 0.5, Contribution: httpapi.Num(v - 35)},
	}}
}

func newFakeGauge() *fakeGauge {
	g := &fakeGauge{}
	start := regime.MustDate("2017-01-01")
	for i := 0; i < 60; i++ {
		g.history = append(g.history, gaugeAt(start.AddDays(i), float64(40+i%30), "bull"))
	}
	return g
}

func (g *fakeGauge) Latest(context.Context) (httpapi.Gauge, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.polled != nil {
		select {
		case g.polled <- struct{}{}:
		default:
		}
	}
	return g.history[len(g.history)-1], nil
}

func (g *fakeGauge) set(x httpapi.Gauge) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.history = append(g.history, x)
}

func (g *fakeGauge) History(_ context.Context, r regime.DateRange) ([]httpapi.Gauge, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	var out []httpapi.Gauge
	for _, x := range g.history {
		if r.Contains(x.Date) {
			out = append(out, x)
		}
	}
	return out, nil
}

type fakeSignals struct{}

func (fakeSignals) Signals(_ context.Context, q httpapi.SignalQuery) ([]httpapi.Signal, error) {
	var out []httpapi.Signal
	start := regime.MustDate("2017-01-01")
	for i := 0; i < 10; i++ {
		for _, a := range []string{"alpha", "bitcoin"} {
			s := httpapi.Signal{AssetID: a, Date: start.AddDays(i), State: "bull", Score: 0.7}
			if (q.AssetID == "" || q.AssetID == a) && q.Range.Contains(s.Date) {
				out = append(out, s)
			}
		}
	}
	return out, nil
}

type fakeIndex struct{}

func (fakeIndex) Composition(_ context.Context, d regime.Date) (httpapi.Composition, error) {
	return httpapi.Composition{Date: regime.MustDate("2017-02-01"), Regime: "bull", Exposure: 1,
		Weights: []httpapi.Weight{{AssetID: "bitcoin", Weight: 0.6}, {AssetID: "alpha", Weight: 0.4}}}, nil
}

func (fakeIndex) NAV(_ context.Context, r regime.DateRange) ([]httpapi.NAVPoint, error) {
	start := regime.MustDate("2017-01-01")
	var out []httpapi.NAVPoint
	for i := 0; i < 30; i++ {
		if p := (httpapi.NAVPoint{Date: start.AddDays(i), NAV: httpapi.Num(100 + float64(i))}); r.Contains(p.Date) {
			out = append(out, p)
		}
	}
	return out, nil
}

func (fakeIndex) Trades(_ context.Context, r regime.DateRange) ([]httpapi.Trade, error) {
	d := regime.MustDate("2017-01-02")
	if !r.Contains(d) {
		return nil, nil
	}
	return []httpapi.Trade{{Date: d, AssetID: "bitcoin", Side: "buy", Quantity: 1, Price: 1000, Value: 1000, Fee: 0.75, Slippage: 0.25, Cost: 1, Reason: "regime_change"},
		{Date: d, AssetID: "bitcoin", Side: "sell", Quantity: 0.5, Price: 1000, Value: 500, Fee: 0.5, Slippage: 0, Cost: 0.5, Reason: "scheduled_rebalance"}}, nil
}

func (fakeIndex) Allocation(_ context.Context, r regime.DateRange) ([]httpapi.AllocationPoint, error) {
	start := regime.MustDate("2017-01-01")
	var out []httpapi.AllocationPoint
	for i := 0; i < 30; i += 7 {
		p := httpapi.AllocationPoint{Date: start.AddDays(i), Stable: 0.2, Cash: 0.1, Other: 0.1,
			Top: []httpapi.HoldingWeight{{AssetID: "bitcoin", Symbol: "BTC", Weight: 0.4}, {AssetID: "alpha", Symbol: "ALP", Weight: 0.2}}}
		if r.Contains(p.Date) {
			out = append(out, p)
		}
	}
	return out, nil
}

func (fakeIndex) Performance(_ context.Context, r regime.DateRange) (httpapi.Performance, error) {
	return httpapi.Performance{From: r.From, To: r.To, Metrics: map[string]httpapi.Num{"cagr": 0.5, "sharpe": httpapi.Num(regime.NaN)}}, nil
}

type fakeEvals struct{}

func (fakeEvals) Evaluations(context.Context) ([]httpapi.Evaluation, error) {
	return []httpapi.Evaluation{{ID: "e1", Subject: "sma200", Metrics: map[string]httpapi.Num{"balanced_accuracy": 0.7}}}, nil
}

// fakeRunner reports n progress steps and returns their count. It blocks
// on gate (if not nil) before finishing.
func fakeRunner(n int, gate chan struct{}) httpapi.JobRunner {
	return func(ctx context.Context, params json.RawMessage, progress func(done, total int64)) (any, error) {
		var p struct {
			Fail bool `json:"fail"`
		}
		if err := json.Unmarshal(params, &p); err != nil {
			return nil, regime.Errorf(regime.EINVALID, "params: %v", err)
		}
		for i := 1; i <= n; i++ {
			progress(int64(i), int64(n))
		}
		if gate != nil {
			select {
			case <-gate:
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
		if p.Fail {
			return nil, errors.New("secret internal detail /srv/x.go:12")
		}
		return map[string]any{"steps": n, "ok": true}, nil
	}
}

// env is a server under test with keys of every kind.
type env struct {
	srv                                  *httpapi.Server
	h                                    http.Handler
	keys                                 *memKeys
	admin, read, jobs, readJobs, revoked string
	rnd                                  *seqRand
}

type envOpt func(*httpapi.Config, *httpapi.Deps)

func wireAll(c *httpapi.Config, d *httpapi.Deps) {
	d.Gauge, d.Signals, d.Index, d.Evaluations = newFakeGauge(), fakeSignals{}, fakeIndex{}, fakeEvals{}
	d.Jobs = map[string]httpapi.JobRunner{"backtest": fakeRunner(5, nil), "sleep": fakeRunner(3, make(chan struct{}))}
}

func newEnv(t testing.TB, opts ...envOpt) *env {
	t.Helper()
	cfg := httpapi.DefaultConfig()
	cfg.RateLimit = 0
	cfg.KeyCacheTTL = 0
	cfg.GaugePoll = 0
	cfg.AccessLog = false
	cfg.Heartbeat = 20 * time.Millisecond
	keys := newMemKeys()
	deps := httpapi.Deps{Store: sharedStore(t), Keys: keys, Now: func() time.Time { return fixedNow }, Version: "test"}
	if os.Getenv("HTTPAPI_TEST_LOG") != "" {
		deps.Logger = slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	for _, o := range opts {
		o(&cfg, &deps)
	}
	srv, err := httpapi.New(cfg, deps)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	})
	e := &env{srv: srv, h: srv.Handler(), keys: keys, rnd: &seqRand{}}
	e.admin = newKey(t, keys, e.rnd, regime.ScopeAdmin)
	e.read = newKey(t, keys, e.rnd, regime.ScopeRead)
	e.jobs = newKey(t, keys, e.rnd, regime.ScopeJobs)
	e.readJobs = newKey(t, keys, e.rnd, regime.ScopeRead, regime.ScopeJobs)
	e.revoked = newKey(t, keys, e.rnd, regime.ScopeAdmin)
	k, _ := keys.KeyByHash(context.Background(), regime.HashAPIKey(e.revoked))
	if err := keys.RevokeKey(context.Background(), k.ID, fixedNow); err != nil {
		t.Fatal(err)
	}
	return e
}

// do sends a request through the handler; streams are cut after 100 ms.
func (e *env) do(t testing.TB, method, target, key string, body []byte, hdr ...string) *httptest.ResponseRecorder {
	t.Helper()
	var rd *bytes.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	} else {
		rd = bytes.NewReader(nil)
	}
	req := httptest.NewRequest(method, "http://api.test"+target, rd)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	limit := 30 * time.Second
	if strings.Contains(target, "/events") {
		limit = 100 * time.Millisecond
	}
	ctx, cancel := context.WithTimeout(req.Context(), limit)
	defer cancel()
	w := httptest.NewRecorder()
	e.h.ServeHTTP(w, req.WithContext(ctx))
	return w
}

// decode unmarshals a recorder's JSON body.
func decode[T any](t testing.TB, w *httptest.ResponseRecorder) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(w.Body.Bytes(), &v); err != nil {
		t.Fatalf("decode %T: %v\nbody: %s", v, err, w.Body.String())
	}
	return v
}

// samplePath fills a route's path parameters with values that exist.
func samplePath(rt httpapi.Route, jobID string) string {
	r := strings.NewReplacer("{id}", "bitcoin", "{name}", "feargreed:value")
	if strings.HasPrefix(rt.Path, "/v1/jobs/") {
		r = strings.NewReplacer("{id}", jobID)
	}
	return r.Replace(rt.Path)
}

func sortedKeys[V any](m map[string]V) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}
