package serve_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/regime-engine/regime/serve"
)

func TestNextRun(t *testing.T) {
	at := 30 * time.Minute
	tests := []struct {
		name string
		now  time.Time
		want time.Time
	}{
		{"before", time.Date(2026, 12, 7, 0, 10, 0, 0, time.UTC), time.Date(2026, 12, 7, 0, 30, 0, 0, time.UTC)},
		{"exactly", time.Date(2026, 12, 7, 0, 30, 0, 0, time.UTC), time.Date(2026, 12, 7, 0, 30, 0, 0, time.UTC)},
		{"after", time.Date(2026, 12, 7, 17, 0, 0, 0, time.UTC), time.Date(2026, 12, 8, 0, 30, 0, 0, time.UTC)},
		{"year end", time.Date(2026, 12, 31, 23, 59, 0, 0, time.UTC), time.Date(2027, 1, 1, 0, 30, 0, 0, time.UTC)},
		{"other zone", time.Date(2026, 12, 7, 1, 0, 0, 0, time.FixedZone("CET", 3600)), time.Date(2026, 12, 7, 0, 30, 0, 0, time.UTC)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := serve.NextRun(tc.now, at); !got.Equal(tc.want) {
				t.Errorf("NextRun(%s) = %s, want %s", tc.now, got, tc.want)
			}
		})
	}
}

func TestParseTimeOfDay(t *testing.T) {
	for in, want := range map[string]time.Duration{"00:30": 30 * time.Minute, "23:05": 23*time.Hour + 5*time.Minute} {
		if got, err := serve.ParseTimeOfDay(in); err != nil || got != want {
			t.Errorf("ParseTimeOfDay(%q) = %v, %v", in, got, err)
		}
	}
	for _, in := range []string{"", "24:00", "7", "noon"} {
		if _, err := serve.ParseTimeOfDay(in); err == nil {
			t.Errorf("ParseTimeOfDay(%q) accepted", in)
		}
	}
}

// fakeClock advances when waited on.
type fakeClock struct{ now time.Time }

func (c *fakeClock) Now() time.Time { return c.now }
func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	c.now = c.now.Add(d)
	ch := make(chan time.Time, 1)
	ch <- c.now
	return ch
}

func TestDailyRunsIngestThenRecompute(t *testing.T) {
	clock := &fakeClock{now: time.Date(2026, 12, 7, 17, 0, 0, 0, time.UTC)}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var calls []string
	var runs []time.Time
	d := serve.Daily{At: 30 * time.Minute, Now: clock.Now, After: clock.After,
		Update: func(context.Context) error {
			calls = append(calls, "ingest")
			runs = append(runs, clock.now)
			if len(runs) == 2 {
				return errors.New("provider down")
			}
			return nil
		},
		Refresh: func(context.Context) (bool, error) {
			calls = append(calls, "recompute")
			if len(runs) == 3 {
				cancel()
			}
			return true, nil
		}}
	if err := d.Run(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Run: %v", err)
	}
	want := []string{"ingest", "recompute", "ingest", "recompute", "ingest", "recompute"}
	if len(calls) != len(want) {
		t.Fatalf("calls %v, want %v", calls, want)
	}
	for i := range want {
		if calls[i] != want[i] {
			t.Fatalf("calls %v, want %v", calls, want)
		}
	}
	for i, r := range runs {
		if want := time.Date(2026, 12, 8+i, 0, 30, 0, 0, time.UTC); !r.Equal(want) {
			t.Errorf("run %d at %s, want %s", i, r, want)
		}
	}
}
