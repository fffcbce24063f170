package model

import (
	"sort"

	"github.com/regime-engine/regime"
)

// Window kinds of a Schedule.
const (
	Expanding = "expanding" // train on all eligible history (the default)
	Rolling   = "rolling"   // train on the last Schedule.Length days only
)

// Schedule configures walk-forward retraining. All spans are calendar days
// (differences of regime.Date), so gaps in the data do not stretch them.
type Schedule struct {
	RetrainEvery int    `json:"retrain_every"` // days between retrains, ≥ 1
	MinTrain     int    `json:"min_train"`     // rows needed before the first fold, ≥ 1
	Embargo      int    `json:"embargo"`       // days between the end of the last training label and the test block, ≥ 0
	Purge        int    `json:"purge"`         // extra days added to every label horizon when purging, ≥ 0
	Window       string `json:"window"`        // Expanding (or "") or Rolling
	Length       int    `json:"length"`        // rolling window length in days (Rolling only)
}

// Fold is one walk-forward step: a model is trained on Train and used,
// unchanged, on Test. Indices refer to the dates slice given to
// WalkForward and are ascending.
type Fold struct {
	Train []int
	Test  []int
}

// TrainWindow returns the dates of the first and last training rows.
func (f Fold) TrainWindow(dates []regime.Date) regime.DateRange {
	return regime.DateRange{From: dates[f.Train[0]], To: dates[f.Train[len(f.Train)-1]]}
}

// TestWindow returns the dates of the first and last test rows.
func (f Fold) TestWindow(dates []regime.Date) regime.DateRange {
	return regime.DateRange{From: dates[f.Test[0]], To: dates[f.Test[len(f.Test)-1]]}
}

// WalkForward splits time-ordered rows into folds for walk-forward
// retraining. The label of row i is assumed to depend on data up to
// dates[i]+labelHorizon (for example a forward return over labelHorizon
// days). Row i is in the training set of a fold whose test block starts on
// day T only if
//
//	dates[i] + labelHorizon + Purge < T − Embargo
//
// so every training label's horizon ends strictly before the first test
// day minus the embargo (purging in the sense of López de Prado), and for
// a Rolling window also dates[i] ≥ T − Length. Test blocks are contiguous,
// cover consecutive rows from the first retrain on, and each starts the
// first day at least RetrainEvery days after the previous one. The first
// fold starts at the first row whose training set has MinTrain rows.
//
// Labels from the bull/bear dating (detect.DateCycles) are computed on the
// whole sample, so the label of day t can depend on prices long after t.
// Either re-date inside each fold using only prices up to the fold's first
// test day (RunWalkForward hands the training rows to its fit callback,
// which can relabel them), or pass as labelHorizon a bound on how many days
// after t the dated label of t becomes final.
//
// It returns an EINVALID *regime.Error for dates that do not strictly
// increase or an invalid schedule, and no folds (nil, nil) when the data
// is too short for one.
func WalkForward(dates []regime.Date, labelHorizon int, cfg Schedule) ([]Fold, error) {
	if err := cfg.validate(labelHorizon); err != nil {
		return nil, err
	}
	for i := 1; i < len(dates); i++ {
		if dates[i] <= dates[i-1] {
			return nil, regime.Errorf(regime.EINVALID, "walk-forward: dates not increasing at row %d (%s after %s)", i, dates[i], dates[i-1])
		}
	}
	// trainRange returns [lo, hi) of the rows eligible to train for a test
	// block starting at row s.
	lag := regime.Date(labelHorizon + cfg.Purge + cfg.Embargo)
	trainRange := func(s int) (int, int) {
		t := dates[s]
		hi := sort.Search(len(dates), func(i int) bool { return dates[i]+lag >= t })
		lo := 0
		if cfg.Window == Rolling {
			from := t - regime.Date(cfg.Length)
			lo = sort.Search(len(dates), func(i int) bool { return dates[i] >= from })
		}
		return lo, max(lo, hi)
	}
	var starts []int
	for s := 0; s < len(dates); s++ {
		if len(starts) > 0 && dates[s] < dates[starts[len(starts)-1]]+regime.Date(cfg.RetrainEvery) {
			continue
		}
		if lo, hi := trainRange(s); hi-lo >= cfg.MinTrain {
			starts = append(starts, s)
		}
	}
	if len(starts) == 0 {
		return nil, nil
	}
	folds := make([]Fold, len(starts))
	for k, s := range starts {
		end := len(dates)
		if k+1 < len(starts) {
			end = starts[k+1]
		}
		lo, hi := trainRange(s)
		f := Fold{Train: make([]int, hi-lo), Test: make([]int, end-s)}
		for i := range f.Train {
			f.Train[i] = lo + i
		}
		for i := range f.Test {
			f.Test[i] = s + i
		}
		folds[k] = f
	}
	return folds, nil
}

func (c Schedule) validate(h int) error {
	switch {
	case h < 0:
		return regime.Errorf(regime.EINVALID, "walk-forward: negative label horizon %d", h)
	case c.RetrainEvery < 1:
		return regime.Errorf(regime.EINVALID, "walk-forward: retrain_every %d must be at least 1 day", c.RetrainEvery)
	case c.MinTrain < 1:
		return regime.Errorf(regime.EINVALID, "walk-forward: min_train %d must be at least 1 row", c.MinTrain)
	case c.Embargo < 0:
		return regime.Errorf(regime.EINVALID, "walk-forward: negative embargo %d", c.Embargo)
	case c.Purge < 0:
		return regime.Errorf(regime.EINVALID, "walk-forward: negative purge %d", c.Purge)
	case c.Window != "" && c.Window != Expanding && c.Window != Rolling:
		return regime.Errorf(regime.EINVALID, "walk-forward: unknown window %q (want %q or %q)", c.Window, Expanding, Rolling)
	case c.Window == Rolling && c.Length < 1:
		return regime.Errorf(regime.EINVALID, "walk-forward: rolling window needs a length of at least 1 day, got %d", c.Length)
	}
	return nil
}
