package synth_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/regime-engine/regime"
	"github.com/regime-engine/regime/ingest/csv"
	"github.com/regime-engine/regime/sqlite"
	"github.com/regime-engine/regime/synth"
)

func TestValidate(t *testing.T) {
	tests := []struct {
		name string
		cfg  synth.Config
		want string // substring of the error, "" for valid
	}{
		{"zero is defaults", synth.Config{}, ""},
		{"explicit", synth.Config{Seed: -5, Tokens: 100000, Days: 100000, Stablecoins: -1, OnchainTokens: -1, TopN: 1, BearDays: 2}, ""},
		{"tokens negative", synth.Config{Tokens: -1}, "Tokens must be 1..100000"},
		{"tokens too many", synth.Config{Tokens: 100001}, "Tokens must be 1..100000"},
		{"days", synth.Config{Days: 100001}, "Days must be 1..100000"},
		{"start", synth.Config{Start: -1}, "Start must be"},
		{"too late", synth.Config{Start: regime.MustDate("9999-01-01")}, "Start + Days must end by 9999-12-31"},
		{"just in time", synth.Config{Start: regime.MustDate("9999-12-31"), Days: 1}, ""},
		{"stablecoins", synth.Config{Stablecoins: 21}, "Stablecoins must be"},
		{"stablecoins -2", synth.Config{Stablecoins: -2}, "Stablecoins must be"},
		{"topn", synth.Config{TopN: -3}, "TopN must be"},
		{"onchain", synth.Config{OnchainTokens: 101}, "OnchainTokens must be"},
		{"bull days", synth.Config{BullDays: 1}, "BullDays must be 2..100000"},
		{"bear days NaN", synth.Config{BearDays: math.NaN()}, "BearDays must be"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.cfg.Validate()
			if tc.want == "" {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) || regime.ErrorCode(err) != regime.EINVALID {
				t.Fatalf("Validate() = %v, want EINVALID containing %q", err, tc.want)
			}
			if gerr := synth.Generate(tc.cfg, newCapture(false)); gerr == nil || gerr.Error() != err.Error() {
				t.Errorf("Generate() = %v, want the Validate error", gerr)
			}
		})
	}
	d := synth.Config{}.WithDefaults()
	if d.Tokens != 300 || d.Days != 3650 || d.Start != regime.MustDate("2015-01-01") || d.Stablecoins != 3 || d.TopN != 200 ||
		d.BullDays != 300 || d.NeutralDays != 120 || d.BearDays != 250 {
		t.Errorf("defaults = %+v", d)
	}
	if n := (synth.Config{Stablecoins: -1}).WithDefaults().Stablecoins; n != 0 {
		t.Errorf("Stablecoins -1 resolves to %d, want 0", n)
	}
}

// hashDir hashes the files of dir in name order.
func hashDir(t *testing.T, dir string) map[string]string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, e := range ents {
		f, err := os.Open(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		h := sha256.New()
		if _, err := io.Copy(h, f); err != nil {
			t.Fatal(err)
		}
		f.Close()
		out[e.Name()] = hex.EncodeToString(h.Sum(nil))
	}
	return out
}

func writeCSV(t *testing.T, cfg synth.Config) string {
	t.Helper()
	dir := t.TempDir()
	sink, err := synth.NewCSVSink(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := synth.Generate(cfg, sink); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestReproducible(t *testing.T) {
	cfg := synth.Config{Seed: 7, Tokens: 60, Days: 900}
	a := hashDir(t, writeCSV(t, cfg))
	b := hashDir(t, writeCSV(t, cfg))
	if len(a) != 5 {
		t.Fatalf("wrote %d files, want 5: %v", len(a), a)
	}
	for name, h := range a {
		if b[name] != h {
			t.Errorf("%s differs between two runs with the same seed", name)
		}
	}
	cfg.Seed = 8
	c := hashDir(t, writeCSV(t, cfg))
	for _, name := range []string{csv.AssetsFile, csv.BarsFile, csv.ObservationsFile, csv.TruthFile} {
		if c[name] == a[name] {
			t.Errorf("%s is identical for seeds 7 and 8", name)
		}
	}
}

// The CSV output passes the importer's validation and, imported with the
// synth source label, equals what the store sink writes.
func TestCSVAndStoreSinksAgree(t *testing.T) {
	if testing.Short() {
		t.Skip("imports into two SQLite stores")
	}
	ctx := context.Background()
	cfg := synth.Config{Seed: 3, Tokens: 25, Days: 400, TopN: 20}
	dir := writeCSV(t, cfg)
	open := func(name string) *sqlite.Store {
		st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), name))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	}
	viaCSV, viaSink := open("csv.db"), open("sink.db")
	rep, err := csv.Import(ctx, viaCSV, dir, csv.Options{Source: regime.SourceSynth})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Rows(csv.TruthFile) != 400 {
		t.Errorf("truth rows = %d, want 400", rep.Rows(csv.TruthFile))
	}
	sink := synth.NewStoreSink(ctx, viaSink)
	sink.Batch = 1000
	if err := synth.Generate(cfg, sink); err != nil {
		t.Fatal(err)
	}
	a, err := viaCSV.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	b, err := viaSink.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if a.Hash != b.Hash {
		t.Errorf("stores differ: via CSV %v, via sink %v", a.Tables, b.Tables)
	}
	if a.Tables["bars"] == 0 {
		t.Errorf("no bars stored: %v", a.Tables)
	}
}

// Every bar is consistent, snapshots are monthly, ranked by market cap,
// and observation series carry their documented names and lags.
func TestRecords(t *testing.T) {
	cfg := synth.Config{Seed: 11, Tokens: 80, Days: 1000, TopN: 50}
	c := newCapture(true)
	var progress []regime.Progress
	cfg.Progress = func(p regime.Progress) { progress = append(progress, p) }
	if err := synth.Generate(cfg, c); err != nil {
		t.Fatal(err)
	}
	if len(c.dates) != 1000 || c.dates[0] != regime.MustDate("2015-01-01") {
		t.Fatalf("got %d days from %v", len(c.dates), c.dates[0])
	}
	if p := progress[len(progress)-1]; !p.Final || p.Done != 1000 || p.Total != 1000 || p.Unit != "days" {
		t.Errorf("last progress = %+v", p)
	}
	if len(c.assets) != 83 {
		t.Errorf("%d assets, want 80 tokens + 3 stablecoins", len(c.assets))
	}
	ids := map[string]bool{}
	for _, a := range c.assets {
		if ids[a.ID] || !a.Kind.Valid() || a.Symbol == "" || a.Name == "" {
			t.Errorf("bad or duplicate asset %+v", a)
		}
		ids[a.ID] = true
	}
	for _, b := range c.bars {
		if !(b.Low > 0 && b.Low <= b.Open && b.Low <= b.Close && b.High >= b.Open && b.High >= b.Close) {
			t.Fatalf("inconsistent OHLC %+v", b)
		}
		if !(b.VolumeUSD > 0 && b.MarketCapUSD > 0 && b.Supply > 0) || b.Source != regime.SourceSynth || b.KnownAt != b.Date {
			t.Fatalf("bad bar %+v", b)
		}
	}
	snaps := map[regime.Date][]regime.Constituent{}
	for _, k := range c.cons {
		snaps[k.Date] = append(snaps[k.Date], k)
	}
	if len(snaps) != 33 { // 2015-01-01 .. 2017-09-01
		t.Errorf("%d snapshots, want 33", len(snaps))
	}
	trading := map[regime.Date]int{}
	for _, b := range c.bars {
		trading[b.Date]++
	}
	for d, s := range snaps {
		if d.Time().Day() != 1 || len(s) != min(50, trading[d]) {
			t.Errorf("snapshot %s has %d rows, want min(50, %d trading)", d, len(s), trading[d])
		}
		for i := range s {
			if s[i].Rank != i+1 || i > 0 && s[i].MarketCapUSD > s[i-1].MarketCapUSD {
				t.Errorf("snapshot %s rank %d out of order", d, s[i].Rank)
			}
		}
	}
	want := []string{"feargreed:value", "fred:DGS10", "fred:DTWEXBGS", "fred:SP500", "fred:VIXCLS",
		"onchain:synthcoin:AdrActCnt", "onchain:synthcoin:TxCnt", "flows:synthcoin:netflow"}
	for _, s := range want {
		obs := c.series[s]
		if len(obs) < 700 {
			t.Errorf("series %s has %d values", s, len(obs))
			continue
		}
		for _, o := range obs {
			if strings.HasPrefix(s, "fred:") && (o.Date.Time().Weekday() == 0 || o.Date.Time().Weekday() == 6) {
				t.Fatalf("%s has a weekend value on %s", s, o.Date)
			}
			if s != "feargreed:value" && o.KnownAt != o.Date+1 || s == "feargreed:value" && (o.KnownAt != o.Date || o.Value < 0 || o.Value > 100) {
				t.Fatalf("%s: bad observation %+v", s, o)
			}
		}
	}
	if n := len(c.series) - len(want); n != 4*3 { // 4 more on-chain tokens x 3 series
		t.Errorf("%d extra series, want 12", n)
	}
}

// A larger market contains the smaller one: the first tokens trade the
// same whatever the number of tokens.
func TestMarketsNest(t *testing.T) {
	small, large := newCapture(true), newCapture(true)
	if err := synth.Generate(synth.Config{Seed: 4, Tokens: 15, Days: 500}, small); err != nil {
		t.Fatal(err)
	}
	if err := synth.Generate(synth.Config{Seed: 4, Tokens: 60, Days: 500}, large); err != nil {
		t.Fatal(err)
	}
	inSmall := map[string]bool{}
	for _, a := range small.assets[:15] {
		inSmall[a.ID] = true
	}
	var want, got []regime.Bar
	for _, b := range small.bars {
		if inSmall[b.AssetID] {
			want = append(want, b)
		}
	}
	for _, b := range large.bars {
		if inSmall[b.AssetID] {
			got = append(got, b)
		}
	}
	if len(want) == 0 || len(got) != len(want) {
		t.Fatalf("%d bars of the first 15 tokens in the large market, %d in the small one", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("bar %d differs: %+v vs %+v", i, got[i], want[i])
		}
	}
}
