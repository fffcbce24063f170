package detect_test

import (
	"math"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/regime-engine/regime"
	"github.com/regime-engine/regime/detect"
)

func days(n int) []regime.Date {
	out := make([]regime.Date, n)
	for i := range out {
		out[i] = day(i)
	}
	return out
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 || math.IsNaN(a) && math.IsNaN(b) }

func TestScoreClassificationAndLags(t *testing.T) {
	B, R, N := detect.Bull, detect.Bear, detect.Neutral
	truth := []detect.State{B, B, B, R, R, R, N, B, B, B}
	signal := []detect.State{N, B, R, R, B, R, R, R, B, B}
	price := []float64{1, 1, 1, 1, 1, 1, 1, 1, 1, 1}
	// Bull days 0,1,2,7,8,9: called bull on 1, 8, 9 (3/6). Bear days 3,4,5:
	// called bear on 3, 5 (2/3). Day 6 (neutral truth) is not scored.
	// Flips over B R R B R R R B B (neutral skipped): 4.
	// Turns: peak on day 2 (last bull day), trough on day 5 (last bear day).
	tests := []struct {
		confirm int
		lags    []detect.Lag
		median  float64
		missed  int
	}{
		{1, []detect.Lag{{Turn: day(2), Kind: detect.Peak, Days: 0, Signal: day(2)},
			{Turn: day(5), Kind: detect.Trough, Days: 3, Signal: day(8)}}, 1.5, 0},
		{2, []detect.Lag{{Turn: day(2), Kind: detect.Peak, Days: 0, Signal: day(2)},
			{Turn: day(5), Kind: detect.Trough, Days: 3, Signal: day(8)}}, 1.5, 0},
		// Three bear days in a row start only on day 5, the next turn: missed.
		// Two bull days before the data ends: missed.
		{3, []detect.Lag{{Turn: day(2), Kind: detect.Peak, Missed: true},
			{Turn: day(5), Kind: detect.Trough, Missed: true}}, math.NaN(), 2},
	}
	for _, tt := range tests {
		m, err := detect.Score(signal, truth, days(10), price, detect.ScoreOptions{ConfirmDays: tt.confirm})
		if err != nil {
			t.Fatal(err)
		}
		if m.ScoredDays != 9 || !near(m.BullRecall, 0.5) || !near(m.BearRecall, 2./3) ||
			!near(m.BalancedAccuracy, (0.5+2./3)/2) || !near(m.Coverage, 8./9) {
			t.Errorf("classification: scored %d bull %v bear %v balanced %v coverage %v", m.ScoredDays, m.BullRecall,
				m.BearRecall, m.BalancedAccuracy, m.Coverage)
		}
		if m.Flips != 4 || !near(m.FlipsPerYear, 4/(10./365)) {
			t.Errorf("flips %d (%v/yr), want 4 (%v/yr)", m.Flips, m.FlipsPerYear, 4/(10./365))
		}
		if diff := cmp.Diff(tt.lags, m.Lags); diff != "" {
			t.Errorf("confirm %d: lags (-want +got):\n%s", tt.confirm, diff)
		}
		if !near(m.MedianLag, tt.median) || m.MissedTurns != tt.missed {
			t.Errorf("confirm %d: median lag %v missed %d, want %v and %d", tt.confirm, m.MedianLag, m.MissedTurns, tt.median, tt.missed)
		}
	}
}

func TestScoreSwitchingNAV(t *testing.T) {
	B, R := detect.Bull, detect.Bear
	signal := []detect.State{B, B, R, R, B, B}
	price := []float64{100, 110, 121, 110, 99, 108.9}
	truth := signal
	// Next-close execution: the day-0 bull call buys at the day-1 close, so
	// the first return earned is day 2 (+10%); the day-2 bear call sells at
	// the day-3 close after the -9.09% day; the day-4 bull call buys at the
	// day-5 close. Each trade costs 1% of NAV.
	c := 0.99
	wantNAV := []float64{1, c, c * 1.1, c * 1.1 * 110 / 121 * c, c * c, c * c * c}
	m, err := detect.Score(signal, truth, days(6), price, detect.ScoreOptions{CostBps: 100, ConfirmDays: 1})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(wantNAV, m.NAV, cmpopts.EquateApprox(0, 1e-12)); diff != "" {
		t.Errorf("NAV (-want +got):\n%s", diff)
	}
	rets := []float64{c - 1, 0.1, 110./121*c - 1, 0, c - 1}
	var mean, sd float64
	for _, r := range rets {
		mean += r / 5
	}
	for _, r := range rets {
		sd += (r - mean) * (r - mean) / 4
	}
	sharpe := mean / math.Sqrt(sd) * math.Sqrt(365)
	maxDD := 1 - c*c*c/(c*1.1)
	cagr := math.Pow(c*c*c, 365./5) - 1
	if m.Switches != 3 || !near(m.Exposure, 0.4) || !near(m.FinalNAV, c*c*c) || !near(m.MaxDrawdown, maxDD) ||
		!near(m.CAGR, cagr) || !near(m.Sharpe, sharpe) || !near(m.Calmar, cagr/maxDD) {
		t.Errorf("got switches %d exposure %v final %v maxDD %v CAGR %v Sharpe %v Calmar %v; want 3 0.4 %v %v %v %v %v",
			m.Switches, m.Exposure, m.FinalNAV, m.MaxDrawdown, m.CAGR, m.Sharpe, m.Calmar, c*c*c, maxDD, cagr, sharpe, cagr/maxDD)
	}

	// Without costs the round trip is flat: +10% then -9.09%.
	m, err = detect.Score(signal, truth, days(6), price, detect.ScoreOptions{ConfirmDays: 1})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]float64{1, 1, 1.1, 1, 1, 1}, m.NAV, cmpopts.EquateApprox(0, 1e-12)); diff != "" {
		t.Errorf("NAV without costs (-want +got):\n%s", diff)
	}
}

func TestScoreNaNPricesAndNeutral(t *testing.T) {
	B, R, N := detect.Bull, detect.Bear, detect.Neutral
	nan := math.NaN()
	tests := []struct {
		name     string
		signal   []detect.State
		price    []float64
		nav      []float64
		switches int
	}{
		// The trade waits for the next valid close (day 2, at 110).
		{"trade waits for a price", []detect.State{B, B, B, B}, []float64{100, nan, 110, 121}, []float64{1, 1, 1, 1.1}, 1},
		// The latest call before a close wins: day 1's bear cancels day 0's bull.
		{"latest call wins", []detect.State{B, R, B, B}, []float64{100, nan, 110, 121}, []float64{1, 1, 1, 1}, 1},
		// Neutral keeps the position.
		{"neutral holds", []detect.State{B, N, N, N}, []float64{100, 110, 121, 133.1}, []float64{1, 1, 1.1, 1.21}, 1},
		{"never invested", []detect.State{R, N, R, R}, []float64{100, 110, 121, 133.1}, []float64{1, 1, 1, 1}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := detect.Score(tt.signal, tt.signal, days(len(tt.signal)), tt.price, detect.ScoreOptions{ConfirmDays: 1})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.nav, m.NAV, cmpopts.EquateApprox(0, 1e-12)); diff != "" {
				t.Errorf("NAV (-want +got):\n%s", diff)
			}
			if m.Switches != tt.switches {
				t.Errorf("switches %d, want %d", m.Switches, tt.switches)
			}
		})
	}
}

func TestScoreErrors(t *testing.T) {
	B := detect.Bull
	two := []detect.State{B, B}
	ok := detect.DefaultScoreOptions()
	tests := []struct {
		name   string
		signal []detect.State
		dates  []regime.Date
		price  []float64
		opt    detect.ScoreOptions
		want   string
	}{
		{"empty", nil, nil, nil, ok, "no days"},
		{"lengths", two, days(3), []float64{1, 1}, ok, "lengths differ"},
		{"confirm", two, days(2), []float64{1, 1}, detect.ScoreOptions{ConfirmDays: 0}, "confirm days 0"},
		{"cost", two, days(2), []float64{1, 1}, detect.ScoreOptions{ConfirmDays: 1, CostBps: -1}, "cost -1 bps"},
		{"state", []detect.State{B, 7}, days(2), []float64{1, 1}, ok, "invalid state on 2020-01-02"},
		{"dates", two, []regime.Date{day(1), day(0)}, []float64{1, 1}, ok, "not strictly increasing"},
		{"price", two, days(2), []float64{1, -2}, ok, "price -2 on 2020-01-02"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			truth := make([]detect.State, len(tt.signal))
			_, err := detect.Score(tt.signal, truth, tt.dates, tt.price, tt.opt)
			if regime.ErrorCode(err) != regime.EINVALID || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want EINVALID containing %q", err, tt.want)
			}
		})
	}
}

func TestWindows(t *testing.T) {
	dates := days(10)
	ws := detect.SplitAt(day(2), day(6), day(8))
	want := [][2]int{{2, 6}, {6, 9}}
	for k, w := range ws {
		lo, hi := w.Bounds(dates)
		if lo != want[k][0] || hi != want[k][1] {
			t.Errorf("%s: bounds [%d, %d), want %v", w.Name, lo, hi, want[k])
		}
	}
	if ws[0].Name != "in-sample" || ws[1].Name != "out-of-sample" {
		t.Errorf("names %q %q", ws[0].Name, ws[1].Name)
	}
	if lo, hi := (detect.Window{}).Bounds(dates); lo != 0 || hi != 10 {
		t.Errorf("unbounded window: [%d, %d), want [0, 10)", lo, hi)
	}

	signal := detect.TwentyPercentRule(walk(5, 10, false))
	truth := detect.SMA200(walk(5, 10, false))
	price := walk(5, 10, false)
	got, err := detect.ScoreWindows(signal, truth, dates, price, detect.DefaultScoreOptions(), ws)
	if err != nil {
		t.Fatal(err)
	}
	for k, w := range ws {
		lo, hi := w.Bounds(dates)
		m, err := detect.Score(signal[lo:hi], truth[lo:hi], dates[lo:hi], price[lo:hi], detect.DefaultScoreOptions())
		if err != nil {
			t.Fatal(err)
		}
		m.Window = w.Name
		if diff := cmp.Diff(m, got[k], cmpopts.EquateNaNs()); diff != "" {
			t.Errorf("%s: (-Score +ScoreWindows):\n%s", w.Name, diff)
		}
	}
	_, err = detect.ScoreWindows(signal, truth, dates, price, detect.DefaultScoreOptions(),
		[]detect.Window{{Name: "later", Range: regime.DateRange{From: day(20)}}})
	if regime.ErrorCode(err) != regime.EINVALID || !strings.Contains(err.Error(), "window later") {
		t.Errorf("empty window: error %v", err)
	}
	_, err = detect.ScoreWindows(signal, truth, dates, price, detect.DefaultScoreOptions(),
		[]detect.Window{{Name: "backwards", Range: regime.DateRange{From: day(5), To: day(1)}}})
	if regime.ErrorCode(err) != regime.EINVALID || !strings.Contains(err.Error(), "window backwards") {
		t.Errorf("backwards window: error %v", err)
	}
}
