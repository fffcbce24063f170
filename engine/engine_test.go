package engine_test

import (
	"context"
	"math"
	"path/filepath"
	"testing"

	"github.com/regime-engine/regime"
	"github.com/regime-engine/regime/engine"
	"github.com/regime-engine/regime/sqlite"
)

func open(t *testing.T) *sqlite.Store {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "e.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

var day0 = regime.MustDate("2021-01-01")

func bar(id string, d int, close, cap float64) regime.Bar {
	return regime.Bar{AssetID: id, Date: day0 + regime.Date(d), Source: regime.SourceCSV, Open: close, High: close, Low: close,
		Close: close, VolumeUSD: 1, MarketCapUSD: cap, Supply: math.NaN()}
}

// smallMarket: two coins and a stablecoin over 6 days; a snapshot on day 2
// ranks "b" above "a" although "a" has the larger daily caps.
func smallMarket(t *testing.T) *sqlite.Store {
	st := open(t)
	ctx := context.Background()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(st.UpsertAssets(ctx, []regime.Asset{
		{ID: "a", Symbol: "A", Name: "Acoin", Kind: regime.KindCoin},
		{ID: "b", Symbol: "B", Name: "Bcoin", Kind: regime.KindCoin},
		{ID: "usd", Symbol: "USD", Name: "Dollar", Kind: regime.KindStablecoin},
	}))
	must(st.UpsertBars(ctx, []regime.Bar{
		bar("a", 0, 10, 300), bar("a", 1, 11, 330), bar("a", 2, 12, 360), bar("a", 3, 6, 180), bar("a", 4, 6, 180), bar("a", 5, 9, 270),
		bar("b", 1, 100, 100), bar("b", 2, 110, 110), bar("b", 4, 121, 121), bar("b", 5, 121, 121),
		bar("usd", 0, 1, 1000), bar("usd", 5, 1, 1000),
	}))
	must(st.UpsertConstituents(ctx, []regime.Constituent{
		{Date: day0 + 2, Source: regime.SourceCSV, Rank: 1, AssetID: "usd", MarketCapUSD: 1000, PriceUSD: 1, Supply: math.NaN(), VolumeUSD: math.NaN()},
		{Date: day0 + 2, Source: regime.SourceCSV, Rank: 2, AssetID: "b", MarketCapUSD: 500, PriceUSD: 110, Supply: math.NaN(), VolumeUSD: math.NaN()},
		{Date: day0 + 2, Source: regime.SourceCSV, Rank: 3, AssetID: "a", MarketCapUSD: 360, PriceUSD: 12, Supply: math.NaN(), VolumeUSD: math.NaN()},
	}))
	return st
}

func TestPanelAlignment(t *testing.T) {
	p, err := engine.LoadPanel(context.Background(), smallMarket(t), regime.DateRange{})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Dates) != 6 || p.Dates[0] != day0 || p.Dates[5] != day0+5 {
		t.Fatalf("dates = %v", p.Dates)
	}
	b := p.Index("b")
	if p.Start[b] != 1 || len(p.Close[b]) != 5 {
		t.Fatalf("b starts at %d with %d days", p.Start[b], len(p.Close[b]))
	}
	if !math.IsNaN(p.At(p.Close, b, 0)) || p.At(p.Close, b, 1) != 100 || !math.IsNaN(p.At(p.Close, b, 3)) || p.At(p.Close, b, 4) != 121 {
		t.Errorf("b closes = %v (gap on day 3 must be NaN, never 0)", p.Close[b])
	}
	if p.Index("nope") != -1 {
		t.Error("unknown id must give -1")
	}
	// No bitcoin: the reference is the top investable asset of the last
	// day's universe, the snapshot's b.
	if p.ReferenceAsset() != b {
		t.Errorf("reference = %d, want b (%d)", p.ReferenceAsset(), b)
	}
}

func TestTopAtIsPointInTime(t *testing.T) {
	p, err := engine.LoadPanel(context.Background(), smallMarket(t), regime.DateRange{})
	if err != nil {
		t.Fatal(err)
	}
	a, b := p.Index("a"), p.Index("b")
	for _, tc := range []struct {
		day    int
		invest bool
		want   []int
		method engine.UniverseMethod
	}{
		// Before the snapshot: ranked by the caps known that day.
		{0, true, []int{a}, engine.FromDailyCaps},
		{1, true, []int{a, b}, engine.FromDailyCaps},
		{0, false, []int{p.Index("usd"), a}, engine.FromDailyCaps},
		// From the snapshot on: its ranking (b above a), stablecoin excluded.
		{2, true, []int{b, a}, engine.FromSnapshot},
		{5, true, []int{b, a}, engine.FromSnapshot},
	} {
		n := 2
		got, m := p.TopAt(tc.day, n, tc.invest)
		if m != tc.method || len(got) != len(tc.want) {
			t.Errorf("day %d: %v by %s, want %v by %s", tc.day, got, m, tc.want, tc.method)
			continue
		}
		for i := range got {
			if got[i] != tc.want[i] {
				t.Errorf("day %d: %v, want %v", tc.day, got, tc.want)
			}
		}
	}
}

func TestMarketIndex(t *testing.T) {
	p, err := engine.LoadPanel(context.Background(), smallMarket(t), regime.DateRange{})
	if err != nil {
		t.Fatal(err)
	}
	got := p.MarketIndex(2)
	// Day 1: members known on day 0 = {a}: 11/10.
	// Day 2: members on day 1 by daily caps {a 330, b 100}: (330*(12/11-1) + 100*(110/100-1)) / 430.
	// Day 3: snapshot members {b, a}; b has no close on day 3 -> only a: 6/12-1.
	// Day 4: b has no close on day 3 -> only a: 6/6-1 = 0.
	// Day 5: caps on day 4: b 121, a 180: (121*0 + 180*(9/6-1)) / 301.
	want := []float64{1, 1.1}
	want = append(want, want[1]*(1+(330*(12.0/11-1)+100*0.1)/430))
	want = append(want, want[2]*0.5)
	want = append(want, want[3])
	want = append(want, want[4]*(1+180*0.5/301))
	for i := range want {
		if math.Abs(got[i]-want[i]) > 1e-12 {
			t.Errorf("index[%d] = %v, want %v", i, got[i], want[i])
		}
	}
}

func TestPanelIgnoresTheFuture(t *testing.T) {
	ctx := context.Background()
	st := smallMarket(t)
	before, err := engine.LoadPanel(ctx, st, regime.DateRange{})
	if err != nil {
		t.Fatal(err)
	}
	idxBefore := before.MarketIndex(2)
	// A crash of b after day 3 and a new snapshot on day 4 must not change
	// anything the panel says about days 0..3.
	if err := st.UpsertBars(ctx, []regime.Bar{bar("b", 4, 1, 1), bar("b", 5, 0.5, 0.5)}); err != nil {
		t.Fatal(err)
	}
	if err := st.UpsertConstituents(ctx, []regime.Constituent{{Date: day0 + 4, Source: regime.SourceCSV, Rank: 1, AssetID: "a", MarketCapUSD: 1, PriceUSD: 1, Supply: math.NaN(), VolumeUSD: math.NaN()}}); err != nil {
		t.Fatal(err)
	}
	after, err := engine.LoadPanel(ctx, st, regime.DateRange{})
	if err != nil {
		t.Fatal(err)
	}
	idxAfter := after.MarketIndex(2)
	for i := 0; i <= 3; i++ {
		if idxAfter[i] != idxBefore[i] {
			t.Errorf("index day %d changed from %v to %v after a later change", i, idxBefore[i], idxAfter[i])
		}
		u1, _ := before.TopAt(i, 2, true)
		u2, _ := after.TopAt(i, 2, true)
		if len(u1) != len(u2) || (len(u1) > 0 && u1[0] != u2[0]) {
			t.Errorf("universe day %d changed: %v -> %v", i, u1, u2)
		}
	}
}

func TestDetectLayout(t *testing.T) {
	if _, err := engine.DetectLayout(filepath.Join(t.TempDir(), "none")); regime.ErrorCode(err) != regime.EINVALID {
		t.Errorf("missing dir: %v", err)
	}
	if _, err := engine.DetectLayout(t.TempDir()); regime.ErrorCode(err) != regime.EINVALID {
		t.Errorf("empty dir: %v", err)
	}
	if l, err := engine.DetectLayout(filepath.Join("..", "ingest", "csv", "testdata", "good")); err != nil || l != engine.LayoutCSV {
		t.Errorf("csv dir: %v %v", l, err)
	}
	if l, err := engine.DetectLayout(filepath.Join("..", "..", "shared", "data")); err == nil && l != engine.LayoutDataset {
		t.Errorf("dataset dir: %v", l)
	}
}

func TestTokenSeriesAlignsOnChainAsOfPublication(t *testing.T) {
	ctx := context.Background()
	st := smallMarket(t)
	if err := st.UpsertObservations(ctx, []regime.Observation{
		{Series: "onchain:a:AdrActCnt", Date: day0, Value: 5, Source: "x", KnownAt: day0 + 2},
		{Series: "onchain:a:AdrActCnt@omni", Date: day0, Value: 99, Source: "x", KnownAt: day0},
	}); err != nil {
		t.Fatal(err)
	}
	p, err := engine.LoadPanel(ctx, st, regime.DateRange{})
	if err != nil {
		t.Fatal(err)
	}
	s, err := engine.TokenSeries(ctx, st, p, p.Index("a"))
	if err != nil {
		t.Fatal(err)
	}
	v := s.OnChain["AdrActCnt"]
	if len(v) != 6 || !math.IsNaN(v[0]) || !math.IsNaN(v[1]) || v[2] != 5 || v[5] != 5 {
		t.Errorf("AdrActCnt = %v: must be unknown until its KnownAt (day 2)", v)
	}
	if _, ok := s.OnChain["AdrActCnt@omni"]; ok || len(s.OnChain) != 1 {
		t.Errorf("chain slices must not stand for the asset: %v", s.OnChain)
	}
	m, err := engine.MarketInputs(ctx, st, p)
	if err != nil {
		t.Fatal(err)
	}
	if m.StableCap[0] != 1000 || !math.IsNaN(m.StableCap[1]) || m.TotalCap[1] != 430 {
		t.Errorf("stable cap %v, total cap %v", m.StableCap, m.TotalCap)
	}
	if len(m.Closes) != 2 || len(m.Member) != 2 {
		t.Errorf("breadth universe has %d tokens, want 2", len(m.Closes))
	}
}
