package serve

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/regime-engine/regime"
)

// Daily runs the daily pipeline at a fixed UTC time of day: Update (the
// ingest of new data), then Refresh (recompute the gauge, signals and
// index when the store changed, which publishes the updates).
type Daily struct {
	// At is the time of day, UTC, as an offset from midnight.
	At time.Duration
	// Update brings the store up to date (e.g. `regime ingest`). A failure
	// is logged and the recompute still runs on what was stored.
	Update func(ctx context.Context) error
	// Refresh recomputes the results (Sources.Refresh).
	Refresh func(ctx context.Context) (bool, error)
	// Now and After are the clock (time.Now and time.After when nil).
	Now   func() time.Time
	After func(d time.Duration) <-chan time.Time
	// Logger receives one line per run (nil discards).
	Logger *slog.Logger
}

// ParseTimeOfDay parses "HH:MM" (UTC) into an offset from midnight.
func ParseTimeOfDay(s string) (time.Duration, error) {
	t, err := time.Parse("15:04", s)
	if err != nil {
		return 0, regime.Errorf(regime.EINVALID, "%q is not a time of day: want HH:MM (UTC), e.g. 00:30", s)
	}
	return time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute, nil
}

// NextRun returns the first instant at or after now (in UTC) whose time of
// day is at.
func NextRun(now time.Time, at time.Duration) time.Time {
	now = now.UTC()
	day := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	next := day.Add(at)
	if next.Before(now) {
		next = day.AddDate(0, 0, 1).Add(at)
	}
	return next
}

// Run loops until ctx is done, running the pipeline once a day at At. It
// returns ctx's error.
func (d Daily) Run(ctx context.Context) error {
	now, after := d.Now, d.After
	if now == nil {
		now = time.Now
	}
	if after == nil {
		after = time.After
	}
	log := d.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		t := now()
		next := NextRun(t, d.At)
		log.Info("daily update scheduled", "at", next.Format(time.RFC3339))
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-after(next.Sub(t)):
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		d.runOnce(ctx, log)
		// Never run twice for the same scheduled instant.
		for !now().After(next) && ctx.Err() == nil {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-after(time.Second):
			}
		}
	}
}

func (d Daily) runOnce(ctx context.Context, log *slog.Logger) {
	if d.Update != nil {
		if err := d.Update(ctx); err != nil {
			log.Warn("daily update: ingest failed; recomputing on the stored data", "error", err.Error())
		}
	}
	if d.Refresh == nil {
		return
	}
	changed, err := d.Refresh(ctx)
	if err != nil {
		log.Warn("daily update: recompute failed", "error", err.Error())
		return
	}
	log.Info("daily update done", "changed", fmt.Sprint(changed))
}
