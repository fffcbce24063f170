package detect_test

import (
	"fmt"

	"github.com/regime-engine/regime"
	"github.com/regime-engine/regime/detect"
)

func ExampleDateCycles() {
	closes := []float64{100, 120, 150, 200, 180, 150, 120, 100, 90, 95, 110, 130, 150}
	dates := make([]regime.Date, len(closes))
	for i := range dates {
		dates[i] = regime.MustDate("2020-01-01").AddDays(i)
	}
	d, err := detect.DateCycles(dates, closes, detect.DatingParams{Threshold: 0.35})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, ph := range d.Phases {
		fmt.Printf("%-4s %s..%s %+4.0f%% provisional=%v\n", ph.State, ph.From, ph.To, 100*ph.Change(), ph.Provisional)
	}
	// Output:
	// bull 2020-01-01..2020-01-04 +100% provisional=false
	// bear 2020-01-04..2020-01-09  -55% provisional=false
	// bull 2020-01-09..2020-01-13  +67% provisional=true
}

func ExampleScore() {
	price := []float64{100, 110, 121, 110, 99, 108.9}
	signal := []detect.State{detect.Bull, detect.Bull, detect.Bear, detect.Bear, detect.Bull, detect.Bull}
	dates := make([]regime.Date, len(price))
	for i := range dates {
		dates[i] = regime.MustDate("2020-01-01").AddDays(i)
	}
	m, err := detect.Score(signal, signal, dates, price, detect.ScoreOptions{CostBps: 0, ConfirmDays: 1})
	if err != nil {
		fmt.Println(err)
		return
	}
	// Acting on the next close, the strategy earns +10% then loses 9.09%.
	fmt.Printf("NAV %.4f, %d flips, %d trades, max drawdown %.4f\n", m.FinalNAV, m.Flips, m.Switches, m.MaxDrawdown)
	// Output: NAV 1.0000, 2 flips, 3 trades, max drawdown 0.0909
}
