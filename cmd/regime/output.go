package main

import (
	"encoding/json"
	"io"
	"math"
	"strconv"

	"github.com/regime-engine/regime"
)

// num is a float64 that encodes NaN (missing) as JSON null and prints as
// an empty CSV cell, because encoding/json rejects NaN.
type num float64

// MarshalJSON encodes n as regime.Num does: NaN and infinities as null.
func (n num) MarshalJSON() ([]byte, error) { return regime.Num(n).MarshalJSON() }

// String formats n for tables and CSV; missing is empty.
func (n num) String() string {
	f := float64(n)
	if math.IsNaN(f) {
		return ""
	}
	return strconv.FormatFloat(f, 'g', -1, 64)
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
