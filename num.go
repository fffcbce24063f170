package regime

import (
	"encoding/json"
	"math"
	"strconv"
)

// Num is a float64 for JSON output that encodes a missing value (NaN,
// ±Inf) as null, since encoding/json rejects NaN, and decodes null as NaN.
// Numbers are written in the shortest form that reads back exactly. The
// CLI's --json output, the backtest report and the HTTP API share it.
type Num float64

// MarshalJSON encodes NaN and infinities as null.
func (n Num) MarshalJSON() ([]byte, error) {
	f := float64(n)
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return []byte("null"), nil
	}
	return strconv.AppendFloat(nil, f, 'g', -1, 64), nil
}

// UnmarshalJSON decodes null as NaN.
func (n *Num) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*n = Num(math.NaN())
		return nil
	}
	var f float64
	if err := json.Unmarshal(b, &f); err != nil {
		return err
	}
	*n = Num(f)
	return nil
}
