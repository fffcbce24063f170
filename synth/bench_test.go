package synth_test

import (
	"testing"

	"github.com/regime-engine/regime/bench/fixture"
	"github.com/regime-engine/regime/synth"
)

// BenchmarkGenerate measures the default market (300 tokens, 10 years)
// generated into a discarding sink and into the CSV sink.
func BenchmarkGenerate(b *testing.B) {
	b.Run("discard", func(b *testing.B) {
		var bars int64
		for b.Loop() {
			d := &fixture.Discard{}
			if err := synth.Generate(synth.Config{Seed: 1}, d); err != nil {
				b.Fatal(err)
			}
			bars = d.Bars
		}
		b.ReportMetric(float64(bars)*float64(b.N)/b.Elapsed().Seconds(), "bars/s")
	})
	b.Run("csv", func(b *testing.B) {
		dir := b.TempDir()
		for b.Loop() {
			sink, err := synth.NewCSVSink(dir)
			if err != nil {
				b.Fatal(err)
			}
			if err := synth.Generate(synth.Config{Seed: 1}, sink); err != nil {
				b.Fatal(err)
			}
		}
	})
}
