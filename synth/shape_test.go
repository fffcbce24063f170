package synth_test

import (
	"context"
	"math"
	"path/filepath"
	"sort"
	"testing"

	"github.com/regime-engine/regime"
	"github.com/regime-engine/regime/ingest/csv"
	"github.com/regime-engine/regime/sqlite"
	"github.com/regime-engine/regime/synth"
)

// Small and unusual configurations still produce a directory the
// importer accepts.
func TestEdgeConfigsImport(t *testing.T) {
	tests := []struct {
		name string
		cfg  synth.Config
		bars int64 // expected bars, -1 for "some"
	}{
		{"one token one day", synth.Config{Tokens: 1, Days: 1, Stablecoins: -1, OnchainTokens: -1}, 1},
		{"one token", synth.Config{Seed: 9, Tokens: 1, Days: 40, Stablecoins: 1, TopN: 1}, 80},
		{"late start", synth.Config{Seed: 2, Tokens: 12, Days: 60, Start: regime.MustDate("2099-12-15"), OnchainTokens: 12, BullDays: 2, NeutralDays: 2, BearDays: 2}, -1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			dir := writeCSV(t, tc.cfg)
			st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "s.db"))
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			rep, err := csv.Import(ctx, st, dir, csv.Options{Source: regime.SourceSynth})
			if err != nil {
				t.Fatal(err)
			}
			if got := rep.Rows(csv.BarsFile); tc.bars >= 0 && got != tc.bars || got == 0 {
				t.Errorf("%d bars imported, want %d", got, tc.bars)
			}
			if got, want := rep.Rows(csv.TruthFile), int64(tc.cfg.WithDefaults().Days); got != want {
				t.Errorf("%d truth rows, want %d", got, want)
			}
		})
	}
}

// Volume rises with the size of the move and with the regime; supply
// never shrinks; market caps follow a power law.
func TestVolumeSupplyAndSizes(t *testing.T) {
	c := newCapture(true)
	if err := synth.Generate(synth.Config{Seed: 21, Tokens: 300}, c); err != nil {
		t.Fatal(err)
	}
	regimeOn := map[regime.Date]synth.Regime{}
	for i, d := range c.dates {
		regimeOn[d] = c.regimes[i]
	}
	stable := map[string]bool{}
	for _, a := range c.assets {
		stable[a.ID] = a.Kind == regime.KindStablecoin
	}
	var absRet, logTurn []float64
	turnBy := map[synth.Regime][]float64{}
	lastSupply := map[string]float64{}
	for _, b := range c.bars {
		if stable[b.AssetID] {
			continue
		}
		if s, ok := lastSupply[b.AssetID]; ok && b.Supply < s {
			t.Fatalf("%s supply fell from %v to %v on %s", b.AssetID, s, b.Supply, b.Date)
		}
		lastSupply[b.AssetID] = b.Supply
		if b.AssetID == "synthcoin" {
			absRet = append(absRet, math.Abs(math.Log(b.Close/b.Open)))
			lt := math.Log(b.VolumeUSD / b.MarketCapUSD)
			logTurn = append(logTurn, lt)
			turnBy[regimeOn[b.Date]] = append(turnBy[regimeOn[b.Date]], lt)
		}
	}
	// Turnover = base x regime factor x exp(0.35 |r|/sigma) x lognormal
	// noise (sd 0.4): the |return| term explains a clear share.
	if r := corr(absRet, logTurn); r < 0.2 {
		t.Errorf("corr(|return|, log turnover) = %.3f, want > 0.2", r)
	}
	bull, _, _ := meanSD(turnBy[synth.Bull])
	bear, _, _ := meanSD(turnBy[synth.Bear])
	if bull <= bear {
		t.Errorf("mean log turnover bull %.3f <= bear %.3f", bull, bear)
	}

	// Log-log slope of market cap against rank in the last snapshot: a
	// Pareto tail with index a has slope -1/a (listing index 1.1, then
	// steepened by ten years of idiosyncratic returns); a straight line
	// (|r| > 0.95) with a slope in [-3, -0.7] is the power-law shape.
	last := c.cons[len(c.cons)-1].Date
	var caps []float64
	for _, k := range c.cons {
		if k.Date == last {
			caps = append(caps, k.MarketCapUSD)
		}
	}
	sort.Sort(sort.Reverse(sort.Float64Slice(caps)))
	var xs, ys []float64
	// Ranks 5-100 (an index universe): below that sit dying tokens and
	// the long tail of decayed ones.
	for i := 4; i < min(100, len(caps)); i++ {
		xs = append(xs, math.Log(float64(i+1)))
		ys = append(ys, math.Log(caps[i]))
	}
	mx, sx, _ := meanSD(xs)
	my, sy, _ := meanSD(ys)
	var cov float64
	for i := range xs {
		cov += (xs[i] - mx) * (ys[i] - my)
	}
	cov /= float64(len(xs) - 1)
	slope, r := cov/(sx*sx), cov/(sx*sy)
	t.Logf("snapshot %s: %d assets, log-log slope %.2f (r=%.3f), top/median cap %.0f", last, len(caps), slope, r, caps[0]/caps[len(caps)/2])
	if slope > -0.7 || slope < -3 || r > -0.95 {
		t.Errorf("cap vs rank log-log slope %.2f (r=%.3f), want a power law with slope in [-3, -0.7]", slope, r)
	}
}
