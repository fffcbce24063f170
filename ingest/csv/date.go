package csv

import "github.com/regime-engine/regime"

// appendDate appends d as YYYY-MM-DD without going through time.Time
// (civil-from-days, proleptic Gregorian).
func appendDate(b []byte, d regime.Date) []byte {
	z := int64(d) + 719468
	era := z / 146097
	if z < 0 && z%146097 != 0 {
		era--
	}
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	y := yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	day := doy - (153*mp+2)/5 + 1
	m := mp + 3
	if m > 12 {
		m -= 12
	}
	if m <= 2 {
		y++
	}
	if y < 0 || y > 9999 {
		return append(b, d.String()...)
	}
	return append(b,
		byte('0'+y/1000), byte('0'+y/100%10), byte('0'+y/10%10), byte('0'+y%10), '-',
		byte('0'+m/10), byte('0'+m%10), '-',
		byte('0'+day/10), byte('0'+day%10))
}

// parseDate parses exactly YYYY-MM-DD with a valid calendar day.
func parseDate(s string) (regime.Date, bool) {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return 0, false
	}
	num := func(t string) (int64, bool) {
		var v int64
		for i := 0; i < len(t); i++ {
			c := t[i]
			if c < '0' || c > '9' {
				return 0, false
			}
			v = v*10 + int64(c-'0')
		}
		return v, true
	}
	y, ok1 := num(s[:4])
	m, ok2 := num(s[5:7])
	d, ok3 := num(s[8:])
	if !ok1 || !ok2 || !ok3 || m < 1 || m > 12 || d < 1 || d > daysIn(y, m) {
		return 0, false
	}
	if m <= 2 {
		y--
	}
	era := y / 400
	yoe := y - era*400
	mm := m + 9
	if m > 2 {
		mm = m - 3
	}
	doy := (153*mm+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return regime.Date(era*146097 + doe - 719468), true
}

func daysIn(y, m int64) int64 {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// dateSet records which dates have been seen, as a bitmap that grows in
// both directions. Duplicate detection for one key costs one bit per day.
type dateSet struct {
	base regime.Date // date of bit 0 of bits[0], a multiple of 64
	bits []uint64
}

// add marks d and reports whether it was already marked.
func (s *dateSet) add(d regime.Date) bool {
	word := func(x regime.Date) regime.Date { // floor division by 64
		if x < 0 {
			return -((-x + 63) / 64)
		}
		return x / 64
	}
	w := word(d)
	if s.bits == nil {
		s.base = w * 64
		s.bits = make([]uint64, 1, 4)
	}
	b0 := word(s.base)
	if w < b0 {
		grow := int(b0 - w)
		nb := make([]uint64, grow+len(s.bits), grow+len(s.bits)+4)
		copy(nb[grow:], s.bits)
		s.bits, s.base, b0 = nb, w*64, w
	}
	i := int(w - b0)
	for i >= len(s.bits) {
		s.bits = append(s.bits, 0)
	}
	bit := uint64(1) << uint(d-s.base-regime.Date(i)*64)
	seen := s.bits[i]&bit != 0
	s.bits[i] |= bit
	return seen
}
