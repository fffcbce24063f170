package detect_test

import (
	"math"

	"github.com/regime-engine/regime"
	"github.com/regime-engine/regime/detect"
)

// knot is a point of a synthetic price path: price on day Day.
type knot struct {
	Day   int
	Price float64
}

// path builds daily dates from 2020-01-01 and prices interpolated
// geometrically (straight in log price) between the knots, so every knot
// is a strict local extreme and the only one of its swing.
func path(knots ...knot) ([]regime.Date, []float64) {
	start := regime.MustDate("2020-01-01")
	n := knots[len(knots)-1].Day + 1
	dates := make([]regime.Date, n)
	price := make([]float64, n)
	for k := 0; k+1 < len(knots); k++ {
		a, b := knots[k], knots[k+1]
		for d := a.Day; d <= b.Day; d++ {
			f := float64(d-a.Day) / float64(b.Day-a.Day)
			price[d] = math.Exp(math.Log(a.Price) + f*(math.Log(b.Price)-math.Log(a.Price)))
		}
		price[a.Day], price[b.Day] = a.Price, b.Price
	}
	for i := range dates {
		dates[i] = start.AddDays(i)
	}
	return dates, price
}

// day returns the date of day i of a path.
func day(i int) regime.Date { return regime.MustDate("2020-01-01").AddDays(i) }

// states expands a run-length description into a label slice: pairs of
// (state, count).
func states(runs ...any) []detect.State {
	var out []detect.State
	for i := 0; i+1 < len(runs); i += 2 {
		for k := 0; k < runs[i+1].(int); k++ {
			out = append(out, runs[i].(detect.State))
		}
	}
	return out
}
