package hmm_test

import (
	"fmt"

	"github.com/regime-engine/regime"
	"github.com/regime-engine/regime/model"
	"github.com/regime-engine/regime/model/hmm"
)

// An HMM is retrained walk-forward like any model; because filtering is
// causal, each fold's model may filter the whole history up to the end of
// its test block and keep the test rows. The HMM needs no labels, so the
// label horizon is 0.
func Example_walkForward() {
	X, _ := threeState.simulate(9, 1200)
	dates := make([]regime.Date, len(X))
	for i := range dates {
		dates[i] = regime.MustDate("2020-01-01").AddDays(i)
	}
	folds, err := model.WalkForward(dates, 0, model.Schedule{RetrainEvery: 365, MinTrain: 365})
	if err != nil {
		fmt.Println(err)
		return
	}
	bull := make([]float64, len(X)) // out-of-sample P(bull state)
	for _, f := range folds {
		m := hmm.New(hmm.Config{States: 3, Restarts: 2, Seed: 1})
		if err := m.Fit(X[f.Train[0] : f.Train[len(f.Train)-1]+1]); err != nil {
			fmt.Println(err)
			return
		}
		last := f.Test[len(f.Test)-1]
		probs := m.Filter(X[:last+1])
		for _, i := range f.Test {
			bull[i] = probs[i][2]
		}
		fmt.Printf("trained on %s, used %s\n", f.TrainWindow(dates), f.TestWindow(dates))
	}
	// Output:
	// trained on 2020-01-01..2020-12-30, used 2020-12-31..2021-12-30
	// trained on 2020-01-01..2021-12-30, used 2021-12-31..2022-12-30
	// trained on 2020-01-01..2022-12-30, used 2022-12-31..2023-04-14
}
