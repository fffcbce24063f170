package e2e_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"maps"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/regime-engine/regime"
	"github.com/regime-engine/regime/engine"
	"github.com/regime-engine/regime/httpapi"
	"github.com/regime-engine/regime/serve"
	"github.com/regime-engine/regime/sqlite"
	"github.com/regime-engine/regime/synth"
	"github.com/regime-engine/regime/web"
)

// The test runs when a Chromium is installed and the dashboard is built
// (web/dist). It skips otherwise, unless REGIME_E2E=1 (set by CI), which
// turns a missing browser or build into a failure. It also skips with
// -short, and under -race unless REGIME_E2E_RACE=1. REGIME_CHROME names
// the browser binary; REGIME_E2E_OUT is where screenshots go (default: a
// temporary directory, logged).

func required() bool { return os.Getenv("REGIME_E2E") == "1" }

func skipOrFail(t *testing.T, format string, args ...any) {
	t.Helper()
	if required() {
		t.Fatalf(format, args...)
	}
	t.Skipf(format, args...)
}

func findChrome(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("REGIME_CHROME"); p != "" {
		if _, err := os.Stat(p); err != nil {
			skipOrFail(t, "REGIME_CHROME: %v", err)
		}
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	skipOrFail(t, "no Chromium found (install Debian's chromium package or set REGIME_CHROME)")
	return ""
}

// server is one API + dashboard instance on loopback.
type server struct {
	url   string
	token string
	api   *httpapi.Server
}

// get calls the API with the test key.
func (s *server) get(t *testing.T, path string, v any) int {
	t.Helper()
	req, _ := http.NewRequest("GET", s.url+path, nil)
	req.Header.Set("Authorization", "Bearer "+s.token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if v != nil && res.StatusCode == 200 {
		if err := json.NewDecoder(res.Body).Decode(v); err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
	}
	return res.StatusCode
}

var (
	storeOnce sync.Once
	storeDir  string
	storePath string
	storeErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if storeDir != "" {
		os.RemoveAll(storeDir)
	}
	os.Exit(code)
}

// demoStore builds the synthetic store once per test binary.
func demoStore(t *testing.T) *sqlite.Store {
	t.Helper()
	storeOnce.Do(func() {
		dir, err := os.MkdirTemp("", "regime-e2e")
		if err != nil {
			storeErr = err
			return
		}
		storeDir, storePath = dir, filepath.Join(dir, "demo.db")
		st, err := sqlite.Open(context.Background(), storePath)
		if err != nil {
			storeErr = err
			return
		}
		defer st.Close()
		storeErr = engine.SynthToStore(context.Background(), st, synth.Config{Seed: 11, Tokens: 30, Days: 1100})
	})
	if storeErr != nil {
		t.Fatalf("demo store: %v", storeErr)
	}
	st, err := sqlite.Open(context.Background(), storePath)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// start serves the API (with the sources when full) and the dashboard.
func start(t *testing.T, st *sqlite.Store, full bool) *server {
	t.Helper()
	ctx := context.Background()
	key, token, err := regime.NewAPIKey(rand.Reader, "e2e", []regime.Scope{regime.ScopeRead, regime.ScopeJobs}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := st.CreateKey(ctx, key); err != nil {
		t.Fatal(err)
	}
	// As `regime serve`: the dashboard is the API's UI (open), /v1 needs the key.
	deps := httpapi.Deps{Store: st, Keys: st, Jobs: map[string]httpapi.JobRunner{}, UI: web.Handler()}
	t0 := time.Now()
	defer func() { t.Logf("server ready in %v", time.Since(t0).Round(time.Millisecond)) }()
	if full {
		// The engine-backed sources of `regime serve`, on the synthetic store.
		src := serve.New(st, serve.DefaultOptions())
		t.Cleanup(func() { src.Close() })
		deps.Gauge, deps.Signals, deps.Index, deps.Evaluations = src, src, src, src
		deps.Jobs["backtest"] = src.BacktestJob
	}
	cfg := httpapi.DefaultConfig()
	cfg.RateLimit = 0
	cfg.Heartbeat = time.Second
	api, err := httpapi.New(cfg, deps)
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	handler := api.Handler()
	srv := &server{url: "http://" + l.Addr().String(), token: token, api: api}
	if full {
		// Compute the gauge, the signals and the index before the browser
		// starts (the first request computes them).
		req := httptest.NewRequest("GET", "/v1/index/performance", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		rec := httptest.NewRecorder()
		handler.ServeHTTP(rec, req)
		if rec.Code != 200 {
			t.Fatalf("GET /v1/index/performance: %d %s", rec.Code, rec.Body)
		}
	}
	hs := &http.Server{Handler: handler, ReadHeaderTimeout: 5 * time.Second}
	go hs.Serve(l)
	t.Cleanup(func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		api.Shutdown(sctx)
		hs.Shutdown(sctx)
	})
	return srv
}

// browser is headless Chromium with the console messages it logged.
type browser struct {
	ctx     context.Context
	mu      sync.Mutex
	errors  []string
	network []string
}

func newBrowser(t *testing.T, chrome string) *browser {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chrome),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	}
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelC := chromedp.NewContext(actx)
	t.Cleanup(func() { cancelC(); cancelA() })
	b := &browser{ctx: ctx}
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[int]("1")); err != nil {
		skipOrFail(t, "cannot start %s: %v", chrome, err)
	}
	msgs := chromedp.Console(ctx)
	go func() {
		for m, err := range msgs {
			if err != nil {
				return
			}
			b.record(m)
		}
	}()
	return b
}

// record keeps the errors: console.error and console.assert calls and
// uncaught exceptions fail the test; the browser's network log (a 501 of
// a source that is not wired yet, which the page handles) is only logged.
func (b *browser) record(m chromedp.ConsoleMessage) {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch {
	case m.IsException():
		b.errors = append(b.errors, "exception: "+m.Text)
	case m.Source == "network":
		b.network = append(b.network, m.Text)
	case m.Type == "error" || m.Type == "assert":
		b.errors = append(b.errors, string(m.Type)+": "+m.Text+" ("+m.URL+")")
	}
}

// takeErrors returns and clears the errors seen so far.
func (b *browser) takeErrors() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	e := b.errors
	b.errors = nil
	return e
}

// do runs actions with a timeout.
func (b *browser) do(t *testing.T, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		t.Fatalf("%s: %v\nmain: %s\nconsole: %v", what, err, b.mainHTML(), b.takeErrors())
	}
}

func (b *browser) mainHTML() string {
	ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
	defer cancel()
	html, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector("main").innerText`))
	if len(html) > 3000 {
		html = html[:3000]
	}
	return html
}

// eval evaluates a JavaScript expression.
func eval[T any](t *testing.T, b *browser, expr string) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// visible waits until every selector matches a visible element, and
// names the first one that does not.
func visible(sels ...string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		for _, s := range sels {
			if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS(s))); err != nil {
				return fmt.Errorf("waiting for %s: %w", s, err)
			}
		}
		return nil
	})
}

// open shows a page and waits until its render finished.
func (b *browser) open(t *testing.T, s *server, page string) {
	t.Helper()
	b.do(t, "open "+page,
		chromedp.Navigate(s.url+"/#/"+page),
		visible(`main[data-page="`+page+`"][data-ready="true"]`))
}

// shot saves a screenshot of the whole page as name.png under dir.
func (b *browser) shot(t *testing.T, dir, name string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	buf, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	// Re-encode at the best compression: the files go to docs/img too.
	if img, err := png.Decode(bytes.NewReader(buf)); err == nil {
		var small bytes.Buffer
		if (&png.Encoder{CompressionLevel: png.BestCompression}).Encode(&small, img) == nil && small.Len() < len(buf) {
			buf = small.Bytes()
		}
	}
	// Above 300 KB (the budget of docs/img), 256 colours: the page is
	// mostly flat colours.
	if len(buf) > 300<<10 {
		if img, err := png.Decode(bytes.NewReader(buf)); err == nil {
			var small bytes.Buffer
			if (&png.Encoder{CompressionLevel: png.BestCompression}).Encode(&small, quantize(img)) == nil && small.Len() < len(buf) {
				buf = small.Bytes()
			}
		}
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), buf, 0o644); err != nil {
		t.Fatal(err)
	}
}

// quantize maps img to a palette of its 256 most frequent colours
// (nearest colour, no dithering), ties broken by colour for
// deterministic output.
func quantize(img image.Image) *image.Paletted {
	r := img.Bounds()
	rgba := image.NewRGBA(r)
	draw.Draw(rgba, r, img, r.Min, draw.Src)
	at := func(i int) color.RGBA {
		px := rgba.Pix[i : i+4 : i+4]
		return color.RGBA{px[0] &^ 3, px[1] &^ 3, px[2] &^ 3, px[3]}
	}
	freq := map[color.RGBA]int{}
	for i := 0; i < len(rgba.Pix); i += 4 {
		freq[at(i)]++
	}
	cs := slices.Collect(maps.Keys(freq))
	key := func(c color.RGBA) int { return int(c.R)<<24 | int(c.G)<<16 | int(c.B)<<8 | int(c.A) }
	slices.SortFunc(cs, func(a, b color.RGBA) int {
		if freq[a] != freq[b] {
			return freq[b] - freq[a]
		}
		return key(a) - key(b)
	})
	pal := make(color.Palette, 0, 256)
	for _, c := range cs[:min(256, len(cs))] {
		pal = append(pal, c)
	}
	p := image.NewPaletted(r, pal)
	index := map[color.RGBA]uint8{}
	for i, j := 0, 0; i < len(rgba.Pix); i, j = i+4, j+1 {
		c := at(i)
		k, ok := index[c]
		if !ok {
			k = uint8(pal.Index(c))
			index[c] = k
		}
		p.Pix[j] = k
	}
	return p
}

func (b *browser) count(t *testing.T, sel string) int {
	t.Helper()
	return eval[int](t, b, fmt.Sprintf(`document.querySelectorAll(%q).length`, sel))
}

func (b *browser) noErrors(t *testing.T, page string) {
	t.Helper()
	if e := b.takeErrors(); len(e) > 0 {
		t.Errorf("%s: console errors: %q", page, e)
	}
}

func outDir(t *testing.T) string {
	if d := os.Getenv("REGIME_E2E_OUT"); d != "" {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		return d
	}
	d := filepath.Join(os.TempDir(), "regime-e2e-screenshots")
	os.MkdirAll(d, 0o755)
	return d
}

func prerequisites(t *testing.T) string {
	t.Helper()
	if testing.Short() && !required() {
		t.Skip("end-to-end browser test skipped in -short mode")
	}
	if raceEnabled && os.Getenv("REGIME_E2E_RACE") != "1" {
		t.Skip("end-to-end browser test skipped under -race (about 2 minutes); run it without -race, or set REGIME_E2E_RACE=1")
	}
	if !web.Built() {
		skipOrFail(t, "dashboard not built: run `make web` (cd web && npm ci && npm run build)")
	}
	return findChrome(t)
}

// TestDashboard drives every page against a server with the gauge, the
// signals, the index and the backtest job wired.
func TestDashboard(t *testing.T) {
	chrome := prerequisites(t)
	t0 := time.Now()
	st := demoStore(t)
	t.Logf("store ready in %v", time.Since(t0).Round(time.Millisecond))
	srv := start(t, st, true)
	b := newBrowser(t, chrome)
	out := outDir(t)
	t.Logf("screenshots in %s", out)

	// The key arrives in the fragment and is moved to localStorage.
	b.do(t, "home", chromedp.Navigate(srv.url+"/"))
	b.do(t, "key from fragment",
		chromedp.Navigate(srv.url+"/#key="+srv.token),
		visible(`main[data-page="market"][data-ready="true"]`))
	if hash := eval[string](t, b, `location.hash`); strings.Contains(hash, "key=") {
		t.Errorf("key left in the address bar: %q", hash)
	}

	t.Run("market", func(t *testing.T) {
		var g httpapi.Gauge
		if code := srv.get(t, "/v1/gauge", &g); code != 200 {
			t.Fatalf("GET /v1/gauge: %d", code)
		}
		b.open(t, srv, "market")
		b.do(t, "market charts", visible(`#gauge canvas`, `#gauge-level`, `#drivers canvas`, `#prices canvas`, `#feargreed canvas`))
		if level := eval[string](t, b, `document.querySelector("#gauge-level").dataset.level`); level != g.Level {
			t.Errorf("gauge shows level %q, /v1/gauge says %q", level, g.Level)
		}
		if n := b.count(t, "#drivers tbody tr"); n != len(g.Families) {
			t.Errorf("drivers table has %d rows, gauge has %d families", n, len(g.Families))
		}
		var ph httpapi.Page[httpapi.PhaseView]
		srv.get(t, "/v1/phases?limit=1000", &ph)
		if n := b.count(t, "#phases tbody tr"); n != len(ph.Items) || n == 0 {
			t.Errorf("phases table has %d rows, API has %d phases", n, len(ph.Items))
		}
		b.shot(t, out, "market")
		b.noErrors(t, "market")

		// Live: a new reading reaches the open page without a reload.
		next := g
		next.Level, next.Value = "strong bullish", 91
		if g.Level == "strong bullish" {
			next.Level, next.Value = "strong bearish", 9
		}
		b.do(t, "live stream connected", visible(`#live[data-on="true"]`))
		srv.api.Publish(httpapi.TopicGauge, next)
		b.do(t, "live gauge update", visible(`#gauge-level[data-level="`+next.Level+`"]`))
		b.noErrors(t, "market live")
	})

	t.Run("index", func(t *testing.T) {
		b.open(t, srv, "index")
		b.do(t, "index charts", visible(`#nav canvas`, `#drawdown canvas`, `#holdings canvas`, `#allocation canvas`, `#metrics .metric`, `#monthly tbody tr`))
		// The index against its three benchmarks, NAV and drawdown.
		for _, sel := range []string{"#nav .chart", "#drawdown .chart"} {
			if n := eval[string](t, b, fmt.Sprintf(`document.querySelector(%q).dataset.series`, sel)); n != "4" {
				t.Errorf("%s draws %s series, want 4 (index, buy and hold, BTC, SMA200)", sel, n)
			}
		}
		var nav httpapi.Page[httpapi.NAVPoint]
		srv.get(t, "/v1/index/nav?limit=1000", &nav)
		if len(nav.Items) == 0 || math.IsNaN(float64(nav.Items[len(nav.Items)-1].Benchmarks.BTCHold)) {
			t.Errorf("/v1/index/nav has no BTC benchmark: %d points", len(nav.Items))
		}
		var c httpapi.Composition
		srv.get(t, "/v1/index", &c)
		held := 0
		for _, w := range c.Weights {
			if w.Weight > 0 {
				held++
			}
		}
		if n := b.count(t, "#holdings tbody tr"); n != held || n == 0 {
			t.Errorf("holdings table has %d rows, composition has %d", n, held)
		}
		b.shot(t, out, "index")
		b.noErrors(t, "index")
	})

	t.Run("transactions", func(t *testing.T) {
		var p httpapi.Page[httpapi.Trade]
		if code := srv.get(t, "/v1/index/trades?limit=1", &p); code != 200 || len(p.Items) == 0 {
			t.Fatalf("GET /v1/index/trades: %d, %d items", code, len(p.Items))
		}
		want := p.Items[0]
		b.open(t, srv, "transactions")
		b.do(t, "table", visible(`#tx-table tbody tr`))
		row := eval[map[string]string](t, b, `Object.assign({}, document.querySelector("#tx-table tbody tr").dataset)`)
		got := fmt.Sprintf("%s %s %s %s %s %s %s %s %s", row["date"], row["asset"], row["side"], row["quantity"], row["price"], row["value"], row["fee"], row["slippage"], row["reason"])
		wantS := fmt.Sprintf("%s %s %s %s %s %s %s %s %s", want.Date, want.AssetID, want.Side, jsNum(float64(want.Quantity)), jsNum(float64(want.Price)),
			jsNum(float64(want.Value)), jsNum(float64(want.Fee)), jsNum(float64(want.Slippage)), want.Reason)
		if got != wantS {
			t.Errorf("first row %q, API's first trade %q", got, wantS)
		}
		// Filter by asset: every row shown is that asset's.
		b.do(t, "filter", chromedp.SendKeys(chromedp.CSS(`#tx-asset`), want.AssetID), visible(`#tx-table tbody tr`))
		others := eval[int](t, b, fmt.Sprintf(`[...document.querySelectorAll("#tx-table tbody tr")].filter(r => !r.dataset.asset.includes(%q)).length`, want.AssetID))
		if others != 0 {
			t.Errorf("asset filter %q shows %d rows of other assets", want.AssetID, others)
		}
		eval[bool](t, b, `(() => { const i = document.querySelector("#tx-asset"); i.value = ""; return i.dispatchEvent(new Event("input")); })()`)
		total := eval[int](t, b, `+document.querySelector("#tx-count").dataset.count`)

		// Filter by reason (sent to the API): fewer rows, all of that
		// reason, as many as the API has.
		reason := "regime_change"
		if want.Reason == reason {
			reason = "scheduled_rebalance"
		}
		n := countTrades(t, srv, "reason="+reason)
		if n == 0 || n >= total {
			t.Fatalf("the API has %d %s trades of %d: the filter cannot be checked", n, reason, total)
		}
		pick := func(v string) string {
			return fmt.Sprintf(`(() => { const s = document.querySelector("#tx-reason"); s.value = %q; return s.dispatchEvent(new Event("change")); })()`, v)
		}
		eval[bool](t, b, pick(reason))
		b.do(t, "reason filter", visible(fmt.Sprintf(`#tx-count[data-count="%d"]`, n)))
		if others := eval[int](t, b, fmt.Sprintf(`[...document.querySelectorAll("#tx-table tbody tr")].filter(r => r.dataset.reason !== %q).length`, reason)); others != 0 {
			t.Errorf("reason filter %q shows %d rows of other reasons", reason, others)
		}
		// Export CSV: a header and every filtered row, not only the page shown.
		eval[bool](t, b, `(() => { const orig = URL.createObjectURL; window.__csv = undefined;
			URL.createObjectURL = (blob) => { blob.text().then((s) => { window.__csv = s; }); return orig(blob); }; return true; })()`)
		b.do(t, "export csv", chromedp.Click(chromedp.CSS(`#tx-csv`)))
		ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
		defer cancel()
		if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`window.__csv !== undefined`)); err != nil {
			t.Fatalf("no CSV exported: %v", err)
		}
		csv := strings.Split(strings.TrimSuffix(eval[string](t, b, `window.__csv`), "\n"), "\n")
		if len(csv) != n+1 || !strings.HasPrefix(csv[0], "date,asset_id,symbol,side,reason,") {
			t.Errorf("CSV has %d lines (header %q), want a header and %d rows", len(csv), csv[0], n)
		}
		for _, line := range csv[1:] {
			if !strings.Contains(line, ","+reason+",") {
				t.Errorf("CSV row of another reason: %q", line)
				break
			}
		}
		eval[bool](t, b, pick(""))
		b.do(t, "reason filter cleared", visible(fmt.Sprintf(`#tx-count[data-count="%d"]`, total)))
		b.shot(t, out, "transactions")
		b.noErrors(t, "transactions")
	})

	t.Run("signals", func(t *testing.T) {
		var g httpapi.Gauge
		srv.get(t, "/v1/gauge", &g)
		var p httpapi.Page[httpapi.Signal]
		srv.get(t, "/v1/signals?limit=1000&from="+(g.Date-14).String(), &p)
		assets := map[string]bool{}
		for _, s := range p.Items {
			assets[s.AssetID] = true
		}
		b.open(t, srv, "signals")
		b.do(t, "signals table", visible(`#sig-table tbody tr`))
		if n := b.count(t, "#sig-table tbody tr"); n != len(assets) || n == 0 {
			t.Errorf("signals table has %d rows, API has signals for %d assets", n, len(assets))
		}
		b.shot(t, out, "signals")

		// Live: new signals replace the rows without a reload.
		fresh := p.Items[len(p.Items)-1]
		fresh.Date++
		fresh.State, fresh.Score, fresh.Reason = "bear", 0.99, "livetest"
		srv.api.Publish(httpapi.TopicSignals, []httpapi.Signal{fresh})
		ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
		defer cancel()
		if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`[...document.querySelectorAll("#sig-table td")].some(td => td.textContent === "Livetest")`)); err != nil {
			t.Fatalf("live signal never shown: %v", err)
		}
		if n := b.count(t, "#sig-table tbody tr"); n != len(assets) {
			t.Errorf("after the live update the table has %d rows, want %d", n, len(assets))
		}
		b.noErrors(t, "signals")
	})

	t.Run("backtest", func(t *testing.T) {
		// Split the store's calendar in two: in- and out-of-sample windows.
		var nav httpapi.Page[httpapi.NAVPoint]
		srv.get(t, "/v1/index/nav?limit=1000", &nav)
		if len(nav.Items) < 100 {
			t.Fatalf("/v1/index/nav has %d points", len(nav.Items))
		}
		split := nav.Items[len(nav.Items)/2].Date.String()
		b.open(t, srv, "backtest")
		b.do(t, "submit backtest",
			chromedp.SetValue(chromedp.CSS(`#bt-strategy`), "sma200"),
			chromedp.SetValue(chromedp.CSS(`#bt-split`), split),
			chromedp.Click(chromedp.CSS(`#bt-submit`)),
			visible(`#bt-progress`, `#bt-status[data-state="succeeded"]`, `#bt-nav canvas`, `#bt-drawdown canvas`, `#bt-metrics tbody tr`))
		prog := eval[[]float64](t, b, `(() => { const p = document.querySelector("#bt-progress"); return [p.value, p.max]; })()`)
		if len(prog) != 2 || prog[1] <= 0 || prog[0] != prog[1] {
			t.Errorf("progress at the end: %v, want value = max > 0", prog)
		}
		if n := eval[string](t, b, `document.querySelector("#bt-nav .chart").dataset.series`); n != "4" {
			t.Errorf("backtest NAV chart draws %s series, want 4", n)
		}
		// One metrics column per run, one table per window (full, in- and out-of-sample).
		if n := b.count(t, "#bt-metrics thead th"); n != 5 {
			t.Errorf("metrics table has %d columns, want the metric and 4 runs", n)
		}
		if n := b.count(t, "#bt-result .bt-window table"); n != 3 {
			t.Errorf("%d window tables, want 3 (full, in-sample, out-of-sample)", n)
		}
		b.shot(t, out, "backtest")
		b.noErrors(t, "backtest")
	})

	t.Run("keyboard", func(t *testing.T) {
		b.open(t, srv, "signals")
		b.do(t, "signals table", visible(`#sig-table tbody tr`))
		// A sort header is a button: Enter on it re-sorts.
		eval[bool](t, b, `(document.querySelector("#sig-table thead button.sort").focus(), true)`)
		b.do(t, "enter on sort", chromedp.KeyEvent("\r"), visible(`#sig-table th[aria-sort="ascending"]`))
		// The page links are reachable and work from the keyboard.
		eval[bool](t, b, `(document.querySelector('nav.pages a[data-page="market"]').focus(), true)`)
		b.do(t, "enter on link", chromedp.KeyEvent("\r"), visible(`main[data-page="market"][data-ready="true"]`))
		b.noErrors(t, "keyboard")
	})

	t.Run("phone-dark", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
		defer cancel()
		if _, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
			Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: "dark"}}}); err != nil {
			t.Fatal(err)
		}
		b.do(t, "phone viewport", chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2)))
		for _, page := range []string{"market", "index", "transactions", "signals", "backtest"} {
			b.open(t, srv, page)
			b.do(t, page+" settles", chromedp.Sleep(300*time.Millisecond))
			overflow := eval[int](t, b, `document.documentElement.scrollWidth - document.documentElement.clientWidth`)
			if overflow > 1 {
				t.Errorf("%s: page is %dpx wider than a 390px phone screen", page, overflow)
			}
			if bg := eval[string](t, b, `getComputedStyle(document.body).backgroundColor`); bg != "rgb(17, 20, 24)" {
				t.Errorf("%s: background %s in dark mode", page, bg)
			}
		}
		b.open(t, srv, "market")
		b.do(t, "market phone", visible(`#gauge canvas`, `#prices canvas`))
		b.shot(t, out, "market-phone-dark")
		b.noErrors(t, "phone-dark")
	})
}

// countTrades follows the cursors of /v1/index/trades?query.
func countTrades(t *testing.T, srv *server, query string) int {
	t.Helper()
	n, cursor := 0, ""
	for {
		var p httpapi.Page[httpapi.Trade]
		if code := srv.get(t, "/v1/index/trades?limit=1000&"+query+cursor, &p); code != 200 {
			t.Fatalf("GET /v1/index/trades?%s: %d", query, code)
		}
		n += len(p.Items)
		if p.NextCursor == "" {
			return n
		}
		cursor = "&cursor=" + url.QueryEscape(p.NextCursor)
	}
}

// jsNum formats f the way JavaScript's String(number) does for the
// values of the test.
func jsNum(f float64) string {
	b, _ := json.Marshal(f)
	return string(b)
}

// TestDashboardSourcesMissing checks the pages against a server with
// only the store: the gauge, index and signals say they are not
// available yet and what to run.
func TestDashboardSourcesMissing(t *testing.T) {
	chrome := prerequisites(t)
	st := demoStore(t)
	srv := start(t, st, false)
	b := newBrowser(t, chrome)
	b.do(t, "key", chromedp.Navigate(srv.url+"/#key="+srv.token), visible(`main[data-ready="true"]`))
	for _, c := range []struct{ page, box string }{
		{"market", "#gauge"},
		{"index", "#nav"},
		{"transactions", "#transactions"},
		{"signals", "#signals"},
	} {
		b.open(t, srv, c.page)
		sel := c.box + ` [data-state="unavailable"]`
		b.do(t, c.page+" unavailable", visible(sel))
		text := eval[string](t, b, fmt.Sprintf(`document.querySelector(%q).textContent`, sel))
		if !strings.Contains(text, "not available yet") || !strings.Contains(text, "regime ") {
			t.Errorf("%s: unavailable state %q does not say what to run", c.page, text)
		}
		b.noErrors(t, c.page)
	}
	b.open(t, srv, "backtest")
	b.do(t, "backtest unavailable", chromedp.Click(chromedp.CSS(`#bt-submit`)), visible(`#bt-status [data-state="unavailable"]`))
	b.noErrors(t, "backtest")

	// What the store has still shows.
	b.open(t, srv, "market")
	b.do(t, "prices without gauge", visible(`#prices canvas`, `#phases tbody tr`))
	b.noErrors(t, "market without gauge")

	// A refused key says how to get one.
	eval[bool](t, b, `(localStorage.setItem("regime.apiKey", "rgm_000000000000_invalid"), true)`)
	b.do(t, "refused key", chromedp.Reload(), visible(`#prices [data-state="auth"]`))
	b.noErrors(t, "refused key")

	// Without a key, the page asks for one.
	eval[bool](t, b, `(localStorage.clear(), true)`)
	b.do(t, "key prompt", chromedp.Reload(), visible(`#key-input`))
	b.noErrors(t, "key prompt")
}
