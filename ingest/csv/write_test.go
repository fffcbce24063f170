package csv_test

import (
	"bytes"
	"context"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/regime-engine/regime"
	"github.com/regime-engine/regime/ingest/csv"
)

func TestWriterRoundTrip(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "out")
	w, err := csv.NewWriter(dir)
	if err != nil {
		t.Fatal(err)
	}
	d := regime.MustDate("2021-03-04")
	nan := math.NaN()
	assets := []regime.Asset{
		{ID: "alpha", Symbol: "ALP", Name: `Alpha "the first", coin`, Kind: regime.KindCoin},
		{ID: "usd", Symbol: "USDX", Name: "US Dollar, synthetic", Kind: regime.KindStablecoin},
	}
	bars := []regime.Bar{
		{AssetID: "alpha", Date: d, Open: 0.1, High: 0.30000000000000004, Low: 1e-9, Close: 0.2, VolumeUSD: 1e20, MarketCapUSD: 123456789.5, Supply: 0},
		{AssetID: "alpha", Date: d + 1, Open: nan, High: nan, Low: nan, Close: 12345.678, VolumeUSD: nan, MarketCapUSD: nan, Supply: nan},
		{AssetID: "usd", Date: d, Open: 1, High: 1.001, Low: 0.999, Close: 1.0001, VolumeUSD: 5e9, MarketCapUSD: 8e10, Supply: 8e10},
	}
	obs := []regime.Observation{
		{Series: "fred:DGS10", Date: d, Value: -0.25, KnownAt: d + 1},
		{Series: "feargreed:value", Date: d, Value: 50, KnownAt: d},
	}
	cons := []regime.Constituent{{Date: d, Rank: 1, AssetID: "alpha", MarketCapUSD: 123456789.5, PriceUSD: 0.2, VolumeUSD: nan, Supply: nan}}
	if err := w.WriteAssets(assets); err != nil {
		t.Fatal(err)
	}
	for i := range bars {
		if err := w.WriteBar(&bars[i]); err != nil {
			t.Fatal(err)
		}
	}
	for i := range obs {
		if err := w.WriteObservation(&obs[i]); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.WriteConstituent(&cons[0]); err != nil {
		t.Fatal(err)
	}
	for i, l := range []string{"bull", "bear"} {
		if err := w.WriteTruth(d.AddDays(i), l); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Errorf("second Close = %v", err)
	}
	if err := w.WriteTruth(d, "bull"); err == nil {
		t.Error("write after Close succeeded")
	}

	st := openStore(t)
	if _, err := csv.Import(ctx, st, dir, csv.Options{}); err != nil {
		t.Fatal(err)
	}
	got, err := st.Asset(ctx, "alpha")
	if err != nil || got.Name != assets[0].Name {
		t.Errorf("Asset(alpha) = %+v, %v", got, err)
	}
	if got, err := st.Asset(ctx, "usd"); err != nil || got.Name != "US Dollar, synthetic" {
		t.Errorf("Asset(usd) = %+v, %v", got, err)
	}
	for _, want := range bars {
		rows, err := st.SourceBars(ctx, want.AssetID, regime.SourceCSV, regime.DateRange{From: want.Date, To: want.Date})
		if err != nil || len(rows) != 1 {
			t.Fatalf("SourceBars(%s, %s) = %v, %v", want.AssetID, want.Date, rows, err)
		}
		g := rows[0]
		for _, f := range []struct {
			name      string
			got, want float64
		}{{"open", g.Open, want.Open}, {"high", g.High, want.High}, {"low", g.Low, want.Low}, {"close", g.Close, want.Close},
			{"volume", g.VolumeUSD, want.VolumeUSD}, {"cap", g.MarketCapUSD, want.MarketCapUSD}, {"supply", g.Supply, want.Supply}} {
			if !(f.got == f.want || math.IsNaN(f.got) && math.IsNaN(f.want)) {
				t.Errorf("%s %s %s = %v, want %v", want.AssetID, want.Date, f.name, f.got, f.want)
			}
		}
	}
	o, err := st.Observations(ctx, "fred:DGS10", regime.DateRange{})
	if err != nil || len(o) != 1 || o[0].Value != -0.25 || o[0].KnownAt != d+1 {
		t.Errorf("fred:DGS10 = %+v, %v", o, err)
	}
	b, err := os.ReadFile(filepath.Join(dir, csv.BarsFile))
	if err != nil {
		t.Fatal(err)
	}
	wantBars := "asset_id,date,open,high,low,close,volume_usd,market_cap_usd,supply\n" +
		"alpha,2021-03-04,0.1,0.30000000000000004,0.000000001,0.2,100000000000000000000,123456789.5,0\n" +
		"alpha,2021-03-05,,,,12345.678,,,\n" +
		"usd,2021-03-04,1,1.001,0.999,1.0001,5000000000,80000000000,80000000000\n"
	if string(b) != wantBars {
		t.Errorf("bars.csv =\n%s\nwant\n%s", b, wantBars)
	}
}

// Dates from the whole supported range survive writing and reading.
func TestDatesRoundTrip(t *testing.T) {
	var buf bytes.Buffer
	buf.WriteString("date,regime\n")
	var want []regime.Date
	for _, s := range []string{"1970-01-01", "1999-12-31", "2000-02-29", "2024-02-29", "2100-03-01", "9999-12-31"} {
		want = append(want, regime.MustDate(s))
		buf.WriteString(s + ",bull\n")
	}
	var got []regime.Date
	err := csv.ReadTruth(&buf, "truth.csv", csv.ReadOptions{}, func(o regime.Observation) error {
		got = append(got, o.Date)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("date %d = %s, want %s", i, got[i], want[i])
		}
	}
}

// A Writer that received no asset still writes a header-only assets.csv,
// so its output is always a schema directory.
func TestWriterEmpty(t *testing.T) {
	dir := t.TempDir()
	w, err := csv.NewWriter(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, csv.AssetsFile))
	if err != nil || string(b) != "id,symbol,name,kind\n" {
		t.Errorf("assets.csv = %q, %v", b, err)
	}
	if _, err := os.Stat(filepath.Join(dir, csv.BarsFile)); err == nil {
		t.Error("bars.csv written without bars")
	}
	if err := w.WriteTruth(1, "sideways"); err == nil || regime.ErrorCode(err) != regime.EINVALID {
		t.Errorf("WriteTruth(sideways) = %v, want EINVALID", err)
	}
}

// CRLF line ends, blank lines and quoted cells are accepted.
func TestReadCRLF(t *testing.T) {
	in := "asset_id,date,close\r\n\r\n\"a,b\",2024-01-01,1.5\r\nx,2024-01-01,\"2\"\r\n"
	var got []regime.Bar
	err := csv.ReadBars(bytes.NewReader([]byte(in)), "bars.csv", csv.ReadOptions{Source: "s"}, func(b *regime.Bar) error {
		got = append(got, *b)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].AssetID != "a,b" || got[0].Close != 1.5 || got[1].Close != 2 || got[1].Source != "s" {
		t.Errorf("got %+v", got)
	}
}
