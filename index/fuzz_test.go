package index_test

import (
	"testing"

	"github.com/regime-engine/regime/index"
)

// FuzzParseExposure checks that any accepted mapping is valid and
// survives a round trip through String.
func FuzzParseExposure(f *testing.F) {
	for _, s := range []string{"0,0.25,0.5,1,1", "0,0,0,0,0", "1,1,1,1,1", "0,0.5,0.25,1,1", "", ",,,,", "NaN,0,0,0,0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e, err := index.ParseExposure(s)
		if err != nil {
			return
		}
		if e.Validate() != nil {
			t.Fatalf("accepted invalid mapping %q", s)
		}
		back, err := index.ParseExposure(e.String())
		if err != nil || back != e {
			t.Fatalf("round trip of %q: %v, %v", s, back, err)
		}
	})
}

// FuzzParseLevel checks that any accepted level is valid or NoLevel and
// survives a round trip through String.
func FuzzParseLevel(f *testing.F) {
	for _, s := range []string{"bullish", "-2", "none", "", "+1", "level(3)"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		l, err := index.ParseLevel(s)
		if err != nil {
			return
		}
		if !l.Valid() && l != index.NoLevel {
			t.Fatalf("accepted invalid level %q -> %d", s, l)
		}
		if back, err := index.ParseLevel(l.String()); err != nil || back != l {
			t.Fatalf("round trip of %q: %v, %v", s, back, err)
		}
	})
}
