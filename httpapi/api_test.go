package httpapi_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/regime-engine/regime"
	"github.com/regime-engine/regime/httpapi"
)

// firstAsset returns the id of the first investable synthetic asset.
func firstAsset(t testing.TB, e *env) string {
	t.Helper()
	w := e.do(t, "GET", "/v1/assets?kind=coin&limit=1", e.read, nil)
	if w.Code != 200 {
		t.Fatalf("assets: %d %s", w.Code, w.Body)
	}
	pg := decode[httpapi.Page[httpapi.AssetView]](t, w)
	if len(pg.Items) == 0 {
		t.Fatal("no coin in the synthetic store")
	}
	return pg.Items[0].ID
}

func fillPath(rt httpapi.Route, asset, job string) string {
	p := rt.Path
	if strings.HasPrefix(p, "/v1/jobs/") {
		return strings.ReplaceAll(p, "{id}", job)
	}
	return strings.NewReplacer("{id}", asset, "{name}", "feargreed:value").Replace(p)
}

func TestAuthMatrix(t *testing.T) {
	ui := &recordingUI{}
	e := newEnv(t, wireAll, func(_ *httpapi.Config, d *httpapi.Deps) { d.UI = ui })
	asset := firstAsset(t, e)
	w := e.do(t, "POST", "/v1/jobs", e.admin, []byte(`{"kind":"backtest"}`))
	if w.Code != http.StatusAccepted {
		t.Fatalf("submit: %d %s", w.Code, w.Body)
	}
	job := decode[httpapi.Job](t, w).ID
	// A key lacking the route's scope.
	wrong := map[regime.Scope]string{regime.ScopeRead: e.jobs, regime.ScopeJobs: e.read, regime.ScopeAdmin: e.readJobs}
	open := map[string]bool{}
	for _, rt := range e.srv.Routes() {
		target := fillPath(rt, asset, job)
		var body []byte
		if rt.Method == "POST" {
			body = []byte(`{"kind":"backtest"}`)
			if rt.Path == "/v1/backtests" {
				body = []byte(`{}`)
			}
		}
		cases := []struct {
			name string
			key  string
			want func(int) bool
		}{
			{"no key", "", func(c int) bool { return c == 401 }},
			{"bad key", "rgm_000000000000_notakey", func(c int) bool { return c == 401 }},
			{"garbage key", "hello", func(c int) bool { return c == 401 }},
			{"revoked key", e.revoked, func(c int) bool { return c == 401 }},
			{"wrong scope", wrong[rt.Scope], func(c int) bool { return c == 403 }},
			{"valid", e.admin, func(c int) bool { return c >= 200 && c < 300 }},
		}
		if rt.Scope == "" {
			open[rt.Path] = true
			for i := range cases {
				cases[i].want = func(c int) bool { return c == 200 }
			}
		}
		for _, c := range cases {
			t.Run(rt.Method+" "+rt.Path+"/"+c.name, func(t *testing.T) {
				if c.name == "wrong scope" && rt.Scope == "" {
					return
				}
				w := e.do(t, rt.Method, target, c.key, body)
				if !c.want(w.Code) {
					t.Errorf("status %d: %s", w.Code, w.Body)
				}
				if w.Code == 401 && w.Header().Get("WWW-Authenticate") == "" {
					t.Error("401 without WWW-Authenticate")
				}
				if w.Code >= 400 && w.Header().Get("Content-Type") != "application/problem+json" {
					t.Errorf("error content type %q", w.Header().Get("Content-Type"))
				}
			})
		}
	}
	want := []string{"/docs", "/healthz", "/openapi.json", "/readyz"}
	if got := sortedKeys(open); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("open routes = %v, want %v", got, want)
	}
	// The dashboard's static files are open like /docs, with any key or none;
	// the API routes above never reached it.
	for _, p := range []string{"/", "/index.html"} {
		for _, key := range []string{"", "hello", e.revoked, e.read} {
			if w := e.do(t, "GET", p, key, nil); w.Code != 200 {
				t.Errorf("GET %s (key %q): %d", p, key, w.Code)
			}
		}
	}
	for _, p := range ui.paths {
		if strings.HasPrefix(p, "/v1") {
			t.Errorf("the UI received %s", p)
		}
	}
	// The X-API-Key header works as well as Authorization.
	req := httptest.NewRequest("GET", "/v1/stats", nil)
	req.Header.Set("X-API-Key", e.read)
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, req)
	if rec.Code != 200 {
		t.Errorf("X-API-Key: %d", rec.Code)
	}
}

func TestNotWired(t *testing.T) {
	e := newEnv(t)
	for _, path := range []string{"/v1/gauge", "/v1/gauge/history", "/v1/signals", "/v1/index", "/v1/index/nav",
		"/v1/index/trades", "/v1/index/performance", "/v1/evaluations"} {
		t.Run(path, func(t *testing.T) {
			w := e.do(t, "GET", path, e.read, nil)
			p := decode[httpapi.Problem](t, w)
			if w.Code != http.StatusNotImplemented || p.Code != "not_implemented" || !strings.Contains(p.Detail, "not configured") {
				t.Errorf("%d %+v", w.Code, p)
			}
		})
	}
	w := e.do(t, "POST", "/v1/backtests", e.jobs, []byte(`{}`))
	if w.Code != http.StatusNotImplemented {
		t.Errorf("backtests without a runner: %d %s", w.Code, w.Body)
	}
}

func TestOpenAPICoversRoutes(t *testing.T) {
	e := newEnv(t)
	w := e.do(t, "GET", "/openapi.json", "", nil)
	if w.Code != 200 {
		t.Fatalf("%d", w.Code)
	}
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.OpenAPI != "3.1.0" {
		t.Errorf("openapi = %q", doc.OpenAPI)
	}
	n := 0
	for _, rt := range e.srv.Routes() {
		if _, ok := doc.Paths[rt.Path][strings.ToLower(rt.Method)]; !ok {
			t.Errorf("%s %s missing from the spec", rt.Method, rt.Path)
		}
		n++
	}
	m := 0
	for _, item := range doc.Paths {
		m += len(item)
	}
	if m != n {
		t.Errorf("spec has %d operations, server %d routes", m, n)
	}
	if again := e.srv.OpenAPI(); string(again) != w.Body.String() {
		t.Error("spec is not deterministic")
	}
}

// TestOpenAPIExternalValidator validates the spec with
// @seriousme/openapi-schema-validator (testdata/openapi-lint, installed by
// `npm ci` there). It skips when the validator is not installed.
func TestOpenAPIExternalValidator(t *testing.T) {
	dir := filepath.Join("testdata", "openapi-lint")
	if _, err := os.Stat(filepath.Join(dir, "node_modules", ".bin", "validate-api")); err != nil {
		t.Skip("validator not installed: run `npm ci` in httpapi/testdata/openapi-lint")
	}
	if _, err := exec.LookPath("npx"); err != nil {
		t.Skip("npx not found")
	}
	e := newEnv(t)
	spec := filepath.Join(t.TempDir(), "openapi.json")
	if err := os.WriteFile(spec, e.srv.OpenAPI(), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("npx", "--no-install", "validate-api", spec)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("validate-api: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), `"valid": true`) {
		t.Errorf("validator output: %s", out)
	}
}

func TestStoreResources(t *testing.T) {
	e := newEnv(t)
	asset := firstAsset(t, e)
	tests := []struct {
		name, path string
		check      func(t *testing.T, body []byte)
	}{
		{"asset", "/v1/assets/" + asset, func(t *testing.T, b []byte) {
			var a httpapi.AssetView
			json.Unmarshal(b, &a)
			if a.ID != asset || a.Symbol == "" {
				t.Errorf("%+v", a)
			}
		}},
		{"bars", "/v1/assets/" + asset + "/bars?from=2016-01-01&to=2016-01-10", func(t *testing.T, b []byte) {
			var p httpapi.Page[httpapi.BarView]
			json.Unmarshal(b, &p)
			if len(p.Items) != 10 || p.Items[0].Date != regime.MustDate("2016-01-01") || !(p.Items[0].Close > 0) {
				t.Errorf("%d bars: %s", len(p.Items), b)
			}
		}},
		{"series", "/v1/series", func(t *testing.T, b []byte) {
			if !strings.Contains(string(b), `"feargreed:value"`) {
				t.Errorf("%s", b)
			}
		}},
		{"observations", "/v1/series/feargreed:value/observations?from=2016-02-01&to=2016-02-03", func(t *testing.T, b []byte) {
			var p httpapi.Page[httpapi.ObservationView]
			json.Unmarshal(b, &p)
			if len(p.Items) != 3 {
				t.Errorf("%s", b)
			}
		}},
		{"universe", "/v1/universe?date=2016-06-01&limit=5", func(t *testing.T, b []byte) {
			var p httpapi.Page[httpapi.ConstituentView]
			json.Unmarshal(b, &p)
			if len(p.Items) != 5 || p.Items[0].Rank != 1 || p.NextCursor == "" {
				t.Errorf("%s", b)
			}
		}},
		{"ranked assets", "/v1/assets?max_rank=3&date=2016-06-01", func(t *testing.T, b []byte) {
			var p httpapi.Page[httpapi.AssetView]
			json.Unmarshal(b, &p)
			if len(p.Items) != 3 || p.Items[0].Rank == 0 {
				t.Errorf("%s", b)
			}
		}},
		{"search", "/v1/assets?search=" + asset[:3], func(t *testing.T, b []byte) {
			if !strings.Contains(string(b), `"`+asset+`"`) {
				t.Errorf("%s", b)
			}
		}},
		{"stats", "/v1/stats", func(t *testing.T, b []byte) {
			var s httpapi.StatsView
			json.Unmarshal(b, &s)
			if len(s.Hash) != 64 || s.Tables["bars"] == 0 {
				t.Errorf("%s", b)
			}
		}},
		{"factor registry", "/v1/factors?limit=1000", func(t *testing.T, b []byte) {
			var p httpapi.Page[httpapi.FactorInfo]
			json.Unmarshal(b, &p)
			if len(p.Items) < 50 {
				t.Errorf("%d factors", len(p.Items))
			}
		}},
		{"token factors", "/v1/assets/" + asset + "/factors?from=2016-06-01&to=2016-06-05&names=rsi_14", func(t *testing.T, b []byte) {
			var p httpapi.FactorPage
			json.Unmarshal(b, &p)
			if len(p.Items) != 5 || len(p.Factors) != 1 || p.Subject != asset {
				t.Errorf("%s", b)
			}
		}},
		{"market factors", "/v1/market/factors?from=2016-06-01&to=2016-06-02", func(t *testing.T, b []byte) {
			var p httpapi.FactorPage
			json.Unmarshal(b, &p)
			if len(p.Items) != 2 || len(p.Factors) < 5 {
				t.Errorf("%d rows %d factors", len(p.Items), len(p.Factors))
			}
		}},
		{"phases", "/v1/phases", func(t *testing.T, b []byte) {
			var p httpapi.Page[httpapi.PhaseView]
			json.Unmarshal(b, &p)
			if len(p.Items) == 0 || (p.Items[0].State != "bull" && p.Items[0].State != "bear") {
				t.Errorf("%s", b)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := e.do(t, "GET", tc.path, e.read, nil)
			if w.Code != 200 {
				t.Fatalf("%d %s", w.Code, w.Body)
			}
			tc.check(t, w.Body.Bytes())
		})
	}
}

func TestPaginationWalksEverything(t *testing.T) {
	e := newEnv(t)
	full := decode[httpapi.Page[httpapi.AssetView]](t, e.do(t, "GET", "/v1/assets?limit=1000", e.read, nil))
	var got []string
	cursor := ""
	for i := 0; i < 100; i++ {
		w := e.do(t, "GET", "/v1/assets?limit=3&cursor="+cursor, e.read, nil)
		p := decode[httpapi.Page[httpapi.AssetView]](t, w)
		for _, a := range p.Items {
			got = append(got, a.ID)
		}
		if p.NextCursor == "" {
			break
		}
		cursor = p.NextCursor
	}
	var want []string
	for _, a := range full.Items {
		want = append(want, a.ID)
	}
	if strings.Join(got, ",") != strings.Join(want, ",") || len(want) < 10 {
		t.Errorf("paged %v, want %v", got, want)
	}
}

func TestValidationNamesField(t *testing.T) {
	e := newEnv(t, wireAll)
	tests := []struct{ path, field string }{
		{"/v1/assets?limit=0", "limit"},
		{"/v1/assets?limit=1001", "limit"},
		{"/v1/assets?limit=-5", "limit"},
		{"/v1/assets?limit=abc", "limit"},
		{"/v1/assets?kind=gold", "kind"},
		{"/v1/assets?bogus=1", "bogus"},
		{"/v1/assets?cursor=%%%", ""},
		{"/v1/assets?cursor=bm9wZQ", "cursor"},
		{"/v1/gauge/history?from=2020-02-02&to=2020-01-01", "from"},
		{"/v1/gauge/history?from=yesterday", "from"},
		{"/v1/assets?limit=1&limit=2", "limit"},
	}
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			w := e.do(t, "GET", tc.path, e.read, nil)
			p := decode[httpapi.Problem](t, w)
			if w.Code != 400 || p.Code != "invalid" {
				t.Fatalf("%d %+v", w.Code, p)
			}
			if tc.field != "" && (len(p.Errors) == 0 || p.Errors[0].Field != tc.field) {
				t.Errorf("errors %+v, want field %s", p.Errors, tc.field)
			}
		})
	}
	w := e.do(t, "GET", "/v1/assets/nosuchasset", e.read, nil)
	if p := decode[httpapi.Problem](t, w); w.Code != 404 || !strings.Contains(p.Detail, "nosuchasset") {
		t.Errorf("unknown asset: %d %+v", w.Code, p)
	}
	w = e.do(t, "PUT", "/v1/assets", e.read, nil)
	if w.Code != 405 || w.Header().Get("Allow") == "" {
		t.Errorf("wrong method: %d allow %q", w.Code, w.Header().Get("Allow"))
	}
	w = e.do(t, "POST", "/v1/jobs", e.jobs, []byte(`{"kind":"backtest","extra":1}`))
	if p := decode[httpapi.Problem](t, w); w.Code != 400 || len(p.Errors) == 0 || p.Errors[0].Field != "extra" {
		t.Errorf("unknown body field: %d %+v", w.Code, p)
	}
	w = e.do(t, "POST", "/v1/jobs", e.jobs, []byte(`{"kind":7}`))
	if p := decode[httpapi.Problem](t, w); w.Code != 400 || len(p.Errors) == 0 || p.Errors[0].Field != "kind" {
		t.Errorf("wrong type: %d %+v", w.Code, p)
	}
}

func TestBodyLimit(t *testing.T) {
	e := newEnv(t, wireAll, func(c *httpapi.Config, _ *httpapi.Deps) { c.MaxBodyBytes = 1024 })
	big := []byte(`{"kind":"backtest","params":{"x":"` + strings.Repeat("a", 4096) + `"}}`)
	w := e.do(t, "POST", "/v1/jobs", e.jobs, big)
	if w.Code != http.StatusRequestEntityTooLarge {
		t.Errorf("with length: %d %s", w.Code, w.Body)
	}
	// Without Content-Length the limit applies while reading.
	req := httptest.NewRequest("POST", "/v1/jobs", strings.NewReader(string(big)))
	req.ContentLength = -1
	req.Header.Set("Authorization", "Bearer "+e.jobs)
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, req)
	if rec.Code != http.StatusRequestEntityTooLarge {
		t.Errorf("streamed: %d %s", rec.Code, rec.Body)
	}
}

func TestETag(t *testing.T) {
	e := newEnv(t, wireAll)
	for _, path := range []string{"/v1/assets?limit=5", "/v1/gauge", "/openapi.json"} {
		t.Run(path, func(t *testing.T) {
			w := e.do(t, "GET", path, e.read, nil)
			tag := w.Header().Get("ETag")
			if w.Code != 200 || tag == "" {
				t.Fatalf("%d etag %q", w.Code, tag)
			}
			w2 := e.do(t, "GET", path, e.read, nil, "If-None-Match", tag)
			if w2.Code != http.StatusNotModified || w2.Body.Len() != 0 {
				t.Errorf("If-None-Match: %d", w2.Code)
			}
			w3 := e.do(t, "GET", path, e.read, nil, "If-None-Match", `"other"`)
			if w3.Code != 200 {
				t.Errorf("other tag: %d", w3.Code)
			}
		})
	}
}

func TestPluggableSources(t *testing.T) {
	e := newEnv(t, wireAll)
	for _, tc := range []struct{ path, want string }{
		{"/v1/gauge", `"families"`},
		{"/v1/gauge/history?from=2017-01-10&to=2017-01-12", `"2017-01-12"`},
		{"/v1/signals?from=2017-01-02&to=2017-01-02", `"state":"bull"`},
		{"/v1/index", `"weights"`},
		{"/v1/index/nav?limit=2", `"next_cursor"`},
		{"/v1/index/trades", `"side":"sell"`},
		{"/v1/index/performance", `"sharpe":null`},
		{"/v1/evaluations", `"balanced_accuracy"`},
	} {
		t.Run(tc.path, func(t *testing.T) {
			w := e.do(t, "GET", tc.path, e.read, nil)
			if w.Code != 200 || !strings.Contains(w.Body.String(), tc.want) {
				t.Errorf("%d %s", w.Code, w.Body)
			}
		})
	}
}

func TestRateLimit(t *testing.T) {
	const quota = 10
	e := newEnv(t, func(c *httpapi.Config, _ *httpapi.Deps) { c.RateLimit, c.RateBurst = quota, quota })
	ok, limited := 0, 0
	for i := 0; i < 2*quota; i++ {
		w := e.do(t, "GET", "/v1/stats", e.read, nil)
		switch w.Code {
		case 200:
			ok++
		case 429:
			limited++
			ra, err := strconv.Atoi(w.Header().Get("Retry-After"))
			if err != nil || ra < 1 {
				t.Errorf("Retry-After %q", w.Header().Get("Retry-After"))
			}
		default:
			t.Fatalf("status %d", w.Code)
		}
	}
	if ok != quota || limited != quota {
		t.Errorf("ok %d limited %d, want %d each", ok, limited, quota)
	}
	if w := e.do(t, "GET", "/v1/stats", e.admin, nil); w.Code != 200 {
		t.Errorf("other key: %d", w.Code)
	}
	if w := e.do(t, "GET", "/healthz", "", nil); w.Code != 200 {
		t.Errorf("health: %d", w.Code)
	}
}

func TestCORS(t *testing.T) {
	e := newEnv(t, func(c *httpapi.Config, _ *httpapi.Deps) { c.CORSOrigins = []string{"https://dash.example"} })
	w := e.do(t, "OPTIONS", "/v1/assets", "", nil, "Origin", "https://dash.example", "Access-Control-Request-Method", "GET")
	if w.Code != 204 || w.Header().Get("Access-Control-Allow-Origin") != "https://dash.example" {
		t.Errorf("preflight: %d %v", w.Code, w.Header())
	}
	w = e.do(t, "GET", "/v1/assets", e.read, nil, "Origin", "https://evil.example")
	if w.Header().Get("Access-Control-Allow-Origin") != "" {
		t.Error("foreign origin allowed")
	}
}

type downStore struct{ httpapi.Store }

func (downStore) Ping(context.Context) error {
	return &regime.Error{Code: regime.EUNAVAILABLE, Message: "down", Err: fmt.Errorf("disk /var/secret gone")}
}

func TestHealth(t *testing.T) {
	e := newEnv(t)
	if w := e.do(t, "GET", "/readyz", "", nil); w.Code != 200 {
		t.Errorf("ready: %d", w.Code)
	}
	d := newEnv(t, func(_ *httpapi.Config, deps *httpapi.Deps) { deps.Store = downStore{deps.Store} })
	w := d.do(t, "GET", "/readyz", "", nil)
	if w.Code != 503 || strings.Contains(w.Body.String(), "secret") {
		t.Errorf("not ready: %d %s", w.Code, w.Body)
	}
	if w := d.do(t, "GET", "/healthz", "", nil); w.Code != 200 {
		t.Errorf("alive: %d", w.Code)
	}
}

func TestMetrics(t *testing.T) {
	e := newEnv(t)
	e.do(t, "GET", "/v1/stats", e.read, nil)
	w := e.do(t, "GET", "/metrics", e.admin, nil)
	body := w.Body.String()
	for _, want := range []string{`regime_http_requests_total{method="GET",route="/v1/stats",status="200"} 1`,
		"regime_http_request_duration_seconds_bucket", `regime_store_duration_seconds_count{op="stats"}`, "regime_jobs_queue_depth"} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

// sseEvent is one parsed server-sent event.
type sseEvent struct {
	id, event string
	data      string
}

// readEvents reads events from a stream until stop returns true.
func readEvents(t *testing.T, body *bufio.Reader, stop func(sseEvent) bool) []sseEvent {
	t.Helper()
	var out []sseEvent
	var cur sseEvent
	for {
		line, err := body.ReadString('\n')
		if err != nil {
			t.Fatalf("stream ended: %v (events %v)", err, out)
		}
		line = strings.TrimRight(line, "\n")
		switch {
		case line == "":
			if cur.data != "" {
				out = append(out, cur)
				if stop(cur) {
					return out
				}
			}
			cur = sseEvent{}
		case strings.HasPrefix(line, "id: "):
			cur.id = line[4:]
		case strings.HasPrefix(line, "event: "):
			cur.event = line[7:]
		case strings.HasPrefix(line, "data: "):
			cur.data = line[6:]
		}
	}
}

func openStream(t *testing.T, ts *httptest.Server, path, key, lastID string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest("GET", ts.URL+path, nil)
	req.Header.Set("Authorization", "Bearer "+key)
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	resp, err := ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("stream: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

func TestJobProgressOverSSE(t *testing.T) {
	gate := make(chan struct{})
	e := newEnv(t, func(c *httpapi.Config, d *httpapi.Deps) {
		d.Jobs = map[string]httpapi.JobRunner{"backtest": fakeRunner(5, gate)}
	})
	ts := httptest.NewServer(e.h)
	t.Cleanup(ts.Close)
	w := e.do(t, "POST", "/v1/backtests", e.jobs, []byte(`{"fail":false}`))
	if w.Code != 202 {
		t.Fatalf("submit: %d %s", w.Code, w.Body)
	}
	job := decode[httpapi.Job](t, w)
	resp := openStream(t, ts, "/v1/jobs/"+job.ID+"/events", e.jobs, "")
	var seen []httpapi.Job
	var firstProgress string
	done := false
	go func() { time.Sleep(50 * time.Millisecond); close(gate) }()
	evs := readEvents(t, bufio.NewReader(resp.Body), func(ev sseEvent) bool {
		var j httpapi.Job
		json.Unmarshal([]byte(ev.data), &j)
		seen = append(seen, j)
		if j.Done == 1 && firstProgress == "" {
			firstProgress = ev.id
		}
		done = j.State == httpapi.JobSucceeded
		return done
	})
	if !done || len(evs) < 7 {
		t.Fatalf("events %v", evs)
	}
	for i, j := range seen {
		if j.ID != job.ID || (i > 0 && j.Done < seen[i-1].Done) {
			t.Errorf("event %d: %+v", i, j)
		}
	}
	if last := seen[len(seen)-1]; last.Done != 5 || last.Total != 5 {
		t.Errorf("final %+v", last)
	}
	r := e.do(t, "GET", "/v1/jobs/"+job.ID+"/result", e.jobs, nil)
	if r.Code != 200 || strings.TrimSpace(r.Body.String()) != `{"ok":true,"steps":5}` {
		t.Errorf("result %d %s", r.Code, r.Body)
	}
	// Resume after the first progress event: the earlier ones are not
	// sent again.
	resp2 := openStream(t, ts, "/v1/jobs/"+job.ID+"/events", e.jobs, firstProgress)
	evs2 := readEvents(t, bufio.NewReader(resp2.Body), func(ev sseEvent) bool { return strings.Contains(ev.data, `"succeeded"`) })
	first, _ := strconv.Atoi(firstProgress)
	for _, ev := range evs2 {
		if id, _ := strconv.Atoi(ev.id); id <= first {
			t.Errorf("resumed stream repeats event %s", ev.id)
		}
	}
	if len(evs2) != len(evs)-indexOf(evs, firstProgress)-1 {
		t.Errorf("resumed %d events, want %d", len(evs2), len(evs)-indexOf(evs, firstProgress)-1)
	}
	// Another key does not see the job.
	if w := e.do(t, "GET", "/v1/jobs/"+job.ID, e.readJobs, nil); w.Code != 404 {
		t.Errorf("foreign job: %d", w.Code)
	}
}

func indexOf(evs []sseEvent, id string) int {
	for i, e := range evs {
		if e.id == id {
			return i
		}
	}
	return -1
}

func TestSSEHeartbeatAndGauge(t *testing.T) {
	g := newFakeGauge()
	e := newEnv(t, func(c *httpapi.Config, d *httpapi.Deps) { d.Gauge = g })
	ts := httptest.NewServer(e.h)
	t.Cleanup(ts.Close)
	resp := openStream(t, ts, "/v1/events?topics=gauge", e.read, "")
	br := bufio.NewReader(resp.Body)
	sawBeat := false
	for !sawBeat {
		line, err := br.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		sawBeat = strings.HasPrefix(line, ": heartbeat")
	}
	e.srv.Publish(httpapi.TopicJobs, httpapi.Job{ID: "x"}) // filtered out
	e.srv.Publish(httpapi.TopicGauge, gaugeAt(regime.MustDate("2017-03-01"), 80, "bull"))
	evs := readEvents(t, br, func(sseEvent) bool { return true })
	if evs[0].event != "gauge" || !strings.Contains(evs[0].data, `"2017-03-01"`) {
		t.Errorf("%+v", evs)
	}
}

func TestJobLimitsCancelAndFailure(t *testing.T) {
	e := newEnv(t, wireAll, func(c *httpapi.Config, _ *httpapi.Deps) { c.MaxJobsPerKey = 1 })
	w := e.do(t, "POST", "/v1/jobs", e.jobs, []byte(`{"kind":"sleep"}`))
	if w.Code != 202 {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	id := decode[httpapi.Job](t, w).ID
	if w := e.do(t, "POST", "/v1/jobs", e.jobs, []byte(`{"kind":"sleep"}`)); w.Code != 429 || w.Header().Get("Retry-After") == "" {
		t.Errorf("second job: %d", w.Code)
	}
	if w := e.do(t, "POST", "/v1/jobs", e.readJobs, []byte(`{"kind":"sleep"}`)); w.Code != 202 {
		t.Errorf("other key: %d", w.Code)
	}
	if w := e.do(t, "GET", "/v1/jobs/"+id+"/result", e.jobs, nil); w.Code != 409 {
		t.Errorf("unfinished result: %d", w.Code)
	}
	if w := e.do(t, "DELETE", "/v1/jobs/"+id, e.jobs, nil); w.Code != 202 {
		t.Errorf("cancel: %d", w.Code)
	}
	waitState(t, e, id, e.jobs, httpapi.JobCanceled)
	if w := e.do(t, "POST", "/v1/jobs", e.jobs, []byte(`{"kind":"backtest","params":{"fail":true}}`)); w.Code != 202 {
		t.Fatalf("after cancel: %d", w.Code)
	} else {
		j := waitState(t, e, decode[httpapi.Job](t, w).ID, e.jobs, httpapi.JobFailed)
		if strings.Contains(j.Error, "secret") || strings.Contains(j.Error, ".go") {
			t.Errorf("internal error leaked: %q", j.Error)
		}
	}
	if w := e.do(t, "POST", "/v1/jobs", e.jobs, []byte(`{"kind":"nope"}`)); w.Code != 400 {
		t.Errorf("unknown kind: %d", w.Code)
	}
}

func waitState(t *testing.T, e *env, id, key, state string) httpapi.Job {
	t.Helper()
	// A deadline, not a count of polls: on a loaded CI machine a job may be
	// slow to be scheduled, and only a stuck one should fail the test.
	var j httpapi.Job
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if j = decode[httpapi.Job](t, e.do(t, "GET", "/v1/jobs/"+id, key, nil)); j.State == state {
			return j
		}
	}
	t.Fatalf("job %s never reached %s; it is %s", id, state, j.State)
	return httpapi.Job{}
}

func TestShutdownCheckpointsJobs(t *testing.T) {
	var got []httpapi.JobCheckpoint
	cfg := httpapi.DefaultConfig()
	cfg.JobWorkers = 1
	keys := newMemKeys()
	srv, err := httpapi.New(cfg, httpapi.Deps{Store: sharedStore(t), Keys: keys,
		Jobs:       map[string]httpapi.JobRunner{"sleep": fakeRunner(1, make(chan struct{}))},
		Checkpoint: func(_ context.Context, cps []httpapi.JobCheckpoint) error { got = cps; return nil }})
	if err != nil {
		t.Fatal(err)
	}
	e := &env{srv: srv, h: srv.Handler()}
	key := newKey(t, keys, &seqRand{}, regime.ScopeJobs)
	for i := 0; i < 2; i++ {
		if w := e.do(t, "POST", "/v1/jobs", key, []byte(`{"kind":"sleep","params":{"n":`+strconv.Itoa(i)+`}}`)); w.Code != 202 {
			t.Fatalf("%d %s", w.Code, w.Body)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || string(got[0].Params) != `{"n":0}` {
		t.Errorf("checkpoints %+v", got)
	}
	if w := e.do(t, "POST", "/v1/jobs", key, []byte(`{"kind":"sleep"}`)); w.Code != 503 {
		t.Errorf("after shutdown: %d", w.Code)
	}
}

// TestServeGracefulShutdown: Serve returns cleanly when its context ends,
// even with an event stream open (streams are ended, not waited for).
func TestServeGracefulShutdown(t *testing.T) {
	cfg := httpapi.DefaultConfig()
	cfg.ShutdownTimeout = 5 * time.Second
	keys := newMemKeys()
	srv, err := httpapi.New(cfg, httpapi.Deps{Store: sharedStore(t), Keys: keys})
	if err != nil {
		t.Fatal(err)
	}
	key := newKey(t, keys, &seqRand{}, regime.ScopeRead)
	l, err := netListen()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, l) }()
	base := "http://" + l.Addr().String()
	resp, err := http.Get(base + "/healthz")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("healthz: %v", err)
	}
	resp.Body.Close()
	req, _ := http.NewRequest("GET", base+"/v1/events", nil)
	req.Header.Set("Authorization", "Bearer "+key)
	stream, err := http.DefaultClient.Do(req)
	if err != nil || stream.StatusCode != 200 {
		t.Fatalf("stream: %v", err)
	}
	defer stream.Body.Close()
	cancel()
	if err := <-done; err != nil {
		t.Errorf("serve: %v (an open stream must not hold up shutdown)", err)
	}
	if _, err := io.Copy(io.Discard, stream.Body); err != nil {
		t.Logf("stream ended with %v", err)
	}
}

// TestCancelRacesWorker cancels jobs at the moment workers dequeue them: a
// job cancelled while queued must end canceled and never be revived as
// running by the worker that picked it up.
func TestCancelRacesWorker(t *testing.T) {
	e := newEnv(t, wireAll, func(c *httpapi.Config, _ *httpapi.Deps) { c.MaxJobsPerKey = 1000; c.JobWorkers = 4 })
	for i := 0; i < 2000; i++ {
		w := e.do(t, "POST", "/v1/jobs", e.jobs, []byte(`{"kind":"sleep"}`))
		if w.Code != 202 {
			t.Fatalf("submit %d: %d %s", i, w.Code, w.Body)
		}
		id := decode[httpapi.Job](t, w).ID
		if w := e.do(t, "DELETE", "/v1/jobs/"+id, e.jobs, nil); w.Code != 202 {
			t.Fatalf("cancel %d: %d", i, w.Code)
		}
		waitState(t, e, id, e.jobs, httpapi.JobCanceled)
	}
}
