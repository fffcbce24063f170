package live

import (
	"sort"

	"github.com/regime-engine/regime"
)

// CleanDays returns rows sorted by date with one row per day, keeping days
// in [from, before) (a zero bound is open). Every row dropped or moved is
// counted on s with its reason: "out of order" (the payload was not sorted
// ascending; repaired by sorting), "duplicate day" (the same day again
// with the same values), "conflicting duplicate day" (the same day with
// different values: the first one received is kept), "before start", "day
// not closed" (on or after before: today's value is still moving). same
// compares two rows of the same day.
func CleanDays[T any](s *Session, rows []T, date func(T) regime.Date, same func(a, b T) bool, from, before regime.Date) []T {
	out := make([]T, len(rows))
	copy(out, rows)
	if !sort.SliceIsSorted(out, func(i, j int) bool { return date(out[i]) < date(out[j]) }) {
		// Count rows that are not where a sort would leave them relative
		// to their predecessor.
		n := 0
		for i := 1; i < len(out); i++ {
			if date(out[i]) < date(out[i-1]) {
				n++
			}
		}
		s.Repair("out of order", n)
		sort.SliceStable(out, func(i, j int) bool { return date(out[i]) < date(out[j]) })
	}
	k := 0
	for i, r := range out {
		d := date(r)
		switch {
		case from != regime.NoDate && d < from:
			s.Repair("before start", 1)
			continue
		case before != regime.NoDate && d >= before:
			s.Repair("day not closed", 1)
			continue
		case i > 0 && k > 0 && date(out[k-1]) == d:
			if same(out[k-1], r) {
				s.Repair("duplicate day", 1)
			} else {
				s.Repair("conflicting duplicate day", 1)
			}
			continue
		}
		out[k] = r
		k++
	}
	return out[:k]
}

// Gaps counts the days missing between consecutive dates of sorted rows.
func Gaps[T any](rows []T, date func(T) regime.Date) int {
	n := 0
	for i := 1; i < len(rows); i++ {
		if g := int(date(rows[i]) - date(rows[i-1])); g > 1 {
			n += g - 1
		}
	}
	return n
}
