package httpapi_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/regime-engine/regime"
	"github.com/regime-engine/regime/backtest"
	"github.com/regime-engine/regime/httpapi"
)

// recordingUI answers every request with a marker page and records its
// path.
type recordingUI struct {
	mu    sync.Mutex
	paths []string
}

func (u *recordingUI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	u.mu.Lock()
	u.paths = append(u.paths, r.URL.Path)
	u.mu.Unlock()
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	io.WriteString(w, "<!doctype html><title>dashboard</title>")
}

func TestUIMountedOutsideV1(t *testing.T) {
	ui := &recordingUI{}
	e := newEnv(t, wireAll, func(_ *httpapi.Config, d *httpapi.Deps) { d.UI = ui })
	cases := []struct {
		method, path, key string
		status            int
		toUI              bool
	}{
		{"GET", "/", "", 200, true},
		{"GET", "/index.html", "", 200, true},
		{"HEAD", "/", "", 200, true},
		{"GET", "/assets/app.js", "", 200, true},
		{"GET", "/v1/no-such-route", e.read, 404, false},
		{"GET", "/v1/no-such-route", "", 404, false},
		{"GET", "/v1", "", 404, false},
		{"POST", "/", "", 404, false},
		{"GET", "/v1/gauge", "", 401, false},
		{"GET", "/v1/gauge", e.read, 200, false},
		{"GET", "/docs", "", 200, false},
	}
	for _, c := range cases {
		t.Run(c.method+" "+c.path, func(t *testing.T) {
			ui.mu.Lock()
			before := len(ui.paths)
			ui.mu.Unlock()
			w := e.do(t, c.method, c.path, c.key, nil)
			if w.Code != c.status {
				t.Errorf("status %d, want %d: %s", w.Code, c.status, w.Body)
			}
			ui.mu.Lock()
			got := ui.paths[before:]
			ui.mu.Unlock()
			if c.toUI != (len(got) == 1 && got[0] == c.path) {
				t.Errorf("UI received %v, want it to receive %s: %v", got, c.path, c.toUI)
			}
			for _, p := range got {
				if strings.HasPrefix(p, "/v1") {
					t.Errorf("UI received an API path %s", p)
				}
			}
			if c.status >= 400 && w.Header().Get("Content-Type") != "application/problem+json" {
				t.Errorf("error content type %q", w.Header().Get("Content-Type"))
			}
		})
	}
	// The API routes keep their scopes: the UI changes only unmatched paths.
	for _, rt := range e.srv.Routes() {
		if strings.HasPrefix(rt.Path, "/v1/") && rt.Scope == "" {
			t.Errorf("%s %s is open", rt.Method, rt.Path)
		}
	}
}

func TestUINotSetKeeps404(t *testing.T) {
	e := newEnv(t)
	for _, p := range []string{"/", "/index.html"} {
		if w := e.do(t, "GET", p, "", nil); w.Code != 404 || w.Header().Get("Content-Type") != "application/problem+json" {
			t.Errorf("GET %s without a UI: %d %s", p, w.Code, w.Body)
		}
	}
}

func TestTradesCarryTheLogAndFilterByReason(t *testing.T) {
	e := newEnv(t, wireAll)
	w := e.do(t, "GET", "/v1/index/trades", e.read, nil)
	pg := decode[httpapi.Page[httpapi.Trade]](t, w)
	if w.Code != 200 || len(pg.Items) != 2 {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	var raw struct {
		Items []map[string]any `json:"items"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &raw); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"date", "asset_id", "side", "quantity", "price", "value", "fee", "slippage", "cost", "reason"} {
		if _, ok := raw.Items[0][k]; !ok {
			t.Errorf("trade lacks %q: %v", k, raw.Items[0])
		}
	}
	tests := []struct {
		query string
		n     int
	}{
		{"reason=regime_change", 1},
		{"reason=scheduled_rebalance", 1},
		{"reason=regime_change,scheduled_rebalance", 2},
		{"reason=depeg", 0},
		{"reason=regime_change&from=2017-01-03", 0},
	}
	for _, tc := range tests {
		w := e.do(t, "GET", "/v1/index/trades?"+tc.query, e.read, nil)
		pg := decode[httpapi.Page[httpapi.Trade]](t, w)
		if w.Code != 200 || len(pg.Items) != tc.n {
			t.Errorf("%s: %d, %d trades, want %d: %s", tc.query, w.Code, len(pg.Items), tc.n, w.Body)
		}
		for _, tr := range pg.Items {
			if !strings.Contains(tc.query, tr.Reason) {
				t.Errorf("%s: got reason %s", tc.query, tr.Reason)
			}
		}
	}
	w = e.do(t, "GET", "/v1/index/trades?reason=panic_sale", e.read, nil)
	p := decode[httpapi.Problem](t, w)
	if w.Code != 400 || !strings.Contains(w.Body.String(), `"reason"`) {
		t.Errorf("unknown reason: %d %+v %s", w.Code, p, w.Body)
	}
}

// TestTradeReasonsMatchBacktest keeps the API's reason list equal to the
// backtest's reasons.
func TestTradeReasonsMatchBacktest(t *testing.T) {
	for i, name := range httpapi.TradeReasons {
		r, err := backtest.ParseReason(name)
		if err != nil || int(r) != i || r.String() != name {
			t.Errorf("reason %d %q: backtest says %v %v", i, name, r, err)
		}
	}
	if _, err := backtest.ParseReason(backtest.Reason(len(httpapi.TradeReasons)).String()); err == nil {
		t.Errorf("backtest has a reason beyond %v", httpapi.TradeReasons)
	}
}

func TestAllocationRoute(t *testing.T) {
	e := newEnv(t, wireAll)
	w := e.do(t, "GET", "/v1/index/allocation?from=2017-01-05&limit=2", e.read, nil)
	pg := decode[httpapi.Page[httpapi.AllocationPoint]](t, w)
	if w.Code != 200 || len(pg.Items) != 2 || pg.NextCursor == "" || pg.Items[0].Date != regime.MustDate("2017-01-08") {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	if len(pg.Items[0].Top) != 2 || pg.Items[0].Top[0].Symbol != "BTC" {
		t.Errorf("top %+v", pg.Items[0].Top)
	}
	w = e.do(t, "GET", "/v1/index/allocation?from=2017-01-05&limit=2&cursor="+pg.NextCursor, e.read, nil)
	pg2 := decode[httpapi.Page[httpapi.AllocationPoint]](t, w)
	if w.Code != 200 || len(pg2.Items) != 2 || pg2.Items[0].Date != regime.MustDate("2017-01-22") || pg2.NextCursor != "" {
		t.Errorf("page 2: %d %s", w.Code, w.Body)
	}
	if w := e.do(t, "GET", "/v1/index/allocation?from=2017-02-01&to=2017-01-01", e.read, nil); w.Code != 400 {
		t.Errorf("reversed range: %d", w.Code)
	}
	if w := e.do(t, "GET", "/v1/index/allocation", e.jobs, nil); w.Code != 403 {
		t.Errorf("jobs-only key: %d", w.Code)
	}
}

func TestWebhookOnLevelChange(t *testing.T) {
	got := make(chan []byte, 4)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		got <- body
	}))
	defer hook.Close()
	g := newFakeGauge()
	g.polled = make(chan struct{}, 1)
	newEnv(t, func(c *httpapi.Config, d *httpapi.Deps) {
		d.Gauge = g
		c.GaugePoll = 5 * time.Millisecond
		c.Webhook = httpapi.WebhookConfig{URL: hook.URL, Secret: "s", MaxAttempts: 1}
	})
	<-g.polled // the first reading (level bull, state bull) is known
	up := gaugeAt(regime.MustDate("2017-03-01"), 90, "bull")
	up.Level = "strong_bull"
	g.set(up)
	var ev httpapi.RegimeChange
	select {
	case b := <-got:
		if err := json.Unmarshal(b, &ev); err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no webhook for a level change")
	}
	if ev.Type != "regime.changed" || ev.From != "bull" || ev.To != "bull" || ev.FromLevel != "bull" ||
		ev.ToLevel != "strong_bull" || ev.StateChanged || ev.Gauge.Level != "strong_bull" {
		t.Errorf("payload %+v", ev)
	}
}
