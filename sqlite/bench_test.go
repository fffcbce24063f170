package sqlite_test

import (
	"context"
	"testing"
	"time"

	"github.com/regime-engine/regime"
)

// BenchmarkUpsertBars measures importing bars in calls of 10,000 (the
// size importers use per file chunk) into a store that already holds
// earlier batches; it reports ns per row.
func BenchmarkUpsertBars(b *testing.B) {
	ctx := context.Background()
	s := openTemp(b)
	const assets, perAsset = 100, 5000
	if err := s.UpsertAssets(ctx, testAssets(assets)); err != nil {
		b.Fatal(err)
	}
	var all []regime.Bar
	for _, a := range testAssets(assets) {
		all = append(all, testBars(a.ID, regime.SourceCoinGecko, perAsset)...)
	}
	const batch = 10000
	b.ResetTimer()
	cpu0 := cpuTime()
	rows := 0
	for i := 0; i < b.N; i++ {
		k := (i * batch) % len(all)
		if err := s.UpsertBars(ctx, all[k:k+batch]); err != nil {
			b.Fatal(err)
		}
		rows += batch
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(rows), "ns/row")
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(rows), "cpu-ns/row")
}

// BenchmarkImport500k measures one 500,000-bar import in a single call,
// the size of the bundled dataset's price files.
func BenchmarkImport500k(b *testing.B) {
	ctx := context.Background()
	const assets, perAsset = 125, 4000
	var all []regime.Bar
	for _, a := range testAssets(assets) {
		all = append(all, testBars(a.ID, regime.SourceCoinGecko, perAsset)...)
	}
	var cpu time.Duration
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		s := openTemp(b)
		if err := s.UpsertAssets(ctx, testAssets(assets)); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		cpu0 := cpuTime()
		if err := s.UpsertBars(ctx, all); err != nil {
			b.Fatal(err)
		}
		cpu += cpuTime() - cpu0
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(all)), "ns/row")
	b.ReportMetric(float64(cpu)/float64(b.N*len(all)), "cpu-ns/row")
}

// BenchmarkBars measures reading 4,000 reconciled days of one asset that
// has two overlapping sources.
func BenchmarkBars(b *testing.B) {
	ctx := context.Background()
	s := openTemp(b)
	if err := s.UpsertAssets(ctx, testAssets(10)); err != nil {
		b.Fatal(err)
	}
	for _, a := range testAssets(10) {
		for _, src := range []string{regime.SourceCoinGecko, regime.SourceCoinMetrics} {
			if err := s.UpsertBars(ctx, testBars(a.ID, src, 4000)); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ResetTimer()
	cpu0 := cpuTime()
	for i := 0; i < b.N; i++ {
		bars, err := s.Bars(ctx, "a0005", regime.DateRange{})
		if err != nil || len(bars) != 4000 {
			b.Fatalf("Bars: %d bars, %v", len(bars), err)
		}
	}
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/op")
}

// BenchmarkStats measures hashing a store of 100,000 bars.
func BenchmarkStats(b *testing.B) {
	ctx := context.Background()
	s := openTemp(b)
	if err := s.UpsertAssets(ctx, testAssets(25)); err != nil {
		b.Fatal(err)
	}
	for _, a := range testAssets(25) {
		if err := s.UpsertBars(ctx, testBars(a.ID, regime.SourceCoinGecko, 4000)); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	cpu0 := cpuTime()
	for i := 0; i < b.N; i++ {
		if _, err := s.Stats(ctx); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*100000), "ns/row")
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N*100000), "cpu-ns/row")
}

// BenchmarkSourceBars measures reading 4,000 raw bars of one source.
func BenchmarkSourceBars(b *testing.B) {
	ctx := context.Background()
	s := openTemp(b)
	if err := s.UpsertAssets(ctx, testAssets(10)); err != nil {
		b.Fatal(err)
	}
	for _, a := range testAssets(10) {
		if err := s.UpsertBars(ctx, testBars(a.ID, regime.SourceCoinGecko, 4000)); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	cpu0 := cpuTime()
	for i := 0; i < b.N; i++ {
		bars, err := s.SourceBars(ctx, "a0005", regime.SourceCoinGecko, regime.DateRange{})
		if err != nil || len(bars) != 4000 {
			b.Fatalf("SourceBars: %d bars, %v", len(bars), err)
		}
	}
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/op")
}
