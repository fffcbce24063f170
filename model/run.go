package model

import (
	"fmt"

	"github.com/regime-engine/regime"
)

// FoldResult describes the model used on one walk-forward fold.
type FoldResult struct {
	Train regime.DateRange // dates of the first and last training rows
	Test  regime.DateRange // dates of the first and last test rows
	Rows  int              // training rows
	Meta  Meta             // the fitted model's Meta, when it has a Meta() method
}

// WalkResult is the out-of-sample output of RunWalkForward.
type WalkResult struct {
	// Probs[i] are the class probabilities for row i from the model of the
	// fold whose test block holds row i; nil for rows before the first fold.
	Probs [][]float64
	Folds []FoldResult
}

// RunWalkForward splits d with WalkForward(d.Dates, labelHorizon, s), fits
// one model per fold on the fold's training rows with fit, and predicts the
// fold's test rows with it. Every prediction is out of sample: the model
// that produced Probs[i] saw no label whose horizon reaches row i's fold.
//
// It returns the errors of Dataset.Validate and WalkForward, and the first
// error of fit wrapped with the fold's test window.
func RunWalkForward(d Dataset, labelHorizon int, s Schedule, fit func(train Dataset) (Classifier, error)) (*WalkResult, error) {
	if err := d.Validate(); err != nil {
		return nil, err
	}
	if d.Y == nil {
		return nil, regime.Errorf(regime.EINVALID, "walk-forward: dataset has no labels")
	}
	folds, err := WalkForward(d.Dates, labelHorizon, s)
	if err != nil {
		return nil, err
	}
	res := &WalkResult{Probs: make([][]float64, d.Len())}
	for _, f := range folds {
		train := d.Subset(f.Train)
		fr := FoldResult{Train: f.TrainWindow(d.Dates), Test: f.TestWindow(d.Dates), Rows: len(f.Train)}
		c, err := fit(train)
		if err != nil {
			return nil, fmt.Errorf("walk-forward: fold testing %s: %w", fr.Test, err)
		}
		if m, ok := c.(interface{ Meta() Meta }); ok {
			fr.Meta = m.Meta()
		}
		for _, i := range f.Test {
			res.Probs[i] = c.PredictProba(d.X[i])
		}
		res.Folds = append(res.Folds, fr)
	}
	return res, nil
}
