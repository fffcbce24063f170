package index

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/regime-engine/regime"
)

// Level is a regime level on the five-step scale of the Market Gauge,
// from StrongBearish (-2) to StrongBullish (+2). NoLevel marks a day
// without a signal (missing values are never encoded as Neutral).
type Level int8

// Regime levels. The numeric values are ordered from most bearish to most
// bullish.
const (
	StrongBearish Level = -2
	Bearish       Level = -1
	Neutral       Level = 0
	Bullish       Level = 1
	StrongBullish Level = 2
	// NoLevel means "no signal that day" (warm-up, missing data).
	NoLevel Level = math.MinInt8
)

// Levels lists the valid levels from most bearish to most bullish.
var Levels = []Level{StrongBearish, Bearish, Neutral, Bullish, StrongBullish}

var levelNames = [...]string{"strong_bearish", "bearish", "neutral", "bullish", "strong_bullish"}

// Valid reports whether l is one of Levels.
func (l Level) Valid() bool { return l >= StrongBearish && l <= StrongBullish }

// String returns the snake_case name of l ("strong_bearish" ...
// "strong_bullish"), "none" for NoLevel and "level(N)" otherwise.
func (l Level) String() string {
	switch {
	case l.Valid():
		return levelNames[l-StrongBearish]
	case l == NoLevel:
		return "none"
	}
	return fmt.Sprintf("level(%d)", int8(l))
}

// ParseLevel parses a level name as written by String, or its number
// (-2..2). "none" and "" parse as NoLevel.
func ParseLevel(s string) (Level, error) {
	s = strings.TrimSpace(strings.ToLower(s))
	switch s {
	case "", "none", "na", "nan":
		return NoLevel, nil
	}
	for i, n := range levelNames {
		if s == n {
			return Level(i) + StrongBearish, nil
		}
	}
	if v, err := strconv.Atoi(s); err == nil && v >= -2 && v <= 2 {
		return Level(v), nil
	}
	return NoLevel, regime.Errorf(regime.EINVALID, "invalid level %q: want strong_bearish, bearish, neutral, bullish, strong_bullish or -2..2", s)
}

// MarshalText implements encoding.TextMarshaler (the String form).
func (l Level) MarshalText() ([]byte, error) { return []byte(l.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler (see ParseLevel).
func (l *Level) UnmarshalText(b []byte) error {
	v, err := ParseLevel(string(b))
	if err != nil {
		return err
	}
	*l = v
	return nil
}
