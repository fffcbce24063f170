package model

import (
	"math"
	"sort"

	"github.com/regime-engine/regime"
)

// Calibration methods.
const (
	CalibNone     = ""         // no calibration
	CalibPlatt    = "platt"    // sigmoid of an affine map of the logit
	CalibIsotonic = "isotonic" // monotone step-linear map (pool adjacent violators)
)

// Calibration configures how a classifier calibrates its probabilities.
// The base model is fitted on the head of the training window and the
// calibrator on the newest Holdout fraction of it (time order, never later
// data). Gap rows between head and tail are dropped so that the head's
// labels (whose horizon is Gap rows) do not overlap the tail.
type Calibration struct {
	Method  string  `json:"method"`  // CalibNone, CalibPlatt or CalibIsotonic
	Holdout float64 `json:"holdout"` // fraction of rows held out, in (0, 0.5]; 0 = 0.2
	Gap     int     `json:"gap"`     // rows purged between head and tail (the label horizon)
}

// Split returns the number of head rows and the index of the first tail
// row for n training rows. It returns an EINVALID *regime.Error for an
// unknown method or when either part would have fewer than 10 rows.
func (c Calibration) Split(n int) (head, tailStart int, err error) {
	if c.Method != CalibPlatt && c.Method != CalibIsotonic {
		return 0, 0, regime.Errorf(regime.EINVALID, "calibration: unknown method %q (want %q or %q)", c.Method, CalibPlatt, CalibIsotonic)
	}
	h := c.Holdout
	if h == 0 {
		h = 0.2
	}
	if !(h > 0 && h <= 0.5) {
		return 0, 0, regime.Errorf(regime.EINVALID, "calibration: holdout %v outside (0, 0.5]", c.Holdout)
	}
	if c.Gap < 0 {
		return 0, 0, regime.Errorf(regime.EINVALID, "calibration: negative gap %d", c.Gap)
	}
	tail := int(math.Round(h * float64(n)))
	tailStart = n - tail
	head = tailStart - c.Gap
	if tail < 10 || head < 10 {
		return 0, 0, regime.Errorf(regime.EINVALID, "calibration: %d rows are too few for a %.0f%% holdout with a %d-row gap", n, 100*h, c.Gap)
	}
	return head, tailStart, nil
}

// Calibrator maps raw class probabilities to calibrated ones, one-vs-rest
// per class then renormalised (binary models calibrate class 1 only).
type Calibrator struct {
	Method string     `json:"method"`
	Platt  []Platt    `json:"platt,omitempty"`
	Iso    []Isotonic `json:"isotonic,omitempty"`
}

// FitCalibrator fits a calibrator of the given method on raw probabilities
// P (rows × classes) of held-out rows with labels y and optional weights w.
func FitCalibrator(method string, P [][]float64, y []int, w []float64) (*Calibrator, error) {
	if len(P) == 0 || len(P) != len(y) {
		return nil, regime.Errorf(regime.EINVALID, "calibration: %d probability rows for %d labels", len(P), len(y))
	}
	k := len(P[0])
	classes := []int{1}
	if k > 2 {
		classes = make([]int, k)
		for c := range classes {
			classes[c] = c
		}
	}
	cal := &Calibrator{Method: method}
	p := make([]float64, len(P))
	t := make([]int, len(P))
	for _, c := range classes {
		for i := range P {
			p[i] = P[i][c]
			t[i] = 0
			if y[i] == c {
				t[i] = 1
			}
		}
		switch method {
		case CalibPlatt:
			cal.Platt = append(cal.Platt, FitPlatt(p, t, w))
		case CalibIsotonic:
			cal.Iso = append(cal.Iso, FitIsotonic(p, t, w))
		default:
			return nil, regime.Errorf(regime.EINVALID, "calibration: unknown method %q", method)
		}
	}
	return cal, nil
}

// Check returns an EINVALID *regime.Error unless c (possibly nil) is a
// well-formed calibrator for the given number of classes; loaders call it
// so that Apply cannot fail on a corrupted file.
func (c *Calibrator) Check(classes int) error {
	if c == nil {
		return nil
	}
	want := 1
	if classes > 2 {
		want = classes
	}
	bad := regime.Errorf(regime.EINVALID, "calibration: malformed %q calibrator for %d classes", c.Method, classes)
	switch c.Method {
	case CalibPlatt:
		if len(c.Platt) != want || len(c.Iso) != 0 {
			return bad
		}
	case CalibIsotonic:
		if len(c.Iso) != want || len(c.Platt) != 0 {
			return bad
		}
		for _, iso := range c.Iso {
			if len(iso.X) != len(iso.Y) || !sort.Float64sAreSorted(iso.X) {
				return bad
			}
		}
	default:
		return bad
	}
	return nil
}

// Apply returns the calibrated version of the class probabilities p. A nil
// Calibrator returns p unchanged.
func (c *Calibrator) Apply(p []float64) []float64 {
	if c == nil || p == nil {
		return p
	}
	k := len(p)
	m := func(i int, v float64) float64 {
		if c.Method == CalibPlatt {
			return c.Platt[i].Apply(v)
		}
		return c.Iso[i].Apply(v)
	}
	out := make([]float64, k)
	if k == 2 {
		q := m(0, p[1])
		out[0], out[1] = 1-q, q
		return out
	}
	sum := 0.0
	for i := range p {
		out[i] = m(i, p[i])
		sum += out[i]
	}
	if sum <= 0 {
		for i := range out {
			out[i] = 1 / float64(k)
		}
		return out
	}
	for i := range out {
		out[i] /= sum
	}
	return out
}

// Platt is a sigmoid calibrator: q = 1/(1+exp(-(A·logit(p)+B))).
type Platt struct {
	A Float `json:"a"`
	B Float `json:"b"`
}

// logit with the probability clipped to [1e-12, 1-1e-12].
func logit(p float64) float64 {
	p = math.Min(math.Max(p, 1e-12), 1-1e-12)
	return math.Log(p / (1 - p))
}

// FitPlatt fits A and B by Newton's method on the weighted log-loss, with
// Platt's smoothed targets (N₊+1)/(N₊+2) and 1/(N₋+2) that keep the fit
// finite on separable data.
func FitPlatt(p []float64, y []int, w []float64) Platt {
	var npos, nneg float64
	for i := range p {
		if y[i] == 1 {
			npos += Weight(w, i)
		} else {
			nneg += Weight(w, i)
		}
	}
	hi, lo := (npos+1)/(npos+2), 1/(nneg+2)
	z := make([]float64, len(p))
	for i := range p {
		z[i] = logit(p[i])
	}
	a, b := 1.0, 0.0
	loss := func(a, b float64) float64 {
		s := 0.0
		for i := range z {
			t := lo
			if y[i] == 1 {
				t = hi
			}
			f := a*z[i] + b
			// log(1+e^f) - t f, computed stably
			s += Weight(w, i) * (softplus(f) - t*f)
		}
		return s
	}
	cur := loss(a, b)
	for it := 0; it < 100; it++ {
		var ga, gb, haa, hab, hbb float64
		for i := range z {
			t := lo
			if y[i] == 1 {
				t = hi
			}
			q := sigmoid(a*z[i] + b)
			wi := Weight(w, i)
			d := wi * (q - t)
			ga += d * z[i]
			gb += d
			h := wi * q * (1 - q)
			haa += h * z[i] * z[i]
			hab += h * z[i]
			hbb += h
		}
		haa += 1e-12
		hbb += 1e-12
		det := haa*hbb - hab*hab
		if det <= 0 {
			break
		}
		da := (hbb*ga - hab*gb) / det
		db := (haa*gb - hab*ga) / det
		step := 1.0
		for ; step > 1e-10; step /= 2 {
			na, nb := a-step*da, b-step*db
			if nl := loss(na, nb); nl <= cur {
				a, b = na, nb
				improved := cur - nl
				cur = nl
				if improved < 1e-12*(1+math.Abs(cur)) {
					return Platt{A: Float(a), B: Float(b)}
				}
				break
			}
		}
		if step <= 1e-10 {
			break
		}
	}
	return Platt{A: Float(a), B: Float(b)}
}

// Apply maps a raw probability to a calibrated one.
func (c Platt) Apply(p float64) float64 {
	if math.IsNaN(p) {
		return p
	}
	return sigmoid(float64(c.A)*logit(p) + float64(c.B))
}

func sigmoid(f float64) float64 {
	if f >= 0 {
		return 1 / (1 + math.Exp(-f))
	}
	e := math.Exp(f)
	return e / (1 + e)
}

func softplus(f float64) float64 {
	if f > 0 {
		return f + math.Log1p(math.Exp(-f))
	}
	return math.Log1p(math.Exp(f))
}

// Isotonic is a monotone non-decreasing calibrator: linear interpolation
// between knots (X ascending, Y non-decreasing), constant outside them.
type Isotonic struct {
	X Vec `json:"x"`
	Y Vec `json:"y"`
}

// FitIsotonic fits a weighted isotonic regression of y on p with the pool
// adjacent violators algorithm. Each pooled block contributes a knot at its
// smallest and largest p.
func FitIsotonic(p []float64, y []int, w []float64) Isotonic {
	idx := make([]int, 0, len(p))
	for i := range p {
		if !math.IsNaN(p[i]) && Weight(w, i) > 0 {
			idx = append(idx, i)
		}
	}
	sort.SliceStable(idx, func(a, b int) bool { return p[idx[a]] < p[idx[b]] })
	type block struct{ lo, hi, sw, sy float64 }
	var st []block
	for _, i := range idx {
		wi := Weight(w, i)
		b := block{lo: p[i], hi: p[i], sw: wi, sy: wi * float64(y[i])}
		// equal p values always share a block
		for len(st) > 0 {
			top := st[len(st)-1]
			if top.hi == b.lo || top.sy/top.sw >= b.sy/b.sw {
				b = block{lo: top.lo, hi: b.hi, sw: top.sw + b.sw, sy: top.sy + b.sy}
				st = st[:len(st)-1]
				continue
			}
			break
		}
		st = append(st, b)
	}
	var iso Isotonic
	for _, b := range st {
		v := b.sy / b.sw
		iso.X = append(iso.X, b.lo)
		iso.Y = append(iso.Y, v)
		if b.hi > b.lo {
			iso.X = append(iso.X, b.hi)
			iso.Y = append(iso.Y, v)
		}
	}
	return iso
}

// Apply maps a raw probability to a calibrated one.
func (c Isotonic) Apply(p float64) float64 {
	n := len(c.X)
	switch {
	case math.IsNaN(p) || n == 0:
		return p
	case p <= c.X[0]:
		return c.Y[0]
	case p >= c.X[n-1]:
		return c.Y[n-1]
	}
	j := sort.SearchFloat64s(c.X, p) // c.X[j-1] < p <= c.X[j]
	x0, x1, y0, y1 := c.X[j-1], c.X[j], c.Y[j-1], c.Y[j]
	return y0 + (y1-y0)*(p-x0)/(x1-x0)
}

// Brier returns the weighted mean squared error between the predicted
// probability of class 1 and the 0/1 outcome.
func Brier(p []float64, y []int, w []float64) float64 {
	var s, sw float64
	for i := range p {
		d := p[i] - float64(y[i])
		s += Weight(w, i) * d * d
		sw += Weight(w, i)
	}
	return s / sw
}

// LogLoss returns the weighted mean negative log-likelihood of the labels
// under the class probabilities P (clipped at 1e-15).
func LogLoss(P [][]float64, y []int, w []float64) float64 {
	var s, sw float64
	for i := range P {
		s -= Weight(w, i) * math.Log(math.Max(P[i][y[i]], 1e-15))
		sw += Weight(w, i)
	}
	return s / sw
}

// Bin is one bin of a reliability diagram.
type Bin struct {
	Lo, Hi   float64 // probability range [Lo, Hi)
	Count    int
	MeanPred float64 // mean predicted probability (NaN when empty)
	Freq     float64 // observed frequency of class 1 (NaN when empty)
}

// Reliability returns a reliability diagram of bins equal-width bins and the
// expected calibration error (count-weighted mean |MeanPred − Freq|).
func Reliability(p []float64, y []int, bins int) ([]Bin, float64) {
	out := make([]Bin, bins)
	sp := make([]float64, bins)
	sy := make([]float64, bins)
	for b := range out {
		out[b].Lo, out[b].Hi = float64(b)/float64(bins), float64(b+1)/float64(bins)
	}
	for i, v := range p {
		if math.IsNaN(v) {
			continue
		}
		b := min(max(int(v*float64(bins)), 0), bins-1)
		out[b].Count++
		sp[b] += v
		sy[b] += float64(y[i])
	}
	ece, n := 0.0, 0
	for b := range out {
		if out[b].Count == 0 {
			out[b].MeanPred, out[b].Freq = math.NaN(), math.NaN()
			continue
		}
		c := float64(out[b].Count)
		out[b].MeanPred, out[b].Freq = sp[b]/c, sy[b]/c
		ece += c * math.Abs(out[b].MeanPred-out[b].Freq)
		n += out[b].Count
	}
	if n > 0 {
		ece /= float64(n)
	}
	return out, ece
}
