package logistic

import "math"

// Objective is the penalised training loss that Fit minimises, exposed so
// that its gradient can be checked:
//
//	f(θ) = Σᵢ wᵢ·(−log pᵢ[yᵢ]) / Σᵢ wᵢ + λ/2 · Σ β²   (intercepts excluded)
//
// For two classes θ holds one logit (d coefficients then the intercept);
// for k > 2 classes it holds k such blocks (softmax).
type Objective struct {
	X  [][]float64 // rows, already imputed and standardised
	Y  []int       // labels in 0..K-1
	W  []float64   // row weights; nil = all 1
	K  int         // number of classes
	L2 float64     // penalty λ

	sw float64
}

// NewObjective returns the objective on (already transformed) rows X.
func NewObjective(X [][]float64, y []int, w []float64, classes int, l2 float64) *Objective {
	o := &Objective{X: X, Y: y, W: w, K: classes, L2: l2}
	for i := range X {
		o.sw += weight(w, i)
	}
	return o
}

func weight(w []float64, i int) float64 {
	if w == nil {
		return 1
	}
	return w[i]
}

func (o *Objective) logits() int {
	if o.K == 2 {
		return 1
	}
	return o.K
}

func (o *Objective) width() int { return len(o.X[0]) + 1 }

// Dim returns the number of parameters.
func (o *Objective) Dim() int { return o.logits() * o.width() }

// Func returns f(θ).
func (o *Objective) Func(theta []float64) float64 {
	return o.eval(nil, theta)
}

// Grad stores ∇f(θ) in grad.
func (o *Objective) Grad(grad, theta []float64) {
	o.eval(grad, theta)
}

func (o *Objective) eval(grad, theta []float64) float64 {
	d := o.width()
	r := o.logits()
	for i := range grad {
		grad[i] = 0
	}
	eta := make([]float64, r)
	p := make([]float64, max(r, 2))
	loss := 0.0
	for i, x := range o.X {
		wi := weight(o.W, i) / o.sw
		if wi == 0 {
			continue
		}
		for k := 0; k < r; k++ {
			eta[k] = linear(theta[k*d:(k+1)*d], x)
		}
		if r == 1 {
			// −log p[y] = softplus(η) − y·η
			yi := float64(o.Y[i])
			loss += wi * (softplus(eta[0]) - yi*eta[0])
			if grad != nil {
				g := wi * (sigmoid(eta[0]) - yi)
				addScaled(grad[:d], g, x)
			}
			continue
		}
		lse := logSumExp(eta)
		loss += wi * (lse - eta[o.Y[i]])
		if grad != nil {
			for k := 0; k < r; k++ {
				p[k] = math.Exp(eta[k] - lse)
				g := p[k]
				if k == o.Y[i] {
					g--
				}
				addScaled(grad[k*d:(k+1)*d], wi*g, x)
			}
		}
	}
	for k := 0; k < r; k++ {
		for j := 0; j < d-1; j++ {
			b := theta[k*d+j]
			loss += 0.5 * o.L2 * b * b
			if grad != nil {
				grad[k*d+j] += o.L2 * b
			}
		}
	}
	return loss
}

// linear returns c[:len(x)]·x + c[len(x)] (intercept last).
func linear(c, x []float64) float64 {
	s := c[len(x)]
	for j, v := range x {
		s += c[j] * v
	}
	return s
}

// addScaled adds g·[x, 1] to dst.
func addScaled(dst []float64, g float64, x []float64) {
	for j, v := range x {
		dst[j] += g * v
	}
	dst[len(x)] += g
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

func logSumExp(v []float64) float64 {
	m := math.Inf(-1)
	for _, x := range v {
		m = math.Max(m, x)
	}
	s := 0.0
	for _, x := range v {
		s += math.Exp(x - m)
	}
	return m + math.Log(s)
}

func softmax(dst, eta []float64) {
	lse := logSumExp(eta)
	for k, e := range eta {
		dst[k] = math.Exp(e - lse)
	}
}
