package coingecko_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/regime-engine/regime"
	"github.com/regime-engine/regime/ingest/coingecko"
	"github.com/regime-engine/regime/ingest/live"
	"github.com/regime-engine/regime/ingest/live/livetest"
	"github.com/regime-engine/regime/sqlite"
)

func TestParseRecorded(t *testing.T) {
	ms, err := coingecko.ParseMarkets(livetest.Recorded(t, "markets.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != 3 || ms[0].ID != "bitcoin" || ms[0].MarketCap != 1381651251183 || ms[0].CirculatingSupply != 19675987 || ms[1].MarketCapRank != 3 {
		t.Errorf("markets = %+v", ms)
	}
	if !math.IsNaN(ms[2].MarketCap) || ms[2].MarketCapRank != 0 {
		t.Errorf("null market cap parsed as %v rank %d, want NaN and 0", ms[2].MarketCap, ms[2].MarketCapRank)
	}
	cs, err := coingecko.ParseCoinList(livetest.Recorded(t, "coins_list.json"))
	if err != nil || len(cs) != 3 || cs[2].Platforms["ethereum"] == "" || len(cs[0].Platforms) != 0 {
		t.Errorf("coins list = %+v, %v", cs, err)
	}
	ch, err := coingecko.ParseChart(livetest.Recorded(t, "market_chart_range.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(ch.Points) != 4 || ch.Misaligned != 1 || ch.Points[0].Price != 71333.48 || !math.IsNaN(ch.Points[2].Volume) {
		t.Errorf("chart = %+v", ch)
	}
	if d := coingecko.DayOf(ch.Points[0].Time); d.String() != "2024-03-31" {
		t.Errorf("a 00:00 UTC point closes %s, want the previous day 2024-03-31", d)
	}
	if d := coingecko.DayOf(ch.Points[3].Time); d.String() != "2024-04-03" {
		t.Errorf("an intraday point is day %s, want 2024-04-03", d)
	}
}

func TestKind(t *testing.T) {
	eth := map[string]string{"ethereum": "0xabc"}
	for _, tc := range []struct {
		id, name, sym string
		cat           regime.AssetKind
		platforms     map[string]string
		want          regime.AssetKind
	}{
		{"bitcoin", "Bitcoin", "BTC", "", nil, regime.KindCoin},
		{"tether", "Tether", "USDT", "", eth, regime.KindStablecoin},
		{"usds", "USDS", "USDS", regime.KindStablecoin, eth, regime.KindStablecoin},
		{"wrapped-avax", "Wrapped AVAX", "WAVAX", "", map[string]string{"avalanche": "0x1"}, regime.KindWrapped},
		{"wrapped-native", "Wrapped Native", "WN", "", nil, regime.KindCoin},
		{"binancecoin", "BNB", "BNB", regime.KindStablecoin, nil, regime.KindExchangeToken},
	} {
		if got := coingecko.Kind(tc.id, tc.name, tc.sym, tc.cat, tc.platforms); got != tc.want {
			t.Errorf("Kind(%s) = %s, want %s", tc.id, got, tc.want)
		}
	}
}

func TestParseRejects(t *testing.T) {
	for name, tc := range map[string]struct {
		parse func([]byte) error
		body  string
	}{
		"markets truncated": {func(b []byte) error { _, err := coingecko.ParseMarkets(b); return err }, `[{"id":"bitcoin","current_price":7`},
		"markets no id":     {func(b []byte) error { _, err := coingecko.ParseMarkets(b); return err }, `[{"symbol":"btc"}]`},
		"list no id":        {func(b []byte) error { _, err := coingecko.ParseCoinList(b); return err }, `[{"id":"","symbol":"x"}]`},
		"chart missing":     {func(b []byte) error { _, err := coingecko.ParseChart(b); return err }, `{"prices":[]}`},
		"chart bad pair":    {func(b []byte) error { _, err := coingecko.ParseChart(b); return err }, `{"prices":[[1]],"market_caps":[],"total_volumes":[]}`},
		"chart error":       {func(b []byte) error { _, err := coingecko.ParseChart(b); return err }, `{"error":"coin not found"}`},
	} {
		t.Run(name, func(t *testing.T) {
			if err := tc.parse([]byte(tc.body)); err == nil {
				t.Errorf("accepted %s", tc.body)
			}
		})
	}
}

// fake is a CoinGecko API. Day 1 Polygon is "matic"; from day 2 on it is
// "pol" under the same id. Prices are deterministic per (coin, day).
type fake struct {
	clock *live.FakeClock
	mu    sync.Mutex
	first regime.Date // first day of history
}

var coins = []struct {
	id, sym, name string
	cap           float64
}{{"bitcoin", "btc", "Bitcoin", 1e12}, {"ethereum", "eth", "Ethereum", 4e11}, {"tether", "usdt", "Tether", 1e11}, {"matic-network", "matic", "Polygon", 1e10}, {"usds", "usds", "USDS", 5e9}}

func price(id string, d regime.Date) float64 { return float64(len(id)*100) + float64(int(d)%13) }

func (f *fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	now := f.clock.Now()
	today := regime.DateOf(now)
	q := r.URL.Query()
	switch {
	case r.URL.Path == "/coins/markets":
		if q.Get("category") == "stablecoins" {
			fmt.Fprint(w, `[{"id":"usds","symbol":"usds","name":"USDS","current_price":1,"market_cap":5000000000}]`)
			return
		}
		if q.Get("category") == "bogus-category" {
			http.Error(w, `{"error":"invalid category"}`, http.StatusNotFound)
			return
		}
		if q.Get("category") != "" {
			fmt.Fprint(w, `[]`)
			return
		}
		per, _ := strconv.Atoi(q.Get("per_page"))
		page, _ := strconv.Atoi(q.Get("page"))
		var rows []map[string]any
		for i := (page - 1) * per; i < len(coins) && i < page*per; i++ {
			c := coins[i]
			sym, name := c.sym, c.name
			if c.id == "matic-network" && today > f.first+400 {
				sym, name = "pol", "POL (ex-MATIC)"
			}
			rows = append(rows, map[string]any{"id": c.id, "symbol": sym, "name": name, "current_price": price(c.id, today),
				"market_cap": c.cap, "market_cap_rank": i + 1, "total_volume": 1e9, "circulating_supply": c.cap / price(c.id, today)})
		}
		if page == 2 {
			// The ranking moved between pages: page 2 repeats page 1's last coin.
			rows = append([]map[string]any{{"id": coins[per-1].id, "symbol": coins[per-1].sym, "name": coins[per-1].name, "current_price": 1.0, "market_cap": 1.0}}, rows...)
		}
		if rows == nil {
			rows = []map[string]any{}
		}
		json.NewEncoder(w).Encode(rows)
	case r.URL.Path == "/coins/list":
		fmt.Fprint(w, `[{"id":"bitcoin","symbol":"btc","name":"Bitcoin","platforms":{}},{"id":"tether","symbol":"usdt","name":"Tether","platforms":{"ethereum":"0xdac"}}]`)
	case strings.HasSuffix(r.URL.Path, "/market_chart/range"):
		id := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/coins/"), "/market_chart/range")
		from, _ := strconv.ParseInt(q.Get("from"), 10, 64)
		to, _ := strconv.ParseInt(q.Get("to"), 10, 64)
		var ps, mc, vs [][2]float64
		for d := max(f.first, regime.DateOf(time.Unix(from, 0))); ; d++ {
			ts := d.AddDays(1).Time().Unix() // 00:00 of the next day closes d
			if ts > to || ts > now.Unix() {
				break
			}
			ps = append(ps, [2]float64{float64(ts * 1000), price(id, d)})
			mc = append(mc, [2]float64{float64(ts * 1000), 1e9})
			vs = append(vs, [2]float64{float64(ts * 1000), 1e7})
		}
		if to >= now.Unix() { // CoinGecko adds the current, still-moving value
			ps = append(ps, [2]float64{float64(now.UnixMilli()), 1})
			mc = append(mc, [2]float64{float64(now.UnixMilli()), 1})
			vs = append(vs, [2]float64{float64(now.UnixMilli()), 1})
		}
		json.NewEncoder(w).Encode(map[string]any{"prices": nz(ps), "market_caps": nz(mc), "total_volumes": nz(vs)})
	default:
		http.Error(w, `{"error":"not found"}`, http.StatusNotFound)
	}
}

func nz(v [][2]float64) [][2]float64 {
	if v == nil {
		return [][2]float64{}
	}
	return v
}

func TestSyncUniverseRenameHistory(t *testing.T) {
	ctx := context.Background()
	first := regime.MustDate("2023-01-01")
	day1 := first + 400
	clock := live.NewFakeClock(day1.Time().Add(10 * time.Hour))
	f := &fake{clock: clock, first: first}
	srv := livetest.NewServer(clock, f)
	defer srv.Close()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "cg.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	src := coingecko.New(live.Config{BaseURL: srv.URL, Clock: clock, Timeout: 200 * time.Millisecond}, coingecko.Key{Value: "k"})
	src.TopN = 4
	src.PageSize = 2
	src.Categories = map[string]regime.AssetKind{"stablecoins": regime.KindStablecoin, "bogus-category": regime.KindWrapped}
	srv.InjectPath("/coins/bitcoin/market_chart/range", livetest.Truncated, livetest.TooManyRetry7)
	sum, err := live.Run(ctx, st, []live.Source{src}, live.Options{Clock: clock, From: first})
	if err != nil {
		t.Fatal(err)
	}
	// Day 2: the snapshot sees POL under matic-network.
	clock.Advance(24 * time.Hour)
	src.TopN = 5
	if _, err := live.Run(ctx, st, []live.Source{src}, live.Options{Clock: clock}); err != nil {
		t.Fatal(err)
	}
	day2 := day1 + 1
	for _, d := range []regime.Date{day1, day2} {
		cs, err := st.Constituents(ctx, regime.SourceCoinGecko, d)
		if err != nil {
			t.Fatal(err)
		}
		want := 4
		if d == day2 {
			want = 5
		}
		if len(cs) != want || cs[0].AssetID != "bitcoin" || cs[0].Date != d || cs[2].AssetID != "tether" {
			t.Fatalf("universe %s = %+v", d, cs)
		}
	}
	a, err := st.Asset(ctx, "matic-network")
	if err != nil {
		t.Fatal(err)
	}
	if a.Symbol != "POL" || len(a.Aliases) != 2 {
		t.Errorf("renamed asset = %+v, want symbol POL and the MATIC and POL aliases", a)
	}
	if sym, _ := a.NameAt(regime.SourceCoinGecko, day1); sym != "MATIC" {
		t.Errorf("symbol on %s = %s, want MATIC", day1, sym)
	}
	for id, kind := range map[string]regime.AssetKind{"tether": regime.KindStablecoin, "usds": regime.KindStablecoin, "bitcoin": regime.KindCoin} {
		if a, err := st.Asset(ctx, id); err != nil || a.Kind != kind {
			t.Errorf("%s kind %s, %v; want %s", id, a.Kind, err, kind)
		}
	}
	for _, id := range []string{"bitcoin", "matic-network", "usds"} {
		bars, err := st.SourceBars(ctx, id, regime.SourceCoinGecko, regime.DateRange{})
		if err != nil {
			t.Fatal(err)
		}
		last := day2 - 1
		if len(bars) == 0 || bars[len(bars)-1].Date != last {
			t.Fatalf("%s: %d bars ending %v, want through %s", id, len(bars), bars, last)
		}
		for i, b := range bars {
			if i > 0 && b.Date != bars[i-1].Date+1 {
				t.Fatalf("%s: gap before %s", id, b.Date)
			}
			if b.Close != price(id, b.Date) || b.MarketCapUSD != 1e9 || b.VolumeUSD != 1e7 || b.KnownAt != b.Date || !math.IsNaN(b.Open) {
				t.Fatalf("%s bar %+v, want close %v", id, b, price(id, b.Date))
			}
		}
		if id == "bitcoin" && (bars[0].Date != first || len(bars) != int(last-first)+1) {
			t.Errorf("bitcoin history %s..%s (%d), want from %s", bars[0].Date, last, len(bars), first)
		}
	}
	if got := sum.Sources[0].Repairs; got["duplicate coin in markets pages"] != 1 || got["category refused by the API: skipped"] != 1 {
		t.Errorf("repairs = %v, want one duplicate coin and one refused category", got)
	}
	hits := srv.Hits()
	for i := 1; i < len(hits); i++ {
		if hits[i-1].Fault == livetest.TooManyRetry7 && hits[i].Time.Sub(hits[i-1].Time) < 7*time.Second {
			t.Errorf("request after Retry-After: 7 came %s later", hits[i].Time.Sub(hits[i-1].Time))
		}
	}
}
