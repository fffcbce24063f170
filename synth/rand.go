package synth

import (
	"math"
	"math/rand/v2"
)

// Stream identifiers: each part of the model draws from its own PCG
// stream so that, for example, adding a factor does not move any price.
const (
	streamRegime uint64 = 0x7265_6769_6d65 // "regime"
	streamFactor uint64 = 0x6661_6374_6f72 // "factor"
	streamNames  uint64 = 0x6e61_6d65_7300 // "names"
	streamToken  uint64 = 0x746f_6b65_6e00 // "token" (+ index)
	streamStable uint64 = 0x7374_6162_6c65 // "stable" (+ index)
	streamMarket uint64 = 0x6d61_726b_6574 // "market"
)

// splitmix64 scrambles x (Steele, Lea and Flood's SplitMix finaliser).
func splitmix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// newRand returns the PCG stream (seed, stream, index).
func newRand(seed int64, stream uint64, index int) *rand.Rand {
	a := splitmix64(uint64(seed) ^ splitmix64(stream+uint64(index)))
	b := splitmix64(a ^ stream ^ uint64(index)<<32)
	return rand.New(rand.NewPCG(a, b))
}

// studentT4 returns a Student-t variate with 4 degrees of freedom scaled
// to unit variance: Z / sqrt(chi2(4)/4) with chi2(4) = 2(E1+E2), and
// variance 4/(4-2) = 2 divided out.
func studentT4(r *rand.Rand) float64 {
	z := r.NormFloat64()
	e := r.ExpFloat64() + r.ExpFloat64()
	return z / math.Sqrt(e) // z/sqrt((E1+E2)/2) / sqrt(2)
}

// studentT3 returns a Student-t variate with 3 degrees of freedom scaled
// to unit variance: chi2(3) = 2E + Z'^2, variance 3.
func studentT3(r *rand.Rand) float64 {
	z := r.NormFloat64()
	w := r.NormFloat64()
	chi := 2*r.ExpFloat64() + w*w
	return z / math.Sqrt(chi) // z/sqrt(chi/3) / sqrt(3)
}

// sig8 rounds v > 0 to 8 significant digits so that its shortest decimal
// form is short; other values are returned unchanged.
func sig8(v float64) float64 {
	if !(v > 0) || math.IsInf(v, 0) {
		return v
	}
	k := 7 - int(math.Floor(math.Log10(v)))
	switch {
	case k > 22:
		return v // below 1e-15: keep as is
	case k >= 0:
		p := math.Pow10(k)
		return math.Round(v*p) / p
	default:
		p := math.Pow10(-k)
		return math.Round(v/p) * p
	}
}
