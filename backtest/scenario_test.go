package backtest_test

import (
	"bufio"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/regime-engine/regime"
	"github.com/regime-engine/regime/backtest"
	"github.com/regime-engine/regime/index"
)

// A scenario file (testdata/scenarios/*.txt) is a small, line-oriented
// description of a market, a signal and the expected outcome, readable
// without Go. Blank lines and lines starting with # are ignored.
//
//	config key=value ...            rules (see applyConfig for the keys)
//	asset <id> <kind>               a priced asset (a column), kind as in regime.AssetKind
//	kind <id> <kind>                the kind of a snapshot-only (unpriced) asset
//	snapshot <date> <id>=<cap>[/<volume>] ...
//	                                a universe snapshot; volume defaults to 1e12
//	day <date> [level=<level>] <id>=<close>[/<volume>] ...
//	                                one market day; an asset not listed has no close;
//	                                volume defaults to 1e12; level defaults to none
//	expect trade <date> <buy|sell> <id> qty=<q> price=<p> [fee=<f>] [slip=<s>] reason=<r>
//	                                the run's trade log must be exactly the listed trades, in order
//	expect weights <date> <id>=<w> ... [cash=<w>]
//	                                holdings / NAV at that close; unlisted assets must be 0
//	expect nav <date> <value>
//	expect missing_share <date> <share>   the decision taken on date
//	expect missing_weight <date> <share>  the decision taken on date
//	expect decision <date> <trigger>      a decision was taken on date with that trigger
//	expect no_decision <date>
//
// Numbers are compared with a relative tolerance of 1e-9.
type scenario struct {
	name     string
	cfg      backtest.Config
	assets   []string
	kinds    map[string]regime.AssetKind
	days     []scenDay
	snaps    []backtest.Snapshot
	trades   []backtest.Trade
	weights  []scenWeights
	navs     map[regime.Date]float64
	missing  map[regime.Date]float64
	missingW map[regime.Date]float64
	decided  map[regime.Date]string
	anyExp   bool
}

type scenDay struct {
	date   regime.Date
	level  index.Level
	closes map[string][2]float64
}

type scenWeights struct {
	date regime.Date
	w    map[string]float64
	line int
}

func parseScenario(path string) (*scenario, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	sc := &scenario{name: filepath.Base(path), cfg: backtest.DefaultConfig(), kinds: map[string]regime.AssetKind{},
		navs: map[regime.Date]float64{}, missing: map[regime.Date]float64{}, missingW: map[regime.Date]float64{}, decided: map[regime.Date]string{}}
	in := bufio.NewScanner(f)
	line := 0
	for in.Scan() {
		line++
		text := strings.TrimSpace(in.Text())
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		fields := strings.Fields(text)
		fail := func(format string, args ...any) error {
			return fmt.Errorf("%s:%d: %s", path, line, fmt.Sprintf(format, args...))
		}
		date := func(s string) (regime.Date, error) {
			d, err := regime.ParseDate(s)
			if err != nil {
				return 0, fail("%v", err)
			}
			return d, nil
		}
		num := func(s string) (float64, error) {
			v, err := strconv.ParseFloat(s, 64)
			if err != nil {
				return 0, fail("bad number %q", s)
			}
			return v, nil
		}
		pairs := func(fs []string) (map[string]string, error) {
			out := map[string]string{}
			for _, f := range fs {
				k, v, ok := strings.Cut(f, "=")
				if !ok {
					return nil, fail("want key=value, got %q", f)
				}
				out[k] = v
			}
			return out, nil
		}
		valVol := func(s string) ([2]float64, error) {
			p, v, ok := strings.Cut(s, "/")
			x, err := num(p)
			if err != nil {
				return [2]float64{}, err
			}
			y := 1e12
			if ok {
				if y, err = num(v); err != nil {
					return [2]float64{}, err
				}
			}
			return [2]float64{x, y}, nil
		}
		switch fields[0] {
		case "config":
			kv, err := pairs(fields[1:])
			if err != nil {
				return nil, err
			}
			for k, v := range kv {
				if err := applyConfig(&sc.cfg, k, v); err != nil {
					return nil, fail("%v", err)
				}
			}
		case "asset", "kind":
			if len(fields) != 3 {
				return nil, fail("want %s <id> <kind>", fields[0])
			}
			k := regime.AssetKind(fields[2])
			if !k.Valid() {
				return nil, fail("unknown kind %q", fields[2])
			}
			sc.kinds[fields[1]] = k
			if fields[0] == "asset" {
				sc.assets = append(sc.assets, fields[1])
			}
		case "snapshot":
			if len(fields) < 2 {
				return nil, fail("want snapshot <date> <id>=<cap> ...")
			}
			d, err := date(fields[1])
			if err != nil {
				return nil, err
			}
			kv := fields[2:]
			snap := backtest.Snapshot{Date: d}
			for i, f := range kv {
				id, v, ok := strings.Cut(f, "=")
				if !ok {
					return nil, fail("want <id>=<cap>, got %q", f)
				}
				cv, err := valVol(v)
				if err != nil {
					return nil, err
				}
				snap.Constituents = append(snap.Constituents, regime.Constituent{Date: d, Rank: i + 1, AssetID: id,
					MarketCapUSD: cv[0], VolumeUSD: cv[1], PriceUSD: math.NaN(), Supply: math.NaN()})
			}
			sc.snaps = append(sc.snaps, snap)
		case "day":
			if len(fields) < 2 {
				return nil, fail("want day <date> ...")
			}
			d, err := date(fields[1])
			if err != nil {
				return nil, err
			}
			day := scenDay{date: d, level: index.NoLevel, closes: map[string][2]float64{}}
			for _, f := range fields[2:] {
				k, v, ok := strings.Cut(f, "=")
				if !ok {
					return nil, fail("want <id>=<close>, got %q", f)
				}
				if k == "level" {
					if day.level, err = index.ParseLevel(v); err != nil {
						return nil, fail("%v", err)
					}
					continue
				}
				if day.closes[k], err = valVol(v); err != nil {
					return nil, err
				}
			}
			sc.days = append(sc.days, day)
		case "expect":
			sc.anyExp = true
			if len(fields) < 3 {
				return nil, fail("want expect <what> <date> ...")
			}
			d, err := date(fields[2])
			if err != nil {
				return nil, err
			}
			switch fields[1] {
			case "trade":
				if len(fields) < 5 {
					return nil, fail("want expect trade <date> <side> <id> qty=... price=... reason=...")
				}
				kv, err := pairs(fields[5:])
				if err != nil {
					return nil, err
				}
				reason, err := backtest.ParseReason(kv["reason"])
				if err != nil {
					return nil, fail("%v", err)
				}
				side, err := backtest.ParseSide(fields[3])
				if err != nil {
					return nil, fail("%v", err)
				}
				tr := backtest.Trade{Date: d, Side: side, Asset: fields[4], Reason: reason}
				for k, p := range map[string]*float64{"qty": &tr.Quantity, "price": &tr.Price, "fee": &tr.Fee, "slip": &tr.Slippage} {
					if v, ok := kv[k]; ok {
						if *p, err = num(v); err != nil {
							return nil, err
						}
					}
				}
				tr.Value = tr.Quantity * tr.Price
				sc.trades = append(sc.trades, tr)
			case "weights":
				kv, err := pairs(fields[3:])
				if err != nil {
					return nil, err
				}
				w := scenWeights{date: d, w: map[string]float64{}, line: line}
				for k, v := range kv {
					if w.w[k], err = num(v); err != nil {
						return nil, err
					}
				}
				sc.weights = append(sc.weights, w)
			case "nav", "missing_share", "missing_weight":
				if len(fields) != 4 {
					return nil, fail("want expect %s <date> <value>", fields[1])
				}
				v, err := num(fields[3])
				if err != nil {
					return nil, err
				}
				switch fields[1] {
				case "nav":
					sc.navs[d] = v
				case "missing_share":
					sc.missing[d] = v
				default:
					sc.missingW[d] = v
				}
			case "decision":
				if len(fields) != 4 {
					return nil, fail("want expect decision <date> <trigger>")
				}
				sc.decided[d] = fields[3]
			case "no_decision":
				sc.decided[d] = ""
			default:
				return nil, fail("unknown expectation %q", fields[1])
			}
		default:
			return nil, fail("unknown directive %q", fields[0])
		}
	}
	if err := in.Err(); err != nil {
		return nil, err
	}
	return sc, nil
}

// applyConfig sets one config key of a scenario file.
func applyConfig(c *backtest.Config, k, v string) error {
	f := func() (float64, error) { return strconv.ParseFloat(v, 64) }
	i := func() (int, error) { return strconv.Atoi(v) }
	var err error
	switch k {
	case "n":
		c.Universe.N, err = i()
	case "buffer":
		c.Universe.Buffer, err = f()
	case "min_volume":
		c.Universe.MinVolumeUSD, err = f()
	case "min_history":
		c.Universe.MinHistoryDays, err = i()
	case "scheme":
		c.Weights.Scheme = index.Scheme(v)
	case "cap_largest":
		c.Weights.MaxLargest, err = f()
	case "cap_other":
		c.Weights.MaxOther, err = f()
	case "smooth":
		c.Weights.SmoothDays, err = i()
	case "exposure":
		c.Exposure, err = index.ParseExposure(v)
	case "stable":
		c.Stable.Assets = nil
		if v != "none" {
			c.Stable.Assets = strings.Split(v, ",")
		}
	case "depeg":
		c.Stable.DepegThreshold, err = f()
	case "repeg":
		c.Stable.RepegDays, err = i()
	case "nav":
		c.InitialNAV, err = f()
	case "rebalance":
		c.RebalanceDays, err = i()
	case "band":
		c.DriftBand, err = f()
	case "fee":
		c.FeeRate, err = f()
	case "slip_base":
		c.SlippageBase, err = f()
	case "slip_impact":
		c.SlippageImpact, err = f()
	case "slip_max":
		c.SlippageMax, err = f()
	case "delist_days":
		c.DelistDays, err = i()
	case "delist_recovery":
		c.DelistRecovery, err = f()
	case "fixed":
		c.Fixed = strings.Split(v, ",")
	default:
		return fmt.Errorf("unknown config key %q", k)
	}
	return err
}

func (sc *scenario) market() (*backtest.Market, []index.Level) {
	dates := make([]regime.Date, len(sc.days))
	for i, d := range sc.days {
		dates[i] = d.date
	}
	m := backtest.NewMarket(dates, sc.assets)
	m.Cap = nil
	m.Kinds = sc.kinds
	m.Snapshots = sc.snaps
	sig := make([]index.Level, len(sc.days))
	for t, d := range sc.days {
		sig[t] = d.level
		for a, id := range sc.assets {
			if cv, ok := d.closes[id]; ok {
				m.Set(t, a, cv[0], cv[1])
			}
		}
	}
	return m, sig
}

func near(a, b float64) bool {
	return a == b || math.Abs(a-b) <= 1e-9*math.Max(1, math.Max(math.Abs(a), math.Abs(b)))
}

func TestScenarios(t *testing.T) {
	files, err := filepath.Glob("testdata/scenarios/*.txt")
	if err != nil || len(files) == 0 {
		t.Fatalf("no scenario files: %v", err)
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			sc, err := parseScenario(file)
			if err != nil {
				t.Fatal(err)
			}
			if !sc.anyExp {
				t.Fatal("scenario has no expectations")
			}
			m, sig := sc.market()
			r, err := backtest.Run(sc.cfg, m, sig)
			if err != nil {
				t.Fatal(err)
			}
			checkInvariants(t, sc.cfg, m, r)
			trades := r.Trades()
			logTrades := func() {
				for _, tr := range trades {
					t.Logf("  got trade %s %s %s qty=%.10g price=%g fee=%.10g slip=%.10g reason=%s", tr.Date, tr.Side, tr.Asset, tr.Quantity, tr.Price, tr.Fee, tr.Slippage, tr.Reason)
				}
			}
			if len(trades) != len(sc.trades) {
				logTrades()
				t.Fatalf("%d trades, want %d", len(trades), len(sc.trades))
			}
			for i, w := range sc.trades {
				g := trades[i]
				if g.Date != w.Date || g.Side != w.Side || g.Asset != w.Asset || g.Reason != w.Reason ||
					!near(g.Quantity, w.Quantity) || !near(g.Price, w.Price) || !near(g.Fee, w.Fee) || !near(g.Slippage, w.Slippage) {
					logTrades()
					t.Fatalf("trade %d = %+v, want %+v", i+1, g, w)
				}
			}
			nav, qty, cash := replay(t, sc.cfg, m, r)
			for _, w := range sc.weights {
				i := m.Day(w.date)
				if i < 0 {
					t.Fatalf("line %d: no day %s", w.line, w.date)
				}
				got := map[string]float64{"cash": cash[i] / nav[i]}
				for a, id := range m.Assets {
					got[id] = qty[i][a] * lastClose(m, i, a) / nav[i]
				}
				var sum float64
				for id, g := range got {
					sum += g
					if !near(g, w.w[id]) && math.Abs(g-w.w[id]) > 1e-9 {
						t.Errorf("line %d: %s weight of %s = %.12g, want %g", w.line, w.date, id, g, w.w[id])
					}
				}
				if !near(sum, 1) {
					t.Errorf("line %d: weights sum to %v", w.line, sum)
				}
			}
			for d, v := range sc.navs {
				if i := m.Day(d); i < 0 || !near(r.NAV[i], v) {
					t.Errorf("NAV on %s = %v, want %v", d, r.NAV[max(i, 0)], v)
				}
			}
			dec := map[regime.Date]backtest.Decision{}
			for _, d := range r.Decisions {
				dec[d.Date] = d
			}
			for d, trig := range sc.decided {
				g, ok := dec[d]
				if trig == "" && ok {
					t.Errorf("unexpected decision on %s: %+v", d, g)
				} else if trig != "" && (!ok || g.Trigger.String() != trig) {
					t.Errorf("decision on %s = %+v (found %v), want trigger %s", d, g, ok, trig)
				}
			}
			for d, v := range sc.missing {
				if g, ok := dec[d]; !ok || !near(g.MissingPriceShare, v) {
					t.Errorf("missing-price share of the decision on %s = %v, want %v", d, g.MissingPriceShare, v)
				}
			}
			for d, v := range sc.missingW {
				if g, ok := dec[d]; !ok || !near(g.MissingWeightShare, v) {
					t.Errorf("missing-weight share of the decision on %s = %v, want %v", d, g.MissingWeightShare, v)
				}
			}
		})
	}
}

func lastClose(m *backtest.Market, t, a int) float64 {
	for ; t >= 0; t-- {
		if p := m.At(t, a); !math.IsNaN(p) {
			return p
		}
	}
	return 0
}
