package httpapi_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/regime-engine/regime"
	"github.com/regime-engine/regime/httpapi"
)

// slowGauge blocks Latest until release is closed, signalling entered.
type slowGauge struct {
	*fakeGauge
	entered chan struct{}
	release chan struct{}
}

func (g slowGauge) Latest(ctx context.Context) (httpapi.Gauge, error) {
	close(g.entered)
	<-g.release
	return g.fakeGauge.Latest(ctx)
}

// TestShutdownFinishesRunningRequests stops the server while a request
// is in flight: the request still gets its answer.
func TestShutdownFinishesRunningRequests(t *testing.T) {
	g := slowGauge{newFakeGauge(), make(chan struct{}), make(chan struct{})}
	keys := newMemKeys()
	cfg := httpapi.DefaultConfig()
	cfg.GaugePoll = 0
	srv, err := httpapi.New(cfg, httpapi.Deps{Store: sharedStore(t), Keys: keys, Gauge: g})
	if err != nil {
		t.Fatal(err)
	}
	key := newKey(t, keys, &seqRand{}, regime.ScopeRead)
	l, err := netListen()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx, l) }()
	type answer struct {
		status int
		body   string
		err    error
	}
	got := make(chan answer, 1)
	go func() {
		req, _ := http.NewRequest("GET", "http://"+l.Addr().String()+"/v1/gauge", nil)
		req.Header.Set("Authorization", "Bearer "+key)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			got <- answer{err: err}
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		got <- answer{status: resp.StatusCode, body: string(b)}
	}()
	<-g.entered
	cancel() // shutdown begins with the request in flight
	time.Sleep(20 * time.Millisecond)
	close(g.release)
	a := <-got
	if a.err != nil || a.status != 200 {
		t.Fatalf("in-flight request: %+v %v", a, a.err)
	}
	if err := <-served; err != nil {
		t.Errorf("serve: %v", err)
	}
	if _, err := http.Get("http://" + l.Addr().String() + "/healthz"); err == nil {
		t.Error("server still accepting after shutdown")
	}
}

// clock is a settable test clock.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// TestRevocationWithKeyCache: a cached key keeps working until the cache
// entry expires, then its revocation applies.
func TestRevocationWithKeyCache(t *testing.T) {
	clk := &clock{now: fixedNow}
	e := newEnv(t, func(c *httpapi.Config, d *httpapi.Deps) { c.KeyCacheTTL = 10 * time.Second; d.Now = clk.Now })
	if w := e.do(t, "GET", "/v1/stats", e.read, nil); w.Code != 200 {
		t.Fatalf("%d", w.Code)
	}
	k, _ := e.keys.KeyByHash(context.Background(), regime.HashAPIKey(e.read))
	e.keys.RevokeKey(context.Background(), k.ID, clk.Now())
	for _, tc := range []struct {
		after time.Duration
		want  int
	}{{5 * time.Second, 200}, {6 * time.Second, 401}} {
		clk.advance(tc.after)
		if w := e.do(t, "GET", "/v1/stats", e.read, nil); w.Code != tc.want {
			t.Errorf("after +%v: %d, want %d", tc.after, w.Code, tc.want)
		}
	}
}

// TestRateLimitRefills: after the Retry-After delay the key may send
// again.
func TestRateLimitRefills(t *testing.T) {
	clk := &clock{now: fixedNow}
	e := newEnv(t, func(c *httpapi.Config, d *httpapi.Deps) { c.RateLimit, c.RateBurst = 0.5, 1; d.Now = clk.Now })
	if w := e.do(t, "GET", "/v1/stats", e.read, nil); w.Code != 200 {
		t.Fatalf("first: %d", w.Code)
	}
	w := e.do(t, "GET", "/v1/stats", e.read, nil)
	if w.Code != 429 || w.Header().Get("Retry-After") != "2" {
		t.Fatalf("second: %d Retry-After %q", w.Code, w.Header().Get("Retry-After"))
	}
	clk.advance(2 * time.Second)
	if w := e.do(t, "GET", "/v1/stats", e.read, nil); w.Code != 200 {
		t.Errorf("after Retry-After: %d", w.Code)
	}
}

// The signature is HMAC-SHA256 over "timestamp.body"; the value below was
// checked with Python's hmac module.
func ExampleSignWebhook() {
	body := []byte(`{"type":"regime.changed","from":"bull","to":"bear"}`)
	fmt.Println(httpapi.SignWebhook("secret", 1765000000, body))
	// Output: sha256=61f74f46c1b2a9e317b6f6ce251e935922da97f4aae0360cdf8bd74efbcefda2
}

// TestGaugeCacheServesStaleWhileRefreshing: after expiry the cached
// reading is served while a background refresh fetches the new one.
func TestGaugeCacheServesStaleWhileRefreshing(t *testing.T) {
	clk := &clock{now: fixedNow}
	g := newFakeGauge()
	e := newEnv(t, func(c *httpapi.Config, d *httpapi.Deps) {
		c.GaugeCacheTTL = 5 * time.Second
		d.Now = clk.Now
		d.Gauge = g
	})
	first := e.do(t, "GET", "/v1/gauge", e.read, nil).Body.String()
	g.set(gaugeAt(regime.MustDate("2017-03-02"), 10, "bear"))
	if got := e.do(t, "GET", "/v1/gauge", e.read, nil).Body.String(); got != first {
		t.Fatalf("fresh cache entry not served: %s", got)
	}
	clk.advance(6 * time.Second)
	if got := e.do(t, "GET", "/v1/gauge", e.read, nil).Body.String(); got != first {
		t.Errorf("expired entry should be served while refreshing, got %s", got)
	}
	for i := 0; ; i++ {
		if got := e.do(t, "GET", "/v1/gauge", e.read, nil).Body.String(); strings.Contains(got, `"2017-03-02"`) {
			break
		}
		if i == 1000 {
			t.Fatal("refresh never landed")
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// TestCheckpointRestore: jobs interrupted by a shutdown run to completion
// on the next server under their ids, for their keys.
func TestCheckpointRestore(t *testing.T) {
	var saved []httpapi.JobCheckpoint
	keys := newMemKeys()
	key := newKey(t, keys, &seqRand{}, regime.ScopeJobs)
	cfg := httpapi.DefaultConfig()
	cfg.JobWorkers = 1
	gate := make(chan struct{})
	srv1, err := httpapi.New(cfg, httpapi.Deps{Store: sharedStore(t), Keys: keys,
		Jobs:       map[string]httpapi.JobRunner{"backtest": fakeRunner(2, gate)},
		Checkpoint: func(_ context.Context, cps []httpapi.JobCheckpoint) error { saved = cps; return nil }})
	if err != nil {
		t.Fatal(err)
	}
	e1 := &env{srv: srv1, h: srv1.Handler()}
	id := decode[httpapi.Job](t, e1.do(t, "POST", "/v1/backtests", key, []byte(`{}`))).ID
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	srv1.Shutdown(ctx)
	if len(saved) != 1 || saved[0].Job.ID != id || saved[0].Owner == "" {
		t.Fatalf("checkpoint %+v", saved)
	}
	srv2, err := httpapi.New(cfg, httpapi.Deps{Store: sharedStore(t), Keys: keys,
		Jobs: map[string]httpapi.JobRunner{"backtest": fakeRunner(2, nil)}})
	if err != nil {
		t.Fatal(err)
	}
	defer srv2.Shutdown(context.Background())
	if n := srv2.Restore(saved); n != 1 {
		t.Fatalf("restored %d", n)
	}
	e2 := &env{srv: srv2, h: srv2.Handler()}
	waitState(t, e2, id, key, httpapi.JobSucceeded)
}
