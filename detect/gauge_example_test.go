package detect_test

import (
	"fmt"

	"github.com/regime-engine/regime/detect"
)

// Three families vote each day; two agreeing families (K = 2) are needed
// to call a regime, and the call holds until the opposite confluence.
func ExampleConfluence() {
	cfg := detect.ConfluenceConfig{Families: []string{"trend", "momentum", "sentiment"}, VoteBand: 0.1, K: 2, ConfirmDays: 1}
	scores := [][]float64{
		{0.6, 0.5, 0.0, -0.4, -0.5}, // trend
		{0.4, 0.0, 0.0, 0.0, -0.3},  // momentum
		{0.0, -0.3, -0.2, 0.0, 0.0}, // sentiment
	}
	r, err := detect.Confluence(scores, cfg)
	if err != nil {
		fmt.Println(err)
		return
	}
	for t, s := range r.State {
		fmt.Printf("day %d: %d bullish, %d bearish families -> %s\n", t, int(r.Bull[t]), int(r.Bear[t]), s)
	}
	// Output:
	// day 0: 2 bullish, 0 bearish families -> bull
	// day 1: 1 bullish, 1 bearish families -> bull
	// day 2: 0 bullish, 1 bearish families -> bull
	// day 3: 0 bullish, 1 bearish families -> bull
	// day 4: 0 bullish, 2 bearish families -> bear
}

// The gauge level of a 0–100 score.
func ExampleLevelOf() {
	for _, s := range []float64{12, 35, 50, 72, 91} {
		fmt.Printf("%.0f: %s\n", s, detect.LevelOf(s))
	}
	// Output:
	// 12: strong bearish
	// 35: bearish
	// 50: neutral
	// 72: bullish
	// 91: strong bullish
}
