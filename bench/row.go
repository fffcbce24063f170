package bench

import (
	"encoding/json"
	"fmt"
	"math"
)

// Row is one measured figure. Value and Ref are in Unit; Ratio is computed
// from them as RatioOf says; Target, when set, applies to the value or the
// ratio and gives Status. A number that was not measured is NaN (null in
// JSON).
type Row struct {
	Section string  `json:"section"`
	Name    string  `json:"name"`
	Value   float64 `json:"value"`
	Unit    string  `json:"unit"`
	// RefName names the reference implementation measured in the same run
	// ("plain", "talib", "database/sql", "net/http"); empty without one.
	RefName string  `json:"ref_name,omitempty"`
	Ref     float64 `json:"ref"`
	// RatioOf is "value/ref" (lower is better for times) or "ref/value"
	// (how many times faster ours is); empty without a reference.
	RatioOf string  `json:"ratio_of,omitempty"`
	Ratio   float64 `json:"ratio"`
	// CPU is the process CPU time of ours in Unit's time unit per unit
	// where measured (see docs/bench.md: summed over cores, an upper
	// bound, steadier than wall time on a busy machine).
	CPU float64 `json:"cpu"`
	// Allocs is the allocations per unit of ours where measured.
	Allocs float64 `json:"allocs"`
	Target Target  `json:"target"`
	// Status is PASS or MISS against Target, "-" without a target and
	// "n/a" when the figure could not be measured.
	Status string `json:"status"`
	// Projection marks a figure extrapolated from a smaller measured run.
	Projection bool   `json:"projection,omitempty"`
	Note       string `json:"note,omitempty"`
}

// Target is a goal from the issues: On ("value" or "ratio") Op ("<=", "<"
// or ">=") Limit. The zero Target means none.
type Target struct {
	On    string  `json:"on,omitempty"`
	Op    string  `json:"op,omitempty"`
	Limit float64 `json:"limit,omitempty"`
}

// String renders t as e.g. "ratio <= 1.5" ("-" for none).
func (t Target) String() string {
	if t.Op == "" {
		return "-"
	}
	return fmt.Sprintf("%s %s %s", t.On, t.Op, num(t.Limit))
}

// Met reports whether x meets t.
func (t Target) Met(x float64) bool {
	switch t.Op {
	case "<=":
		return x <= t.Limit
	case "<":
		return x < t.Limit
	case ">=":
		return x >= t.Limit
	}
	return false
}

// Status values of a Row.
const (
	Pass     = "PASS"
	Miss     = "MISS"
	NoTarget = "-"
	NA       = "n/a"
)

// newRow returns a row with every number unmeasured.
func newRow(section, name string, value float64, unit string) Row {
	return Row{Section: section, Name: name, Value: value, Unit: unit, Ref: math.NaN(), Ratio: math.NaN(), CPU: math.NaN(), Allocs: math.NaN()}
}

// vs sets the reference and how the ratio is taken.
func (r Row) vs(refName string, ref float64, ratioOf string) Row {
	r.RefName, r.Ref, r.RatioOf = refName, ref, ratioOf
	return r
}

// want sets the target.
func (r Row) want(on, op string, limit float64) Row {
	r.Target = Target{On: on, Op: op, Limit: limit}
	return r
}

// finish computes Ratio from Value and Ref and Status from Target.
func (r *Row) finish() {
	r.Ratio = math.NaN()
	switch r.RatioOf {
	case "value/ref":
		r.Ratio = r.Value / r.Ref
	case "ref/value":
		r.Ratio = r.Ref / r.Value
	}
	if math.IsInf(r.Ratio, 0) {
		r.Ratio = math.NaN()
	}
	switch {
	case r.Status == NA:
	case r.Target.Op == "":
		r.Status = NoTarget
	default:
		x := r.Value
		if r.Target.On == "ratio" {
			x = r.Ratio
		}
		switch {
		case math.IsNaN(x):
			r.Status = NA
		case r.Target.Met(x):
			r.Status = Pass
		default:
			r.Status = Miss
		}
	}
}

// MarshalJSON writes unmeasured numbers (NaN) as null.
func (r Row) MarshalJSON() ([]byte, error) {
	type plain Row
	return json.Marshal(struct {
		plain
		Value  *float64 `json:"value"`
		Ref    *float64 `json:"ref"`
		Ratio  *float64 `json:"ratio"`
		CPU    *float64 `json:"cpu"`
		Allocs *float64 `json:"allocs"`
	}{plain(r), ptr(r.Value), ptr(r.Ref), ptr(r.Ratio), ptr(r.CPU), ptr(r.Allocs)})
}

// UnmarshalJSON reads null numbers as NaN.
func (r *Row) UnmarshalJSON(b []byte) error {
	type plain Row
	var v struct {
		plain
		Value  *float64 `json:"value"`
		Ref    *float64 `json:"ref"`
		Ratio  *float64 `json:"ratio"`
		CPU    *float64 `json:"cpu"`
		Allocs *float64 `json:"allocs"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*r = Row(v.plain)
	r.Value, r.Ref, r.Ratio, r.CPU, r.Allocs = unptr(v.Value), unptr(v.Ref), unptr(v.Ratio), unptr(v.CPU), unptr(v.Allocs)
	return nil
}

func ptr(x float64) *float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return nil
	}
	return &x
}

func unptr(p *float64) float64 {
	if p == nil {
		return math.NaN()
	}
	return *p
}
