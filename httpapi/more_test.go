package httpapi_test

import (
	"context"
	"crypto/hmac"
	"encoding/json"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/regime-engine/regime"
	"github.com/regime-engine/regime/httpapi"
	"github.com/regime-engine/regime/sqlite"
)

func netListen() (net.Listener, error) { return net.Listen("tcp", "127.0.0.1:0") }

var badStrings = []string{
	"", " ", "-1", "0", "99999999999999999999", "1e309", "NaN", "null", "true", "[]", "{}", "'", `"`,
	"' OR 1=1 --", "1; DROP TABLE assets", "../../etc/passwd", "..%2F..%2Fetc", "%00", "\x00", "<script>alert(1)</script>",
	"${jndi:ldap://x}", "2020-13-45", "2020-02-30", "9999-12-31", "0000-01-01", strings.Repeat("a", 5000),
	"日本語", "\u202e", "%", "%zz", "c1:", "YzE6", "%2e%2e", "a,b,,c", "bull,bear",
}

var badBodies = []string{
	"", "{", "}", "null", "[]", `"x"`, "1", `{"kind":}`, `{"kind":1}`, `{"kind":null}`, `{"kind":"backtest"}{}`,
	`{"kind":"backtest","params":"x"}`, `{"kind":"backtest","params":{"fail":"yes"}}`, `{"kind":"` + strings.Repeat("k", 3000) + `"}`,
	`{"kind":"backtest","extra":[1,2,3]}`, "\xff\xfe", `{"kind":"\ud800"}`, strings.Repeat("[", 10000),
}

// TestMalformedRequests sends thousands of generated bad requests: no
// answer may be a 5xx or leak internals.
func TestMalformedRequests(t *testing.T) {
	e := newEnv(t, wireAll, func(c *httpapi.Config, _ *httpapi.Deps) { c.MaxBodyBytes = 16 << 10; c.MaxJobsPerKey = 1 << 20 })
	routes := e.srv.Routes()
	rng := rand.New(rand.NewPCG(1, 2))
	n := 4000
	if testing.Short() {
		n = 1500
	}
	methods := []string{"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "TRACE", "BREW"}
	params := []string{"limit", "cursor", "from", "to", "kind", "search", "max_rank", "date", "names", "asset", "topics", "job", "source", "x"}
	pick := func(s []string) string { return s[rng.IntN(len(s))] }
	for i := 0; i < n; i++ {
		rt := routes[rng.IntN(len(routes))]
		if rt.ContentType == "text/event-stream" && rng.IntN(4) != 0 {
			continue // streams only end on the per-request deadline; sample them less
		}
		path := rt.Path
		for _, p := range []string{"{id}", "{name}"} {
			if rng.IntN(2) == 0 {
				path = strings.ReplaceAll(path, p, url.PathEscape(pick(badStrings)))
			} else {
				path = strings.ReplaceAll(path, p, "bitcoin")
			}
		}
		q := url.Values{}
		for k := rng.IntN(4); k > 0; k-- {
			q.Add(pick(params), pick(badStrings))
		}
		target := path
		if len(q) > 0 {
			target += "?" + q.Encode()
		}
		if rng.IntN(10) == 0 {
			target += "&limit=" + strconv.Itoa(rng.IntN(1<<30)-(1<<29))
		}
		method := rt.Method
		if rng.IntN(5) == 0 {
			method = pick(methods)
		}
		var body []byte
		if method == "POST" || rng.IntN(8) == 0 {
			body = []byte(pick(badBodies))
			if rng.IntN(20) == 0 {
				body = []byte(`{"kind":"backtest","params":{"x":"` + strings.Repeat("z", 20<<10) + `"}}`)
			}
		}
		key := e.admin
		if rng.IntN(10) == 0 {
			key = pick(badStrings)
		}
		w := e.do(t, method, target, key, body)
		if w.Code >= 500 {
			t.Fatalf("%s %s body %.80q: %d %s", method, target, body, w.Code, w.Body)
		}
		b := w.Body.String()
		if strings.Contains(b, "goroutine ") || strings.Contains(b, ".go:") || strings.Contains(b, "panic") {
			t.Fatalf("%s %s leaks internals: %s", method, target, b)
		}
		if w.Code >= 400 && method != "HEAD" && !json.Valid(w.Body.Bytes()) {
			t.Fatalf("%s %s: error body is not JSON: %q", method, target, b)
		}
	}
}

func fuzzEnv(f *testing.F) *env {
	return newEnv(f, wireAll, func(c *httpapi.Config, _ *httpapi.Deps) { c.MaxJobsPerKey = 1 << 30; c.MaxBodyBytes = 4096 })
}

// FuzzQuery fuzzes the path and query of GET requests.
func FuzzQuery(f *testing.F) {
	e := fuzzEnv(f)
	for _, s := range []string{"/v1/assets?limit=5", "/v1/assets/x/bars?from=2020-01-01&to=2019-01-01", "/v1/gauge/history?cursor=YzE6",
		"/v1/market/factors?names=a,b", "/v1/series/a:b/observations?limit=-1", "/v1/phases?asset=%00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, target string) {
		if strings.ContainsFunc(target, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
			return // cannot arrive in a request line
		}
		u, err := url.ParseRequestURI(target)
		if err != nil || !strings.HasPrefix(u.Path, "/") || strings.HasSuffix(u.Path, "/events") {
			return
		}
		w := e.do(t, "GET", u.RequestURI(), e.admin, nil)
		if w.Code >= 500 {
			t.Fatalf("%s: %d %s", target, w.Code, w.Body)
		}
	})
}

// FuzzJobBody fuzzes job submission bodies.
func FuzzJobBody(f *testing.F) {
	e := fuzzEnv(f)
	for _, s := range badBodies {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, path := range []string{"/v1/jobs", "/v1/backtests"} {
			w := e.do(t, "POST", path, e.admin, body)
			if w.Code >= 500 {
				t.Fatalf("%s %q: %d %s", path, body, w.Code, w.Body)
			}
		}
	})
}

func TestWebhookOnRegimeChange(t *testing.T) {
	const secret = "s3cret"
	var mu sync.Mutex
	var got [][]byte
	attempts := 0
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		attempts++
		if attempts <= 2 {
			w.WriteHeader(503)
			return
		}
		ts, _ := strconv.ParseInt(r.Header.Get(httpapi.HeaderTimestamp), 10, 64)
		if !hmac.Equal([]byte(r.Header.Get(httpapi.HeaderSignature)), []byte(httpapi.SignWebhook(secret, ts, body))) {
			w.WriteHeader(401)
			return
		}
		got = append(got, body)
	}))
	defer hook.Close()
	g := newFakeGauge()
	var sleeps []time.Duration
	delivered := make(chan struct{}, 1)
	e := newEnv(t, func(c *httpapi.Config, d *httpapi.Deps) {
		d.Gauge = g
		c.GaugePoll = 5 * time.Millisecond
		c.Webhook = httpapi.WebhookConfig{URL: hook.URL, Secret: secret, MaxAttempts: 4, Backoff: time.Second}
		d.Sleep = func(_ context.Context, dur time.Duration) error {
			mu.Lock()
			sleeps = append(sleeps, dur)
			mu.Unlock()
			return nil
		}
	})
	_ = e
	time.Sleep(20 * time.Millisecond)
	g.set(gaugeAt(regime.MustDate("2017-03-01"), 20, "bear"))
	go func() {
		for {
			mu.Lock()
			n := len(got)
			mu.Unlock()
			if n > 0 {
				delivered <- struct{}{}
				return
			}
			time.Sleep(5 * time.Millisecond)
		}
	}()
	select {
	case <-delivered:
	case <-time.After(5 * time.Second):
		t.Fatal("webhook not delivered")
	}
	mu.Lock()
	defer mu.Unlock()
	var ev httpapi.RegimeChange
	json.Unmarshal(got[0], &ev)
	if ev.From != "bull" || ev.To != "bear" || ev.Type != "regime.changed" {
		t.Errorf("payload %s", got[0])
	}
	if len(sleeps) != 2 || sleeps[0] != time.Second || sleeps[1] != 2*time.Second {
		t.Errorf("backoff %v", sleeps)
	}
}

func TestSQLiteKeyStore(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, t.TempDir()+"/k.db")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if ks, err := st.ListKeys(ctx); err != nil || len(ks) != 0 {
		t.Fatalf("empty list: %v %v", ks, err)
	}
	rnd := &seqRand{}
	k, tok, err := regime.NewAPIKey(rnd, "ci", []regime.Scope{regime.ScopeJobs, regime.ScopeRead, regime.ScopeRead}, fixedNow)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.CreateKey(ctx, k); err != nil {
		t.Fatal(err)
	}
	if err := st.CreateKey(ctx, k); regime.ErrorCode(err) != regime.ECONFLICT {
		t.Errorf("duplicate: %v", err)
	}
	got, err := st.KeyByHash(ctx, regime.HashAPIKey(tok))
	if err != nil || got.ID != k.ID || len(got.Scopes) != 2 || !got.Allows(regime.ScopeRead) || got.Allows(regime.ScopeAdmin) {
		t.Fatalf("by hash: %+v %v", got, err)
	}
	if _, err := st.KeyByHash(ctx, regime.HashAPIKey(tok+"x")); regime.ErrorCode(err) != regime.ENOTFOUND {
		t.Errorf("unknown: %v", err)
	}
	if err := st.RevokeKey(ctx, k.ID, fixedNow.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	st.RevokeKey(ctx, k.ID, fixedNow.Add(2*time.Hour))
	if err := st.RevokeKey(ctx, "nope", fixedNow); regime.ErrorCode(err) != regime.ENOTFOUND {
		t.Errorf("revoke unknown: %v", err)
	}
	ks, _ := st.ListKeys(ctx)
	if len(ks) != 1 || !ks[0].RevokedAt.Equal(fixedNow.Add(time.Hour)) || ks[0].Allows(regime.ScopeRead) {
		t.Errorf("listed %+v", ks)
	}
	if strings.Contains(ks[0].Hash, tok) || ks[0].Hash != regime.HashAPIKey(tok) {
		t.Error("token stored instead of its hash")
	}
	// Keys do not change the content hash.
	s1, _ := st.Stats(ctx)
	k2, _, _ := regime.NewAPIKey(rnd, "", []regime.Scope{regime.ScopeRead}, fixedNow)
	st.CreateKey(ctx, k2)
	if s2, _ := st.Stats(ctx); s1.Hash != s2.Hash {
		t.Error("keys changed the content hash")
	}
}

func TestBenchLoad(t *testing.T) {
	e := newEnv(t, wireAll, func(c *httpapi.Config, _ *httpapi.Deps) { c.GaugeCacheTTL = time.Hour })
	res, err := httpapi.BenchLoad(context.Background(), e.h, httpapi.BenchOptions{
		Path: "/v1/gauge", Header: http.Header{"Authorization": {"Bearer " + e.read}},
		Concurrency: 4, Duration: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if res.Target.Requests == 0 || res.Target.Errors != 0 || res.Reference.Requests == 0 || res.Ratio <= 0 || res.Target.P99 < res.Target.P50 {
		t.Errorf("%+v", res)
	}
}

// BenchmarkGaugeLatest measures the cached latest gauge through the whole
// middleware chain (access log, auth, rate limit, metrics), in process.
func BenchmarkGaugeLatest(b *testing.B) {
	e := newEnv(b, wireAll, func(c *httpapi.Config, d *httpapi.Deps) {
		c.GaugeCacheTTL = time.Hour
		c.KeyCacheTTL = time.Hour
		c.RateLimit, c.RateBurst = 1e9, 1e9
		c.AccessLog = true
		d.Logger = slog.New(slog.NewJSONHandler(io.Discard, nil))
	})
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		req := httptest.NewRequest("GET", "/v1/gauge", nil)
		req.Header.Set("Authorization", "Bearer "+e.read)
		for pb.Next() {
			w := httptest.NewRecorder()
			e.h.ServeHTTP(w, req)
			if w.Code != 200 {
				b.Fatal(w.Code)
			}
		}
	})
}

// BenchmarkGaugeLoopback runs BenchLoad against the cached latest gauge
// and reports the throughput, p99 and ratio to plain net/http measured in
// the same run. "production" adds the access log (JSON, discarded) and
// the per-key rate limiter (set high enough not to reject).
func BenchmarkGaugeLoopback(b *testing.B) {
	for _, prod := range []bool{false, true} {
		name := "minimal"
		if prod {
			name = "production"
		}
		b.Run(name, func(b *testing.B) {
			e := newEnv(b, wireAll, func(c *httpapi.Config, d *httpapi.Deps) {
				c.GaugeCacheTTL = time.Hour
				c.KeyCacheTTL = time.Hour
				c.RateLimit = 0
				if prod {
					c.AccessLog = true
					c.RateLimit, c.RateBurst = 1e9, 1e9
					d.Logger = slog.New(slog.NewJSONHandler(io.Discard, nil))
				}
			})
			for i := 0; i < b.N; i++ {
				res, err := httpapi.BenchLoad(context.Background(), e.h, httpapi.BenchOptions{
					Path: "/v1/gauge", Header: http.Header{"Authorization": {"Bearer " + e.read}}, Duration: 2 * time.Second})
				if err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(res.Target.ReqPerSec, "req/s")
				b.ReportMetric(float64(res.Target.P99.Microseconds()), "p99-µs")
				b.ReportMetric(res.Reference.ReqPerSec, "ref-req/s")
				b.ReportMetric(float64(res.Reference.P99.Microseconds()), "ref-p99-µs")
				b.ReportMetric(res.Ratio, "ratio")
			}
		})
	}
}
