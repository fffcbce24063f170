package engine_test

import (
	"bytes"
	"context"
	"errors"
	"math"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/regime-engine/regime"
	"github.com/regime-engine/regime/backtest"
	"github.com/regime-engine/regime/engine"
	"github.com/regime-engine/regime/index"
	"github.com/regime-engine/regime/sqlite"
	"github.com/regime-engine/regime/synth"
)

// btSynth returns a store holding a small seeded synthetic market
// (40 tokens, 3 stablecoins, 1,200 days from 2015-01-01, monthly snapshots).
func btSynth(t testing.TB) *sqlite.Store {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "bt.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := engine.SynthToStore(context.Background(), st, synth.Config{Seed: 3, Tokens: 40, Days: 1200}); err != nil {
		t.Fatal(err)
	}
	return st
}

var btFrom = regime.MustDate("2016-01-01")

func btRun(t *testing.T, st regime.Reader, opt engine.BacktestOptions) *engine.BacktestReport {
	t.Helper()
	rep, err := engine.Backtest(context.Background(), st, opt)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// truncatedStore is a store as it was at the close of day at: nothing
// known later is visible.
type truncatedStore struct {
	regime.Reader
	at regime.Date
}

func (s truncatedStore) Bars(ctx context.Context, id string, r regime.DateRange) ([]regime.Bar, error) {
	bars, err := s.Reader.Bars(ctx, id, r)
	var out []regime.Bar
	for _, b := range bars {
		if max(b.Date, b.KnownAt) <= s.at {
			out = append(out, b)
		}
	}
	return out, err
}

func (s truncatedStore) Constituents(ctx context.Context, source string, d regime.Date) ([]regime.Constituent, error) {
	return s.Reader.Constituents(ctx, source, min(d, s.at))
}

func (s truncatedStore) SnapshotDates(ctx context.Context, source string) ([]regime.Date, error) {
	ds, err := s.Reader.SnapshotDates(ctx, source)
	var out []regime.Date
	for _, d := range ds {
		if d <= s.at {
			out = append(out, d)
		}
	}
	return out, err
}

// TestBacktestNoLookAhead truncates the store at several days t and
// requires every run's NAV, levels, decisions and trades up to t to be
// those of the run on the whole store.
func TestBacktestNoLookAhead(t *testing.T) {
	st := btSynth(t)
	opt := engine.BacktestOptions{Strategy: engine.StrategySMA200, From: btFrom}
	full := btRun(t, st, opt)
	for _, at := range []regime.Date{btFrom.AddDays(90), btFrom.AddDays(333), btFrom.AddDays(700)} {
		t.Run(at.String(), func(t *testing.T) {
			cut := btRun(t, truncatedStore{st, at}, opt)
			if got := cut.Input.To; got != at {
				t.Fatalf("truncated run ends %s, want %s", got, at)
			}
			for i, name := range full.Comparison.Names {
				a, b := full.Comparison.Results[i], cut.Comparison.Results[i]
				n := len(b.Dates)
				if d := cmp.Diff(a.NAV[:n], b.NAV); d != "" {
					t.Errorf("%s: NAV up to %s differs (-full +truncated):\n%s", name, at, d)
				}
				if d := cmp.Diff(a.Levels[:n], b.Levels); d != "" {
					t.Errorf("%s: levels differ:\n%s", name, d)
				}
				var want []backtest.Decision
				for _, x := range a.Decisions {
					if x.Date < at {
						want = append(want, x)
					}
				}
				if d := cmp.Diff(want, b.Decisions, cmpopts.EquateNaNs()); d != "" {
					t.Errorf("%s: decisions before %s differ:\n%s", name, at, d)
				}
				var trades []backtest.Trade
				for _, x := range a.Trades() {
					if x.Date <= at {
						trades = append(trades, x)
					}
				}
				if d := cmp.Diff(trades, b.Trades(), cmpopts.EquateEmpty()); d != "" {
					t.Errorf("%s: trades up to %s differ:\n%s", name, at, d)
				}
			}
		})
	}
}

// TestBacktestNAVFromExportedLog writes the transaction log as CSV, reads
// it back and rebuilds every day's NAV from it and the closes, bit for bit.
func TestBacktestNAVFromExportedLog(t *testing.T) {
	st := btSynth(t)
	rep := btRun(t, st, engine.BacktestOptions{Strategy: engine.StrategySMA200, From: btFrom})
	in := rep.Input
	for i, r := range rep.Comparison.Results {
		name := rep.Comparison.Names[i]
		var buf bytes.Buffer
		if err := engine.WriteTrades(&buf, r.Trades()); err != nil {
			t.Fatal(err)
		}
		trades, err := engine.ReadTrades(&buf)
		if err != nil {
			t.Fatal(err)
		}
		if len(trades) == 0 {
			t.Fatalf("%s: no trades", name)
		}
		nav, err := engine.RebuildNAV(in.Market, in.Config.InitialNAV, in.From, trades)
		if err != nil {
			t.Fatal(err)
		}
		if len(nav) != len(r.NAV) {
			t.Fatalf("%s: rebuilt %d days, run has %d", name, len(nav), len(r.NAV))
		}
		for d := range nav {
			if nav[d] != r.NAV[d] {
				t.Fatalf("%s: %s: NAV rebuilt from the exported log %v != reported %v", name, r.Dates[d], nav[d], r.NAV[d])
			}
		}
	}
}

func TestReadTradesErrors(t *testing.T) {
	head := "date,asset,side,quantity,price,value,fee,slippage,reason\n"
	for _, tc := range []struct{ name, in, want string }{
		{"bad header", "day,asset,side,quantity,price,value,fee,slippage,reason\n", "line 1"},
		{"bad side", head + "2020-01-01,btc,hold,1,1,1,0,0,scheduled_rebalance\n", "line 2: side"},
		{"bad number", head + "2020-01-01,btc,buy,x,1,1,0,0,scheduled_rebalance\n", "line 2: quantity"},
		{"bad reason", head + "2020-01-01,btc,buy,1,1,1,0,0,whim\n", "line 2: reason"},
		{"short row", head + "2020-01-01,btc,buy\n", "line 2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := engine.ReadTrades(bytes.NewBufferString(tc.in))
			if regime.ErrorCode(err) != regime.EINVALID || !bytes.Contains([]byte(err.Error()), []byte(tc.want)) {
				t.Fatalf("err %v, want EINVALID mentioning %q", err, tc.want)
			}
		})
	}
}

// TestBacktestDeterministic runs the same backtest twice and compares the
// exported NAV and trades byte for byte.
func TestBacktestDeterministic(t *testing.T) {
	st := btSynth(t)
	out := func() []byte {
		rep := btRun(t, st, engine.BacktestOptions{Strategy: engine.StrategySMA200, From: btFrom, Split: regime.MustDate("2017-01-01")})
		var b bytes.Buffer
		if err := engine.WriteNAV(&b, rep.Comparison); err != nil {
			t.Fatal(err)
		}
		if err := engine.WriteTrades(&b, rep.Comparison.Results[0].Trades()); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	a, b := out(), out()
	if !bytes.Equal(a, b) {
		t.Fatal("two runs with the same inputs differ")
	}
}

func TestBacktestStrategies(t *testing.T) {
	st := btSynth(t)
	ctx := context.Background()
	t.Run("gauge not wired", func(t *testing.T) {
		_, err := engine.Backtest(ctx, st, engine.BacktestOptions{Strategy: engine.StrategyGauge})
		if regime.ErrorCode(err) != regime.EUNAVAILABLE {
			t.Fatalf("err %v, want EUNAVAILABLE", err)
		}
	})
	t.Run("unknown", func(t *testing.T) {
		_, err := engine.Backtest(ctx, st, engine.BacktestOptions{Strategy: "astrology"})
		if regime.ErrorCode(err) != regime.EINVALID {
			t.Fatalf("err %v, want EINVALID", err)
		}
	})
	t.Run("gauge levels are used", func(t *testing.T) {
		// Always bullish = 100% risky from the first day, like buy-and-hold.
		bull := func(_ context.Context, _ regime.Reader, p *engine.Panel) ([]index.Level, error) {
			out := make([]index.Level, len(p.Dates))
			for i := range out {
				out[i] = index.Bullish
			}
			return out, nil
		}
		rep := btRun(t, st, engine.BacktestOptions{Strategy: engine.StrategyGauge, GaugeLevels: bull, From: btFrom})
		if d := cmp.Diff(rep.Comparison.Results[1].NAV, rep.Comparison.Results[0].NAV); d != "" {
			t.Errorf("an always-bullish gauge must track buy_and_hold:\n%s", d)
		}
	})
	t.Run("gauge error", func(t *testing.T) {
		boom := func(context.Context, regime.Reader, *engine.Panel) ([]index.Level, error) {
			return nil, regime.Errorf(regime.EUNAVAILABLE, "boom")
		}
		_, err := engine.Backtest(ctx, st, engine.BacktestOptions{Strategy: engine.StrategyGauge, GaugeLevels: boom})
		var re *regime.Error
		if !errors.As(err, &re) || re.Message != "boom" {
			t.Fatalf("err %v, want the gauge's error", err)
		}
	})
	t.Run("precomputed signal", func(t *testing.T) {
		sma := btRun(t, st, engine.BacktestOptions{Strategy: engine.StrategySMA200, From: btFrom})
		in := sma.Input
		pre := btRun(t, st, engine.BacktestOptions{Signal: in.Signal, SignalStart: in.Market.Dates[0], From: btFrom})
		if pre.Input.Strategy != engine.StrategyCustom {
			t.Errorf("strategy %q, want custom", pre.Input.Strategy)
		}
		if d := cmp.Diff(sma.Comparison.Results[0].NAV, pre.Comparison.Results[0].NAV); d != "" {
			t.Errorf("the sma200 levels passed as a signal must give the sma200 run:\n%s", d)
		}
	})
	t.Run("buyhold", func(t *testing.T) {
		rep := btRun(t, st, engine.BacktestOptions{Strategy: engine.StrategyBuyHold, From: btFrom})
		if d := cmp.Diff(rep.Comparison.Results[1].NAV, rep.Comparison.Results[0].NAV); d != "" {
			t.Errorf("buyhold must equal the buy_and_hold benchmark:\n%s", d)
		}
	})
	t.Run("split windows", func(t *testing.T) {
		split := regime.MustDate("2017-01-01")
		rep := btRun(t, st, engine.BacktestOptions{Strategy: engine.StrategySMA200, From: btFrom, Split: split})
		if len(rep.Windows) != 3 {
			t.Fatalf("%d windows, want full, in_sample, out_of_sample", len(rep.Windows))
		}
		for i := range rep.Comparison.Names {
			full, is, oos := rep.Windows[0].Metrics[i], rep.Windows[1].Metrics[i], rep.Windows[2].Metrics[i]
			if is.End != split-1 || oos.Start != split-1 || is.Start != full.Start || oos.End != full.End {
				t.Errorf("windows %s..%s and %s..%s", is.Start, is.End, oos.Start, oos.End)
			}
			// The windows chain: (1+IS)(1+OOS) = 1+full.
			if got, want := (1+is.TotalReturn)*(1+oos.TotalReturn), 1+full.TotalReturn; math.Abs(got/want-1) > 1e-12 {
				t.Errorf("run %d: compounded windows %v, full %v", i, got, want)
			}
			if is.Trades+oos.Trades < full.Trades {
				t.Errorf("run %d: window trades %d+%d < %d", i, is.Trades, oos.Trades, full.Trades)
			}
		}
	})
}

// btHandStore: bitcoin and a coin priced daily (csv), the coin also has a
// monthly cmc close on a day without a daily one, and USD Coin priced
// daily for 30 days and then only by monthly cmc bars. No snapshots: the
// universe comes from the daily caps.
func btHandStore(t *testing.T) *sqlite.Store {
	st := open(t)
	ctx := context.Background()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(st.UpsertAssets(ctx, []regime.Asset{
		{ID: "bitcoin", Symbol: "BTC", Name: "Bitcoin", Kind: regime.KindCoin},
		{ID: "usd-coin", Symbol: "USDC", Name: "USD Coin", Kind: regime.KindStablecoin},
		{ID: "xcoin", Symbol: "X", Name: "Xcoin", Kind: regime.KindCoin},
	}))
	var bars []regime.Bar
	for d := 0; d < 300; d++ {
		p := 100 * (1 + 0.5*math.Sin(float64(d)/40))
		b := bar("bitcoin", d, p, p*1e9)
		b.VolumeUSD = 1e9
		bars = append(bars, b)
		if d != 150 {
			x := bar("xcoin", d, 2+math.Cos(float64(d)/30), 5e8)
			x.VolumeUSD = 1e8
			bars = append(bars, x)
		}
		if d < 30 {
			u := bar("usd-coin", d, 1, 1e9)
			u.VolumeUSD = 1e8
			bars = append(bars, u)
		}
	}
	cm := func(id string, d int, c float64) regime.Bar {
		b := bar(id, d, c, 1e9)
		b.Source = regime.SourceCMC
		return b
	}
	bars = append(bars, cm("xcoin", 150, 2.5), cm("usd-coin", 60, 0.999), cm("usd-coin", 90, 1.001))
	must(st.UpsertBars(ctx, bars))
	return st
}

func TestBacktestRealDataRules(t *testing.T) {
	st := btHandStore(t)
	from := day0.AddDays(220)
	rep := btRun(t, st, engine.BacktestOptions{Strategy: engine.StrategySMA200, From: from})
	in := rep.Input
	if in.Config.BTC != "bitcoin" {
		t.Errorf("reference %q", in.Config.BTC)
	}
	if in.Universe.DailyCapDays != 80 || in.Universe.SnapshotDays != 0 {
		t.Errorf("universe days %+v: want 80 from daily caps", in.Universe)
	}
	if in.Universe.ExcludedClose != 3 {
		t.Errorf("excluded closes %d, want the 3 cmc closes", in.Universe.ExcludedClose)
	}
	m := in.Market
	if c := m.At(m.Day(day0.AddDays(150)), m.Asset("xcoin")); !math.IsNaN(c) {
		t.Errorf("xcoin's monthly cmc close %v was used as a daily price", c)
	}
	nA := len(m.Assets)
	for _, tc := range []struct {
		id   string
		day  int
		want bool
	}{
		{"xcoin", 150, true},     // no daily close, but its cap ranks it that day
		{"bitcoin", 250, true},   // priced and ranked
		{"usd-coin", 100, false}, // no cap known that day: not in the universe
	} {
		if got := m.Listed[m.Day(day0.AddDays(tc.day))*nA+m.Asset(tc.id)]; got != tc.want {
			t.Errorf("%s listed on day %d = %v, want %v", tc.id, tc.day, got, tc.want)
		}
	}
	want := []engine.StableFill{{Asset: "usd-coin", Requested: "usd-coin", FilledDays: 80, FirstFilled: from, LastFilled: day0.AddDays(299)}}
	if d := cmp.Diff(want, in.Stable); d != "" {
		t.Errorf("stablecoin fill (-want +got):\n%s", d)
	}
	if c := m.At(m.Day(day0.AddDays(60)), m.Asset("usd-coin")); c != 1 {
		t.Errorf("USDC on a day with only a cmc close: %v, want the 1.00 assumption", c)
	}
	noFill := btRun(t, st, engine.BacktestOptions{Strategy: engine.StrategySMA200, From: from, NoStableFill: true})
	if f := noFill.Input.Stable[0]; f.FilledDays != 0 || f.PricedDays != 0 {
		t.Errorf("--no-stable-fill: %+v", f)
	}
	if len(in.Signal) != len(m.Dates) || in.Signal[len(in.Signal)-1] == index.NoLevel {
		t.Errorf("sma200 signal %d days for %d, last %v", len(in.Signal), len(m.Dates), in.Signal[len(in.Signal)-1])
	}
}

func TestBacktestWindowErrors(t *testing.T) {
	st := btHandStore(t)
	_, err := engine.Backtest(context.Background(), st, engine.BacktestOptions{Strategy: engine.StrategyBuyHold, From: day0.AddDays(400)})
	if regime.ErrorCode(err) != regime.EINVALID {
		t.Fatalf("a window after the data: err %v, want EINVALID", err)
	}
}

// BenchmarkBacktest measures loading a 40-token, 1,200-day store into a
// market and running the four runs of a comparison.
func BenchmarkBacktest(b *testing.B) {
	st := btSynth(b)
	for b.Loop() {
		if _, err := engine.Backtest(context.Background(), st, engine.BacktestOptions{Strategy: engine.StrategySMA200}); err != nil {
			b.Fatal(err)
		}
	}
}
