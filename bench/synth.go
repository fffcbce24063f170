package bench

import (
	"fmt"
	"testing"

	"github.com/regime-engine/regime"
	"github.com/regime-engine/regime/synth"
)

// discard is a synth.Sink that counts bars and keeps nothing.
type discard struct{ bars int64 }

func (d *discard) Begin([]regime.Asset) error { return nil }
func (d *discard) Day(day *synth.Day) error   { d.bars += int64(len(day.Bars)); return nil }
func (d *discard) End() error                 { return nil }

func (r *runner) synth() error {
	cfg := synth.Config{Seed: 1, Tokens: r.o.SynthTokens, Days: r.o.SynthDays}
	if err := cfg.Validate(); err != nil {
		return err
	}
	var bars int64
	var genErr error
	res := measure(r.o.BenchTime, func(b *testing.B) {
		for b.Loop() {
			d := &discard{}
			if err := synth.Generate(cfg, d); err != nil && genErr == nil {
				genErr = err
			}
			bars = d.bars
		}
	})
	if genErr != nil {
		return genErr
	}
	secs := nsPerOp(res) / 1e9
	row := newRow("synth", fmt.Sprintf("generate %d tokens x %d days", cfg.Tokens, cfg.Days), float64(cfg.Tokens)*float64(cfg.Days)/secs, "token-days/s")
	row.Note = fmt.Sprintf("to a discarding sink; %.0f bars/s (listed tokens only), %.2f s wall and %.2f s CPU per market", float64(bars)/secs, secs, res.cpu/1e9)
	r.add(row)
	return nil
}
