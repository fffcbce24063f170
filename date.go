// Package regime is the domain of the Regime engine: assets, daily bars,
// observations, universe snapshots, the store interfaces every backend
// implements, user-facing error codes and progress events.
//
// The package imports only the standard library. Concrete stores live in
// subpackages named for what they wrap (sqlite), data sources in ingest/,
// and the single place where concrete types are wired together is
// cmd/regime.
package regime

import (
	"fmt"
	"time"
)

// Date is a UTC calendar day counted as days since 1970-01-01. It is the
// time axis of every daily series in Regime: compact, comparable with <,
// and free of time-zone ambiguity.
type Date int32

// DateLayout is the textual form of a Date (ISO 8601, YYYY-MM-DD).
const DateLayout = "2006-01-02"

// NoDate is the zero-value sentinel for "unknown date". It is 1970-01-01,
// which predates every crypto asset, so it never collides with real data.
const NoDate Date = 0

// ParseDate parses YYYY-MM-DD. It returns an EINVALID *Error naming the
// offending text on failure.
func ParseDate(s string) (Date, error) {
	t, err := time.Parse(DateLayout, s)
	if err != nil {
		return 0, Errorf(EINVALID, "invalid date %q: want YYYY-MM-DD", s)
	}
	return DateOf(t), nil
}

// MustDate is ParseDate for constants in tests and examples; it panics on
// malformed input and must not be used on user input.
func MustDate(s string) Date {
	d, err := ParseDate(s)
	if err != nil {
		panic(err)
	}
	return d
}

// DateOf returns the UTC calendar day containing t.
func DateOf(t time.Time) Date {
	u := t.UTC()
	return Date(time.Date(u.Year(), u.Month(), u.Day(), 0, 0, 0, 0, time.UTC).Unix() / 86400)
}

// Time returns midnight UTC at the start of d.
func (d Date) Time() time.Time { return time.Unix(int64(d)*86400, 0).UTC() }

// String formats d as YYYY-MM-DD.
func (d Date) String() string { return d.Time().Format(DateLayout) }

// AddDays returns d shifted by n days.
func (d Date) AddDays(n int) Date { return d + Date(n) }

// MarshalText implements encoding.TextMarshaler so Dates appear as
// YYYY-MM-DD in JSON and CSV.
func (d Date) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (d *Date) UnmarshalText(b []byte) error {
	v, err := ParseDate(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// DateRange is an inclusive range of days. A zero From or To means
// unbounded on that side.
type DateRange struct {
	From Date
	To   Date
}

// Contains reports whether d lies in the range.
func (r DateRange) Contains(d Date) bool {
	return (r.From == NoDate || d >= r.From) && (r.To == NoDate || d <= r.To)
}

// Validate returns an EINVALID error when From is after To.
func (r DateRange) Validate() error {
	if r.From != NoDate && r.To != NoDate && r.From > r.To {
		return Errorf(EINVALID, "invalid date range: from %s is after to %s", r.From, r.To)
	}
	return nil
}

// String formats the range as FROM..TO with "…" for an open side.
func (r DateRange) String() string {
	f, t := "…", "…"
	if r.From != NoDate {
		f = r.From.String()
	}
	if r.To != NoDate {
		t = r.To.String()
	}
	return fmt.Sprintf("%s..%s", f, t)
}
