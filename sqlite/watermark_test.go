package sqlite_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/regime-engine/regime"
	"github.com/regime-engine/regime/sqlite"
)

func TestWatermarkCommitsWithRecords(t *testing.T) {
	ctx := context.Background()
	s, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "wm.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Watermark(ctx, "fred", "fred:DGS10"); !errors.Is(err, regime.ErrNotFound) {
		t.Fatalf("missing watermark: got %v, want ErrNotFound", err)
	}
	d := regime.MustDate("2024-01-02")
	obs := []regime.Observation{{Series: "fred:DGS10", Date: d, Value: 4, Source: "fred", KnownAt: d + 1}}
	wm := regime.Watermark{Source: "fred", Series: "fred:DGS10", Through: d, Updated: 7}
	// A failing transaction stores neither the rows nor the watermark.
	boom := errors.New("boom")
	err = s.Update(ctx, func(w regime.Writer) error {
		if err := w.UpsertObservations(ctx, obs); err != nil {
			return err
		}
		if err := w.(regime.WatermarkWriter).SetWatermark(ctx, wm); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Update: %v", err)
	}
	if _, err := s.Watermark(ctx, "fred", "fred:DGS10"); !errors.Is(err, regime.ErrNotFound) {
		t.Fatalf("rolled back watermark: got %v, want ErrNotFound", err)
	}
	if err := s.Update(ctx, func(w regime.Writer) error {
		if err := w.UpsertObservations(ctx, obs); err != nil {
			return err
		}
		return w.(regime.WatermarkWriter).SetWatermark(ctx, wm)
	}); err != nil {
		t.Fatal(err)
	}
	got, err := s.Watermark(ctx, "fred", "fred:DGS10")
	if err != nil || got != wm {
		t.Fatalf("Watermark = %+v, %v; want %+v", got, err, wm)
	}
	all, err := s.Watermarks(ctx, "")
	if err != nil || len(all) != 1 || all[0] != wm {
		t.Fatalf("Watermarks = %+v, %v", all, err)
	}
	if err := s.SetWatermark(ctx, regime.Watermark{Source: "fred"}); regime.ErrorCode(err) != regime.EINVALID {
		t.Fatalf("empty series: got %v, want EINVALID", err)
	}
}
