// Package storetest is the conformance suite every regime.Store
// implementation must pass. A store's own tests call Run with a function
// that opens a new, empty store:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) regime.Store {
//			s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "regime.db"))
//			if err != nil {
//				t.Fatal(err)
//			}
//			return s
//		})
//	}
//
// Besides the contract documented on regime.Reader and regime.Writer the
// suite pins down these choices so that all stores behave alike:
//
//   - a zero KnownAt is stored as the record's Date;
//   - infinite values and constituent ranks below 1 are EINVALID;
//   - bars, constituents and candles need their asset stored first;
//   - an empty symbol or name in UpsertAssets keeps the stored one, and a
//     zero alias From/To is unknown and never narrows a stored date;
//   - Constituents and SnapshotDates return ENOTFOUND for a source without
//     snapshots, and Constituents an empty slice when no snapshot is old
//     enough;
//   - Candles with from > to is EINVALID;
//   - Update returns fn's error unchanged; a Writer call that fails
//     validation inside Update writes nothing even if fn goes on and
//     commits.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"math"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/regime-engine/regime"
)

// Run runs the conformance suite against stores made by open, one fresh
// empty store per subtest. Run closes each store when its subtest ends.
func Run(t *testing.T, open func(t *testing.T) regime.Store) {
	fresh := func(t *testing.T) regime.Store {
		t.Helper()
		s := open(t)
		t.Cleanup(func() {
			if err := s.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
		})
		return s
	}
	tests := []struct {
		name string
		fn   func(t *testing.T, open func(t *testing.T) regime.Store)
	}{
		{"Empty", testEmpty},
		{"Ping", testPing},
		{"RoundTrip", testRoundTrip},
		{"Idempotent", testIdempotent},
		{"UpsertOverwrites", testUpsertOverwrites},
		{"AliasMerge", testAliasMerge},
		{"LookupAsset", testLookupAsset},
		{"FindAssets", testFindAssets},
		{"BarsMerge", testBarsMerge},
		{"DateRanges", testDateRanges},
		{"NotFound", testNotFound},
		{"Validation", testValidation},
		{"Update", testUpdate},
		{"Constituents", testConstituents},
		{"Candles", testCandles},
		{"Series", testSeries},
		{"Hash", testHash},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.fn(t, fresh) })
	}
}

// cmpOpts compare records with NaN equal to NaN and nil equal to empty.
var cmpOpts = []cmp.Option{cmpopts.EquateNaNs(), cmpopts.EquateEmpty()}

// diff fails t when got and want differ.
func diff(t *testing.T, what string, got, want any) {
	t.Helper()
	if d := cmp.Diff(want, got, cmpOpts...); d != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", what, d)
	}
}

// stats returns s's Stats or fails t.
func stats(t *testing.T, s regime.Reader) regime.Stats {
	t.Helper()
	st, err := s.Stats(context.Background())
	if err != nil {
		t.Fatalf("Stats: %v", err)
	}
	return st
}

// wantCode fails t unless err carries the given regime error code.
func wantCode(t *testing.T, what string, err error, code string) {
	t.Helper()
	if err == nil {
		t.Errorf("%s: got nil error, want %s", what, code)
		return
	}
	if got := regime.ErrorCode(err); got != code {
		t.Errorf("%s: got code %s (%v), want %s", what, got, err, code)
	}
	if code == regime.ENOTFOUND && !errors.Is(err, regime.ErrNotFound) {
		t.Errorf("%s: errors.Is(%v, ErrNotFound) is false", what, err)
	}
	if regime.ErrorMessage(err) == "" {
		t.Errorf("%s: empty error message", what)
	}
}

// normalized returns bars as the store keeps them: a zero KnownAt is the
// bar's Date.
func normalized(bars []regime.Bar) []regime.Bar {
	out := make([]regime.Bar, len(bars))
	for i, b := range bars {
		if b.KnownAt == regime.NoDate {
			b.KnownAt = b.Date
		}
		out[i] = b
	}
	return out
}

// filterBars returns the bars of one asset and source, sorted by date as
// the fixtures already are.
func filterBars(bars []regime.Bar, asset, source string) []regime.Bar {
	var out []regime.Bar
	for _, b := range bars {
		if b.AssetID == asset && b.Source == source {
			out = append(out, b)
		}
	}
	return out
}

// allTables are the table names every store reports in Stats.
var allTables = []string{"assets", "asset_aliases", "bars", "observations", "constituents", "candles"}

func testEmpty(t *testing.T, open func(t *testing.T) regime.Store) {
	ctx := context.Background()
	s := open(t)
	st := stats(t, s)
	for _, name := range allTables {
		n, ok := st.Tables[name]
		if !ok || n != 0 {
			t.Errorf("empty store: Tables[%q] = %d, %v; want 0, true", name, n, ok)
		}
	}
	if len(st.Hash) != 64 {
		t.Errorf("Hash = %q, want 64 hex digits", st.Hash)
	}
	as, err := s.FindAssets(ctx, regime.AssetFilter{})
	must(t, err)
	diff(t, "FindAssets on empty store", as, []regime.Asset{})
	ser, err := s.Series(ctx)
	must(t, err)
	diff(t, "Series on empty store", ser, []regime.SeriesInfo{})
	cs, err := s.Constituents(ctx, "", d("2024-01-01"))
	must(t, err)
	diff(t, "Constituents any source on empty store", cs, []regime.Constituent{})
	ds, err := s.SnapshotDates(ctx, "")
	must(t, err)
	diff(t, "SnapshotDates any source on empty store", ds, []regime.Date{})
}

func testPing(t *testing.T, open func(t *testing.T) regime.Store) {
	if err := open(t).Ping(context.Background()); err != nil {
		t.Fatalf("Ping: %v", err)
	}
}

func testRoundTrip(t *testing.T, open func(t *testing.T) regime.Store) {
	ctx := context.Background()
	s := open(t)
	load(t, s)

	t.Run("assets", func(t *testing.T) {
		for _, want := range fixtureAssets() {
			got, err := s.Asset(ctx, want.ID)
			if err != nil {
				t.Fatalf("Asset(%q): %v", want.ID, err)
			}
			diff(t, "Asset "+want.ID, got, want)
		}
	})
	t.Run("bars", func(t *testing.T) {
		all := normalized(fixtureBars())
		for _, src := range []string{regime.SourceCSV, regime.SourceCoinMetrics, regime.SourceCoinGecko, regime.SourceEstimate,
			regime.SourceBinance, regime.SourceCoinbase, regime.SourceCMC} {
			got, err := s.SourceBars(ctx, "bitcoin", src, regime.DateRange{})
			must(t, err)
			diff(t, "SourceBars bitcoin "+src, got, filterBars(all, "bitcoin", src))
		}
		got, err := s.SourceBars(ctx, "ethereum", regime.SourceCoinMetrics, regime.DateRange{})
		must(t, err)
		diff(t, "SourceBars ethereum", got, filterBars(all, "ethereum", regime.SourceCoinMetrics))
	})
	t.Run("zero known_at", func(t *testing.T) {
		b := regime.Bar{AssetID: "tether", Date: day1, Source: regime.SourceCSV, Open: nan, High: nan, Low: nan, Close: 1,
			VolumeUSD: nan, MarketCapUSD: nan, Supply: nan}
		must(t, s.UpsertBars(ctx, []regime.Bar{b}))
		got, err := s.SourceBars(ctx, "tether", regime.SourceCSV, regime.DateRange{})
		must(t, err)
		b.KnownAt = b.Date
		diff(t, "bar with zero KnownAt", got, []regime.Bar{b})
		o := regime.Observation{Series: "test:zero", Date: day1, Value: 1, Source: "test"}
		must(t, s.UpsertObservations(ctx, []regime.Observation{o}))
		obs, err := s.Observations(ctx, "test:zero", regime.DateRange{})
		must(t, err)
		o.KnownAt = o.Date
		diff(t, "observation with zero KnownAt", obs, []regime.Observation{o})
	})
	t.Run("extreme values and unicode", func(t *testing.T) {
		a := regime.Asset{ID: "señor-币", Symbol: "ÑÉ币", Name: "Señor \"Coin\" 币 'quoted'; DROP TABLE assets; --",
			Kind: regime.KindPegged, Aliases: []regime.Alias{{Source: "user label", SourceID: "Señor|ÑÉ币", Symbol: "ÑÉ币",
				Name: "Señor", From: d("1969-07-20"), To: d("2262-04-11")}}}
		must(t, s.UpsertAssets(ctx, []regime.Asset{a}))
		got, err := s.Asset(ctx, a.ID)
		must(t, err)
		diff(t, "unicode asset", got, a)
		vals := []float64{0.1 + 0.2, 1e-300, 5e-324, math.MaxFloat64, -1.5, 0, 123456789.123456789, 1 / 3.0}
		var bars []regime.Bar
		for i, v := range vals {
			day := d("1969-12-25").AddDays(i) // negative Dates and 1970-01-01 included
			bars = append(bars, regime.Bar{AssetID: a.ID, Date: day, Source: "user label", Open: v, High: -v, Low: nan,
				Close: v, VolumeUSD: v, MarketCapUSD: nan, Supply: v, CapEstimated: i%2 == 0, KnownAt: day.AddDays(i)})
		}
		must(t, s.UpsertBars(ctx, bars))
		gotBars, err := s.SourceBars(ctx, a.ID, "user label", regime.DateRange{})
		must(t, err)
		if len(gotBars) == len(bars) {
			for i := range bars {
				if math.Float64bits(gotBars[i].Close) != math.Float64bits(bars[i].Close) {
					t.Errorf("close %v came back as %v", bars[i].Close, gotBars[i].Close)
				}
			}
		}
		diff(t, "extreme bars", gotBars, bars)
		o := regime.Observation{Series: "test:extreme", Date: d("1962-01-02"), Value: 5e-324, Source: "fred", KnownAt: d("1962-01-03")}
		must(t, s.UpsertObservations(ctx, []regime.Observation{o}))
		obs, err := s.Observations(ctx, o.Series, regime.DateRange{})
		must(t, err)
		diff(t, "pre-1970 observation", obs, []regime.Observation{o})
		c := regime.Candle{AssetID: a.ID, Source: "user label", Time: -3600, Open: math.SmallestNonzeroFloat64,
			High: math.MaxFloat64, Low: nan, Close: 1, VolumeBase: nan, VolumeQuote: nan, Trades: 0}
		must(t, s.UpsertCandles(ctx, []regime.Candle{c}))
		cs, err := s.Candles(ctx, a.ID, "user label", -7200, 0)
		must(t, err)
		diff(t, "candle before 1970", cs, []regime.Candle{c})
	})
	t.Run("observations", func(t *testing.T) {
		all := fixtureObservations()
		for _, series := range []string{"feargreed:value", "fred:CPIAUCSL"} {
			var want []regime.Observation
			for _, o := range all {
				if o.Series == series {
					want = append(want, o)
				}
			}
			got, err := s.Observations(ctx, series, regime.DateRange{})
			must(t, err)
			diff(t, "Observations "+series, got, want)
		}
	})
	t.Run("constituents", func(t *testing.T) {
		for _, day := range []regime.Date{d("2022-04-01"), d("2022-05-01")} {
			var want []regime.Constituent
			for _, rank := range []int{1, 2, 3} {
				for _, c := range fixtureConstituents() {
					if c.Source == regime.SourceCMC && c.Date == day && c.Rank == rank {
						want = append(want, c)
					}
				}
			}
			got, err := s.Constituents(ctx, regime.SourceCMC, day)
			must(t, err)
			diff(t, "Constituents cmc "+day.String(), got, want)
		}
	})
	t.Run("candles", func(t *testing.T) {
		all := fixtureCandles()
		got, err := s.Candles(ctx, "bitcoin", regime.SourceBinance, 0, 1<<40)
		must(t, err)
		diff(t, "Candles binance", got, all[:4])
		got, err = s.Candles(ctx, "bitcoin", regime.SourceCoinbase, 0, 1<<40)
		must(t, err)
		diff(t, "Candles coinbase", got, all[4:])
	})
	t.Run("counts", func(t *testing.T) {
		st := stats(t, s)
		aliases := 0
		for _, a := range fixtureAssets() {
			aliases += len(a.Aliases)
		}
		// The fixtures plus what the subtests above added.
		want := map[string]int64{
			"assets": int64(len(fixtureAssets()) + 1), "asset_aliases": int64(aliases + 1),
			"bars": int64(len(fixtureBars()) + 1 + 8), "observations": int64(len(fixtureObservations()) + 2),
			"constituents": int64(len(fixtureConstituents())), "candles": int64(len(fixtureCandles()) + 1),
		}
		diff(t, "Stats.Tables", st.Tables, want)
	})
}

func testIdempotent(t *testing.T, open func(t *testing.T) regime.Store) {
	s := open(t)
	load(t, s)
	once := stats(t, s)
	load(t, s)
	twice := stats(t, s)
	diff(t, "Stats after writing everything twice", twice, once)

	// Equal content written in another order and in other batches gives
	// the same hash in another store.
	ctx := context.Background()
	o := open(t)
	as := fixtureAssets()
	for i := len(as) - 1; i >= 0; i-- {
		must(t, o.UpsertAssets(ctx, as[i:i+1]))
	}
	bs := fixtureBars()
	for i := len(bs) - 1; i >= 0; i-- {
		must(t, o.UpsertBars(ctx, bs[i:i+1]))
	}
	must(t, o.Update(ctx, func(w regime.Writer) error {
		if err := w.UpsertCandles(ctx, fixtureCandles()); err != nil {
			return err
		}
		if err := w.UpsertConstituents(ctx, fixtureConstituents()); err != nil {
			return err
		}
		return w.UpsertObservations(ctx, fixtureObservations())
	}))
	diff(t, "Stats of the same content written in another order", stats(t, o), once)
}

func testUpsertOverwrites(t *testing.T, open func(t *testing.T) regime.Store) {
	ctx := context.Background()
	s := open(t)
	load(t, s)
	before := stats(t, s)

	b := fixtureBars()[0]
	b.Close, b.VolumeUSD, b.Open, b.CapEstimated, b.KnownAt = 200, 5, nan, true, b.Date.AddDays(3)
	must(t, s.UpsertBars(ctx, []regime.Bar{b}))
	got, err := s.SourceBars(ctx, b.AssetID, b.Source, regime.DateRange{From: b.Date, To: b.Date})
	must(t, err)
	diff(t, "overwritten bar", got, []regime.Bar{b})

	o := fixtureObservations()[0]
	o.Value, o.Source, o.KnownAt = nan, "other", o.Date.AddDays(1)
	must(t, s.UpsertObservations(ctx, []regime.Observation{o}))
	obs, err := s.Observations(ctx, o.Series, regime.DateRange{From: o.Date, To: o.Date})
	must(t, err)
	diff(t, "overwritten observation", obs, []regime.Observation{o})

	c := fixtureCandles()[0]
	c.Close, c.Trades = 1, nan
	must(t, s.UpsertCandles(ctx, []regime.Candle{c}))
	cs, err := s.Candles(ctx, c.AssetID, c.Source, c.Time, c.Time+1)
	must(t, err)
	diff(t, "overwritten candle", cs, []regime.Candle{c})

	k := fixtureConstituents()[1] // bitcoin, cmc 2022-04-01, rank 1
	k.Rank, k.MarketCapUSD = 4, nan
	must(t, s.UpsertConstituents(ctx, []regime.Constituent{k}))
	snap, err := s.Constituents(ctx, k.Source, k.Date)
	must(t, err)
	if n := len(snap); n != 3 || snap[2].AssetID != "bitcoin" {
		t.Errorf("after re-ranking bitcoin to 4: snapshot %+v, want 3 rows with bitcoin last", snap)
	} else {
		diff(t, "overwritten constituent", snap[2], k)
	}

	a := fixtureAssets()[0]
	a.Symbol, a.Name, a.Kind, a.Aliases = "XBT", "Bitcoin Renamed", regime.KindExchangeToken, nil
	must(t, s.UpsertAssets(ctx, []regime.Asset{a}))
	ga, err := s.Asset(ctx, a.ID)
	must(t, err)
	a.Aliases = fixtureAssets()[0].Aliases // aliases are merged, never dropped
	diff(t, "overwritten asset", ga, a)

	after := stats(t, s)
	diff(t, "row counts after overwriting", after.Tables, before.Tables)
	if after.Hash == before.Hash {
		t.Errorf("hash unchanged after overwriting values")
	}

	// Within one call a later record with the same key wins, in batches of
	// any size.
	for _, n := range []int{2, 33, 100} {
		bars := make([]regime.Bar, n)
		for i := range bars {
			bars[i] = regime.Bar{AssetID: "tether", Date: day1.AddDays(i % 2), Source: regime.SourceCSV,
				Open: nan, High: nan, Low: nan, Close: float64(i), VolumeUSD: nan, MarketCapUSD: nan, Supply: nan, KnownAt: day2}
		}
		must(t, s.UpsertBars(ctx, bars))
		got, err := s.SourceBars(ctx, "tether", regime.SourceCSV, regime.DateRange{})
		must(t, err)
		last := []regime.Bar{bars[n-2], bars[n-1]} // the last record of each day
		if last[0].Date > last[1].Date {
			last[0], last[1] = last[1], last[0]
		}
		diff(t, fmt.Sprintf("duplicate keys in a call of %d", n), got, last)
	}
}

func testAliasMerge(t *testing.T, open func(t *testing.T) regime.Store) {
	ctx := context.Background()
	s := open(t)
	alias := func(src, sid, sym, name string, from, to string) regime.Alias {
		a := regime.Alias{Source: src, SourceID: sid, Symbol: sym, Name: name}
		if from != "" {
			a.From = d(from)
		}
		if to != "" {
			a.To = d(to)
		}
		return a
	}
	asset := func(sym string, aliases ...regime.Alias) regime.Asset {
		return regime.Asset{ID: "polygon", Symbol: sym, Name: "Polygon", Kind: regime.KindCoin, Aliases: aliases}
	}
	steps := []struct {
		name  string
		write regime.Asset
		want  regime.Asset
	}{
		{"first sighting",
			asset("MATIC", alias("cmc", "Polygon|MATIC", "MATIC", "Polygon", "2021-03-01", "2021-06-01")),
			asset("MATIC", alias("cmc", "Polygon|MATIC", "MATIC", "Polygon", "2021-03-01", "2021-06-01"))},
		{"widen to later",
			asset("MATIC", alias("cmc", "Polygon|MATIC", "MATIC", "Polygon", "2021-05-01", "2023-08-01")),
			asset("MATIC", alias("cmc", "Polygon|MATIC", "MATIC", "Polygon", "2021-03-01", "2023-08-01"))},
		{"widen to earlier",
			asset("MATIC", alias("cmc", "Polygon|MATIC", "MATIC", "Polygon", "2019-05-01", "2019-06-01")),
			asset("MATIC", alias("cmc", "Polygon|MATIC", "MATIC", "Polygon", "2019-05-01", "2023-08-01"))},
		{"unknown dates never narrow",
			asset("MATIC", alias("cmc", "Polygon|MATIC", "MATIC", "Polygon", "", "")),
			asset("MATIC", alias("cmc", "Polygon|MATIC", "MATIC", "Polygon", "2019-05-01", "2023-08-01"))},
		{"rename adds an alias",
			asset("POL", alias("cmc", "Polygon|POL", "POL", "Polygon", "2024-09-01", "2024-12-01")),
			asset("POL",
				alias("cmc", "Polygon|MATIC", "MATIC", "Polygon", "2019-05-01", "2023-08-01"),
				alias("cmc", "Polygon|POL", "POL", "Polygon", "2024-09-01", "2024-12-01"))},
		{"another source, sorted by source",
			asset("POL", alias("coingecko", "matic-network", "MATIC", "Polygon", "2019-04-28", "2024-09-03")),
			asset("POL",
				alias("cmc", "Polygon|MATIC", "MATIC", "Polygon", "2019-05-01", "2023-08-01"),
				alias("cmc", "Polygon|POL", "POL", "Polygon", "2024-09-01", "2024-12-01"),
				alias("coingecko", "matic-network", "MATIC", "Polygon", "2019-04-28", "2024-09-03"))},
		{"same source id, new symbol, sorted by from",
			asset("POL", alias("coingecko", "matic-network", "POL", "Polygon", "2024-09-04", "2024-12-18")),
			asset("POL",
				alias("cmc", "Polygon|MATIC", "MATIC", "Polygon", "2019-05-01", "2023-08-01"),
				alias("cmc", "Polygon|POL", "POL", "Polygon", "2024-09-01", "2024-12-01"),
				alias("coingecko", "matic-network", "MATIC", "Polygon", "2019-04-28", "2024-09-03"),
				alias("coingecko", "matic-network", "POL", "Polygon", "2024-09-04", "2024-12-18"))},
		{"no aliases keeps them all",
			regime.Asset{ID: "polygon", Symbol: "", Name: "", Kind: regime.KindCoin},
			asset("POL",
				alias("cmc", "Polygon|MATIC", "MATIC", "Polygon", "2019-05-01", "2023-08-01"),
				alias("cmc", "Polygon|POL", "POL", "Polygon", "2024-09-01", "2024-12-01"),
				alias("coingecko", "matic-network", "MATIC", "Polygon", "2019-04-28", "2024-09-03"),
				alias("coingecko", "matic-network", "POL", "Polygon", "2024-09-04", "2024-12-18"))},
	}
	for _, st := range steps {
		must(t, s.UpsertAssets(ctx, []regime.Asset{st.write}))
		got, err := s.Asset(ctx, "polygon")
		must(t, err)
		diff(t, st.name, got, st.want)
	}
	// Duplicates within one call merge too.
	dup := asset("POL",
		alias("binance", "POLUSDT", "POL", "Polygon", "2024-10-01", "2024-10-05"),
		alias("binance", "POLUSDT", "POL", "Polygon", "2024-09-13", "2024-09-20"))
	must(t, s.UpsertAssets(ctx, []regime.Asset{dup}))
	got, err := s.Asset(ctx, "polygon")
	must(t, err)
	want := alias("binance", "POLUSDT", "POL", "Polygon", "2024-09-13", "2024-10-05")
	if len(got.Aliases) != 5 {
		t.Fatalf("after duplicate aliases in one call: %d aliases, want 5: %+v", len(got.Aliases), got.Aliases)
	}
	diff(t, "duplicate aliases in one call", got.Aliases[0], want)
	// The old ticker still finds the asset.
	la, err := s.LookupAsset(ctx, "matic")
	must(t, err)
	if la.ID != "polygon" {
		t.Errorf("LookupAsset(matic) = %q, want polygon", la.ID)
	}
}

func testLookupAsset(t *testing.T, open func(t *testing.T) regime.Store) {
	ctx := context.Background()
	s := open(t)
	must(t, s.UpsertAssets(ctx, fixtureAssets()))
	tests := []struct {
		name, ref, want string
	}{
		{"id", "bitcoin", "bitcoin"},
		{"id before symbol", "terra", "terra"},
		{"current symbol", "BTC", "bitcoin"},
		{"current symbol any case", "eTh", "ethereum"},
		{"current symbol beats alias symbol", "LUNA", "terra-2"},
		{"renamed asset by new symbol", "lunc", "terra"},
		{"alias symbol only", "ust", "ust-wormhole"}, // terrausd's UST alias ended earlier
		{"source id", "terrausd-wormhole", "ust-wormhole"},
		{"source id any case", "terrausd|ust", "terrausd"},
		{"ambiguous source id: most recent alias", "Terra|LUNA", "terra-2"},
		{"cmc source id", "Bitcoin|BTC", "bitcoin"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.LookupAsset(ctx, tt.ref)
			if err != nil {
				t.Fatalf("LookupAsset(%q): %v", tt.ref, err)
			}
			if got.ID != tt.want {
				t.Fatalf("LookupAsset(%q) = %q, want %q", tt.ref, got.ID, tt.want)
			}
			full, err := s.Asset(ctx, tt.want)
			must(t, err)
			diff(t, "LookupAsset result", got, full)
		})
	}
	for _, ref := range []string{"", "doge", "bitcoin-cash", "BT"} {
		_, err := s.LookupAsset(ctx, ref)
		wantCode(t, "LookupAsset("+ref+")", err, regime.ENOTFOUND)
	}
	// A later sighting of the old asset's alias flips the ambiguity.
	terra := fixtureAssets()[2]
	terra.Aliases = []regime.Alias{{Source: regime.SourceCMC, SourceID: "Terra|LUNA", Symbol: "LUNA", Name: "Terra",
		From: d("2020-01-01"), To: d("2025-01-01")}}
	must(t, s.UpsertAssets(ctx, []regime.Asset{terra}))
	got, err := s.LookupAsset(ctx, "terra|luna")
	must(t, err)
	if got.ID != "terra" {
		t.Errorf("after a later sighting, LookupAsset(terra|luna) = %q, want terra", got.ID)
	}
}

func testFindAssets(t *testing.T, open func(t *testing.T) regime.Store) {
	ctx := context.Background()
	s := open(t)
	must(t, s.UpsertAssets(ctx, fixtureAssets()))
	ids := func(as []regime.Asset) []string {
		out := []string{}
		for _, a := range as {
			out = append(out, a.ID)
		}
		return out
	}
	tests := []struct {
		name string
		f    regime.AssetFilter
		want []string
	}{
		{"all sorted by id", regime.AssetFilter{}, []string{"bitcoin", "ethereum", "terra", "terra-2", "terrausd", "tether", "ust-wormhole"}},
		{"kind", regime.AssetFilter{Kind: regime.KindStablecoin}, []string{"terrausd", "tether"}},
		{"kind without assets", regime.AssetFilter{Kind: regime.KindStaked}, []string{}},
		{"search id", regime.AssetFilter{Search: "ether"}, []string{"ethereum", "tether"}},
		{"search symbol any case", regime.AssetFilter{Search: "usd"}, []string{"terrausd", "tether"}},
		{"search alias name", regime.AssetFilter{Search: "wrapped UST"}, []string{"ust-wormhole"}},
		{"search alias symbol", regime.AssetFilter{Search: "luna"}, []string{"terra", "terra-2"}},
		{"search and kind", regime.AssetFilter{Search: "terra", Kind: regime.KindCoin}, []string{"terra", "terra-2"}},
		{"limit", regime.AssetFilter{Limit: 2}, []string{"bitcoin", "ethereum"}},
		{"search and limit", regime.AssetFilter{Search: "terra", Limit: 1}, []string{"terra"}},
		{"no match", regime.AssetFilter{Search: "dogecoin"}, []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.FindAssets(ctx, tt.f)
			must(t, err)
			diff(t, "FindAssets ids", ids(got), tt.want)
		})
	}
	all, err := s.FindAssets(ctx, regime.AssetFilter{})
	must(t, err)
	diff(t, "FindAssets full records", all[0], fixtureAssets()[0])
}

func testBarsMerge(t *testing.T, open func(t *testing.T) regime.Store) {
	ctx := context.Background()
	s := open(t)
	load(t, s)
	got, err := s.Bars(ctx, "bitcoin", regime.DateRange{})
	must(t, err)
	var btc []regime.Bar
	for _, b := range normalized(fixtureBars()) {
		if b.AssetID == "bitcoin" {
			btc = append(btc, b)
		}
	}
	diff(t, "Bars vs regime.MergeBars", got, regime.MergeBars(btc))
	if len(got) != 4 {
		t.Fatalf("Bars: %d days, want 4", len(got))
	}
	// The rules spelled out, so a change of MergeBars is noticed here too.
	want := []regime.Bar{
		{AssetID: "bitcoin", Date: day1, Source: regime.SourceCSV, Open: 100, High: 110, Low: 90, Close: 105,
			VolumeUSD: 50, MarketCapUSD: 1900, Supply: 18.5, KnownAt: day1.AddDays(1)},
		{AssetID: "bitcoin", Date: day2, Source: regime.SourceBinance, Open: 101, High: 112, Low: 99, Close: 108,
			VolumeUSD: 60, MarketCapUSD: 1990, Supply: nan, KnownAt: day2},
		{AssetID: "bitcoin", Date: day3, Source: regime.SourceCoinbase, Open: 108, High: 115, Low: 100, Close: 111,
			VolumeUSD: 80, MarketCapUSD: 2100, Supply: nan, CapEstimated: true, KnownAt: day3.AddDays(2)},
		{AssetID: "bitcoin", Date: day4, Source: regime.SourceCSV, Open: 111, High: 113, Low: 109, Close: 112,
			VolumeUSD: nan, MarketCapUSD: 2060, Supply: 18.6, KnownAt: day4},
	}
	diff(t, "Bars reconciliation rules", got, want)

	// A single-source asset comes back unchanged.
	eth, err := s.Bars(ctx, "ethereum", regime.DateRange{})
	must(t, err)
	diff(t, "single-source Bars", eth, filterBars(normalized(fixtureBars()), "ethereum", regime.SourceCoinMetrics))

	// A new best source for one day takes over the price fields only.
	must(t, s.UpsertBars(ctx, []regime.Bar{{AssetID: "bitcoin", Date: day2, Source: regime.SourceSynth,
		Open: nan, High: nan, Low: nan, Close: 1, VolumeUSD: nan, MarketCapUSD: nan, Supply: nan, KnownAt: day2}}))
	got, err = s.Bars(ctx, "bitcoin", regime.DateRange{From: day2, To: day2})
	must(t, err)
	want2 := want[1]
	want2.Source, want2.Open, want2.High, want2.Low, want2.Close = regime.SourceSynth, nan, nan, nan, 1
	diff(t, "Bars after a better source arrives", got, []regime.Bar{want2})
}

func testDateRanges(t *testing.T, open func(t *testing.T) regime.Store) {
	ctx := context.Background()
	s := open(t)
	load(t, s)
	type result struct {
		bars, source, obs int
	}
	tests := []struct {
		name string
		r    regime.DateRange
		want result
	}{
		{"unbounded", regime.DateRange{}, result{4, 2, 3}},
		{"from only", regime.DateRange{From: day2}, result{3, 1, 0}},
		{"to only", regime.DateRange{To: day2}, result{2, 1, 3}},
		{"one day", regime.DateRange{From: day3, To: day3}, result{1, 0, 0}},
		{"inclusive both ends", regime.DateRange{From: day1, To: day4}, result{4, 2, 0}},
		{"before everything", regime.DateRange{To: d("2010-01-01")}, result{0, 0, 0}},
		{"after everything", regime.DateRange{From: d("2030-01-01")}, result{0, 0, 0}},
		{"observation days", regime.DateRange{From: d("2021-01-02"), To: d("2021-01-03")}, result{0, 0, 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bars, err := s.Bars(ctx, "bitcoin", tt.r)
			must(t, err)
			src, err := s.SourceBars(ctx, "bitcoin", regime.SourceCSV, tt.r)
			must(t, err)
			obs, err := s.Observations(ctx, "feargreed:value", tt.r)
			must(t, err)
			got := result{len(bars), len(src), len(obs)}
			if got != tt.want {
				t.Errorf("range %s: got %+v rows, want %+v", tt.r, got, tt.want)
			}
			for _, b := range append(bars, src...) {
				if !tt.r.Contains(b.Date) {
					t.Errorf("range %s: bar of %s outside the range", tt.r, b.Date)
				}
			}
			for _, o := range obs {
				if !tt.r.Contains(o.Date) {
					t.Errorf("range %s: observation of %s outside the range", tt.r, o.Date)
				}
			}
		})
	}
	t.Run("invalid", func(t *testing.T) {
		bad := regime.DateRange{From: day3, To: day1}
		_, err := s.Bars(ctx, "bitcoin", bad)
		wantCode(t, "Bars with from after to", err, regime.EINVALID)
		_, err = s.SourceBars(ctx, "bitcoin", regime.SourceCSV, bad)
		wantCode(t, "SourceBars with from after to", err, regime.EINVALID)
		_, err = s.Observations(ctx, "feargreed:value", bad)
		wantCode(t, "Observations with from after to", err, regime.EINVALID)
	})
}

func testNotFound(t *testing.T, open func(t *testing.T) regime.Store) {
	ctx := context.Background()
	s := open(t)
	load(t, s)
	tests := []struct {
		name string
		call func() error
	}{
		{"Asset", func() error { _, err := s.Asset(ctx, "dogecoin"); return err }},
		{"Asset by symbol is not by id", func() error { _, err := s.Asset(ctx, "BTC"); return err }},
		{"LookupAsset", func() error { _, err := s.LookupAsset(ctx, "dogecoin"); return err }},
		{"Bars", func() error { _, err := s.Bars(ctx, "dogecoin", regime.DateRange{}); return err }},
		{"SourceBars", func() error {
			_, err := s.SourceBars(ctx, "dogecoin", regime.SourceCSV, regime.DateRange{})
			return err
		}},
		{"Observations", func() error { _, err := s.Observations(ctx, "fred:NOPE", regime.DateRange{}); return err }},
		{"Constituents", func() error { _, err := s.Constituents(ctx, "nope", d("2024-01-01")); return err }},
		{"SnapshotDates", func() error { _, err := s.SnapshotDates(ctx, "nope"); return err }},
		{"Candles", func() error { _, err := s.Candles(ctx, "dogecoin", regime.SourceBinance, 0, 1<<40); return err }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { wantCode(t, tt.name, tt.call(), regime.ENOTFOUND) })
	}
	t.Run("known asset, unknown source", func(t *testing.T) {
		bs, err := s.SourceBars(ctx, "bitcoin", "nope", regime.DateRange{})
		must(t, err)
		diff(t, "SourceBars of an unknown source", bs, []regime.Bar{})
		cs, err := s.Candles(ctx, "bitcoin", "nope", 0, 1<<40)
		must(t, err)
		diff(t, "Candles of an unknown source", cs, []regime.Candle{})
		bars, err := s.Bars(ctx, "tether", regime.DateRange{})
		must(t, err)
		diff(t, "Bars of an asset without bars", bars, []regime.Bar{})
	})
}

func testValidation(t *testing.T, open func(t *testing.T) regime.Store) {
	ctx := context.Background()
	s := open(t)
	load(t, s)
	before := stats(t, s)
	okBar := regime.Bar{AssetID: "bitcoin", Date: d("2022-01-01"), Source: regime.SourceCSV, Open: nan, High: nan, Low: nan,
		Close: 1, VolumeUSD: nan, MarketCapUSD: nan, Supply: nan}
	bar := func(f func(b *regime.Bar)) []regime.Bar {
		b := okBar
		f(&b)
		return []regime.Bar{okBar, b}
	}
	okObs := regime.Observation{Series: "fred:DGS10", Date: d("2022-01-01"), Value: 1.5, Source: regime.SourceFRED}
	obs := func(f func(o *regime.Observation)) []regime.Observation {
		o := okObs
		f(&o)
		return []regime.Observation{okObs, o}
	}
	okCon := regime.Constituent{Date: d("2022-06-01"), Source: regime.SourceCMC, Rank: 1, AssetID: "bitcoin",
		MarketCapUSD: 1, PriceUSD: 1, Supply: 1, VolumeUSD: 1}
	con := func(f func(c *regime.Constituent)) []regime.Constituent {
		c := okCon
		f(&c)
		return []regime.Constituent{okCon, c}
	}
	okCandle := regime.Candle{AssetID: "bitcoin", Source: regime.SourceBinance, Time: 1700000000, Open: 1, High: 1, Low: 1,
		Close: 1, VolumeBase: 1, VolumeQuote: 1, Trades: nan}
	candle := func(f func(c *regime.Candle)) []regime.Candle {
		c := okCandle
		f(&c)
		return []regime.Candle{okCandle, c}
	}
	okAsset := regime.Asset{ID: "dogecoin", Symbol: "DOGE", Name: "Dogecoin", Kind: regime.KindCoin}
	asset := func(f func(a *regime.Asset)) []regime.Asset {
		a := okAsset
		f(&a)
		return []regime.Asset{okAsset, a}
	}
	inf := func(sign int) float64 {
		var z float64
		return float64(sign) / z
	}
	tests := []struct {
		name  string
		write func(w regime.Writer) error
	}{
		{"asset empty id", func(w regime.Writer) error {
			return w.UpsertAssets(ctx, asset(func(a *regime.Asset) { a.ID = "" }))
		}},
		{"asset unknown kind", func(w regime.Writer) error {
			return w.UpsertAssets(ctx, asset(func(a *regime.Asset) { a.ID, a.Kind = "x", "meme" }))
		}},
		{"asset empty kind", func(w regime.Writer) error {
			return w.UpsertAssets(ctx, asset(func(a *regime.Asset) { a.ID, a.Kind = "x", "" }))
		}},
		{"alias without source", func(w regime.Writer) error {
			return w.UpsertAssets(ctx, asset(func(a *regime.Asset) {
				a.ID, a.Aliases = "x", []regime.Alias{{SourceID: "x", Symbol: "X", From: day1, To: day2}}
			}))
		}},
		{"alias from after to", func(w regime.Writer) error {
			return w.UpsertAssets(ctx, asset(func(a *regime.Asset) {
				a.ID, a.Aliases = "x", []regime.Alias{{Source: "cmc", SourceID: "x", Symbol: "X", From: day2, To: day1}}
			}))
		}},
		{"bar empty asset", func(w regime.Writer) error { return w.UpsertBars(ctx, bar(func(b *regime.Bar) { b.AssetID = "" })) }},
		{"bar unknown asset", func(w regime.Writer) error {
			return w.UpsertBars(ctx, bar(func(b *regime.Bar) { b.AssetID = "dogecoin" }))
		}},
		{"bar empty source", func(w regime.Writer) error { return w.UpsertBars(ctx, bar(func(b *regime.Bar) { b.Source = "" })) }},
		{"bar known before date", func(w regime.Writer) error {
			return w.UpsertBars(ctx, bar(func(b *regime.Bar) { b.KnownAt = b.Date.AddDays(-1) }))
		}},
		{"bar infinite close", func(w regime.Writer) error { return w.UpsertBars(ctx, bar(func(b *regime.Bar) { b.Close = inf(1) })) }},
		{"bar infinite cap", func(w regime.Writer) error {
			return w.UpsertBars(ctx, bar(func(b *regime.Bar) { b.MarketCapUSD = inf(-1) }))
		}},
		{"observation empty series", func(w regime.Writer) error {
			return w.UpsertObservations(ctx, obs(func(o *regime.Observation) { o.Series = "" }))
		}},
		{"observation known before date", func(w regime.Writer) error {
			return w.UpsertObservations(ctx, obs(func(o *regime.Observation) { o.KnownAt = o.Date.AddDays(-1) }))
		}},
		{"observation infinite", func(w regime.Writer) error {
			return w.UpsertObservations(ctx, obs(func(o *regime.Observation) { o.Value = inf(1) }))
		}},
		{"constituent empty source", func(w regime.Writer) error {
			return w.UpsertConstituents(ctx, con(func(c *regime.Constituent) { c.Source = "" }))
		}},
		{"constituent empty asset", func(w regime.Writer) error {
			return w.UpsertConstituents(ctx, con(func(c *regime.Constituent) { c.AssetID = "" }))
		}},
		{"constituent unknown asset", func(w regime.Writer) error {
			return w.UpsertConstituents(ctx, con(func(c *regime.Constituent) { c.AssetID = "dogecoin" }))
		}},
		{"constituent rank 0", func(w regime.Writer) error {
			return w.UpsertConstituents(ctx, con(func(c *regime.Constituent) { c.Rank = 0 }))
		}},
		{"constituent infinite", func(w regime.Writer) error {
			return w.UpsertConstituents(ctx, con(func(c *regime.Constituent) { c.PriceUSD = inf(1) }))
		}},
		{"candle empty asset", func(w regime.Writer) error {
			return w.UpsertCandles(ctx, candle(func(c *regime.Candle) { c.AssetID = "" }))
		}},
		{"candle empty source", func(w regime.Writer) error {
			return w.UpsertCandles(ctx, candle(func(c *regime.Candle) { c.Source = "" }))
		}},
		{"candle unknown asset", func(w regime.Writer) error {
			return w.UpsertCandles(ctx, candle(func(c *regime.Candle) { c.AssetID = "dogecoin" }))
		}},
		{"candle infinite", func(w regime.Writer) error {
			return w.UpsertCandles(ctx, candle(func(c *regime.Candle) { c.VolumeQuote = inf(1) }))
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantCode(t, "direct write", tt.write(s), regime.EINVALID)
			diff(t, "Stats after a rejected write", stats(t, s), before)

			// Inside Update the failed call writes nothing even when fn
			// carries on and commits.
			var inner error
			must(t, s.Update(ctx, func(w regime.Writer) error {
				inner = tt.write(w)
				return nil
			}))
			wantCode(t, "write inside Update", inner, regime.EINVALID)
			diff(t, "Stats after a rejected write inside Update", stats(t, s), before)
		})
	}
	t.Run("valid records still write", func(t *testing.T) {
		must(t, s.UpsertAssets(ctx, []regime.Asset{okAsset}))
		must(t, s.UpsertBars(ctx, bar(func(b *regime.Bar) { b.AssetID = "dogecoin" })))
		must(t, s.UpsertObservations(ctx, []regime.Observation{okObs}))
		must(t, s.UpsertConstituents(ctx, []regime.Constituent{okCon}))
		must(t, s.UpsertCandles(ctx, []regime.Candle{okCandle}))
		after := stats(t, s)
		for _, name := range []string{"assets", "bars", "observations", "constituents", "candles"} {
			if after.Tables[name] <= before.Tables[name] {
				t.Errorf("%s: %d rows after valid writes, want more than %d", name, after.Tables[name], before.Tables[name])
			}
		}
	})
}

// errBoom is the error fn returns to force a rollback.
var errBoom = errors.New("boom")

func testUpdate(t *testing.T, open func(t *testing.T) regime.Store) {
	ctx := context.Background()
	writeAll := func(w regime.Writer) error {
		for _, f := range []func() error{
			func() error { return w.UpsertAssets(ctx, fixtureAssets()) },
			func() error { return w.UpsertBars(ctx, fixtureBars()) },
			func() error { return w.UpsertObservations(ctx, fixtureObservations()) },
			func() error { return w.UpsertConstituents(ctx, fixtureConstituents()) },
			func() error { return w.UpsertCandles(ctx, fixtureCandles()) },
		} {
			if err := f(); err != nil {
				return err
			}
		}
		return nil
	}
	t.Run("commit", func(t *testing.T) {
		s := open(t)
		must(t, s.Update(ctx, writeAll))
		ref := open(t)
		load(t, ref)
		diff(t, "Stats after Update vs direct writes", stats(t, s), stats(t, ref))
	})
	t.Run("rollback on error", func(t *testing.T) {
		s := open(t)
		must(t, s.UpsertAssets(ctx, fixtureAssets()[:1]))
		before := stats(t, s)
		err := s.Update(ctx, func(w regime.Writer) error {
			if err := writeAll(w); err != nil {
				return err
			}
			return errBoom
		})
		if !errors.Is(err, errBoom) {
			t.Fatalf("Update returned %v, want fn's error", err)
		}
		diff(t, "Stats after a rolled back Update", stats(t, s), before)
	})
	t.Run("rollback on failed write", func(t *testing.T) {
		s := open(t)
		before := stats(t, s)
		err := s.Update(ctx, func(w regime.Writer) error {
			if err := w.UpsertAssets(ctx, fixtureAssets()); err != nil {
				return err
			}
			return w.UpsertBars(ctx, []regime.Bar{{AssetID: "nope", Date: day1, Source: regime.SourceCSV, Close: 1}})
		})
		wantCode(t, "Update with a bar of an unknown asset", err, regime.EINVALID)
		diff(t, "Stats after a failed Update", stats(t, s), before)
	})
	t.Run("rollback on panic", func(t *testing.T) {
		s := open(t)
		before := stats(t, s)
		func() {
			defer func() { recover() }()
			err := s.Update(ctx, func(w regime.Writer) error {
				if err := writeAll(w); err != nil {
					return err
				}
				panic("boom")
			})
			if err == nil {
				t.Errorf("Update whose fn panicked returned nil")
			}
		}()
		diff(t, "Stats after a panicking Update", stats(t, s), before)
		// The store is still usable.
		must(t, s.Update(ctx, writeAll))
		if n := stats(t, s).Tables["bars"]; n != int64(len(fixtureBars())) {
			t.Errorf("bars after Update following a panic: %d, want %d", n, len(fixtureBars()))
		}
	})
	t.Run("reads see committed writes only", func(t *testing.T) {
		s := open(t)
		must(t, s.Update(ctx, func(w regime.Writer) error {
			if err := w.UpsertAssets(ctx, fixtureAssets()); err != nil {
				return err
			}
			// Bars written earlier in the same transaction satisfy the
			// asset check.
			return w.UpsertBars(ctx, fixtureBars())
		}))
		got, err := s.SourceBars(ctx, "ethereum", regime.SourceCoinMetrics, regime.DateRange{})
		must(t, err)
		diff(t, "bars written in Update", got, filterBars(normalized(fixtureBars()), "ethereum", regime.SourceCoinMetrics))
	})
}

func testConstituents(t *testing.T, open func(t *testing.T) regime.Store) {
	ctx := context.Background()
	s := open(t)
	load(t, s)
	type snap struct {
		Source string
		Date   regime.Date
		IDs    []string
	}
	ids := func(cs []regime.Constituent) snap {
		out := snap{IDs: []string{}}
		for i, c := range cs {
			if i == 0 {
				out.Source, out.Date = c.Source, c.Date
			} else if c.Source != out.Source || c.Date != out.Date {
				out.Source = "mixed snapshots"
			}
			out.IDs = append(out.IDs, c.AssetID)
		}
		return out
	}
	tests := []struct {
		name   string
		source string
		date   string
		want   snap
	}{
		{"before the first snapshot", regime.SourceCMC, "2022-03-31", snap{IDs: []string{}}},
		{"on the snapshot day", regime.SourceCMC, "2022-04-01", snap{regime.SourceCMC, d("2022-04-01"), []string{"bitcoin", "ethereum", "terra"}}},
		{"between snapshots: never the later one", regime.SourceCMC, "2022-04-30", snap{regime.SourceCMC, d("2022-04-01"), []string{"bitcoin", "ethereum", "terra"}}},
		{"next snapshot", regime.SourceCMC, "2022-05-01", snap{regime.SourceCMC, d("2022-05-01"), []string{"bitcoin", "ethereum"}}},
		{"long after", regime.SourceCMC, "2030-01-01", snap{regime.SourceCMC, d("2022-05-01"), []string{"bitcoin", "ethereum"}}},
		{"other source", regime.SourceCoinGecko, "2022-06-01", snap{regime.SourceCoinGecko, d("2022-04-15"), []string{"bitcoin", "tether"}}},
		{"other source too early", regime.SourceCoinGecko, "2022-04-14", snap{IDs: []string{}}},
		{"any source: latest", "", "2022-04-20", snap{regime.SourceCoinGecko, d("2022-04-15"), []string{"bitcoin", "tether"}}},
		{"any source: earlier", "", "2022-04-14", snap{regime.SourceCMC, d("2022-04-01"), []string{"bitcoin", "ethereum", "terra"}}},
		{"any source: none", "", "2020-01-01", snap{IDs: []string{}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.Constituents(ctx, tt.source, d(tt.date))
			must(t, err)
			diff(t, "snapshot", ids(got), tt.want)
			for i := 1; i < len(got); i++ {
				if got[i].Rank < got[i-1].Rank {
					t.Errorf("not sorted by rank: %d after %d", got[i].Rank, got[i-1].Rank)
				}
			}
		})
	}
	t.Run("tie broken by source name", func(t *testing.T) {
		day := d("2022-05-01")
		must(t, s.UpsertConstituents(ctx, []regime.Constituent{{Date: day, Source: "zz-user", Rank: 1, AssetID: "tether",
			MarketCapUSD: nan, PriceUSD: nan, Supply: nan, VolumeUSD: nan}}))
		must(t, s.UpsertConstituents(ctx, []regime.Constituent{{Date: day, Source: "aa-user", Rank: 1, AssetID: "terra-2",
			MarketCapUSD: nan, PriceUSD: nan, Supply: nan, VolumeUSD: nan}}))
		got, err := s.Constituents(ctx, "", day)
		must(t, err)
		diff(t, "tie on the latest date", ids(got), snap{"aa-user", day, []string{"terra-2"}})
	})
	t.Run("snapshot dates", func(t *testing.T) {
		got, err := s.SnapshotDates(ctx, regime.SourceCMC)
		must(t, err)
		diff(t, "SnapshotDates cmc", got, []regime.Date{d("2022-04-01"), d("2022-05-01")})
		got, err = s.SnapshotDates(ctx, "")
		must(t, err)
		diff(t, "SnapshotDates any", got, []regime.Date{d("2022-04-01"), d("2022-04-15"), d("2022-05-01")})
	})
}

func testCandles(t *testing.T, open func(t *testing.T) regime.Store) {
	ctx := context.Background()
	s := open(t)
	load(t, s)
	all := fixtureCandles()[:4]
	t0 := all[0].Time
	tests := []struct {
		name     string
		from, to int64
		want     []regime.Candle
	}{
		{"everything", 0, 1 << 40, all},
		{"from inclusive, to exclusive", t0 + 3600, t0 + 3*3600, all[1:3]},
		{"to on a candle excludes it", t0, t0 + 3600, all[:1]},
		{"empty interval", t0, t0, []regime.Candle{}},
		{"between candles", t0 + 1, t0 + 3599, []regime.Candle{}},
		{"after", t0 + 4*3600, 1 << 40, []regime.Candle{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.Candles(ctx, "bitcoin", regime.SourceBinance, tt.from, tt.to)
			must(t, err)
			diff(t, "Candles", got, tt.want)
		})
	}
	t.Run("from after to", func(t *testing.T) {
		_, err := s.Candles(ctx, "bitcoin", regime.SourceBinance, t0+1, t0)
		wantCode(t, "Candles with from after to", err, regime.EINVALID)
	})
}

func testSeries(t *testing.T, open func(t *testing.T) regime.Store) {
	ctx := context.Background()
	s := open(t)
	load(t, s)
	got, err := s.Series(ctx)
	must(t, err)
	want := []regime.SeriesInfo{
		{Series: "feargreed:value", Source: regime.SourceFearGreed, Count: 3, From: d("2021-01-01"), To: d("2021-01-03")},
		{Series: "fred:CPIAUCSL", Source: regime.SourceFRED, Count: 2, From: d("2020-12-01"), To: d("2021-01-01")},
	}
	diff(t, "Series", got, want)
	must(t, s.UpsertObservations(ctx, []regime.Observation{
		{Series: "alpha:first", Date: d("2019-01-01"), Value: 1, Source: "old"},
		{Series: "alpha:first", Date: d("2019-01-02"), Value: 2, Source: "new"},
	}))
	got, err = s.Series(ctx)
	must(t, err)
	want = append([]regime.SeriesInfo{{Series: "alpha:first", Source: "new", Count: 2, From: d("2019-01-01"), To: d("2019-01-02")}}, want...)
	diff(t, "Series after adding one (source of the latest value)", got, want)
}

func testHash(t *testing.T, open func(t *testing.T) regime.Store) {
	ctx := context.Background()
	s := open(t)
	t.Run("empty store: documented encoding", func(t *testing.T) {
		if got, want := stats(t, s).Hash, contentHash(nil, nil, nil, nil, nil); got != want {
			t.Errorf("empty store hash = %s, want %s", got, want)
		}
	})
	load(t, s)
	base := stats(t, s)
	t.Run("documented encoding", func(t *testing.T) {
		want := contentHash(fixtureAssets(), normalized(fixtureBars()), fixtureObservations(), fixtureConstituents(), fixtureCandles())
		if base.Hash != want {
			t.Errorf("Stats hash = %s, want %s (the documented encoding of the fixtures)", base.Hash, want)
		}
	})
	bar0, obs0, con0, can0, asset0 := fixtureBars()[0], fixtureObservations()[0], fixtureConstituents()[0], fixtureCandles()[0], fixtureAssets()[0]
	tests := []struct {
		name   string
		change func(w regime.Writer) error
	}{
		{"bar close", func(w regime.Writer) error { b := bar0; b.Close += 1e-9; return w.UpsertBars(ctx, []regime.Bar{b}) }},
		{"bar NaN to zero", func(w regime.Writer) error { b := bar0; b.VolumeUSD = 0; return w.UpsertBars(ctx, []regime.Bar{b}) }},
		{"bar value to NaN", func(w regime.Writer) error { b := bar0; b.Close = nan; return w.UpsertBars(ctx, []regime.Bar{b}) }},
		{"bar estimated flag", func(w regime.Writer) error {
			b := bar0
			b.CapEstimated = true
			return w.UpsertBars(ctx, []regime.Bar{b})
		}},
		{"bar known at", func(w regime.Writer) error {
			b := bar0
			b.KnownAt = b.KnownAt.AddDays(1)
			return w.UpsertBars(ctx, []regime.Bar{b})
		}},
		{"observation value", func(w regime.Writer) error {
			o := obs0
			o.Value = 41
			return w.UpsertObservations(ctx, []regime.Observation{o})
		}},
		{"observation source", func(w regime.Writer) error {
			o := obs0
			o.Source = "x"
			return w.UpsertObservations(ctx, []regime.Observation{o})
		}},
		{"constituent rank", func(w regime.Writer) error {
			c := con0
			c.Rank = 9
			return w.UpsertConstituents(ctx, []regime.Constituent{c})
		}},
		{"constituent NaN", func(w regime.Writer) error {
			c := con0
			c.Supply = nan
			return w.UpsertConstituents(ctx, []regime.Constituent{c})
		}},
		{"candle trades", func(w regime.Writer) error {
			c := can0
			c.Trades = nan
			return w.UpsertCandles(ctx, []regime.Candle{c})
		}},
		{"asset name", func(w regime.Writer) error {
			a := asset0
			a.Name = "Bitcoin!"
			return w.UpsertAssets(ctx, []regime.Asset{a})
		}},
		{"asset kind", func(w regime.Writer) error {
			a := asset0
			a.Kind = regime.KindPegged
			return w.UpsertAssets(ctx, []regime.Asset{a})
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			must(t, tt.change(s))
			changed := stats(t, s)
			if changed.Hash == base.Hash {
				t.Errorf("hash unchanged after changing %s", tt.name)
			}
			diff(t, "row counts after changing a value", changed.Tables, base.Tables)
			load(t, s) // restore
			diff(t, "Stats after restoring the value", stats(t, s), base)
		})
	}
	t.Run("alias dates", func(t *testing.T) {
		o := open(t)
		load(t, o)
		a := asset0
		a.Aliases = []regime.Alias{a.Aliases[0]}
		a.Aliases[0].To = a.Aliases[0].To.AddDays(1)
		must(t, o.UpsertAssets(ctx, []regime.Asset{a}))
		if stats(t, o).Hash == base.Hash {
			t.Errorf("hash unchanged after widening an alias")
		}
	})
	t.Run("string boundaries", func(t *testing.T) {
		// "ab"+"c" and "a"+"bc" in adjacent columns must hash differently.
		x, y := open(t), open(t)
		must(t, x.UpsertAssets(ctx, []regime.Asset{{ID: "ab", Symbol: "c", Name: "n", Kind: regime.KindCoin}}))
		must(t, y.UpsertAssets(ctx, []regime.Asset{{ID: "a", Symbol: "bc", Name: "n", Kind: regime.KindCoin}}))
		if stats(t, x).Hash == stats(t, y).Hash {
			t.Errorf("equal hashes for different assets")
		}
	})
	t.Run("extra row", func(t *testing.T) {
		o := open(t)
		load(t, o)
		must(t, o.UpsertAssets(ctx, []regime.Asset{{ID: "zz", Symbol: "ZZ", Name: "Zz", Kind: regime.KindCoin}}))
		if stats(t, o).Hash == base.Hash {
			t.Errorf("hash unchanged after adding an asset")
		}
	})
}
