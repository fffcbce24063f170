//go:build !purego

package feature

// rocPct writes 100*(x[j]/prev[j] - 1) into dst[j], NaN where the ratio is
// not finite, two divisions per instruction (roc_amd64.s). The three
// slices have the same length.
//
//go:noescape
func rocPct(dst, x, prev []float64)
