package detect

import (
	"fmt"

	"github.com/regime-engine/regime"
)

// State is a market state: Bear, Neutral or Bull. Neutral also means
// "unknown" (warm-up of an indicator, a provisional or undated day) where a
// function documents it.
type State int8

// Market states. The numeric values are the natural exposure sign.
const (
	Bear    State = -1
	Neutral State = 0
	Bull    State = +1
)

// String returns "bear", "neutral" or "bull" (or "state(N)" for an
// invalid value).
func (s State) String() string {
	switch s {
	case Bear:
		return "bear"
	case Neutral:
		return "neutral"
	case Bull:
		return "bull"
	}
	return fmt.Sprintf("state(%d)", int8(s))
}

// Valid reports whether s is Bear, Neutral or Bull.
func (s State) Valid() bool { return s >= Bear && s <= Bull }

// MarshalText implements encoding.TextMarshaler; it fails for an invalid
// State.
func (s State) MarshalText() ([]byte, error) {
	if !s.Valid() {
		return nil, regime.Errorf(regime.EINVALID, "invalid state %d", int8(s))
	}
	return []byte(s.String()), nil
}

// UnmarshalText implements encoding.TextUnmarshaler. It accepts the
// String forms.
func (s *State) UnmarshalText(b []byte) error {
	v, err := ParseState(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// ParseState parses "bear", "neutral" or "bull". It returns an EINVALID
// *regime.Error for anything else.
func ParseState(text string) (State, error) {
	switch text {
	case "bear":
		return Bear, nil
	case "neutral":
		return Neutral, nil
	case "bull":
		return Bull, nil
	}
	return Neutral, regime.Errorf(regime.EINVALID, "invalid state %q: want bear, neutral or bull", text)
}

// TurnKind says whether a turning point is a peak or a trough.
type TurnKind int8

// Turning point kinds.
const (
	Peak   TurnKind = 1  // a bull market ends and a bear market begins
	Trough TurnKind = -1 // a bear market ends and a bull market begins
)

// String returns "peak" or "trough".
func (k TurnKind) String() string {
	switch k {
	case Peak:
		return "peak"
	case Trough:
		return "trough"
	}
	return fmt.Sprintf("turn(%d)", int8(k))
}

// MarshalText implements encoding.TextMarshaler.
func (k TurnKind) MarshalText() ([]byte, error) {
	if k != Peak && k != Trough {
		return nil, regime.Errorf(regime.EINVALID, "invalid turning point kind %d", int8(k))
	}
	return []byte(k.String()), nil
}

// After returns the state that follows a turning point of kind k: Bear
// after a peak, Bull after a trough.
func (k TurnKind) After() State {
	if k == Peak {
		return Bear
	}
	return Bull
}
