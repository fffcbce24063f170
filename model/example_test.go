package model_test

import (
	"fmt"

	"github.com/regime-engine/regime"
	"github.com/regime-engine/regime/model"
)

// Labels are 5-day forward returns, so a training row's label is known 5
// days after its date. With a 2-day embargo, a model used from day T may
// only train on rows dated before T − 7.
func ExampleWalkForward() {
	start := regime.MustDate("2024-01-01")
	dates := make([]regime.Date, 40)
	for i := range dates {
		dates[i] = start.AddDays(i)
	}
	folds, err := model.WalkForward(dates, 5, model.Schedule{RetrainEvery: 10, MinTrain: 14, Embargo: 2})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, f := range folds {
		fmt.Printf("train %s  test %s\n", f.TrainWindow(dates), f.TestWindow(dates))
	}
	// Output:
	// train 2024-01-01..2024-01-14  test 2024-01-22..2024-01-31
	// train 2024-01-01..2024-01-24  test 2024-02-01..2024-02-09
}
