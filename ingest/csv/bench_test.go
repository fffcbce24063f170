package csv_test

import (
	"bytes"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/regime-engine/regime"
	"github.com/regime-engine/regime/ingest/csv"
)

func benchBars(n int) []regime.Bar {
	bars := make([]regime.Bar, n)
	d := regime.MustDate("2015-01-01")
	for i := range bars {
		p := 100 + float64(i%997)*0.123456
		bars[i] = regime.Bar{AssetID: "token-" + strconv.Itoa(i%500), Date: d.AddDays(i / 500), Open: p, High: p * 1.01,
			Low: p * 0.99, Close: p * 1.001, VolumeUSD: 1234567.89, MarketCapUSD: 987654321, Supply: 1e7}
	}
	return bars
}

// BenchmarkWriteBars measures the Writer's bars.csv path.
func BenchmarkWriteBars(b *testing.B) {
	bars := benchBars(100000)
	dir := filepath.Join(b.TempDir(), "out")
	b.ResetTimer()
	for b.Loop() {
		w, err := csv.NewWriter(dir)
		if err != nil {
			b.Fatal(err)
		}
		for i := range bars {
			if err := w.WriteBar(&bars[i]); err != nil {
				b.Fatal(err)
			}
		}
		if err := w.Close(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(bars))*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkReadBars measures decoding and validating bars.csv rows.
func BenchmarkReadBars(b *testing.B) {
	var buf bytes.Buffer
	buf.WriteString("asset_id,date,open,high,low,close,volume_usd,market_cap_usd,supply\n")
	for _, r := range benchBars(100000) {
		buf.WriteString(r.AssetID + "," + r.Date.String())
		for _, v := range []float64{r.Open, r.High, r.Low, r.Close, r.VolumeUSD, r.MarketCapUSD, r.Supply} {
			buf.WriteString("," + strconv.FormatFloat(v, 'f', -1, 64))
		}
		buf.WriteString("\n")
	}
	data := buf.Bytes()
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for b.Loop() {
		n := 0
		err := csv.ReadBars(bytes.NewReader(data), "bars.csv", csv.ReadOptions{}, func(*regime.Bar) error { n++; return nil })
		if err != nil || n != 100000 {
			b.Fatal(n, err)
		}
	}
	b.ReportMetric(100000*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}
