package gbt

import (
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"sort"
	"sync"
)

// maxBins is the largest number of value bins; bin index maxBins holds
// missing values.
const (
	maxBins    = 255
	missingBin = maxBins
	histWidth  = maxBins + 1
)

// binned is the training matrix in bin space, column-major.
type binned struct {
	n, p  int
	bins  [][]uint8   // [feature][row]
	edges [][]float64 // [feature][bin]: upper bound of each value bin; the last is +Inf
}

// binData computes quantile bins of every column of X on its non-missing
// values: a column with at most maxBins distinct values gets one bin per
// value, others get bins at the quantiles k/maxBins. A value v falls in the
// first bin whose upper bound is ≥ v, so bin(v) ≤ b exactly when
// v ≤ edges[b], which is the threshold a split on bin b saves.
func binData(X [][]float64, maxB int) *binned {
	n, p := len(X), len(X[0])
	b := &binned{n: n, p: p, bins: make([][]uint8, p), edges: make([][]float64, p)}
	parallel(p, func(lo, hi int) {
		vals := make([]float64, 0, n)
		for f := lo; f < hi; f++ {
			vals = vals[:0]
			for _, x := range X {
				if !math.IsNaN(x[f]) {
					vals = append(vals, x[f])
				}
			}
			slices.Sort(vals)
			uniq := slices.Compact(slices.Clone(vals))
			var e []float64
			if len(uniq) <= maxB {
				e = uniq
			} else {
				for k := 1; k < maxB; k++ {
					v := vals[k*len(vals)/maxB-1]
					if len(e) == 0 || v > e[len(e)-1] {
						e = append(e, v)
					}
				}
				if e[len(e)-1] < uniq[len(uniq)-1] {
					e = append(e, uniq[len(uniq)-1])
				}
			}
			if len(e) == 0 {
				e = []float64{0}
			}
			e[len(e)-1] = math.Inf(1)
			col := make([]uint8, n)
			for i, x := range X {
				v := x[f]
				if math.IsNaN(v) {
					col[i] = missingBin
					continue
				}
				col[i] = uint8(sort.SearchFloat64s(e, v))
			}
			b.bins[f], b.edges[f] = col, e
		}
	})
	return b
}

// parallel runs fn over [0,n) split into contiguous chunks, one goroutine
// per chunk. Each index is handled by exactly one call, so results that
// are written per index do not depend on scheduling.
func parallel(n int, fn func(lo, hi int)) {
	w := min(runtime.GOMAXPROCS(0), n)
	if w <= 1 {
		fn(0, n)
		return
	}
	var wg sync.WaitGroup
	for c := range w {
		lo, hi := c*n/w, (c+1)*n/w
		wg.Add(1)
		go func() {
			defer wg.Done()
			fn(lo, hi)
		}()
	}
	wg.Wait()
}

// bucket is one histogram bin: sums of gradients and hessians and the
// row count.
type bucket struct {
	g, h float64
	n    int64
}

// hist holds one bucket per feature and bin, flattened as
// [feature*histWidth + bin].
type hist []bucket

// gh is a row's gradient and hessian, gathered in leaf order.
type gh struct{ g, h float64 }

// split is the best split of a leaf.
type split struct {
	gain        float64
	feature     int
	bin         int
	missingLeft bool
	gl, hl      float64
	nl          int
}

// leaf is a leaf under construction; it owns rows[start:end].
type leaf struct {
	node       int
	start, end int
	depth      int
	g, h       float64
	hist       *hist
	best       split
}

// grower builds trees on binned data.
type grower struct {
	cfg     Config
	data    *binned
	g, h    []float64 // gradients and hessians of the current logit
	rows    []int32   // sampled rows, partitioned by leaf
	tmp     []int32
	ordered []gh  // gradient buffer for build
	feats   []int // features allowed in the current round
	pool    []*hist
}

func (gr *grower) newHist() *hist {
	if k := len(gr.pool); k > 0 {
		h := gr.pool[k-1]
		gr.pool = gr.pool[:k-1]
		return h
	}
	h := make(hist, gr.data.p*histWidth)
	return &h
}

func (gr *grower) release(h *hist) {
	if h != nil {
		gr.pool = append(gr.pool, h)
	}
}

// build fills hs with the sums over rows for the allowed features. The
// rows' gradients are first gathered into leaf order so that the inner
// loop reads them sequentially.
func (gr *grower) build(hs *hist, rows []int32) {
	og := gr.ordered[:len(rows)]
	for k, i := range rows {
		og[k] = gh{gr.g[i], gr.h[i]}
	}
	work := func(lo, hi int) {
		for _, f := range gr.feats[lo:hi] {
			hb := (*hs)[f*histWidth : (f+1)*histWidth]
			clear(hb)
			col := gr.data.bins[f]
			for k, i := range rows {
				e := &hb[col[i]]
				e.g += og[k].g
				e.h += og[k].h
				e.n++
			}
		}
	}
	if len(rows)*len(gr.feats) < 1<<15 {
		work(0, len(gr.feats))
		return
	}
	parallel(len(gr.feats), work)
}

// subtract sets parent = parent − child for the allowed features.
func (gr *grower) subtract(parent, child *hist) {
	for _, f := range gr.feats {
		pb := (*parent)[f*histWidth : (f+1)*histWidth]
		cb := (*child)[f*histWidth : (f+1)*histWidth]
		for b := range pb {
			pb[b].g -= cb[b].g
			pb[b].h -= cb[b].h
			pb[b].n -= cb[b].n
		}
	}
}

func (gr *grower) score(g, h float64) float64 { return g * g / (h + gr.cfg.L2) }

// splitChunk is the number of features scanned by one task of findSplit.
// It is a constant, not derived from the number of CPUs, so that the
// reduction order (and hence near-tie resolution) is the same everywhere.
const splitChunk = 8

// findSplit sets l.best to the split with the largest gain (gain 0 when no
// split satisfies the constraints). Ties go to the lower feature, then the
// lower bin, then missing-right.
func (gr *grower) findSplit(l *leaf) {
	l.best = split{}
	n := l.end - l.start
	if n < 2*gr.cfg.MinLeaf || (gr.cfg.MaxDepth > 0 && l.depth >= gr.cfg.MaxDepth) {
		return
	}
	chunks := (len(gr.feats) + splitChunk - 1) / splitChunk
	best := make([]split, chunks)
	scan := func(lo, hi int) {
		for c := lo; c < hi; c++ {
			best[c] = gr.scanFeatures(l, gr.feats[c*splitChunk:min((c+1)*splitChunk, len(gr.feats))])
		}
	}
	if chunks > 1 && n >= 1024 {
		parallel(chunks, scan)
	} else {
		scan(0, chunks)
	}
	for _, b := range best {
		if b.gain > l.best.gain {
			l.best = b
		}
	}
}

// scanFeatures returns the best split of l over feats.
func (gr *grower) scanFeatures(l *leaf, feats []int) split {
	var best split
	n := l.end - l.start
	parent := gr.score(l.g, l.h)
	minLeaf, minH := gr.cfg.MinLeaf, gr.cfg.MinHessian
	lam := gr.cfg.L2
	for _, f := range feats {
		nb := len(gr.data.edges[f])
		hb := (*l.hist)[f*histWidth : (f+1)*histWidth]
		mg, mh, mn := hb[missingBin].g, hb[missingBin].h, int(hb[missingBin].n)
		var gl, hl float64
		nl := 0
		// b = nb-1 with missing right separates missing from observed.
		for b := 0; b < nb; b++ {
			if hb[b].n == 0 && b < nb-1 {
				continue // same statistics as the previous bin: no better split
			}
			gl += hb[b].g
			hl += hb[b].h
			nl += int(hb[b].n)
			if (b == nb-1 && mn == 0) || n-nl < minLeaf {
				break // every later split leaves too few rows on the right
			}
			for dir := 0; dir < 2; dir++ {
				if b == nb-1 && dir == 1 {
					break
				}
				g, h, c := gl, hl, nl
				if dir == 1 {
					if mn == 0 {
						break
					}
					g, h, c = gl+mg, hl+mh, nl+mn
				}
				if c < minLeaf || n-c < minLeaf || h < minH || l.h-h < minH {
					continue
				}
				gr2, hr := l.g-g, l.h-h
				gain := g*g/(h+lam) + gr2*gr2/(hr+lam) - parent
				if gain > best.gain {
					ml := dir == 1
					if mn == 0 {
						ml = c >= n-c // no missing seen: the larger child takes them
					}
					best = split{gain: gain, feature: f, bin: b, missingLeft: ml, gl: g, hl: h, nl: c}
				}
			}
		}
	}
	if best.gain <= 1e-12*math.Abs(parent) {
		return split{}
	}
	return best
}

// tree grows one tree on the sampled rows with the current g and h and
// returns it with its bin thresholds (for updating training scores).
func (gr *grower) tree() (*Tree, []int) {
	t := &Tree{}
	var binThr []int
	addNode := func() int {
		t.Feature = append(t.Feature, -1)
		t.Threshold = append(t.Threshold, 0)
		t.MissingLeft = append(t.MissingLeft, false)
		t.Left = append(t.Left, 0)
		t.Right = append(t.Right, 0)
		t.Value = append(t.Value, 0)
		t.Gain = append(t.Gain, 0)
		binThr = append(binThr, 0)
		return len(t.Feature) - 1
	}
	root := &leaf{node: addNode(), start: 0, end: len(gr.rows), hist: gr.newHist()}
	for _, i := range gr.rows {
		root.g += gr.g[i]
		root.h += gr.h[i]
	}
	gr.build(root.hist, gr.rows)
	gr.findSplit(root)
	leaves := []*leaf{root}
	for len(leaves) < gr.cfg.MaxLeaves {
		bi := -1
		for i, l := range leaves {
			if l.best.gain > 0 && (bi < 0 || l.best.gain > leaves[bi].best.gain) {
				bi = i
			}
		}
		if bi < 0 {
			break
		}
		l := leaves[bi]
		s := l.best
		// stable partition of rows[start:end]
		col := gr.data.bins[s.feature]
		seg := gr.rows[l.start:l.end]
		left, right := 0, 0
		tmp := gr.tmp[:0]
		for _, i := range seg {
			b := col[i]
			if (b == missingBin && s.missingLeft) || (b != missingBin && int(b) <= s.bin) {
				seg[left] = i
				left++
			} else {
				tmp = append(tmp, i)
				right++
			}
		}
		copy(seg[left:], tmp)
		gr.tmp = tmp
		t.Feature[l.node] = s.feature
		t.Threshold[l.node] = gr.data.edges[s.feature][s.bin]
		t.MissingLeft[l.node] = s.missingLeft
		t.Gain[l.node] = s.gain
		binThr[l.node] = s.bin
		ln, rn := addNode(), addNode()
		t.Left[l.node], t.Right[l.node] = ln, rn
		L := &leaf{node: ln, start: l.start, end: l.start + left, depth: l.depth + 1, g: s.gl, h: s.hl}
		R := &leaf{node: rn, start: l.start + left, end: l.end, depth: l.depth + 1, g: l.g - s.gl, h: l.h - s.hl}
		small, large := L, R
		if R.end-R.start < L.end-L.start {
			small, large = R, L
		}
		small.hist = gr.newHist()
		gr.build(small.hist, gr.rows[small.start:small.end])
		gr.subtract(l.hist, small.hist)
		large.hist, l.hist = l.hist, nil
		gr.findSplit(L)
		gr.findSplit(R)
		leaves[bi] = L
		leaves = append(leaves, R)
		for _, c := range []*leaf{L, R} {
			if c.best.gain <= 0 {
				gr.release(c.hist)
				c.hist = nil
			}
		}
	}
	for _, l := range leaves {
		t.Value[l.node] = -gr.cfg.LearningRate * l.g / (l.h + gr.cfg.L2)
		gr.release(l.hist)
	}
	return t, binThr
}

// train fits the boosted ensemble and returns it with the training loss
// after each round.
func train(X [][]float64, y []int, w []float64, k int, cfg Config) (*params, []float64) {
	cfg.L2 = math.Max(cfg.L2, 0) // negative means no penalty
	n := len(X)
	data := binData(X, cfg.MaxBins)
	p := &params{Classes: k, Features: data.p}
	r := p.logits()
	// initial scores: log-odds (binary) or log-priors (softmax)
	prior := make([]float64, k)
	sw := 0.0
	for i := range y {
		prior[y[i]] += weight(w, i)
		sw += weight(w, i)
	}
	p.Init = make([]float64, r)
	const eps = 1e-6
	if r == 1 {
		q := math.Min(math.Max(prior[1]/sw, eps), 1-eps)
		p.Init[0] = math.Log(q / (1 - q))
	} else {
		for c := range prior {
			p.Init[c] = math.Log(math.Max(prior[c]/sw, eps))
		}
	}
	F := make([]float64, n*r)
	for i := 0; i < n; i++ {
		copy(F[i*r:(i+1)*r], p.Init)
	}
	rng := rand.New(rand.NewPCG(cfg.Seed, 0x5eed))
	gr := &grower{cfg: cfg, data: data, g: make([]float64, n), h: make([]float64, n),
		tmp: make([]int32, 0, n), ordered: make([]gh, n)}
	prob := make([]float64, n*k)
	loss := []float64{updateProbs(prob, F, y, w, k)}
	all := make([]int32, n)
	for i := range all {
		all[i] = int32(i)
	}
	allFeats := make([]int, data.p)
	for f := range allFeats {
		allFeats[f] = f
	}
	for round := 0; round < cfg.Trees; round++ {
		rows := sampleRows(rng, all, cfg.RowSample)
		gr.feats = sampleFeats(rng, allFeats, cfg.ColSample)
		for c := 0; c < r; c++ {
			cls := c
			if r == 1 {
				cls = 1
			}
			for i := 0; i < n; i++ {
				q := prob[i*k+cls]
				yi := 0.0
				if y[i] == cls {
					yi = 1
				}
				wi := weight(w, i)
				gr.g[i] = wi * (q - yi)
				gr.h[i] = wi * math.Max(q*(1-q), 1e-16)
			}
			gr.rows = append(gr.rows[:0], rows...)
			t, binThr := gr.tree()
			for i := 0; i < n; i++ {
				F[i*r+c] += leafValue(t, binThr, data, i)
			}
			p.Trees = append(p.Trees, *t)
		}
		loss = append(loss, updateProbs(prob, F, y, w, k))
	}
	p.compile()
	return p, loss
}

// leafValue routes training row i through t in bin space.
func leafValue(t *Tree, binThr []int, data *binned, i int) float64 {
	j := 0
	for t.Feature[j] >= 0 {
		b := data.bins[t.Feature[j]][i]
		if (b == missingBin && t.MissingLeft[j]) || (b != missingBin && int(b) <= binThr[j]) {
			j = t.Left[j]
		} else {
			j = t.Right[j]
		}
	}
	return float64(t.Value[j])
}

// updateProbs recomputes the class probabilities from the raw scores and
// returns the weighted mean log-loss.
func updateProbs(prob, F []float64, y []int, w []float64, k int) float64 {
	r := len(F) / len(y)
	var s, sw float64
	for i := range y {
		probs(prob[i*k:(i+1)*k], F[i*r:(i+1)*r])
		wi := weight(w, i)
		s -= wi * math.Log(math.Max(prob[i*k+y[i]], 1e-300))
		sw += wi
	}
	return s / sw
}

func weight(w []float64, i int) float64 {
	if w == nil {
		return 1
	}
	return w[i]
}

// sampleRows returns round(frac·n) rows drawn without replacement, in
// ascending order (all rows when frac = 1).
func sampleRows(rng *rand.Rand, all []int32, frac float64) []int32 {
	if frac >= 1 {
		return all
	}
	m := max(1, int(math.Round(frac*float64(len(all)))))
	perm := slices.Clone(all)
	for i := 0; i < m; i++ {
		j := i + rng.IntN(len(perm)-i)
		perm[i], perm[j] = perm[j], perm[i]
	}
	out := perm[:m]
	slices.Sort(out)
	return out
}

// sampleFeats returns round(frac·p) features (at least one), ascending.
func sampleFeats(rng *rand.Rand, all []int, frac float64) []int {
	if frac >= 1 {
		return all
	}
	m := max(1, int(math.Round(frac*float64(len(all)))))
	perm := slices.Clone(all)
	for i := 0; i < m; i++ {
		j := i + rng.IntN(len(perm)-i)
		perm[i], perm[j] = perm[j], perm[i]
	}
	out := perm[:m]
	slices.Sort(out)
	return out
}
