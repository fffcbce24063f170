package binance_test

import (
	"context"
	"encoding/json"
	"math"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/regime-engine/regime"
	"github.com/regime-engine/regime/ingest/binance"
	"github.com/regime-engine/regime/ingest/live"
	"github.com/regime-engine/regime/ingest/live/livetest"
	"github.com/regime-engine/regime/sqlite"
)

func TestParseRecorded(t *testing.T) {
	ks, err := binance.ParseKlines(livetest.Recorded(t, "klines_1d.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(ks) != 3 || ks[0].OpenTime != 1704067200000 || ks[0].Close != 44179.55 || ks[2].Trades != 2597643 || ks[1].QuoteVolume != 2925420327.9761196 {
		t.Errorf("klines = %+v", ks)
	}
	b, err := binance.ParseDepth(livetest.Recorded(t, "depth.json"))
	if err != nil {
		t.Fatal(err)
	}
	bid, ask, complete, ok := binance.DepthWithin(b, 0.02)
	// mid 100.1: bids >= 98.098 (100*2 + 99*1), asks <= 102.102 (100.2 + 101*3 + 102.1*4).
	if !ok || !complete || math.Abs(bid-299) > 1e-9 || math.Abs(ask-(100.2+303+408.4)) > 1e-9 {
		t.Errorf("DepthWithin = %v %v %v %v", bid, ask, complete, ok)
	}
}

func TestParseRejects(t *testing.T) {
	for name, body := range map[string]string{
		"truncated":  `[[1704067200000,"42283.58","44184.10"`,
		"short row":  `[[1704067200000,"1","2","0.5"]]`,
		"bad number": `[[1704067200000,"x","2","0.5","1","1",1704153599999,"1",1,"0","0","0"]]`,
		"times":      `[[1704067200000,"1","2","0.5","1","1",1,"1",1,"0","0","0"]]`,
		"object":     `{"code":-1121,"msg":"Invalid symbol."}`,
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := binance.ParseKlines([]byte(body)); err == nil {
				t.Errorf("ParseKlines accepted %s", body)
			}
		})
	}
	if _, err := binance.ParseDepth([]byte(`{"bids":[],"asks":[]}`)); err == nil {
		t.Error("ParseDepth accepted a book without lastUpdateId")
	}
}

// fake is a Binance spot API serving deterministic klines from first up to
// the clock's now (the last one still open), pageRows per page, with
// one-shot faults: a repeated page and a page with a missing day.
type fake struct {
	clock    *live.FakeClock
	first    regime.Date
	pageRows int

	mu         sync.Mutex
	repeatOnce bool
	gapOnce    bool
	lastPage   []byte
	weight     map[int64]int // fake minute -> weight used
}

func price(i int64) float64 { return float64(100 + i%50) }

func (f *fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	now := f.clock.Now()
	if f.weight == nil {
		f.weight = map[int64]int{}
	}
	minute := now.Unix() / 60
	switch r.URL.Path {
	case "/api/v3/klines":
		f.weight[minute] += 2
		w.Header().Set("X-MBX-USED-WEIGHT-1M", strconv.Itoa(f.weight[minute]))
		step := int64(86400000)
		if r.URL.Query().Get("interval") == "1h" {
			step = 3600000
		}
		start, _ := strconv.ParseInt(r.URL.Query().Get("startTime"), 10, 64)
		if f.repeatOnce && f.lastPage != nil && step == 86400000 && start > int64(f.first)*step {
			f.repeatOnce = false
			w.Write(f.lastPage)
			return
		}
		t0 := max(start, int64(f.first)*86400000)
		t0 = (t0 + step - 1) / step * step
		var rows [][]any
		for t := t0; t <= now.UnixMilli() && len(rows) < f.pageRows; t += step {
			p := price(t / step)
			rows = append(rows, []any{t, ff(p), ff(p + 2), ff(p - 2), ff(p + 1), "10.00000000", t + step - 1, ff(10 * p), 7, "5", "0", "0"})
		}
		if f.gapOnce && len(rows) > 5 && start > int64(f.first)*step {
			f.gapOnce = false
			rows = append(rows[:3], rows[4:]...)
		}
		b, _ := json.Marshal(rows)
		f.lastPage = b
		w.Write(b)
	case "/api/v3/depth":
		f.weight[minute] += 50
		w.Header().Set("X-MBX-USED-WEIGHT-1M", strconv.Itoa(f.weight[minute]))
		w.Write([]byte(`{"lastUpdateId":1,"bids":[["100.0","1.0"],["97.0","1.0"]],"asks":[["100.2","2.0"],["103.0","1.0"]]}`))
	default:
		http.Error(w, `{"code":-1100,"msg":"unknown"}`, http.StatusNotFound)
	}
}

func ff(v float64) string { return strconv.FormatFloat(v, 'f', 8, 64) }

func open(t *testing.T) *sqlite.Store {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "b.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func TestSyncExactUnderFaults(t *testing.T) {
	ctx := context.Background()
	first := regime.MustDate("2024-01-01")
	now := regime.MustDate("2024-06-30").Time().Add(15 * time.Hour)
	clock := live.NewFakeClock(now)
	f := &fake{clock: clock, first: first, pageRows: 20, repeatOnce: true, gapOnce: true}
	srv := livetest.NewServer(clock, f)
	defer srv.Close()
	budget := live.Budget{Cost: 60, Per: time.Minute}
	src := binance.New(live.Config{BaseURL: srv.URL, Clock: clock, Budget: budget, Timeout: 200 * time.Millisecond, Seed: 1})
	src.Pairs = []binance.Pair{{Asset: "bitcoin", Symbol: "BTCUSDT", Base: "BTC", Name: "Bitcoin"}}
	src.Hourly = true
	src.HourlyDays = 3
	srv.Inject(livetest.TooMany, livetest.TooManyRetry7, livetest.ServerError, livetest.Hang, livetest.Truncated)
	st := open(t)
	sum, err := live.Run(ctx, st, []live.Source{src}, live.Options{Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	hits := srv.Hits()
	for i := 1; i < len(hits); i++ {
		if hits[i-1].Fault == livetest.TooManyRetry7 && hits[i].Time.Sub(hits[i-1].Time) < 7*time.Second {
			t.Errorf("request %d came %s after a Retry-After: 7", i, hits[i].Time.Sub(hits[i-1].Time))
		}
	}
	if w := maxWeight(hits, time.Minute); w > budget.Cost {
		t.Errorf("%d weight used in one minute, budget %d", w, budget.Cost)
	}
	today := regime.DateOf(now)
	checkBars(t, st, first, today-1)
	cs, err := st.Candles(ctx, "bitcoin", regime.SourceBinance, 0, now.Unix()+1)
	if err != nil {
		t.Fatal(err)
	}
	from := today.AddDays(-3).Time().Unix()
	lastClosed := now.Truncate(time.Hour).Unix() - 3600
	if want := int((lastClosed-from)/3600) + 1; len(cs) != want {
		t.Fatalf("stored %d candles, want %d", len(cs), want)
	}
	for i, c := range cs {
		tm := from + int64(i)*3600
		p := price(tm / 3600)
		if c.Time != tm || c.Open != p || c.Close != p+1 || c.VolumeQuote != 10*p || c.Trades != 7 {
			t.Fatalf("candle %d = %+v, want time %d price %v", i, c, tm, p)
		}
	}
	bid, ask := binance.DepthSeries("bitcoin")
	for s, want := range map[string]float64{bid: 100, ask: 200.4} {
		obs, err := st.Observations(ctx, s, regime.DateRange{})
		if err != nil || len(obs) != 1 || math.Abs(obs[0].Value-want) > 1e-9 || obs[0].Date != today {
			t.Errorf("%s = %+v, %v; want one value %v on %s", s, obs, err, want, today)
		}
	}
	rep := sum.Sources[0].Repairs
	for _, reason := range []string{"unclosed candle", "rejected page: gap or disorder", "rejected page: starts before startTime (repeated page)"} {
		if rep[reason] == 0 {
			t.Errorf("no %q repair counted; repairs %v", reason, rep)
		}
	}
	// A second run the same day requests only what is new: nothing.
	before := len(srv.Hits())
	sum, err = live.Run(ctx, st, []live.Source{src}, live.Options{Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(srv.Hits()) - before; n > 2 {
		t.Errorf("up-to-date run sent %d requests", n)
	}
	checkBars(t, st, first, today-1)
}

// maxWeight is the most request weight sent in any window (t-per, t].
func maxWeight(hits []livetest.Hit, per time.Duration) int {
	weight := func(h livetest.Hit) int {
		if strings.HasPrefix(h.Path, "/api/v3/depth") {
			return 50
		}
		return 2
	}
	best := 0
	for _, h := range hits {
		n := 0
		for _, g := range hits {
			if g.Time.After(h.Time.Add(-per)) && !g.Time.After(h.Time) {
				n += weight(g)
			}
		}
		best = max(best, n)
	}
	return best
}

func TestBanOpensCircuitBreaker(t *testing.T) {
	ctx := context.Background()
	now := regime.MustDate("2024-06-30").Time().Add(15 * time.Hour)
	clock := live.NewFakeClock(now)
	f := &fake{clock: clock, first: regime.MustDate("2024-06-01"), pageRows: 1000}
	srv := livetest.NewServer(clock, f)
	defer srv.Close()
	src := binance.New(live.Config{BaseURL: srv.URL, Clock: clock})
	src.Pairs = src.Pairs[:2]
	srv.Inject(livetest.Banned)
	st := open(t)
	if _, err := live.Run(ctx, st, []live.Source{src}, live.Options{Clock: clock}); regime.ErrorCode(err) != regime.EUNAVAILABLE {
		t.Fatalf("banned run: %v, want EUNAVAILABLE", err)
	}
	if _, err := live.Run(ctx, st, []live.Source{src}, live.Options{Clock: clock}); regime.ErrorCode(err) != regime.EUNAVAILABLE {
		t.Fatalf("run during the ban: %v, want EUNAVAILABLE", err)
	}
	if n := len(srv.Hits()); n != 1 {
		t.Errorf("%d requests sent; after a 418 none may follow until Retry-After", n)
	}
	clock.Advance(121 * time.Second)
	if _, err := live.Run(ctx, st, []live.Source{src}, live.Options{Clock: clock}); err != nil {
		t.Fatalf("after the ban: %v", err)
	}
}

func TestNoRetryOnClientError(t *testing.T) {
	ctx := context.Background()
	clock := live.NewFakeClock(regime.MustDate("2024-06-30").Time())
	srv := livetest.NewServer(clock, &fake{clock: clock, first: regime.MustDate("2024-06-01"), pageRows: 1000})
	defer srv.Close()
	src := binance.New(live.Config{BaseURL: srv.URL, Clock: clock})
	src.Pairs = src.Pairs[:1]
	srv.Inject(livetest.NotFound)
	_, err := live.Run(ctx, open(t), []live.Source{src}, live.Options{Clock: clock})
	if regime.ErrorCode(err) != regime.EINVALID || len(srv.Hits()) != 1 {
		t.Errorf("404: err %v after %d requests; want EINVALID after 1", err, len(srv.Hits()))
	}
}

func checkBars(t *testing.T, st *sqlite.Store, first, last regime.Date) {
	t.Helper()
	bars, err := st.SourceBars(context.Background(), "bitcoin", regime.SourceBinance, regime.DateRange{})
	if err != nil {
		t.Fatal(err)
	}
	if len(bars) != int(last-first)+1 {
		t.Fatalf("stored %d bars, want %d (%s..%s)", len(bars), int(last-first)+1, first, last)
	}
	for i, b := range bars {
		d := first + regime.Date(i)
		p := price(int64(d))
		if b.Date != d || b.Open != p || b.High != p+2 || b.Low != p-2 || b.Close != p+1 || b.VolumeUSD != 10*p || !math.IsNaN(b.MarketCapUSD) || b.KnownAt != d {
			t.Fatalf("bar %d = %+v, want day %s price %v", i, b, d, p)
		}
	}
	wm, err := st.Watermark(context.Background(), regime.SourceBinance, "bars:bitcoin")
	if err != nil || wm.Through != last {
		t.Errorf("watermark %+v %v, want through %s", wm, err, last)
	}
}

func TestPairResolvesCoinGeckoAlias(t *testing.T) {
	ctx := context.Background()
	now := regime.MustDate("2024-06-30").Time().Add(15 * time.Hour)
	clock := live.NewFakeClock(now)
	srv := livetest.NewServer(clock, &fake{clock: clock, first: regime.MustDate("2024-06-20"), pageRows: 1000})
	defer srv.Close()
	st := open(t)
	// An imported store knows BNB as "bnb" with its CoinGecko id as alias.
	if err := st.UpsertAssets(ctx, []regime.Asset{{ID: "bnb", Symbol: "BNB", Name: "BNB", Kind: regime.KindExchangeToken,
		Aliases: []regime.Alias{{Source: regime.SourceCoinGecko, SourceID: "binancecoin", Symbol: "BNB"}}}}); err != nil {
		t.Fatal(err)
	}
	src := binance.New(live.Config{BaseURL: srv.URL, Clock: clock})
	src.Pairs, src.Depth = []binance.Pair{binance.DefaultPairs[2], binance.DefaultPairs[3]}, false
	if _, err := live.Run(ctx, st, []live.Source{src}, live.Options{Clock: clock}); err != nil {
		t.Fatal(err)
	}
	for id, kind := range map[string]regime.AssetKind{"bnb": regime.KindExchangeToken, "solana": regime.KindCoin} {
		bars, err := st.SourceBars(ctx, id, regime.SourceBinance, regime.DateRange{})
		if err != nil || len(bars) != 10 {
			t.Errorf("%s: %d bars, %v; want 10", id, len(bars), err)
		}
		if a, err := st.Asset(ctx, id); err != nil || a.Kind != kind {
			t.Errorf("%s: kind %s, %v; want %s", id, a.Kind, err, kind)
		}
	}
	if _, err := st.Asset(ctx, "binancecoin"); err == nil {
		t.Error("a second BNB asset was created under the CoinGecko id")
	}
}
