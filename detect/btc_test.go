package detect_test

import (
	"compress/gzip"
	"encoding/csv"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"testing"

	"github.com/regime-engine/regime"
	"github.com/regime-engine/regime/detect"
)

// dataDir is the shared real dataset, read in place.
const dataDir = "../../shared/data"

// loadBTC reads PriceUSD from the Coin Metrics BTC file from 2011-01-01 on
// (the 2010 prices are sparse pennies). Days without a price are NaN.
func loadBTC(t *testing.T) ([]regime.Date, []float64) {
	t.Helper()
	path := filepath.Join(dataDir, "onchain", "coinmetrics_btc_daily_full.csv.gz")
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		t.Skipf("real data not present: %s", path)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	r := csv.NewReader(gz)
	head, err := r.Read()
	if err != nil {
		t.Fatal(err)
	}
	col := -1
	for i, h := range head {
		if h == "PriceUSD" {
			col = i
		}
	}
	if col < 0 {
		t.Fatalf("%s: no PriceUSD column", path)
	}
	start := regime.MustDate("2011-01-01")
	var dates []regime.Date
	var price []float64
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		d, err := regime.ParseDate(rec[0])
		if err != nil {
			t.Fatal(err)
		}
		if d < start {
			continue
		}
		v := math.NaN()
		if rec[col] != "" {
			if v, err = strconv.ParseFloat(rec[col], 64); err != nil {
				t.Fatalf("%s: %s: %v", path, rec[0], err)
			}
		}
		dates = append(dates, d)
		price = append(price, v)
	}
	return dates, price
}

func TestBTCDating(t *testing.T) {
	dates, price := loadBTC(t)
	d, err := detect.DateCycles(dates, price, detect.DefaultDatingParams())
	if err != nil {
		t.Fatal(err)
	}
	from := regime.MustDate("2015-01-01")
	t.Logf("BTC phases at 35%% (defaults %+v):", d.Params)
	for _, ph := range d.Phases {
		if ph.To < from {
			continue
		}
		flag := ""
		if ph.Provisional {
			flag = " provisional"
		}
		t.Logf("  %s %s..%s %5d days %8.0f -> %8.0f (%+.0f%%)%s", ph.State, ph.From, ph.To, ph.Days(),
			ph.FromPrice, ph.ToPrice, 100*ph.Change(), flag)
	}
	want := []struct {
		kind detect.TurnKind
		date string
	}{
		{detect.Peak, "2017-12-17"},
		{detect.Trough, "2018-12-15"},
		{detect.Peak, "2021-11-08"},
		{detect.Trough, "2022-11-21"},
	}
	for _, w := range want {
		at := regime.MustDate(w.date)
		found := false
		for _, tp := range d.Turns {
			if tp.Kind == w.kind && tp.Date >= at-21 && tp.Date <= at+21 {
				found = true
			}
		}
		if !found {
			t.Errorf("no %s dated within 3 weeks of %s; turns %v", w.kind, w.date, d.Turns)
		}
	}
}

func TestBTCBaselines(t *testing.T) {
	dates, price := loadBTC(t)
	d, err := detect.DateCycles(dates, price, detect.DefaultDatingParams())
	if err != nil {
		t.Fatal(err)
	}
	truth := d.Confirmed()
	windows := []detect.Window{{Name: "2015-2024", Range: regime.DateRange{From: regime.MustDate("2015-01-01"), To: regime.MustDate("2024-12-31")}}}
	windows = append(windows, detect.SplitAt(regime.MustDate("2015-01-01"), regime.MustDate("2021-01-01"), regime.MustDate("2024-12-31"))...)
	opt := detect.DefaultScoreOptions()
	// lag uses a 5-day confirmation window (the default), lag1 a 1-day one.
	t.Logf("%-14s %-13s %6s %6s %5s %5s %7s %6s %6s %6s %6s %7s %6s", "signal", "window", "balacc", "flip/y", "lag", "lag1", "missed",
		"expo", "CAGR", "maxDD", "Sharpe", "Calmar", "trades")
	opt1 := opt
	opt1.ConfirmDays = 1
	for _, b := range detect.Baselines() {
		sig := b.Signal(price)
		ms, err := detect.ScoreWindows(sig, truth, dates, price, opt, windows)
		if err != nil {
			t.Fatal(err)
		}
		ms1, err := detect.ScoreWindows(sig, truth, dates, price, opt1, windows)
		if err != nil {
			t.Fatal(err)
		}
		for k, m := range ms {
			t.Logf("%-14s %-13s %6.3f %6.1f %5.0f %5.0f %3d/%-3d %6.2f %6.2f %6.2f %6.2f %7.2f %6d", b.Name, m.Window, m.BalancedAccuracy,
				m.FlipsPerYear, m.MedianLag, ms1[k].MedianLag, m.MissedTurns, len(m.Lags), m.Exposure, m.CAGR, m.MaxDrawdown, m.Sharpe,
				m.Calmar, m.Switches)
		}
		m := ms[0]
		if b.Name == "buy-and-hold" {
			if m.MaxDrawdown < 0.8 || m.MaxDrawdown > 0.9 {
				t.Errorf("buy-and-hold max drawdown %.3f, want 0.80..0.90", m.MaxDrawdown)
			}
			continue
		}
		if m.BalancedAccuracy < 0.55 || m.BalancedAccuracy > 0.95 {
			t.Errorf("%s balanced accuracy %.3f outside 0.55..0.95", b.Name, m.BalancedAccuracy)
		}
	}
}

func TestBTCConsensus(t *testing.T) {
	dates, price := loadBTC(t)
	c, err := detect.Consensus(dates, price, detect.DefaultGrid())
	if err != nil {
		t.Fatal(err)
	}
	from := regime.MustDate("2015-01-01")
	var n, unanimous int
	count := map[detect.State]int{}
	for i, d := range dates {
		if d < from {
			continue
		}
		n++
		count[c.Labels[i]]++
		if c.Agreement[i] == 1 {
			unanimous++
		}
	}
	t.Logf("BTC 2015-2024 consensus over %d datings: %d bull, %d bear, %d neutral days; unanimous on %.1f%% of days",
		len(c.Datings), count[detect.Bull], count[detect.Bear], count[detect.Neutral], 100*float64(unanimous)/float64(n))
	for _, d := range []string{"2016-06-01", "2018-06-01", "2020-12-01", "2022-06-01"} {
		i := sort.Search(len(dates), func(i int) bool { return dates[i] >= regime.MustDate(d) })
		t.Logf("  %s: %s (agreement %.1f)", d, c.Labels[i], c.Agreement[i])
	}
	// The deep bear markets of 2018 and 2022 are unanimous.
	for _, d := range []string{"2018-06-01", "2022-06-01"} {
		i := sort.Search(len(dates), func(i int) bool { return dates[i] >= regime.MustDate(d) })
		if c.Labels[i] != detect.Bear || c.Agreement[i] != 1 {
			t.Errorf("%s: consensus %s with agreement %.2f, want a unanimous bear", d, c.Labels[i], c.Agreement[i])
		}
	}
}
