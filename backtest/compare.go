package backtest

import (
	"fmt"
	"math"
	"strings"

	"github.com/regime-engine/regime"
	"github.com/regime-engine/regime/index"
)

// SMASignal returns the price > SMA(n) switch as levels: StrongBullish
// when the close is above the simple moving average of the last n closes
// (the day included), StrongBearish when at or below, NoLevel until n
// closes are available or when the close is missing. Missing closes are
// skipped by the average (it averages the last n available closes).
func SMASignal(closes []float64, n int) []index.Level {
	out := make([]index.Level, len(closes))
	win := make([]float64, 0, n)
	for i, c := range closes {
		out[i] = index.NoLevel
		if math.IsNaN(c) {
			continue
		}
		if len(win) == n {
			copy(win, win[1:])
			win = win[:n-1]
		}
		win = append(win, c)
		if len(win) == n {
			var s float64 // summed afresh in a fixed order: no drift
			for _, v := range win {
				s += v
			}
			if c > s/float64(n) {
				out[i] = index.StrongBullish
			} else {
				out[i] = index.StrongBearish
			}
		}
	}
	return out
}

// Run names used by Compare.
const (
	RunRegime     = "regime"       // the index driven by the given signal
	RunBuyAndHold = "buy_and_hold" // the same index, always fully invested
	RunBTC        = "btc_hold"     // bitcoin bought once and held
	RunSMA        = "sma"          // prefix of the run switched by BTC close > SMA(cfg.SMA), named e.g. "sma200"
)

// Comparison holds the regime index and its benchmarks from one Compare
// call, in the order of Names.
type Comparison struct {
	Names   []string
	Results []*Result
}

// Compare runs, on the same market and rules, the index driven by signal
// and the three benchmarks: the same index always fully invested (no
// signal, exposure 100% whatever the mapping), bitcoin buy-and-hold
// (cfg.BTC, fully invested, fees included) and the same index switched by
// bitcoin's close > SMA(cfg.SMA) (strong bullish above, strong bearish at
// or below, through cfg.Exposure). It returns an EINVALID
// error when a run fails or the market has no cfg.BTC column.
func Compare(cfg Config, m *Market, signal []index.Level) (*Comparison, error) {
	if err := m.Validate(); err != nil {
		return nil, err
	}
	b := m.Asset(cfg.BTC)
	if b < 0 {
		return nil, regime.Errorf(regime.EINVALID, "market has no %q column for the bitcoin benchmarks", cfg.BTC)
	}
	full := index.Exposure{1, 1, 1, 1, 1}
	hold := cfg
	hold.Exposure = full
	btc := hold
	btc.Fixed = []string{cfg.BTC}
	runs := []struct {
		name string
		cfg  Config
		sig  []index.Level
	}{
		{RunRegime, cfg, signal},
		{RunBuyAndHold, hold, nil},
		{RunBTC, btc, nil},
		{fmt.Sprintf("%s%d", RunSMA, cfg.SMA), cfg, SMASignal(m.Column(b), cfg.SMA)},
	}
	c := &Comparison{}
	for _, r := range runs {
		res, err := Run(r.cfg, m, r.sig)
		if err != nil {
			return nil, fmt.Errorf("backtest %s: %w", r.name, err)
		}
		c.Names = append(c.Names, r.name)
		c.Results = append(c.Results, res)
	}
	return c, nil
}

// Table formats the metrics of every run side by side.
func (c *Comparison) Table() string {
	ms := make([]Metrics, len(c.Results))
	for i, r := range c.Results {
		ms[i] = r.Metrics
	}
	return MetricsTable(c.Names, ms)
}

// RegimeTable formats performance by regime level of one run.
func RegimeTable(m Metrics) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%-16s %6s %10s %10s %10s\n", "level", "days", "return", "ann.mean", "exposure")
	for _, s := range m.ByRegime {
		fmt.Fprintf(&b, "%-16s %6d %9.1f%% %9.1f%% %9.1f%%\n", s.Level, s.Days, 100*s.Return, 100*s.AnnReturn, 100*s.AvgExposure)
	}
	return b.String()
}
