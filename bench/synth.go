package bench

import (
	"fmt"
	"testing"

	"github.com/regime-engine/regime/bench/fixture"
	"github.com/regime-engine/regime/synth"
)

func (r *runner) synth() error {
	cfg := synth.Config{Seed: 1, Tokens: r.o.SynthTokens, Days: r.o.SynthDays}
	if err := cfg.Validate(); err != nil {
		return err
	}
	var bars int64
	var genErr error
	res := measure(r.o.BenchTime, func(b *testing.B) {
		for b.Loop() {
			d := &fixture.Discard{}
			if err := synth.Generate(cfg, d); err != nil && genErr == nil {
				genErr = err
			}
			bars = d.Bars
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
