package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"text/tabwriter"
)

// Columns are the headings of the table WriteTable prints.
var Columns = []string{"SECTION", "NAME", "VALUE", "UNIT", "REFERENCE", "RATIO", "TARGET", "STATUS", "CPU", "ALLOCS", "NOTE"}

// WriteTable prints rep as an aligned text table: a header with the
// machine, then one line per row. Projections are marked with "~" before
// the value and "(projection)" in the note.
func WriteTable(w io.Writer, rep *Report) error {
	m := rep.Machine
	mode := "full"
	if rep.Quick {
		mode = "quick"
	}
	fmt.Fprintf(w, "regime bench (%s) %s\n", mode, m.Started)
	fmt.Fprintf(w, "go %s %s/%s  cpu %q  NumCPU %d  GOMAXPROCS %d\n", m.GoVersion, m.OS, m.Arch, m.CPU, m.NumCPU, m.GOMAXPROCS)
	fmt.Fprintf(w, "memory: %s\n\n", m.MemoryNote)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(Columns, "\t"))
	for _, r := range rep.Rows {
		val := num(r.Value)
		note := r.Note
		if r.Projection {
			val = "~" + val
			note = strings.TrimSpace("(projection) " + note)
		}
		ref := "-"
		if r.RefName != "" {
			ref = r.RefName + " " + num(r.Ref)
		}
		ratio := "-"
		if r.RatioOf != "" {
			ratio = num(r.Ratio) + " (" + r.RatioOf + ")"
		}
		fmt.Fprintln(tw, strings.Join([]string{r.Section, r.Name, val, r.Unit, ref, ratio, r.Target.String(), r.Status, num(r.CPU), num(r.Allocs), note}, "\t"))
	}
	return tw.Flush()
}

// WriteJSON writes rep as indented JSON (unmeasured numbers are null).
func WriteJSON(w io.Writer, rep *Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(rep)
}

// num formats x with 3 significant digits (more for large integers'
// readability), "-" for NaN.
func num(x float64) string {
	switch {
	case math.IsNaN(x):
		return "-"
	case math.IsInf(x, 0):
		return strconv.FormatFloat(x, 'f', -1, 64)
	case x == 0:
		return "0"
	case math.Abs(x) >= 100:
		return strconv.FormatFloat(x, 'f', 0, 64)
	case math.Abs(x) >= 0.01:
		return strconv.FormatFloat(x, 'g', 3, 64)
	}
	return strconv.FormatFloat(x, 'e', 2, 64)
}
