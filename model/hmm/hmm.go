// Package hmm is a Gaussian hidden Markov model with diagonal covariance
// for Regime's regime detection: K hidden market states, each emitting a
// few features (say the daily return first, then volatility) from its own
// normal distribution.
//
// Fitting is Baum–Welch (EM) with several seeded restarts and a variance
// floor; the restart with the highest likelihood wins. Smoothed state
// probabilities are used inside EM only: for prediction the package
// exposes FILTERED probabilities P(state_t | x_1..x_t), computed by the
// scaled forward algorithm, so a value at day t never uses data after t.
//
// States are put in a canonical order after fitting, ascending by the mean
// of the first feature (then the second, ...), so with the return first
// state 0 is the most bearish and state K−1 the most bullish, whatever the
// seed.
//
// Missing values (NaN) are marginalised: with diagonal covariance a missing
// feature drops out of the emission density, and an all-missing row is a
// pure prediction step.
package hmm

import (
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"sort"
	"sync"

	"github.com/regime-engine/regime"
	"github.com/regime-engine/regime/model"
)

// Kind is the Meta.Kind of a saved HMM.
const Kind = "hmm"

// Config holds the hyperparameters. Zero values select the defaults shown.
type Config struct {
	States   int     `json:"states"`    // hidden states K ≥ 2; 2
	Restarts int     `json:"restarts"`  // EM runs from seeded random starts; 5
	MaxIter  int     `json:"max_iter"`  // EM iterations per restart; 200
	Tol      float64 `json:"tol"`       // stop when the log-likelihood gains less (per row); 1e-8
	VarFloor float64 `json:"var_floor"` // variance floor as a fraction of each feature's variance; 1e-3
	Seed     uint64  `json:"seed"`
}

func (c Config) withDefaults() Config {
	if c.States == 0 {
		c.States = 2
	}
	if c.Restarts == 0 {
		c.Restarts = 5
	}
	if c.MaxIter == 0 {
		c.MaxIter = 200
	}
	if c.Tol == 0 {
		c.Tol = 1e-8
	}
	if c.VarFloor == 0 {
		c.VarFloor = 1e-3
	}
	return c
}

// params is everything filtering needs; it is what is saved and hashed.
type params struct {
	States   int         `json:"states"`
	Features int         `json:"features"`
	Start    model.Vec   `json:"start"` // initial distribution of the filter: the stationary distribution of Trans
	Trans    []model.Vec `json:"trans"` // Trans[i][j] = P(s_t = j | s_t-1 = i)
	Mean     []model.Vec `json:"mean"`  // [state][feature]
	Var      []model.Vec `json:"var"`   // [state][feature]
}

// Model is a fitted Gaussian HMM. Create it with New.
type Model struct {
	cfg      Config
	features []string
	window   regime.DateRange
	p        *params
	trace    []float64
}

// New returns an unfitted model with the given hyperparameters.
func New(cfg Config) *Model { return &Model{cfg: cfg} }

// Fit estimates the model from one time-ordered sequence of rows X (NaN =
// missing). It returns an EINVALID *regime.Error for invalid
// hyperparameters, ragged rows, fewer rows than 2·States, or a feature
// that is never observed.
func (m *Model) Fit(X [][]float64) error {
	cfg := m.cfg.withDefaults()
	switch {
	case cfg.States < 2:
		return regime.Errorf(regime.EINVALID, "hmm: states %d must be at least 2", cfg.States)
	case cfg.Restarts < 1 || cfg.MaxIter < 1:
		return regime.Errorf(regime.EINVALID, "hmm: restarts %d and max iter %d must be positive", cfg.Restarts, cfg.MaxIter)
	case !(cfg.VarFloor > 0) || !(cfg.Tol > 0):
		return regime.Errorf(regime.EINVALID, "hmm: var floor %v and tol %v must be positive", cfg.VarFloor, cfg.Tol)
	case len(X) < 2*cfg.States:
		return regime.Errorf(regime.EINVALID, "hmm: %d rows are too few for %d states", len(X), cfg.States)
	}
	d := len(X[0])
	if d == 0 {
		return regime.Errorf(regime.EINVALID, "hmm: rows have no features")
	}
	mean, vr := make([]float64, d), make([]float64, d)
	for j := 0; j < d; j++ {
		var s, ss float64
		n := 0
		for i, x := range X {
			if len(x) != d {
				return regime.Errorf(regime.EINVALID, "hmm: row %d has %d values, row 0 has %d", i, len(x), d)
			}
			if math.IsInf(x[j], 0) {
				return regime.Errorf(regime.EINVALID, "hmm: infinite value in row %d feature %d", i, j)
			}
			if !math.IsNaN(x[j]) {
				s += x[j]
				n++
			}
		}
		if n == 0 {
			return regime.Errorf(regime.EINVALID, "hmm: feature %d is never observed", j)
		}
		mean[j] = s / float64(n)
		for _, x := range X {
			if !math.IsNaN(x[j]) {
				ss += (x[j] - mean[j]) * (x[j] - mean[j])
			}
		}
		vr[j] = ss / float64(n)
	}
	floor := make([]float64, d)
	for j := range floor {
		floor[j] = math.Max(cfg.VarFloor*vr[j], 1e-12)
	}
	type result struct {
		p     *params
		trace []float64
	}
	res := make([]result, cfg.Restarts)
	var wg sync.WaitGroup
	for r := range res {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(cfg.Seed, uint64(r)))
			p := initParams(rng, X, cfg.States, mean, vr)
			trace := em(p, X, floor, cfg)
			res[r] = result{p, trace}
		}()
	}
	wg.Wait()
	best := 0
	for r := range res {
		if last(res[r].trace) > last(res[best].trace) {
			best = r
		}
	}
	p := res[best].p
	canonical(p)
	p.Start = stationary(p.Trans)
	m.p, m.trace = p, res[best].trace
	return nil
}

func last(v []float64) float64 {
	if len(v) == 0 || math.IsNaN(v[len(v)-1]) {
		return math.Inf(-1)
	}
	return v[len(v)-1]
}

// FitDataset fits on d.X (labels and weights are ignored) and records its feature
// names and date window in the model's Meta.
func (m *Model) FitDataset(d model.Dataset) error {
	if err := d.Validate(); err != nil {
		return fmt.Errorf("hmm: %w", err)
	}
	if err := m.Fit(d.X); err != nil {
		return err
	}
	m.features = append([]string(nil), d.Features...)
	m.window = d.Window()
	return nil
}

// initParams draws a random starting point: means at K distinct random
// rows (missing entries at the overall mean), overall variances, a sticky
// random transition matrix and a uniform start.
func initParams(rng *rand.Rand, X [][]float64, k int, mean, vr []float64) *params {
	d := len(mean)
	p := &params{States: k, Features: d, Start: make(model.Vec, k)}
	rows := rng.Perm(len(X))[:k]
	sort.Ints(rows)
	for s := 0; s < k; s++ {
		mu, v := make(model.Vec, d), make(model.Vec, d)
		for j := 0; j < d; j++ {
			mu[j] = X[rows[s]][j]
			if math.IsNaN(mu[j]) {
				mu[j] = mean[j]
			}
			v[j] = math.Max(vr[j], 1e-12)
		}
		p.Mean = append(p.Mean, mu)
		p.Var = append(p.Var, v)
		p.Start[s] = 1 / float64(k)
		row := make(model.Vec, k)
		stay := 0.8 + 0.15*rng.Float64()
		for j := range row {
			row[j] = (1 - stay) / float64(k-1)
		}
		row[s] = stay
		p.Trans = append(p.Trans, row)
	}
	return p
}

// logEmit stores log N(x | state) for every state in out, skipping missing
// features.
func (p *params) logEmit(out []float64, x []float64) {
	for s := 0; s < p.States; s++ {
		l := 0.0
		for j, v := range x {
			if math.IsNaN(v) {
				continue
			}
			dv := v - p.Mean[s][j]
			l -= 0.5 * (math.Log(2*math.Pi*p.Var[s][j]) + dv*dv/p.Var[s][j])
		}
		out[s] = l
	}
}

// em runs Baum–Welch on p in place and returns the log-likelihood of the
// data under each successive parameter set (the last entry is for the
// returned p).
func em(p *params, X [][]float64, floor []float64, cfg Config) []float64 {
	T, K, d := len(X), p.States, p.Features
	alpha := make([]float64, T*K)
	beta := make([]float64, T*K)
	b := make([]float64, T*K) // scaled emission densities
	scale := make([]float64, T)
	var trace []float64
	for it := 0; ; it++ {
		// E-step: scaled forward.
		ll := 0.0
		for t, x := range X {
			bt := b[t*K : (t+1)*K]
			p.logEmit(bt, x)
			mx := math.Inf(-1)
			for _, v := range bt {
				mx = math.Max(mx, v)
			}
			for s := range bt {
				bt[s] = math.Exp(bt[s] - mx)
			}
			at := alpha[t*K : (t+1)*K]
			c := 0.0
			for s := 0; s < K; s++ {
				prior := p.Start[s]
				if t > 0 {
					prior = 0
					for r := 0; r < K; r++ {
						prior += alpha[(t-1)*K+r] * p.Trans[r][s]
					}
				}
				at[s] = prior * bt[s]
				c += at[s]
			}
			if !(c > 0) {
				return append(trace, math.NaN())
			}
			for s := range at {
				at[s] /= c
			}
			scale[t] = c
			ll += mx + math.Log(c)
		}
		trace = append(trace, ll)
		if it >= cfg.MaxIter || (it > 0 && ll-trace[it-1] < cfg.Tol*float64(T)) {
			return trace
		}
		// backward
		for s := 0; s < K; s++ {
			beta[(T-1)*K+s] = 1
		}
		for t := T - 2; t >= 0; t-- {
			for r := 0; r < K; r++ {
				v := 0.0
				for s := 0; s < K; s++ {
					v += p.Trans[r][s] * b[(t+1)*K+s] * beta[(t+1)*K+s]
				}
				beta[t*K+r] = v / scale[t+1]
			}
		}
		// M-step
		trans := make([][]float64, K)
		for r := range trans {
			trans[r] = make([]float64, K)
		}
		occ := make([]float64, K) // Σ_{t<T-1} γ_t
		sg := make([][]float64, K)
		sx := make([][]float64, K)
		sxx := make([][]float64, K)
		for s := range sg {
			sg[s], sx[s], sxx[s] = make([]float64, d), make([]float64, d), make([]float64, d)
		}
		gamma := make([]float64, K)
		for t, x := range X {
			norm := 0.0
			for s := 0; s < K; s++ {
				gamma[s] = alpha[t*K+s] * beta[t*K+s]
				norm += gamma[s]
			}
			for s := 0; s < K; s++ {
				g := gamma[s] / norm
				if t == 0 {
					p.Start[s] = g
				}
				if t < T-1 {
					occ[s] += g
				}
				for j, v := range x {
					if !math.IsNaN(v) {
						sg[s][j] += g
						sx[s][j] += g * v
					}
				}
			}
			if t < T-1 {
				for r := 0; r < K; r++ {
					for s := 0; s < K; s++ {
						trans[r][s] += alpha[t*K+r] * p.Trans[r][s] * b[(t+1)*K+s] * beta[(t+1)*K+s] / scale[t+1]
					}
				}
			}
		}
		for s := 0; s < K; s++ {
			for j := 0; j < d; j++ {
				if sg[s][j] > 0 {
					p.Mean[s][j] = sx[s][j] / sg[s][j]
				}
			}
		}
		for t, x := range X {
			norm := 0.0
			for s := 0; s < K; s++ {
				gamma[s] = alpha[t*K+s] * beta[t*K+s]
				norm += gamma[s]
			}
			for s := 0; s < K; s++ {
				g := gamma[s] / norm
				for j, v := range x {
					if !math.IsNaN(v) {
						dv := v - p.Mean[s][j]
						sxx[s][j] += g * dv * dv
					}
				}
			}
		}
		for s := 0; s < K; s++ {
			for j := 0; j < d; j++ {
				if sg[s][j] > 0 {
					p.Var[s][j] = math.Max(sxx[s][j]/sg[s][j], floor[j])
				}
			}
			rowSum := 0.0
			for r := 0; r < K; r++ {
				rowSum += trans[s][r]
			}
			if rowSum > 0 && occ[s] > 0 {
				for r := 0; r < K; r++ {
					p.Trans[s][r] = trans[s][r] / rowSum
				}
			}
		}
	}
}

// canonical reorders the states ascending by mean (first feature first).
func canonical(p *params) {
	K := p.States
	perm := make([]int, K)
	for i := range perm {
		perm[i] = i
	}
	sort.SliceStable(perm, func(a, b int) bool {
		ma, mb := p.Mean[perm[a]], p.Mean[perm[b]]
		for j := range ma {
			if ma[j] != mb[j] {
				return ma[j] < mb[j]
			}
		}
		return false
	})
	q := &params{States: K, Features: p.Features, Start: make(model.Vec, K)}
	for i, s := range perm {
		q.Start[i] = p.Start[s]
		q.Mean = append(q.Mean, p.Mean[s])
		q.Var = append(q.Var, p.Var[s])
		row := make(model.Vec, K)
		for j, r := range perm {
			row[j] = p.Trans[s][r]
		}
		q.Trans = append(q.Trans, row)
	}
	*p = *q
}

// stationary returns the stationary distribution of the transition matrix
// by power iteration from the uniform distribution.
func stationary(A []model.Vec) model.Vec {
	K := len(A)
	pi := make([]float64, K)
	for i := range pi {
		pi[i] = 1 / float64(K)
	}
	next := make([]float64, K)
	for it := 0; it < 100000; it++ {
		clear(next)
		for r := 0; r < K; r++ {
			for s := 0; s < K; s++ {
				next[s] += pi[r] * A[r][s]
			}
		}
		diff := 0.0
		for s := range pi {
			diff = math.Max(diff, math.Abs(next[s]-pi[s]))
		}
		pi, next = next, pi
		if diff < 1e-15 {
			break
		}
	}
	return model.Vec(pi)
}

// LogLikTrace returns the log-likelihood of the training data after each
// EM iteration of the winning restart (index 0 = the random start); nil
// for a loaded model. It is computed with EM's own initial distribution,
// not the stationary one the filter starts from, so the last value can
// differ slightly from a Filter's LogLikelihood over the same rows.
func (m *Model) LogLikTrace() []float64 { return append([]float64(nil), m.trace...) }

// States returns the number of states (0 before Fit).
func (m *Model) States() int {
	if m.p == nil {
		return 0
	}
	return m.p.States
}

// Means returns a copy of the state means [state][feature] in canonical
// order; nil before Fit.
func (m *Model) Means() [][]float64 { return m.copyRows(func(p *params) []model.Vec { return p.Mean }) }

// Variances returns a copy of the state variances [state][feature].
func (m *Model) Variances() [][]float64 {
	return m.copyRows(func(p *params) []model.Vec { return p.Var })
}

// Transitions returns a copy of the transition matrix [from][to].
func (m *Model) Transitions() [][]float64 {
	return m.copyRows(func(p *params) []model.Vec { return p.Trans })
}

func (m *Model) copyRows(get func(*params) []model.Vec) [][]float64 {
	if m.p == nil {
		return nil
	}
	src := get(m.p)
	out := make([][]float64, len(src))
	for i, r := range src {
		out[i] = append([]float64(nil), r...)
	}
	return out
}

// Filter is the streaming forward filter of a fitted model. Each Step
// consumes the next day's row and returns P(state | rows so far).
type Filter struct {
	p     *params
	prob  []float64
	lb    []float64
	ll    float64
	steps int
}

// NewFilter returns a filter at the start of a sequence (before any row),
// or nil when the model is not fitted.
func (m *Model) NewFilter() *Filter {
	if m.p == nil {
		return nil
	}
	return &Filter{p: m.p, lb: make([]float64, m.p.States)}
}

// Step advances the filter by one row x (NaN = missing) and returns the
// filtered state probabilities for that day. It returns nil, and leaves
// the filter unchanged, when x has the wrong length.
func (f *Filter) Step(x []float64) []float64 {
	p := f.p
	if len(x) != p.Features {
		return nil
	}
	K := p.States
	prior := make([]float64, K)
	if f.prob == nil {
		copy(prior, p.Start)
	} else {
		for r := 0; r < K; r++ {
			for s := 0; s < K; s++ {
				prior[s] += f.prob[r] * p.Trans[r][s]
			}
		}
	}
	p.logEmit(f.lb, x)
	mx := math.Inf(-1)
	for _, v := range f.lb {
		mx = math.Max(mx, v)
	}
	c := 0.0
	post := make([]float64, K)
	for s := range post {
		post[s] = prior[s] * math.Exp(f.lb[s]-mx)
		c += post[s]
	}
	if !(c > 0) || math.IsInf(mx, 0) {
		// the row is impossible under every state (or non-finite): keep the prediction
		copy(post, prior)
		c = 1
		mx = 0
	}
	for s := range post {
		post[s] /= c
	}
	f.ll += mx + math.Log(c)
	f.prob = post
	f.steps++
	return append([]float64(nil), post...)
}

// LogLikelihood returns log p(x_1..x_t) of the rows stepped so far.
func (f *Filter) LogLikelihood() float64 { return f.ll }

// Filter returns the filtered probabilities P(state_t | x_1..x_t) for
// every row of the sequence X, starting a fresh filter. Row t of the
// result depends only on X[0..t]. It returns nil when the model is not
// fitted or a row has the wrong length.
func (m *Model) Filter(X [][]float64) [][]float64 {
	f := m.NewFilter()
	if f == nil {
		return nil
	}
	out := make([][]float64, len(X))
	for t, x := range X {
		if out[t] = f.Step(x); out[t] == nil {
			return nil
		}
	}
	return out
}

// Meta returns the provenance of the fitted model, including its hash.
func (m *Model) Meta() model.Meta {
	return model.Hashed(m.meta(), m.p)
}

func (m *Model) meta() model.Meta {
	return model.Meta{Kind: Kind, Features: m.features, From: m.window.From, To: m.window.To,
		Hyper: model.HyperJSON(m.cfg.withDefaults()), Seed: m.cfg.Seed}
}

// Save writes the fitted model as deterministic JSON. It returns an
// EINVALID error when the model is not fitted.
func (m *Model) Save(w io.Writer) error {
	return model.Save(w, m.meta(), m.p)
}

// Load reads a model written by Save. It returns an EINVALID error for
// malformed, tampered, inconsistent or foreign input.
func Load(r io.Reader) (*Model, error) {
	var p params
	var cfg Config
	meta, err := model.Load(r, Kind, &p, &cfg)
	if err != nil {
		return nil, err
	}
	K, d := p.States, p.Features
	ok := K >= 2 && d >= 1 && len(p.Start) == K && len(p.Trans) == K && len(p.Mean) == K && len(p.Var) == K
	for s := 0; ok && s < K; s++ {
		ok = len(p.Trans[s]) == K && len(p.Mean[s]) == d && len(p.Var[s]) == d
		for j := 0; ok && j < d; j++ {
			ok = p.Var[s][j] > 0
		}
	}
	if !ok {
		return nil, regime.Errorf(regime.EINVALID, "hmm: inconsistent saved parameters")
	}
	return &Model{cfg: cfg, features: meta.Features, window: regime.DateRange{From: meta.From, To: meta.To}, p: &p}, nil
}
