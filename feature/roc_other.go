//go:build !amd64 || purego

package feature

// rocPct writes 100*(x[j]/prev[j] - 1) into dst[j], NaN where the ratio is
// not finite. The three slices have the same length.
func rocPct(dst, x, prev []float64) {
	prev, dst = prev[:len(x)], dst[:len(x)]
	for j, v := range x {
		r := v / prev[j]
		dst[j] = 100*(r-1) + (r - r) // + 0 when finite, NaN otherwise
	}
}
