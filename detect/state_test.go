package detect_test

import (
	"encoding/json"
	"testing"

	"github.com/regime-engine/regime"
	"github.com/regime-engine/regime/detect"
)

func TestStateText(t *testing.T) {
	tests := []struct {
		s    detect.State
		text string
	}{
		{detect.Bear, "bear"},
		{detect.Neutral, "neutral"},
		{detect.Bull, "bull"},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			if got := tt.s.String(); got != tt.text {
				t.Errorf("String() = %q, want %q", got, tt.text)
			}
			b, err := json.Marshal(tt.s)
			if err != nil || string(b) != `"`+tt.text+`"` {
				t.Errorf("json.Marshal = %s, %v", b, err)
			}
			var back detect.State
			if err := json.Unmarshal(b, &back); err != nil || back != tt.s {
				t.Errorf("round trip = %v, %v", back, err)
			}
		})
	}
	if _, err := detect.State(3).MarshalText(); regime.ErrorCode(err) != regime.EINVALID {
		t.Errorf("MarshalText(3) error %v, want EINVALID", err)
	}
	if got := detect.State(3).String(); got != "state(3)" {
		t.Errorf("String(3) = %q", got)
	}
	var s detect.State
	if err := s.UnmarshalText([]byte("Bull")); regime.ErrorCode(err) != regime.EINVALID {
		t.Errorf("UnmarshalText(Bull) error %v, want EINVALID", err)
	}
}

func TestTurnKind(t *testing.T) {
	if detect.Peak.String() != "peak" || detect.Trough.String() != "trough" {
		t.Errorf("names %q %q", detect.Peak, detect.Trough)
	}
	if detect.Peak.After() != detect.Bear || detect.Trough.After() != detect.Bull {
		t.Errorf("After: peak %s trough %s", detect.Peak.After(), detect.Trough.After())
	}
	if b, err := detect.Trough.MarshalText(); err != nil || string(b) != "trough" {
		t.Errorf("MarshalText = %s, %v", b, err)
	}
	if _, err := detect.TurnKind(0).MarshalText(); regime.ErrorCode(err) != regime.EINVALID {
		t.Errorf("MarshalText(0) error %v, want EINVALID", err)
	}
}
